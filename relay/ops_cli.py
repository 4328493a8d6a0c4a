"""``parley-relay backup create|list|restore`` and ``parley-relay report availability``.

Registered on the main parser by `relay.cli.build_parser` through `register`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Protocol

from sqlalchemy import select

from relay.cli_support import Admin, config_of, runtime_info, when, with_admin
from relay.config import Config
from relay.ops import availability, backup
from relay.ops.uptime import read_runs
from relay.store.db import Database, head_revisions
from relay.store.models import MaintenanceWindow
from shared.errors import ParleyError


class Progress:
    """Progress of a long copy on stderr: a live line on a terminal, a few lines otherwise."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.last < 0.5:
            return
        if not finished and now - self.started < 1.0:
            return  # short copies print nothing
        self.last = now
        percent = 100 * done // max(total, 1)
        if sys.stderr.isatty():
            end = "\n" if finished else ""
            print(f"\r{self.what}: {percent:3d}% ({done}/{total} pages)", end=end, file=sys.stderr, flush=True)
        elif not finished or self.shown:
            print(f"{self.what}: {percent}% ({done}/{total} pages)", file=sys.stderr, flush=True)
        self.shown = True


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def cmd_backup(args: argparse.Namespace) -> int:
    known_revisions = backup.known_revisions
    config = config_of(args)
    if args.action == "create":
        info = backup.create_backup(config, progress=Progress("backing up"))
        print(f"backup {info.name} written: {info.path} ({_size(info.bytes)}, sha256 {info.sha256[:16]}...)")
        return 0
    if args.action == "list":
        backups = backup.list_backups(config)
        if args.json:
            print(json.dumps([b.to_json() for b in backups], indent=2))
            return 0
        if not backups:
            print(f"no backups in {backup.backup_folder(config)}")
        for b in backups:
            kind = "scheduled" if b.scheduled else "manual"
            print(f"{b.name:44} {when(b.created_at)}  {_size(b.bytes):>10}  {kind:9}  schema {','.join(b.revisions)}")
        return 0
    # restore
    if backup.relay_is_running(config, runtime_info(config)):
        raise ParleyError("The relay is running on this data folder. Stop it first (systemctl stop parley-relay).")
    path = backup.resolve(config, args.file)
    kept = backup.restore(config, path, known_revisions(), progress=Progress("restoring"))
    print(f"restored {path.name}")
    if kept is not None:
        print(f"the previous database is kept as {kept}")
    heads = head_revisions()
    revisions = set(backup.verify(path, known_revisions())) if path.suffix == ".db" else heads
    if revisions != heads:
        print("its schema is older than this relay's; it is upgraded when the relay starts")
    return 0


class MaintenanceSource(Protocol):
    """Where the report finds announced maintenance (the ``maintenance_windows`` table)."""

    async def windows(self, start: float, end: float) -> list[availability.Window]: ...


class MaintenanceTable:
    """Maintenance windows as scheduled with ``parley-relay maintenance schedule``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def windows(self, start: float, end: float) -> list[availability.Window]:
        async with self.db.sessions() as s:
            rows = await s.scalars(
                select(MaintenanceWindow).where(
                    MaintenanceWindow.starts_at < end,
                    MaintenanceWindow.ends_at > start,
                    MaintenanceWindow.cancelled_at.is_(None),
                )
            )
            return [
                availability.Window(
                    starts_at=w.starts_at,
                    ends_at=w.ends_at,
                    announced_at=w.created_at,
                    emergency=bool(w.emergency),
                    message=w.message,
                )
                for w in rows
            ]


async def availability_report(
    db: Database,
    config: Config,
    quarter: str,
    *,
    now: float | None = None,
    fee: float | None = None,
    maintenance: MaintenanceSource | None = None,
) -> availability.Report:
    """Read the uptime records and maintenance windows of ``quarter`` and compute its report."""
    start, end = availability.quarter_bounds(quarter)
    runs, faults = await read_runs(db, start, end)
    windows = await (maintenance or MaintenanceTable(db)).windows(start, end)
    return availability.compute(
        [
            availability.Run(r.started_at, r.last_beat_at, r.stopped_at, r.stop_reason, r.heartbeat_seconds)
            for r in runs
        ],
        [availability.Fault(f.started_at, f.ended_at, f.detail) for f in faults],
        windows,
        quarter.upper(),
        start,
        end,
        time.time() if now is None else now,
        target=config.ops.availability_target_percent / 100.0,
        fee=fee,
    )


def cmd_report(args: argparse.Namespace) -> int:
    quarter = args.quarter or availability.current_quarter(time.time())
    availability.quarter_bounds(quarter)  # a bad quarter fails before the database is opened
    if args.fee is not None and args.fee < 0:
        raise ParleyError("The fee must not be negative.")

    async def work(admin: Admin) -> int:
        report = await availability_report(admin.db, admin.config, quarter, fee=args.fee)
        if args.json:
            print(json.dumps(report.to_json(), indent=2))
        else:
            print(report.to_text())
        return 0

    return with_admin(args, work)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Add the backup and report commands to ``parley-relay``."""
    bk = sub.add_parser("backup", help="back up and restore the database")
    bk_sub = bk.add_subparsers(dest="action", required=True)
    bk_sub.add_parser("create", parents=[common], help="take a backup now (safe while the relay serves)")
    bl = bk_sub.add_parser("list", parents=[common], help="list backups")
    bl.add_argument("--json", action="store_true")
    br = bk_sub.add_parser("restore", parents=[common], help="replace the database with a backup (relay stopped)")
    br.add_argument("file", help="a backup file, or its name from `backup list`")
    bk.set_defaults(func=cmd_backup)

    rp = sub.add_parser("report", help="operational reports")
    rp_sub = rp.add_subparsers(dest="report", required=True)
    av = rp_sub.add_parser("availability", parents=[common], help="a quarter's availability, outages and credit")
    av.add_argument("--quarter", help="e.g. 2026Q4 (default: the current quarter)")
    av.add_argument("--fee", type=float, help="the quarter's fee, to print the service credit as an amount")
    av.add_argument("--json", action="store_true")
    rp.set_defaults(func=cmd_report)
