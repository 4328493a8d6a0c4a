"""The relay's data is private to the account that runs it, whatever the umask it inherits.

The data folder holds password hashes, sessions, retained chat, the audit log, the TLS key and
backups. systemd's unit sets ``UMask=0077``; a relay started by hand or by another supervisor
under the usual 022 would leave all of that readable by every user of the machine. So the relay
sets its own umask at its entry point (`relay.cli.main`: files it creates from then on are 0600,
folders 0700) and tightens what is in its folders when it opens them and after it wrote to them
(also for a relay run inside another program, whose umask it leaves alone). SQLite gives its WAL
and shared-memory files the database file's mode, so a 0600 database keeps them 0600 too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("parley.relay")

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def keep_private() -> None:
    """From now on this process creates files 0600 and folders 0700."""
    os.umask(0o077)


def secure_folder(folder: Path) -> None:
    """Create ``folder`` (0700) if needed and make it and everything in it private to this user."""
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    _tighten(folder, FOLDER_MODE)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            _tighten(Path(root) / name, FOLDER_MODE)
        for name in files:
            _tighten(Path(root) / name, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) & ~mode == 0:
            return  # symlinks are left alone; already as private or more
        try:
            os.chmod(path, stat.S_IMODE(info.st_mode) & mode)
        except PermissionError:  # a file someone else owns (e.g. a shared certificate)
            log.warning("could not make %s private to the relay's account", path)
