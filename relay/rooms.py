"""Virtual rooms and bookings: the rules, over the database (maintenance windows: relay.maintenance).

Times are UTC seconds. A booking is stored once with its first occurrence, and each weekly
occurrence is a row of ``booking_occurrences`` so an overlap check is one indexed query.

Two people racing for one slot: every booking change of a room first bumps ``rooms.booking_seq``
inside its transaction. That write takes SQLite's write lock (PostgreSQL: the room row's lock), so
the second booking's transaction waits for the first to commit and then sees its occurrences.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relay.config import Config
from relay.links import Links
from relay.store.db import Database
from relay.store.models import (
    AuditEntry,
    Booking,
    BookingInvitee,
    BookingOccurrence,
    MaintenanceWindow,
    Meeting,
    Room,
    User,
)
from relay.times import finite, length_text, local_text, weekly_occurrences, zone
from shared.errors import BadRequest, Conflict, Forbidden, LimitExceeded, NotFound
from shared.limits import MAX_TITLE_LENGTH
from shared.protocol import messages as m

MAX_ROOM_NAME = 80
MAX_INVITEES = 500


@dataclass
class BookingDraft:
    room: str
    title: str
    starts_at: float
    ends_at: float
    timezone: str
    invitees: list[str]
    weekly_count: int


class Rooms:
    """Rooms and bookings, with the limits of ``config``."""

    def __init__(
        self,
        db: Database,
        config: Config,
        clock: Callable[[], float] = time.time,
        links: Links | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.links = links or Links(config.link_host, config.server.port)

    # --- rooms (administrators) ------------------------------------------------------------

    async def add_room(self, name: str, capacity: int, description: str = "", actor: str = "admin") -> Room:
        name = (name or "").strip()
        if not name or len(name) > MAX_ROOM_NAME:
            raise BadRequest(f"A room name must have 1 to {MAX_ROOM_NAME} characters.")
        if capacity < 1:
            raise BadRequest("A room must hold at least one person.")
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            existing = await s.scalar(select(Room).where(Room.name == name))
            if existing is not None and existing.removed_at is None:
                raise Conflict(f"There is already a room called {name}.")
            if existing is not None:  # a removed room of that name comes back
                existing.removed_at, existing.capacity, existing.description = None, capacity, description
                room = existing
            else:
                room = Room(
                    id=secrets.token_hex(8),
                    name=name,
                    capacity=capacity,
                    description=description,
                    created_at=now,
                    booking_seq=0,
                )
                s.add(room)
            s.add(AuditEntry(at=now, actor=actor, action="room.add", target=name, detail={"capacity": capacity}))
        return room

    async def list_rooms(self) -> list[Room]:
        async with self.db.sessions() as s:
            rooms = select(Room).where(Room.removed_at.is_(None), Room.owner_user_id.is_(None))  # not personal
            return list(await s.scalars(rooms.order_by(Room.name)))

    async def remove_room(self, name: str, *, force: bool = False, actor: str = "admin") -> int:
        """Remove a room; with upcoming bookings only when ``force`` (which cancels them). Returns
        how many bookings were cancelled."""
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            room = await self._room(s, name)
            upcoming = list(
                await s.scalars(
                    select(Booking)
                    .where(Booking.room_id == room.id, Booking.cancelled_at.is_(None))
                    .where(Booking.id.in_(select(BookingOccurrence.booking_id).where(BookingOccurrence.ends_at > now)))
                )
            )
            if upcoming and not force:
                raise Conflict(
                    f"The room {room.name} has {len(upcoming)} upcoming booking(s). "
                    "Use --force to remove it and cancel them."
                )
            for booking in upcoming:
                await self._cancel(s, booking, now)
            room.removed_at = now
            s.add(
                AuditEntry(
                    at=now, actor=actor, action="room.remove", target=room.name, detail={"cancelled": len(upcoming)}
                )
            )
        return len(upcoming)

    async def _room(self, s: AsyncSession, name_or_id: str, user: User | None = None) -> Room:
        """A room by name or id; "" is ``user``'s personal room (a meeting without a room, made
        on first use, never listed or booked by others, with no slot of its own to clash)."""
        key = (name_or_id or "").strip()[:MAX_ROOM_NAME]
        if not key and user is not None:
            room = await s.scalar(select(Room).where(Room.owner_user_id == user.id))
            if room is None:
                capacity, now = self.config.limits.participants_per_meeting, self.clock()
                room = Room(id=secrets.token_hex(8), name=f"~{user.id}"[:MAX_ROOM_NAME], capacity=capacity)
                room.owner_user_id, room.created_at, room.description, room.booking_seq = user.id, now, "", 0
                s.add(room)
                await s.flush()
            return room
        room = await s.scalar(select(Room).where(or_(Room.name == key, Room.id == key), Room.removed_at.is_(None)))
        if room is None or (room.owner_user_id is not None and (user is None or room.owner_user_id != user.id)):
            raise NotFound(f"There is no room called {key!r}.", detail={"room": key})
        return room

    # --- bookings (users) -------------------------------------------------------------------

    def _validate(self, draft: BookingDraft) -> None:
        limits = self.config.limits
        now = self.clock()
        if not draft.title.strip():
            raise BadRequest("Give the meeting a title.")
        if len(draft.title) > MAX_TITLE_LENGTH:
            raise BadRequest(f"A meeting title may have at most {MAX_TITLE_LENGTH} characters.")
        zone(draft.timezone)
        if not all(map(finite, (draft.starts_at, draft.ends_at))):
            raise BadRequest("The start and end must be real times.")
        if draft.ends_at <= draft.starts_at:
            raise BadRequest("The meeting must end after it starts.")
        if draft.starts_at < now - 60:
            raise BadRequest("That time is in the past. Choose a start from now on.")
        if draft.starts_at > now + limits.booking_horizon_days * 86400:
            raise BadRequest(f"Bookings may start at most {limits.booking_horizon_days} days ahead.")
        minutes = (draft.ends_at - draft.starts_at) / 60
        if minutes > limits.meeting_length_minutes:
            raise LimitExceeded(
                "meeting_length_minutes",
                limits.meeting_length_minutes,
                f"A meeting may last at most {length_text(limits.meeting_length_minutes)}.",
            )
        if not 1 <= draft.weekly_count <= limits.max_weekly_occurrences:
            raise LimitExceeded(
                "max_weekly_occurrences",
                limits.max_weekly_occurrences,
                f"A weekly booking may repeat 1 to {limits.max_weekly_occurrences} times.",
            )
        if len(draft.invitees) > MAX_INVITEES:
            raise BadRequest(f"A booking may invite at most {MAX_INVITEES} people.")

    async def _invitees(self, s: AsyncSession, names: list[str], host: User) -> list[User]:
        wanted = sorted({n.strip().lower() for n in names if n.strip()} - {host.username})
        if not wanted:
            return []
        users = list(await s.scalars(select(User).where(User.username.in_(wanted))))
        missing = sorted(set(wanted) - {u.username for u in users})
        if missing:
            raise NotFound(f"There is no account called {', '.join(missing)}.", detail={"invitees": missing})
        return users

    async def _check_slot(
        self, s: AsyncSession, room: Room, slots: list[tuple[float, float]], tz: str, ignore: str | None
    ) -> None:
        if room.owner_user_id is not None:
            return  # a meeting without a room: only rooms are kept free of overlaps
        for start, end in slots:
            query = (
                select(BookingOccurrence, Booking)
                .join(Booking, Booking.id == BookingOccurrence.booking_id)
                .where(
                    BookingOccurrence.room_id == room.id,
                    BookingOccurrence.starts_at < end,
                    BookingOccurrence.ends_at > start,
                    Booking.cancelled_at.is_(None),
                )
                .order_by(BookingOccurrence.starts_at)
                .limit(1)
            )
            if ignore:
                query = query.where(Booking.id != ignore)
            clash = (await s.execute(query)).first()
            if clash is not None:
                occ, other = clash
                raise Conflict(
                    f"{room.name} is already booked from {local_text(occ.starts_at, tz)} to "
                    f"{local_text(occ.ends_at, tz)} ({other.title}).",
                    detail={"booking_id": other.id, "starts_at": occ.starts_at, "ends_at": occ.ends_at},
                )
            window = await s.scalar(
                select(MaintenanceWindow)
                .where(
                    MaintenanceWindow.cancelled_at.is_(None),
                    MaintenanceWindow.starts_at < end,
                    MaintenanceWindow.ends_at > start,
                )
                .order_by(MaintenanceWindow.starts_at)
                .limit(1)
            )
            if window is not None:
                raise Conflict(
                    f"The server is down for maintenance from {local_text(window.starts_at, tz)} to "
                    f"{local_text(window.ends_at, tz)} ({window.message}). Choose another time.",
                    detail={"maintenance_id": window.id, "starts_at": window.starts_at, "ends_at": window.ends_at},
                )

    async def _lock_room(self, s: AsyncSession, room: Room) -> None:
        # The serializing write (see the module docstring); it must come before any read of the slots.
        await s.execute(update(Room).where(Room.id == room.id).values(booking_seq=Room.booking_seq + 1))

    async def book(self, host: User, draft: BookingDraft) -> m.BookingInfo:
        self._validate(draft)
        limits = self.config.limits
        now = self.clock()
        slots = weekly_occurrences(draft.starts_at, draft.ends_at, draft.weekly_count, draft.timezone)
        async with self.db.sessions() as s, s.begin():
            room = await self._room(s, draft.room, host)
            await self._lock_room(s, room)
            invitees = await self._invitees(s, draft.invitees, host)
            if len(invitees) + 1 > room.capacity:
                raise LimitExceeded(
                    "room_capacity",
                    room.capacity,
                    f"{room.name} holds {room.capacity} people; you invited {len(invitees)} besides yourself.",
                )
            held = await s.scalar(
                select(func.count(func.distinct(Booking.id)))
                .join(BookingOccurrence, BookingOccurrence.booking_id == Booking.id)
                .where(Booking.host_user_id == host.id, Booking.cancelled_at.is_(None), BookingOccurrence.ends_at > now)
            )
            if (held or 0) >= limits.bookings_per_user:
                raise LimitExceeded(
                    "bookings_per_user",
                    limits.bookings_per_user,
                    f"You already have {held} upcoming bookings, the most one person may hold. "
                    "Cancel one you no longer need.",
                )
            await self._check_slot(s, room, slots, draft.timezone, None)
            meeting_id = secrets.token_urlsafe(9)
            booking_id = secrets.token_hex(8)
            s.add(
                Meeting(id=meeting_id, title=draft.title.strip(), host_user_id=host.id, created_at=now, ended_at=None)
            )
            await s.flush()
            booking = Booking(
                id=booking_id,
                room_id=room.id,
                meeting_id=meeting_id,
                host_user_id=host.id,
                title=draft.title.strip(),
                starts_at=draft.starts_at,
                ends_at=draft.ends_at,
                timezone=draft.timezone,
                weekly_count=draft.weekly_count,
                created_at=now,
                updated_at=now,
            )
            s.add(booking)
            await s.flush()
            self._put_occurrences(s, booking, slots)
            for user in invitees:
                s.add(BookingInvitee(booking_id=booking_id, user_id=user.id))
            s.add(
                AuditEntry(
                    at=now,
                    actor=host.username,
                    action="booking.create",
                    target=booking_id,
                    detail={"room": room.name, "starts_at": draft.starts_at, "ends_at": draft.ends_at},
                )
            )
        return await self.get(booking_id, host)

    def _put_occurrences(self, s: AsyncSession, booking: Booking, slots: list[tuple[float, float]]) -> None:
        for number, (start, end) in enumerate(slots):
            s.add(
                BookingOccurrence(
                    booking_id=booking.id, number=number, room_id=booking.room_id, starts_at=start, ends_at=end
                )
            )

    async def edit(self, user: User, booking_id: str, changes: m.EditBooking) -> m.BookingInfo:
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            booking = await self._own_booking(s, user, booking_id)
            old_room = await s.get(Room, booking.room_id)
            assert old_room is not None
            current_invitees = [
                u.username
                for u in await s.scalars(
                    select(User)
                    .join(BookingInvitee, BookingInvitee.user_id == User.id)
                    .where(BookingInvitee.booking_id == booking.id)
                )
            ]
            draft = BookingDraft(
                room=changes.room if changes.room is not None else old_room.id,
                title=changes.title if changes.title is not None else booking.title,
                starts_at=changes.starts_at if changes.starts_at is not None else booking.starts_at,
                ends_at=changes.ends_at if changes.ends_at is not None else booking.ends_at,
                timezone=changes.timezone if changes.timezone is not None else booking.timezone,
                invitees=changes.invitees if changes.invitees is not None else current_invitees,
                weekly_count=changes.weekly_count if changes.weekly_count is not None else booking.weekly_count,
            )
            self._validate(draft)
            room = await self._room(s, draft.room, user)
            await self._lock_room(s, room)
            invitees = await self._invitees(s, draft.invitees, user)
            if len(invitees) + 1 > room.capacity:
                raise LimitExceeded("room_capacity", room.capacity, f"{room.name} holds {room.capacity} people.")
            slots = weekly_occurrences(draft.starts_at, draft.ends_at, draft.weekly_count, draft.timezone)
            await self._check_slot(s, room, slots, draft.timezone, booking.id)
            booking.room_id, booking.title = room.id, draft.title.strip()
            booking.starts_at, booking.ends_at = draft.starts_at, draft.ends_at
            booking.timezone, booking.weekly_count, booking.updated_at = draft.timezone, draft.weekly_count, now
            for occ in await s.scalars(select(BookingOccurrence).where(BookingOccurrence.booking_id == booking.id)):
                await s.delete(occ)
            for inv in await s.scalars(select(BookingInvitee).where(BookingInvitee.booking_id == booking.id)):
                await s.delete(inv)
            await s.flush()
            self._put_occurrences(s, booking, slots)
            for invitee in invitees:
                s.add(BookingInvitee(booking_id=booking.id, user_id=invitee.id))
            meeting = await s.get(Meeting, booking.meeting_id)
            if meeting is not None:
                meeting.title = booking.title
            s.add(
                AuditEntry(
                    at=now, actor=user.username, action="booking.edit", target=booking.id, detail={"room": room.name}
                )
            )
        return await self.get(booking_id, user)

    async def cancel(self, user: User, booking_id: str) -> None:
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            booking = await self._own_booking(s, user, booking_id)
            await self._cancel(s, booking, now)
            s.add(AuditEntry(at=now, actor=user.username, action="booking.cancel", target=booking.id))

    async def _cancel(self, s: AsyncSession, booking: Booking, now: float) -> None:
        booking.cancelled_at = now
        meeting = await s.get(Meeting, booking.meeting_id)
        if meeting is not None and meeting.ended_at is None:
            meeting.ended_at = now

    async def _own_booking(self, s: AsyncSession, user: User, booking_id: str) -> Booking:
        booking = await s.get(Booking, (booking_id or "")[:32])
        if booking is None or booking.cancelled_at is not None:
            raise NotFound("There is no such booking (it may have been cancelled).")
        if booking.host_user_id != user.id:
            raise Forbidden("Only the person who booked this meeting can change or cancel it.")
        return booking

    async def get(self, booking_id: str, user: User) -> m.BookingInfo:
        infos = await self._infos(select(Booking).where(Booking.id == booking_id))
        if not infos:
            raise NotFound("There is no such booking.")
        info = infos[0]
        if user.id != info.host_user_id and user.username not in info.invitees:
            raise NotFound("There is no such booking.")
        return info

    async def list_for(self, user: User, include_past: bool = False) -> list[m.BookingInfo]:
        now = self.clock()
        query = select(Booking).where(
            Booking.cancelled_at.is_(None),
            or_(
                Booking.host_user_id == user.id,
                Booking.id.in_(select(BookingInvitee.booking_id).where(BookingInvitee.user_id == user.id)),
            ),
        )
        if not include_past:
            query = query.where(
                Booking.id.in_(select(BookingOccurrence.booking_id).where(BookingOccurrence.ends_at > now))
            )
        infos = await self._infos(query)
        return sorted(infos, key=lambda b: _next_start(b, now))

    async def _infos(self, query: object) -> list[m.BookingInfo]:
        async with self.db.sessions() as s:
            bookings = list(await s.scalars(query))  # type: ignore[call-overload]
            out = []
            for b in bookings:
                room = await s.get(Room, b.room_id)
                host = await s.get(User, b.host_user_id)
                invited = list(
                    await s.execute(
                        select(User.username, User.email)
                        .join(BookingInvitee, BookingInvitee.user_id == User.id)
                        .where(BookingInvitee.booking_id == b.id)
                        .order_by(User.username)
                    )
                )
                invitees = [str(name) for name, _email in invited]
                occurrences = [
                    [o.starts_at, o.ends_at]
                    for o in await s.scalars(
                        select(BookingOccurrence)
                        .where(BookingOccurrence.booking_id == b.id)
                        .order_by(BookingOccurrence.number)
                    )
                ]
                out.append(
                    m.BookingInfo(
                        booking_id=b.id,
                        room_id=b.room_id,
                        room_name=(room.name if room.owner_user_id is None else "") if room else "?",
                        title=b.title,
                        starts_at=b.starts_at,
                        ends_at=b.ends_at,
                        timezone=b.timezone,
                        host_user_id=b.host_user_id,
                        host_username=host.username if host else "?",
                        host_display_name=host.display_name if host else "?",
                        meeting_id=b.meeting_id,
                        link=self.links.meeting(b.meeting_id),
                        weekly_count=b.weekly_count,
                        invitees=invitees,
                        occurrences=occurrences,
                        invitee_emails={str(name): str(email) for name, email in invited if email},
                        host_email=host.email if host and host.email else "",
                    )
                )
            return out

    async def bookings_between(self, start: float, end: float) -> list[m.BookingInfo]:
        """Bookings with an occurrence overlapping [start, end)."""
        return await self._infos(
            select(Booking).where(
                Booking.cancelled_at.is_(None),
                Booking.id.in_(
                    select(BookingOccurrence.booking_id).where(
                        and_(BookingOccurrence.starts_at < end, BookingOccurrence.ends_at > start)
                    )
                ),
            )
        )

    async def occurrences_for_meeting(self, meeting_id: str) -> list[tuple[float, float]]:
        """The booked [start, end] times of a meeting (none when it is not booked), soonest first."""
        async with self.db.sessions() as s:
            rows = await s.execute(
                select(BookingOccurrence.starts_at, BookingOccurrence.ends_at)
                .join(Booking, Booking.id == BookingOccurrence.booking_id)
                .where(Booking.meeting_id == meeting_id, Booking.cancelled_at.is_(None))
                .order_by(BookingOccurrence.starts_at)
            )
            return [(float(a), float(b)) for a, b in rows]

    async def booking_for_meeting(self, meeting_id: str) -> tuple[Booking, set[str], int] | None:
        """The live booking behind a meeting: (booking, invited user ids, room capacity)."""
        async with self.db.sessions() as s:
            booking = await s.scalar(
                select(Booking).where(Booking.meeting_id == meeting_id, Booking.cancelled_at.is_(None))
            )
            if booking is None:
                return None
            invited = set(
                await s.scalars(select(BookingInvitee.user_id).where(BookingInvitee.booking_id == booking.id))
            )
            room = await s.get(Room, booking.room_id)
            return booking, invited, room.capacity if room else 0


def _next_start(booking: m.BookingInfo, now: float) -> float:
    upcoming = [start for start, end in booking.occurrences if end > now]
    return min(upcoming) if upcoming else booking.starts_at
