"""What both ends of a file transfer share (shared/transfer.py)."""

from __future__ import annotations

import pytest

from shared import e2e
from shared.errors import BadRequest
from shared.transfer import chunk_count, chunk_header, chunk_length, size_text, transfer_bytes


def test_chunks_cover_the_file() -> None:
    assert [chunk_count(n, 1000) for n in (1, 999, 1000, 1001, 10_000)] == [1, 1, 1, 2, 10]
    assert [chunk_length(2500, 1000, i) for i in range(3)] == [1000, 1000, 500]


def test_the_chunk_header_is_read_from_the_frame_e2e_builds() -> None:
    raw = bytes(range(16))
    frame = e2e.chunk_frame(raw, 7, b"sealed")
    assert chunk_header(frame) == (e2e.FRAME_CHUNK, raw, 7)
    assert chunk_header(frame[: e2e.FRAME_HEADER.size]) is None  # a header with nothing sealed


def test_transfer_ids_are_32_hex_characters() -> None:
    assert transfer_bytes("ab" * 16) == b"\xab" * 16
    for bad in ("ab" * 15, "zz" * 16, "ab" * 17):
        with pytest.raises(BadRequest, match="32 hexadecimal"):
            transfer_bytes(bad)


def test_sizes_in_words() -> None:
    assert [size_text(n) for n in (999, 1000, 10_240, 4_800_000, 3e12)] == [
        "999 bytes",
        "1.0 KB",
        "10.2 KB",
        "4.8 MB",
        "3000.0 GB",
    ]
    assert [size_text(n, binary=True) for n in (1023, 1024, 5_000_000, 2 * 1024**3)] == [
        "1023 bytes",
        "1 KiB",
        "4.8 MiB",
        "2 GiB",
    ]
