"""Bookings, host controls, the lobby, meeting-length warnings and maintenance notices, for the
desktop app and the ``parley meetings`` command. No Qt here.

`MeetingDesk` wraps a signed-in `ParleyClient`: it makes the requests and turns the relay's pushes
about lobbies, meeting state and maintenance into engine events. Pure helpers turn a booking into
an RFC 5545 calendar file (`booking_ics`) or an invitation text (`invitation_text`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from client.engine import events as ev
from client.engine.call import ParleyClient
from shared.errors import BadRequest
from shared.links import BadLink, parse_link
from shared.protocol import messages as m


class MeetingDesk:
    """What a person does with bookings and, as host, with a meeting's participants."""

    def __init__(self, client: ParleyClient) -> None:
        self.client = client
        self.state: dict[str, m.MeetingState] = {}
        self.lobby: dict[str, list[m.LobbyEntry]] = {}
        self.maintenance: list[m.MaintenanceInfo] = []
        self.ends_at: dict[str, float] = {}
        client.push_handlers.append(self._on_push)

    def close(self) -> None:
        if self._on_push in self.client.push_handlers:
            self.client.push_handlers.remove(self._on_push)

    # --- relay pushes -----------------------------------------------------------------------

    def _on_push(self, event: m.Event) -> None:
        emit = self.client.emit
        if isinstance(event, m.LobbyChanged):
            self.lobby[event.meeting_id] = list(event.waiting)
            emit(ev.LobbyQueueChanged(meeting_id=event.meeting_id, waiting=list(event.waiting)))
        elif isinstance(event, m.MeetingStateChanged):
            self.state[event.state.meeting_id] = event.state
            emit(ev.MeetingStateUpdated(state=event.state))
        elif isinstance(event, m.HostAsked):
            emit(ev.AskedByHost(what=event.what, by=event.by))
        elif isinstance(event, m.MeetingEndingSoon):
            self.ends_at[event.meeting_id] = event.ends_at
            emit(ev.MeetingEndAnnounced(ends_at=event.ends_at, seconds_left=event.seconds_left, message=event.message))
        elif isinstance(event, m.BookingsChanged):
            emit(ev.BookingsUpdated(booking_id=event.booking_id, message=event.message))
        elif isinstance(event, m.MaintenanceAnnounced):
            self.maintenance = list(event.windows)
            emit(ev.MaintenanceNotified(windows=list(event.windows), message=event.message, started=event.started))

    # --- rooms and bookings -----------------------------------------------------------------

    async def rooms(self) -> list[m.RoomInfo]:
        reply = await self.client.request(m.ListRooms(id=0))
        assert isinstance(reply, m.RoomList)
        return reply.rooms

    async def find_people(self, query: str, limit: int = 0) -> m.PeopleFound:
        """Colleagues to invite whose name or user name matches ``query`` (Parley accounts and the
        company directory); the relay refuses a query shorter than its minimum."""
        reply = await self.client.request(m.SearchPeople(id=0, query=query, limit=limit))
        assert isinstance(reply, m.PeopleFound)
        return reply

    async def bookings(self, include_past: bool = False) -> list[m.BookingInfo]:
        """Bookings this person hosts or is invited to, soonest first."""
        reply = await self.client.request(m.ListBookings(id=0, include_past=include_past))
        assert isinstance(reply, m.BookingList)
        return reply.bookings

    async def book(
        self,
        room: str,
        title: str,
        starts_at: float,
        ends_at: float,
        timezone: str,
        invitees: list[str] | None = None,
        weekly_count: int = 1,
    ) -> m.BookingSaved:
        reply = await self.client.request(
            m.BookRoom(
                id=0,
                room=room,
                title=title,
                starts_at=starts_at,
                ends_at=ends_at,
                timezone=timezone,
                invitees=list(invitees or []),
                weekly_count=weekly_count,
            )
        )
        assert isinstance(reply, m.BookingSaved)
        return reply

    async def edit(self, booking_id: str, **changes: Any) -> m.BookingSaved:
        """Change a booking; keyword names are those of `messages.EditBooking`."""
        reply = await self.client.request(m.EditBooking(id=0, booking_id=booking_id, **changes))
        assert isinstance(reply, m.BookingSaved)
        return reply

    async def cancel(self, booking_id: str) -> None:
        await self.client.request(m.CancelBooking(id=0, booking_id=booking_id))

    async def upcoming_maintenance(self) -> list[m.MaintenanceInfo]:
        reply = await self.client.request(m.ListMaintenance(id=0))
        assert isinstance(reply, m.MaintenanceList)
        self.maintenance = list(reply.windows)
        return reply.windows

    # --- in the meeting ---------------------------------------------------------------------

    async def host_action(self, action: str, **fields: Any) -> None:
        """One host or co-host action (see `messages.HostActionKind`)."""
        await self.client.request(m.HostAction(id=0, action=action, **fields))  # type: ignore[arg-type]

    async def admit(self, user_id: str) -> None:
        await self.host_action("admit", user_id=user_id)

    async def deny(self, user_id: str) -> None:
        await self.host_action("deny", user_id=user_id)

    async def mute(self, participant_id: str) -> None:
        await self.host_action("mute", participant_id=participant_id)

    async def mute_all(self, allow_unmute: bool = True) -> None:
        await self.host_action("mute_all", allow_unmute=allow_unmute)

    async def remove(self, participant_id: str) -> None:
        await self.host_action("remove", participant_id=participant_id)

    async def rename(self, participant_id: str, display_name: str) -> None:
        await self.host_action("rename", participant_id=participant_id, display_name=display_name)

    async def raise_hand(self, raised: bool = True) -> None:
        await self.client.request(m.RaiseHand(id=0, raised=raised))

    async def set_muted(self, source: str, muted: bool) -> None:
        """Mute or unmute one's own source (the relay refuses unmuting while the host forbids it)."""
        await self.client.request(m.SetMuted(id=0, source=source, muted=muted))  # type: ignore[arg-type]


# --- times ------------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"{name!r} is not a time zone (use names like Europe/Paris).") from None


def local_zone_name() -> str:
    """The machine's IANA zone name when it can be found, else UTC."""
    try:
        import os

        tz = os.environ.get("TZ", "")
        if tz and "/" in tz:
            zone(tz.lstrip(":"))
            return tz.lstrip(":")
        link = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in link:
            name = link.split("zoneinfo/", 1)[1]
            zone(name)
            return name
    except (OSError, BadRequest):
        pass
    return "UTC"


def parse_local(text: str, tz: str) -> float:
    """``2026-12-01 14:00`` (or ISO with ``T``) as wall-clock time in ``tz``, to UTC seconds."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise BadRequest(f"{text!r} is not a date and time; write it like 2026-12-01 14:00.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed.timestamp()


def format_local(ts: float, tz: str | None = None) -> str:
    tzinfo = zone(tz) if tz else None
    moment = datetime.fromtimestamp(ts, tzinfo) if tzinfo else datetime.fromtimestamp(ts).astimezone()
    return moment.strftime("%a %Y-%m-%d %H:%M")


# --- calendar files and invitations -------------------------------------------------------


def booking_ics(booking: m.BookingInfo, *, now: float | None = None) -> bytes:
    """An RFC 5545 calendar with the booking as one event (weekly RRULE when it repeats), its
    times given with TZID and a VTIMEZONE, and the join link as URL and in the description."""
    tz = zone(booking.timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Parley//Parley meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{booking.booking_id}@parley")
    event.add("dtstamp", datetime.fromtimestamp(now if now is not None else time.time(), UTC))
    event.add("summary", booking.title)
    event.add("dtstart", datetime.fromtimestamp(booking.starts_at, tz))
    event.add("dtend", datetime.fromtimestamp(booking.ends_at, tz))
    if booking.weekly_count > 1:
        event.add("rrule", {"freq": "weekly", "count": booking.weekly_count})
    event.add("location", f"{booking.room_name} (Parley)" if booking.room_name else "Parley")
    event.add("url", web_link(booking.link))  # https: calendar programs make it clickable
    event.add("description", invitation_text(booking))
    # People are named by their e-mail address when their account has one, else left out: a
    # made-up address would be a person nobody's calendar can reach.
    if booking.host_email:
        event.add("organizer", f"mailto:{booking.host_email}", parameters={"cn": booking.host_display_name})
    for name in booking.invitees:
        email = booking.invitee_emails.get(name, "")
        if email:
            event.add("attendee", f"mailto:{email}", parameters={"cn": name, "role": "REQ-PARTICIPANT"})
    cal.add_component(event)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data


def invitation_text(booking: m.BookingInfo, tz: str | None = None) -> str:
    """A text the host can paste into an e-mail or chat."""
    tz = tz or booking.timezone
    start = datetime.fromtimestamp(booking.starts_at, zone(tz))
    end = datetime.fromtimestamp(booking.ends_at, zone(tz))
    when = f"{start:%A %d %B %Y, %H:%M} to {end:%H:%M} ({tz})"
    if end.date() != start.date():
        when = f"{start:%A %d %B %Y, %H:%M} to {end:%A %d %B %Y, %H:%M} ({tz})"
    lines = [
        f"{booking.host_display_name} invites you to a Parley meeting: {booking.title}",
        f"When: {when}",
    ]
    if booking.weekly_count > 1:
        last = start + timedelta(weeks=booking.weekly_count - 1)
        lines.append(f"Repeats weekly, {booking.weekly_count} times, until {last:%d %B %Y}.")
    if booking.room_name:
        lines.append(f"Room: {booking.room_name}")
    web = web_link(booking.link)
    if web != booking.link:
        lines.append(f"Join: {web}")
        lines.append(f"Or open in the Parley app: {booking.link}")
    else:
        lines.append(f"Join: {booking.link}")
    return "\n".join(lines)


def web_link(link: str) -> str:
    """The https form of a parley:// meeting link (the link itself when it cannot be read)."""
    try:
        return parse_link(link).https
    except BadLink:
        return link
