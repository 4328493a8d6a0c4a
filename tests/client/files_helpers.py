"""Helpers for file-transfer tests: media participants with a FileService each."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from client.engine import events as ev
from tests.media_fixtures import join

NO_VIDEO = {"camera": "none"}


def random_file(path: Path, size: int, marker: bytes = b"") -> str:
    """Write ``size`` random bytes (with ``marker`` planted every MiB); returns the SHA-256."""
    data = bytearray(os.urandom(size))
    if marker:
        for at in range(0, max(1, size - len(marker)), 1024 * 1024):
            data[at : at + len(marker)] = marker
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def file_participant(relay: Any, name: str, meeting: str, download_dir: Path | None = None, **kw: Any) -> Any:
    from client.engine.files import FileService

    client, session = await join(relay, name, meeting, **NO_VIDEO)
    files = FileService(client, session, download_dir=download_dir, auto_accept=download_dir is not None, **kw)
    await files.start()
    files.session = session
    return client, session, files


async def wait_keys(files: Any, count: int) -> None:
    while len(files.keys) < count:
        files.keys_changed.clear()
        await files.keys_changed.wait()


def final(
    event: ev.EngineEvent, direction: str, states: tuple[str, ...] = ("complete", "failed", "cancelled", "declined")
) -> bool:
    return isinstance(event, ev.FileTransferChanged) and event.direction == direction and event.state in states
