"""A disk that is full: a 1 MiB tmpfs (mounting needs root, as TESTING.md says) filled to the last
byte, with an empty ``parley`` folder on it for the file under test."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def full_tmpfs(base: Path) -> Iterator[Path]:
    """Mount a 1 MiB tmpfs under ``base``, create ``parley/`` on it, fill it; unmount afterwards."""
    mount = base / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    assert done.returncode == 0, f"mounting a tmpfs needs root: {done.stderr.decode()}"
    try:
        (mount / "parley").mkdir()
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            for size in (65536, 512, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
