"""``parley-relay room|maintenance|audit``: rooms, maintenance windows and the audit log.

Registered on the main parser by `relay.cli.build_parser` through `register`.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import select

from relay.cli_support import Admin, when, with_admin
from relay.store.models import AuditEntry
from shared.errors import BadRequest

_RELATIVE = re.compile(r"^\+?(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_time(text: str, *, now: float | None = None, past: bool = False) -> float:
    """ISO 8601 (``2026-12-01T02:00``, with an offset or ``Z``; no offset means UTC) or a span
    from now (``+50h``, ``90m``; with ``past`` a span back from now, as in ``--since 24h``)."""
    now = time.time() if now is None else now
    text = (text or "").strip()
    match = _RELATIVE.match(text)
    if match:
        span = float(match.group(1)) * _UNIT[match.group(2)]
        return now - span if past else now + span
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"{text!r} is not a time. Write it like 2026-12-01T14:00Z, 2026-12-01T14:00+01:00 or +50h."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


_minute = partial(when, seconds=False)


def cmd_room(args: argparse.Namespace) -> int:
    async def work(admin: Admin) -> int:
        rooms = admin.rooms
        if args.action == "add":
            room = await rooms.add_room(args.name, args.capacity, args.description or "")
            print(f"added room {room.name} (capacity {room.capacity})")
        elif args.action == "list":
            listed = await rooms.list_rooms()
            if args.json:
                print(
                    json.dumps(
                        [
                            {"id": r.id, "name": r.name, "capacity": r.capacity, "description": r.description}
                            for r in listed
                        ],
                        indent=2,
                    )
                )
            elif not listed:
                print("no rooms yet; add one with: parley-relay room add NAME --capacity N")
            else:
                for r in listed:
                    print(f"{r.name:24} capacity {r.capacity:<5} {r.description}")
        elif args.action == "remove":
            cancelled = await rooms.remove_room(args.name, force=args.force)
            extra = f"; {cancelled} upcoming booking(s) cancelled" if cancelled else ""
            print(f"removed room {args.name}{extra}")
        return 0

    return with_admin(args, work)


def cmd_maintenance(args: argparse.Namespace) -> int:
    async def work(admin: Admin) -> int:
        windows = admin.windows
        if args.action == "schedule":
            starts_at = parse_time(args.start)
            window, clashing = await windows.schedule(
                starts_at, args.duration, args.message, emergency=args.emergency, actor=args.actor
            )
            kind = "emergency maintenance" if window.emergency else "maintenance"
            print(f"scheduled {kind} {window.id}: {_minute(window.starts_at)} to {_minute(window.ends_at)}")
            for booking in clashing:
                print(
                    f"warning: booking {booking.booking_id} ({booking.title!r} in {booking.room_name}, "
                    f"host {booking.host_username}) overlaps this window"
                )
        elif args.action == "list":
            listed = await windows.list(include_past=args.all)
            if args.json:
                rows = [
                    {
                        "id": w.id,
                        "starts_at": w.starts_at,
                        "ends_at": w.ends_at,
                        "message": w.message,
                        "emergency": w.emergency,
                        "created_by": w.created_by,
                    }
                    for w in listed
                ]
                print(json.dumps(rows, indent=2))
            elif not listed:
                print("no maintenance scheduled")
            else:
                for w in listed:
                    flag = " (emergency)" if w.emergency else ""
                    print(f"{w.id:<4} {_minute(w.starts_at)} to {_minute(w.ends_at)}{flag}  {w.message}")
        elif args.action == "cancel":
            await windows.cancel(args.window_id, actor=args.actor)
            print(f"cancelled maintenance {args.window_id}")
        return 0

    return with_admin(args, work)


def cmd_audit(args: argparse.Namespace) -> int:
    async def work(admin: Admin) -> int:
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(args.limit)
        if args.since:
            query = query.where(AuditEntry.at >= parse_time(args.since, past=True))
        if args.actor:
            query = query.where(AuditEntry.actor == args.actor)
        if args.action:
            # "booking" matches booking.create, booking.edit, ...; "booking.create" only itself.
            query = query.where((AuditEntry.action == args.action) | AuditEntry.action.startswith(args.action + "."))
        async with admin.db.sessions() as s:
            entries = list(reversed(list(await s.scalars(query))))
        if args.json:
            rows = [
                {"at": e.at, "actor": e.actor, "action": e.action, "target": e.target, "detail": e.detail}
                for e in entries
            ]
            print(json.dumps(rows, indent=2))
        else:
            for e in entries:
                detail = " ".join(
                    f"{k}={_minute(v) if k.endswith('_at') and isinstance(v, (int, float)) else v}"
                    for k, v in sorted((e.detail or {}).items())
                )
                print(f"{_minute(e.at)}  {e.actor:16} {e.action:24} {e.target} {detail}".rstrip())
        return 0

    return with_admin(args, work)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Add the room, maintenance and audit commands to ``parley-relay``."""
    room = sub.add_parser("room", help="manage bookable rooms")
    room_sub = room.add_subparsers(dest="action", required=True)
    add = room_sub.add_parser("add", parents=[common], help="add a room")
    add.add_argument("name")
    add.add_argument("--capacity", type=int, required=True, help="how many people it holds")
    add.add_argument("--description", default="")
    lst = room_sub.add_parser("list", parents=[common], help="list rooms")
    lst.add_argument("--json", action="store_true")
    rm = room_sub.add_parser("remove", parents=[common], help="remove a room")
    rm.add_argument("name")
    rm.add_argument("--force", action="store_true", help="also cancel its upcoming bookings")
    room.set_defaults(func=cmd_room)

    maint = sub.add_parser("maintenance", help="announce maintenance windows")
    maint_sub = maint.add_subparsers(dest="action", required=True)
    sched = maint_sub.add_parser("schedule", parents=[common], help="announce a window (48 hours ahead at least)")
    sched.add_argument("--start", required=True, help="2026-12-01T02:00Z (no offset: UTC) or +50h")
    sched.add_argument("--duration", type=float, required=True, help="minutes")
    sched.add_argument("--message", required=True, help="what people are told")
    sched.add_argument("--emergency", action="store_true", help="allow less notice (recorded in the audit log)")
    sched.add_argument("--actor", default="admin", help="who schedules it (for the audit log)")
    mlist = maint_sub.add_parser("list", parents=[common], help="list upcoming windows")
    mlist.add_argument("--all", action="store_true", help="include past windows")
    mlist.add_argument("--json", action="store_true")
    mcancel = maint_sub.add_parser("cancel", parents=[common], help="cancel a window")
    mcancel.add_argument("window_id", type=int)
    mcancel.add_argument("--actor", default="admin")
    maint.set_defaults(func=cmd_maintenance)

    audit = sub.add_parser("audit", parents=[common], help="who did what and when")
    audit.add_argument("--since", help="2026-11-01, 2026-11-01T08:00Z, or a span back such as 24h or 7d")
    audit.add_argument("--actor", help="user name (or admin, relay)")
    audit.add_argument("--action", help="action or its prefix, e.g. booking or host.remove")
    audit.add_argument("--limit", type=int, default=1000, help="at most this many entries (newest)")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=cmd_audit)
