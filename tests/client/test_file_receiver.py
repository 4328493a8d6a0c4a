"""The receiving side on its own: every chunk is checked before it is written (no relay needed)."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from client.engine.files import FileService
from shared import e2e
from shared.protocol import messages as m

pytestmark = pytest.mark.asyncio
CHUNK = 1024


class FakeClient:
    participant_id = "bob"
    participants: dict[str, Any] = {}

    def __init__(self) -> None:
        self.push_handlers: list[Any] = []
        self.sent: list[Any] = []
        self.events: list[Any] = []

    def emit(self, event: Any) -> None:
        self.events.append(event)

    async def request(self, request: Any) -> Any:
        self.sent.append(request)
        return m.Ok(id=0)


class FakeChannel:
    readyState = "open"
    bufferedAmount = 0

    def on(self, *_: Any) -> None:
        pass


class FakeMedia:
    channel = None

    def __init__(self) -> None:
        self.channel_listeners: list[Any] = []


async def _offered(tmp_path: Path, data: bytes, digest: str | None = None) -> tuple[FileService, Any, list[bytes]]:
    bob = FileService(FakeClient(), FakeMedia(), download_dir=tmp_path)  # type: ignore[arg-type]
    channel = FakeChannel()
    bob._use_channel(channel)
    tid = os.urandom(16).hex()
    key = e2e.new_file_key()
    eph, eph_pub = e2e.ephemeral_key()
    manifest = {"name": "../x.bin", "size": len(data), "sha256": digest or hashlib.sha256(data).hexdigest()}
    chunks = -(-len(data) // CHUNK)
    bob._on_push(
        m.FileOffered(
            meeting_id="m",
            transfer_id=tid,
            from_participant_id="ann",
            from_name="Ann",
            size=len(data),
            chunk_size=CHUNK,
            chunks=chunks,
            manifest=e2e.seal_manifest(key, tid, json.dumps(manifest).encode()),
            sender_key=e2e.b64(eph_pub),
            wrapped_key=e2e.wrap_key(key, eph, bob.keypair.public_bytes, tid, "bob"),
        )
    )
    transfer = await bob.accept(tid)
    assert transfer.state == "transferring" and transfer.name == "x.bin"
    raw = bytes.fromhex(tid)
    frames = [
        e2e.chunk_frame(raw, i, e2e.seal_chunk(key, tid, i, data[i * CHUNK : (i + 1) * CHUNK])) for i in range(chunks)
    ]
    return bob, channel, frames


def _empty(folder: Path) -> bool:
    return not any(folder.iterdir())


def _deliver(bob: FileService, channel: Any, frames: list[bytes]) -> Any:
    for frame in frames:
        bob._on_frame(channel, frame)
    return next(iter(bob.incoming.values()))


async def test_in_order_chunks_make_the_file(tmp_path: Path) -> None:
    data = os.urandom(5000)
    bob, channel, frames = await _offered(tmp_path, data)
    transfer = _deliver(bob, channel, frames)
    assert transfer.state == "complete" and transfer.path.read_bytes() == data


@pytest.mark.parametrize(
    ("order", "word"), [([0, 1, 1], "repeated"), ([0, 2], "missing"), ([1], "missing"), ([0, 0], "repeated")]
)
async def test_repeated_or_missing_chunk_fails_cleanly(tmp_path: Path, order: list[int], word: str) -> None:
    bob, channel, frames = await _offered(tmp_path, os.urandom(5000))
    transfer = _deliver(bob, channel, [frames[i] for i in order])
    assert transfer.state == "failed" and word in transfer.message
    assert _empty(tmp_path)  # temporary file removed, no final file
    await asyncio.gather(*bob._tasks)
    assert any(isinstance(r, m.CancelFile) for r in bob.client.sent)  # the sender is told


async def test_chunk_moved_to_another_index_is_detected(tmp_path: Path) -> None:
    bob, channel, frames = await _offered(tmp_path, os.urandom(5000))
    transfer = _deliver(bob, channel, [frames[0], frames[2][:17] + (1).to_bytes(4, "big") + frames[2][21:]])
    assert transfer.state == "failed" and "altered" in transfer.message
    assert _empty(tmp_path)


async def test_wrong_hash_discards_the_file(tmp_path: Path) -> None:
    bob, channel, frames = await _offered(tmp_path, os.urandom(3000), digest="0" * 64)
    transfer = _deliver(bob, channel, frames)
    assert transfer.state == "failed" and "SHA-256" in transfer.message
    assert _empty(tmp_path)


async def test_disk_full_while_writing(tmp_path: Path) -> None:
    bob, channel, frames = await _offered(tmp_path, os.urandom(5000))
    transfer = next(iter(bob.incoming.values()))

    class Full:
        def write(self, _: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            pass

    transfer.handle.close()
    transfer.handle = Full()
    _deliver(bob, channel, frames[:1])
    assert transfer.state == "failed" and "disk is full" in transfer.message
    assert _empty(tmp_path)
