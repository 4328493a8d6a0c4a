"""Booking requests: rooms to choose from, booking, changing and cancelling meetings, and telling
the people a booking concerns (``booking.changed``) so their upcoming lists stay right.

The rules themselves (slots, capacity, limits) live in relay.rooms.
"""

from __future__ import annotations

from typing import Protocol

from relay.controls import ControlsBook
from relay.meetings import Meetings
from relay.peer import Peer, Peers, deliver, user_of
from relay.rooms import BookingDraft, Rooms
from shared.protocol import messages as m


class Ender(Protocol):
    async def end_meeting(
        self, meeting_id: str, message: str, *, actor: str, action: str, closed_until: float = 0.0
    ) -> None: ...


class ClosedMeetings(Protocol):
    """The length limit, which reopens a closed booked meeting when its booking moves."""

    async def booking_moved(self, booking: m.BookingInfo) -> None: ...


class Warnings(Protocol):
    """Sentences worth showing with a booking (planned maintenance close to it)."""

    def warnings(self, booking: m.BookingInfo) -> list[str]: ...


class Bookings:
    def __init__(
        self,
        rooms: Rooms,
        meetings: Meetings,
        controls: ControlsBook,
        peers: Peers,
        ender: Ender,
        closed: ClosedMeetings,
        notes: Warnings,
    ) -> None:
        self.rooms = rooms
        self.meetings = meetings
        self.controls = controls
        self.peers = peers
        self.ender = ender
        self.closed = closed
        self.notes = notes

    async def list_rooms(self, peer: Peer, req: m.ListRooms) -> m.Reply:
        rooms = await self.rooms.list_rooms()
        return m.RoomList(
            id=req.id,
            rooms=[
                m.RoomInfo(room_id=r.id, name=r.name, capacity=r.capacity, description=r.description) for r in rooms
            ],
        )

    async def book(self, peer: Peer, req: m.BookRoom) -> m.Reply:
        draft = BookingDraft(
            room=req.room,
            title=req.title,
            starts_at=req.starts_at,
            ends_at=req.ends_at,
            timezone=req.timezone,
            invitees=list(req.invitees),
            weekly_count=req.weekly_count,
        )
        booking = await self.rooms.book(user_of(peer), draft)
        what = booking.title or "a meeting"
        self._tell(peer, booking, {u: f"{booking.host_display_name} invited you to {what}." for u in booking.invitees})
        return m.BookingSaved(id=req.id, booking=booking, warnings=self.notes.warnings(booking))

    async def edit(self, peer: Peer, req: m.EditBooking) -> m.Reply:
        user = user_of(peer)
        before = await self.rooms.get(req.booking_id, user)
        booking = await self.rooms.edit(user, req.booking_id, req)
        what, host = booking.title or "a meeting", booking.host_display_name
        messages = {u: f"You are no longer invited to {before.title or 'a meeting'}." for u in before.invitees}
        messages.update({u: f"{host} changed {what}." for u in booking.invitees if u in before.invitees})
        messages.update({u: f"{host} invited you to {what}." for u in booking.invitees if u not in before.invitees})
        self._tell(peer, booking, messages)
        await self.closed.booking_moved(booking)
        ctl = self.controls.get(booking.meeting_id)
        booked = await self.rooms.booking_for_meeting(booking.meeting_id)
        if ctl is not None and booked is not None:  # a running meeting picks up the new invitees and room
            _booking, ctl.invited, ctl.capacity = booked
            ctl.title = booking.title
        return m.BookingSaved(id=req.id, booking=booking, warnings=self.notes.warnings(booking))

    async def cancel(self, peer: Peer, req: m.CancelBooking) -> m.Reply:
        user = user_of(peer)
        infos = [i for i in await self.rooms.list_for(user, include_past=True) if i.booking_id == req.booking_id]
        await self.rooms.cancel(user, req.booking_id)
        for info in infos:
            what = info.title or "a meeting"
            self._tell(peer, info, {u: f"{info.host_display_name} cancelled {what}." for u in info.invitees})
        for info in infos:
            if info.meeting_id in self.meetings.live:
                await self.ender.end_meeting(
                    info.meeting_id, "The host cancelled this meeting.", actor=user.username, action="meeting.end"
                )
        return m.Ok(id=req.id)

    async def list(self, peer: Peer, req: m.ListBookings) -> m.Reply:
        bookings = await self.rooms.list_for(user_of(peer), include_past=req.include_past)
        return m.BookingList(id=req.id, bookings=bookings)

    def _tell(self, actor: Peer, booking: m.BookingInfo, messages: dict[str, str]) -> None:
        """Push ``booking.changed`` to everyone signed in whose upcoming list this changes: the
        people in ``messages`` (user name -> sentence for them) and the host's other connections."""
        pushes = []
        for other in self.peers.signed_in():
            user = other.user
            if other is actor or user is None:
                continue
            if user.username in messages or user.id == booking.host_user_id:
                message = messages.get(user.username, "")
                pushes.append((other, m.BookingsChanged(booking_id=booking.booking_id, message=message)))
        deliver(pushes)
