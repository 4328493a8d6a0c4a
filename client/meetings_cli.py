"""``parley meetings list|book|edit|cancel|ics|rooms``: bookings from scripts and calendars.

Credentials as for ``parley join --headless``: ``--server HOST:PORT``, ``--user``, and
``--password-stdin`` or a remembered sign-in; ``--server-fingerprint`` trusts a self-signed relay.
Times are local wall-clock times in ``--tz`` (default: this machine's zone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from client.cli_support import (
    add_fingerprint_option,
    add_password_stdin_option,
    add_user_option,
    read_password,
    sign_in,
)
from shared.errors import ParleyError

if TYPE_CHECKING:
    from client.engine.meetings import MeetingDesk
    from shared.protocol import messages as m


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``meetings`` to the ``parley`` parser."""
    creds = argparse.ArgumentParser(add_help=False)
    creds.add_argument("--server", required=True, help="relay address, HOST:PORT")
    add_fingerprint_option(creds)
    add_user_option(creds, "your user name", required=True)
    add_password_stdin_option(creds)
    creds.add_argument("--json", action="store_true", help="print JSON")

    meetings = sub.add_parser("meetings", help="book and list meetings (scriptable)")
    msub = meetings.add_subparsers(dest="action", required=True)
    lst = msub.add_parser("list", parents=[creds], help="your upcoming meetings (hosted or invited)")
    lst.add_argument("--past", action="store_true", help="include past meetings")
    lst.add_argument("--tz", help="show times in this zone (default: this machine's)")
    msub.add_parser("rooms", parents=[creds], help="rooms that can be booked")

    book = msub.add_parser("book", parents=[creds], help="book a room")
    book.add_argument("--room", required=True)
    book.add_argument("--title", required=True)
    book.add_argument("--start", required=True, help='local time, e.g. "2026-12-01 14:00"')
    length = book.add_mutually_exclusive_group(required=True)
    length.add_argument("--end", help="local end time")
    length.add_argument("--minutes", type=float, help="length in minutes")
    book.add_argument("--tz", help="IANA time zone of --start/--end (default: this machine's)")
    book.add_argument("--invite", action="append", default=[], help="user name to invite (repeat)")
    book.add_argument("--weekly", type=int, default=1, metavar="N", help="repeat weekly, N times in all")

    edit = msub.add_parser("edit", parents=[creds], help="change a booking you made")
    edit.add_argument("booking_id")
    edit.add_argument("--room")
    edit.add_argument("--title")
    edit.add_argument("--start")
    edit.add_argument("--end")
    edit.add_argument("--tz")
    edit.add_argument("--invite", action="append", help="replace the invitees (repeat); --invite '' for none")
    edit.add_argument("--weekly", type=int)

    cancel = msub.add_parser("cancel", parents=[creds], help="cancel a booking you made")
    cancel.add_argument("booking_id")

    ics = msub.add_parser("ics", parents=[creds], help="write a booking as an .ics calendar file")
    ics.add_argument("booking_id")
    ics.add_argument("--output", "-o", help="file to write (default: standard output)")
    ics.add_argument("--invitation", action="store_true", help="print the invitation text instead")


async def _signed_in(
    args: argparse.Namespace, password: str | None, work: Callable[[MeetingDesk], Awaitable[int]]
) -> int:
    from client.engine.call import ParleyClient
    from client.engine.meetings import MeetingDesk

    client = ParleyClient(args.server, fingerprint=args.server_fingerprint)
    try:
        await client.connect()
        await sign_in(client, args.user, password)
        return await work(MeetingDesk(client))
    finally:
        await client.close()


def _row(b: m.BookingInfo, tz: str) -> dict[str, Any]:
    from client.engine.meetings import format_local

    data: dict[str, Any] = msgspec.to_builtins(b)
    data["local_start"] = format_local(b.starts_at, tz)
    data["local_end"] = format_local(b.ends_at, tz)
    return data


def run(args: argparse.Namespace) -> int:
    from client.engine.meetings import booking_ics, format_local, invitation_text, local_zone_name, parse_local

    password = read_password(args)
    tz = getattr(args, "tz", None) or local_zone_name()

    async def work(desk: MeetingDesk) -> int:
        action = args.action
        if action == "list":
            bookings = await desk.bookings(include_past=args.past)
            if args.json:
                print(json.dumps([_row(b, tz) for b in bookings], indent=2))
            elif not bookings:
                print("no upcoming meetings")
            for b in [] if args.json else bookings:
                repeat = f" (weekly x{b.weekly_count})" if b.weekly_count > 1 else ""
                print(
                    f"{b.booking_id}  {format_local(b.starts_at, tz)} - {format_local(b.ends_at, tz)[-5:]} {tz}"
                    f"{repeat}  {b.room_name:16} {b.title}  host {b.host_username}  {b.link}"
                )
        elif action == "rooms":
            rooms = await desk.rooms()
            if args.json:
                print(json.dumps([msgspec.to_builtins(r) for r in rooms], indent=2))
            for r in [] if args.json else rooms:
                print(f"{r.name:24} capacity {r.capacity:<5} {r.description}")
        elif action == "book":
            starts_at = parse_local(args.start, tz)
            ends_at = parse_local(args.end, tz) if args.end else starts_at + args.minutes * 60
            saved = await desk.book(args.room, args.title, starts_at, ends_at, tz, args.invite, args.weekly)
            _print_saved(saved, tz, args.json, "booked")
        elif action == "edit":
            changes: dict[str, Any] = {}
            if args.room is not None:
                changes["room"] = args.room
            if args.title is not None:
                changes["title"] = args.title
            if args.tz:
                changes["timezone"] = tz
            if args.start:
                changes["starts_at"] = parse_local(args.start, tz)
            if args.end:
                changes["ends_at"] = parse_local(args.end, tz)
            if args.invite is not None:
                changes["invitees"] = [n for n in args.invite if n.strip()]
            if args.weekly is not None:
                changes["weekly_count"] = args.weekly
            if not changes:
                raise ParleyError("Say what to change (--title, --start, --end, --room, --invite, --weekly, --tz).")
            saved = await desk.edit(args.booking_id, **changes)
            _print_saved(saved, tz, args.json, "changed")
        elif action == "cancel":
            await desk.cancel(args.booking_id)
            print(f"cancelled {args.booking_id}")
        elif action == "ics":
            booking = next((b for b in await desk.bookings(include_past=True) if b.booking_id == args.booking_id), None)
            if booking is None:
                raise ParleyError(f"You have no booking {args.booking_id}.")
            if args.invitation:
                print(invitation_text(booking))
            elif args.output:
                await asyncio.to_thread(Path(args.output).write_bytes, booking_ics(booking))
                print(f"wrote {args.output}")
            else:
                sys.stdout.write(booking_ics(booking).decode())
        return 0

    return asyncio.run(_signed_in(args, password, work))


def _print_saved(saved: m.BookingSaved, tz: str, as_json: bool, verb: str) -> None:
    from client.engine.meetings import format_local

    b = saved.booking
    if as_json:
        print(json.dumps({**_row(b, tz), "warnings": saved.warnings}, indent=2))
        return
    print(f"{verb} {b.booking_id}: {b.title} in {b.room_name}, {format_local(b.starts_at, tz)} {tz}")
    print(f"join link: {b.link}")
    for warning in saved.warnings:
        print(f"warning: {warning}")
