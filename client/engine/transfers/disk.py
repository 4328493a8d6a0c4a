"""The disk work of file transfers, done by `FileService` for its cores: hashing and reading the
file we send, and the partial file of one we receive (opened, written, made durable, discarded).

Plain blocking calls, as quick as the data channel's callbacks need them (one chunk at a time);
hashing a whole file is the one slow call, which FileService runs in an executor.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO


def sha256_of(path: Path) -> str:
    """The SHA-256 of a whole file (slow: call it off the event loop)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def open_source(path: Path) -> BinaryIO:
    """The file we send, open for reading."""
    return path.open("rb")


def identity(handle: BinaryIO) -> tuple[int, int]:
    """(size, modification time in ns) of an open file: whether it changed since it was offered."""
    st = os.fstat(handle.fileno())
    return st.st_size, st.st_mtime_ns


def read_at(handle: BinaryIO, offset: int, size: int) -> bytes:
    """Up to ``size`` bytes from ``offset``."""
    handle.seek(offset)
    return handle.read(size)


def free_space(folder: Path) -> int:
    """Bytes free in ``folder``, created when missing; OSError when it cannot be used."""
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(folder).free


def open_part(path: Path) -> BinaryIO:
    """A new partial file for writing."""
    return path.open("wb")


def close_durably(handle: BinaryIO) -> None:
    """Flush a partial file to the disk itself, then close it (a saved file survives a crash)."""
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


def discard(handle: BinaryIO | None, path: Path | None) -> None:
    """Close and delete a partial file, whatever state it is in."""
    if handle is not None:
        with contextlib.suppress(OSError):
            handle.close()
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
