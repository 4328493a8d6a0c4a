"""Calendar files, invitation text, local times, and ``parley meetings`` against a live relay."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import msgspec
import pytest

from client.cli import main as parley
from client.engine.meetings import booking_ics, invitation_text, parse_local
from shared.errors import BadRequest
from shared.protocol import messages as m
from tests.conftest import RunningRelay
from tests.relay.test_hosting_live import add_room

BOOKING = m.BookingInfo(
    booking_id="b0123456789abcde",
    room_id="r1",
    room_name="Blue",
    title="Quarterly planning, part 2; budget",
    starts_at=1_800_000_000.0,  # 2027-01-15 08:00 UTC = 09:00 Europe/Paris
    ends_at=1_800_005_400.0,
    timezone="Europe/Paris",
    host_user_id="u1",
    host_username="alice",
    host_display_name="Alice Martin",
    meeting_id="abcDEF123",
    link="parley://relay.example:8443/m/abcDEF123",
    weekly_count=4,
    invitees=["bob", "carol"],
    invitee_emails={"bob": "bob@example.com"},
    host_email="alice@example.com",
)


def test_ics_is_valid_rfc5545_with_tzid_recurrence_and_link() -> None:
    data = booking_ics(BOOKING, now=1_799_000_000.0)
    cal = icalendar.Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    (event,) = cal.walk("VEVENT")
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Paris"
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert start == datetime(2027, 1, 15, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert start.timestamp() == BOOKING.starts_at
    assert event.decoded("DTEND").timestamp() == BOOKING.ends_at
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["COUNT"] == [4]
    web = "https://relay.example:8443/m/abcDEF123"  # clickable in mail and calendar programs
    assert str(event["URL"]) == web
    assert web in str(event["DESCRIPTION"]) and BOOKING.link in str(event["DESCRIPTION"])
    assert str(event["SUMMARY"]) == BOOKING.title  # commas and semicolons survive escaping
    assert str(event["UID"]) == "b0123456789abcde@parley"
    # Only people whose account has an e-mail address are attendees, as mailto: addresses.
    assert str(event["ATTENDEE"]) == "mailto:bob@example.com" and event["ATTENDEE"].params["CN"] == "bob"
    assert str(event["ORGANIZER"]) == "mailto:alice@example.com"
    unknown = icalendar.Calendar.from_ical(
        booking_ics(msgspec.structs.replace(BOOKING, invitee_emails={}, host_email=""))
    )
    (bare,) = unknown.walk("VEVENT")
    assert "ATTENDEE" not in bare and "ORGANIZER" not in bare and "urn:parley" not in unknown.to_ical().decode()
    # Lines are folded at 75 octets and end in CRLF, as RFC 5545 requires.
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_invitation_text_and_local_times() -> None:
    text = invitation_text(BOOKING)
    assert "Alice Martin invites you" in text
    assert "Friday 15 January 2027, 09:00 to 10:30 (Europe/Paris)" in text
    assert "Repeats weekly, 4 times, until 05 February 2027." in text
    assert "Join: https://relay.example:8443/m/abcDEF123\n" in text
    assert text.endswith(f"Or open in the Parley app: {BOOKING.link}")
    assert "03:00 to 04:30 (America/New_York)" in invitation_text(BOOKING, "America/New_York")
    assert parse_local("2027-01-15 09:00", "Europe/Paris") == BOOKING.starts_at
    with pytest.raises(BadRequest):
        parse_local("tomorrow-ish", "UTC")
    with pytest.raises(BadRequest):
        parse_local("2027-01-15 09:00", "Nowhere/Special")


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, *argv: str, password: str | None = None
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n" if password else ""))
    code = parley(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_parley_meetings_cli(relay: RunningRelay, monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path) -> None:
    monkeypatch.setenv("PARLEY_TOKEN_FILE", str(tmp_path / "tokens.json"))
    alice, bob = relay.add_user(display="Alice"), relay.add_user(display="Bob")
    room = add_room(relay)
    creds = ["--server", relay.server, "--server-fingerprint", relay.fingerprint]
    when = datetime.fromtimestamp(time.time() + 86400, ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:00")

    code, out, err = run_cli(
        monkeypatch, capsys, "meetings", "book", *creds, "--user", alice, "--password-stdin", "--json",
        "--room", room, "--title", "Standup", "--start", when, "--minutes", "30", "--tz", "Asia/Tokyo",
        "--invite", bob, "--weekly", "2", password="correct horse",
    )  # fmt: skip
    assert code == 0, err
    booked = json.loads(out)
    assert booked["local_start"].endswith(when[-5:]) and booked["invitees"] == [bob] and booked["weekly_count"] == 2

    # The same slot again is refused in a sentence, not a traceback (remembered sign-in, no password).
    code, out, err = run_cli(
        monkeypatch, capsys, "meetings", "book", *creds, "--user", alice, "--room", room, "--title", "Again",
        "--start", when, "--minutes", "30", "--tz", "Asia/Tokyo",
    )  # fmt: skip
    assert code == 1 and "is already booked from" in err and "Traceback" not in err

    # Bob sees it; its .ics carries the zone and the link.
    code, out, err = run_cli(
        monkeypatch, capsys, "meetings", "list", *creds, "--user", bob, "--password-stdin", "--json", "--tz", "UTC",
        password="correct horse",
    )  # fmt: skip
    assert code == 0, err
    assert [b["booking_id"] for b in json.loads(out)] == [booked["booking_id"]]
    ics_file = tmp_path / "standup.ics"
    code, out, err = run_cli(
        monkeypatch, capsys, "meetings", "ics", booked["booking_id"], *creds, "--user", bob, "-o", str(ics_file)
    )
    assert code == 0, err
    (event,) = icalendar.Calendar.from_ical(ics_file.read_bytes()).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo" and str(event["URL"]) == booked["link"].replace(
        "parley:", "https:"
    )

    code, out, err = run_cli(
        monkeypatch, capsys, "meetings", "edit", booked["booking_id"], *creds, "--user", bob, "--title", "Mine"
    )
    assert code == 1 and "Only the person who booked" in err
    code, out, err = run_cli(
        monkeypatch, capsys, "meetings", "edit", booked["booking_id"], *creds, "--user", alice, "--title", "Daily"
    )
    assert code == 0 and "changed" in out, err
    code, out, err = run_cli(monkeypatch, capsys, "meetings", "cancel", booked["booking_id"], *creds, "--user", alice)
    assert code == 0 and "cancelled" in out, err
    code, out, err = run_cli(monkeypatch, capsys, "meetings", "list", *creds, "--user", bob)
    assert code == 0 and "no upcoming meetings" in out
