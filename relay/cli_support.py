"""What every ``parley-relay`` command shares: reading the configuration, passwords, the serving
relay's runtime file, times for people, and the administration tools on the configured database
(without starting the relay: no media plane, no listener)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay.accounts import Accounts
from relay.config import Config, load_config
from relay.links import Links
from relay.maintenance import MaintenanceWindows
from relay.meetings import Meetings
from relay.ops.private_files import secure_folder
from relay.rooms import Rooms
from relay.store.db import Database
from shared.errors import ParleyError

RUNTIME_FILE = "relay.json"


def config_of(args: argparse.Namespace) -> Config:
    """The configuration named by ``--config`` with ``--data-dir`` applied."""
    return load_config(
        Path(args.config) if args.config else None, data_dir=Path(args.data_dir) if args.data_dir else None
    )


def read_password(prompt: str = "Password: ") -> str:
    """From the terminal (asked twice) or one line of stdin; never from argv."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Repeat: ") != first:
            raise ParleyError("The two passwords differ.")
        return first
    line = sys.stdin.readline()
    if not line:
        raise ParleyError("Give the password on standard input.")
    return line.rstrip("\r\n")


def write_runtime(config: Config, info: dict[str, Any]) -> int:
    """Write the runtime file and hold a lock on it for as long as this process lives (the kernel
    drops the lock when it dies, even by kill -9). Returns the descriptor to keep open."""
    path = config.data_dir / RUNTIME_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    _lock(fd, exclusive=True)
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps(info).encode())
    return fd


def runtime_info(config: Config) -> dict[str, Any] | None:
    """What the serving relay wrote about itself (address, port, fingerprint), if it is running.

    A file no live relay holds a lock on was left by one that was killed: it is removed."""
    path = config.data_dir / RUNTIME_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if _lock(fd, exclusive=False, wait=False):
            path.unlink(missing_ok=True)  # nobody serves from this folder: stale
            return None
        info: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return info


def _lock(fd: int, *, exclusive: bool, wait: bool = True) -> bool:
    """flock ``fd``; False when another process holds it (only with ``wait=False``). Where there
    is no flock (Windows) the file is trusted as it is."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return False
    flags = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, flags)
    except BlockingIOError:
        return False
    return True


def when(ts: float, *, seconds: bool = True) -> str:
    """``2026-12-01 14:00:05 UTC`` (or without seconds)."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC", time.gmtime(ts))


@dataclass
class Admin:
    """The administration tools on the configured database."""

    config: Config
    db: Database
    accounts: Accounts
    meetings: Meetings
    rooms: Rooms
    windows: MaintenanceWindows


def with_admin(args: argparse.Namespace, work: Callable[[Admin], Awaitable[int]]) -> int:
    """Run ``work`` on the migrated database (links use the serving relay's port when it runs)."""
    config = config_of(args)

    async def main() -> int:
        secure_folder(config.data_dir)
        db = Database(config.database_url)
        try:
            await db.migrate()
            info = runtime_info(config)
            links = Links(config.link_host, int(info["port"]) if info else config.server.port)
            rooms = Rooms(db, config, links=links)
            admin = Admin(
                config=config,
                db=db,
                accounts=Accounts(db, config.limits),
                meetings=Meetings(db, config.limits, links),
                rooms=rooms,
                windows=MaintenanceWindows(db, config, rooms),
            )
            return await work(admin)
        finally:
            await db.close()

    return asyncio.run(main())
