"""What both ends of a file transfer share: chunk arithmetic, the chunk frame's header, transfer ids
and sizes in words.

Both ends are built the same way: a sans-I/O core (client/engine/transfers/ on the client,
relay/sfu/filetransfers.py and relay/sfu/filepacing.py on the relay) whose methods take one input
(a request, a relay event, a data-channel frame, a reply, the time ``now``) and give back a list of
outputs (frozen dataclasses: frames to forward, events to tell, requests to send, disk actions),
and a thin I/O shell (`client.engine.files.FileService`, `relay.sfu.datachannels.FileRelay`) that
feeds the core and does what it asks. The frame itself is defined once, in shared.e2e.
"""

from __future__ import annotations

import binascii

from shared.e2e import FRAME_HEADER
from shared.errors import BadRequest


def chunk_count(size: int, chunk_size: int) -> int:
    """How many chunks of ``chunk_size`` carry ``size`` bytes (the last one may be shorter)."""
    return -(-size // chunk_size)


def chunk_length(size: int, chunk_size: int, index: int) -> int:
    """The plaintext length of chunk ``index`` of a ``size``-byte file."""
    return min(chunk_size, size - index * chunk_size)


def chunk_header(data: bytes) -> tuple[int, bytes, int] | None:
    """(frame type, raw transfer id, chunk index) of a data-channel frame without copying its sealed
    part, or None when ``data`` is too short to carry a chunk."""
    if len(data) <= FRAME_HEADER.size:
        return None
    kind, raw_id, index = FRAME_HEADER.unpack_from(data)
    return kind, raw_id, index


def transfer_bytes(transfer_id: str) -> bytes:
    """The 16 raw bytes of a transfer id (32 lowercase hex characters); BadRequest otherwise."""
    if len(transfer_id) != 32:
        raise BadRequest("A transfer id is 32 hexadecimal characters.")
    try:
        return binascii.unhexlify(transfer_id)
    except (binascii.Error, ValueError):
        raise BadRequest("A transfer id is 32 hexadecimal characters.") from None


def size_text(n: float, *, binary: bool = False) -> str:
    """A size in words: "4.8 MB" (powers of 1000, as people's file managers show), or with
    ``binary`` "4.8 MiB" (powers of 1024, as server limits are configured; "2 GiB", not "2.0 GiB")."""
    step, units = (1024, ("bytes", "KiB", "MiB", "GiB")) if binary else (1000, ("bytes", "KB", "MB", "GB"))
    for unit in units:
        if n < step or unit == units[-1]:
            if unit == "bytes":
                return f"{n:.0f} bytes"
            text = f"{n:.1f} {unit}"
            return text.replace(".0 ", " ") if binary else text
        n /= step
    return f"{n} bytes"  # not reached: the last unit always answers
