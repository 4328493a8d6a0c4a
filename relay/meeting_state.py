"""A meeting's stored state: read once when it is first needed (its row, its booking and the
decisions saved before a restart), and written through to the ``meeting_state`` table.

Hosts' decisions live in memory while a meeting runs (`relay.controls.Controls`, the co-host roles
on the seats, the `relay.recording.RecordingBook`). This module copies them to the database after
every change (one upsert) and puts them back when a meeting is first loaded after a restart:
co-hosts named in the meeting, people admitted and removed, the lock, "mute all" forbidding
unmuting, mutes a host imposed (until the person unmutes), the recording indicator (who
records, since when, whether co-hosts may record), and whom the host spotlights.

Participant ids change when people come back after a restart, so everything is kept by user id:
a co-host gets the role again when they take a seat, a host handed over during the meeting is the
host again (the meeting opens with them as host), and the recorder's new seat becomes the
recording seat (so the recording ends when that seat is given up, as before the restart).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from relay.background import Background
from relay.controls import Controls, ControlsBook
from relay.meetings import LiveMeeting, Meetings, Participant
from relay.recording import RecordingBook
from relay.store.db import Database
from relay.store.models import Booking, BookingInvitee, Meeting, MeetingStateRow, Room
from shared.errors import NotFound
from shared.limits import MAX_MEETING_ID_LENGTH
from shared.protocol import messages as m

log = logging.getLogger("parley.relay.meeting_state")


@dataclass(frozen=True)
class MeetingRecord:
    """A meeting as stored, read in one query (plus its invitees when it is booked)."""

    meeting_id: str
    title: str
    host_user_id: str
    ended: bool
    closed_until: float
    booked: bool
    invited: frozenset[str]
    capacity: int
    saved: MeetingStateRow | None


async def read_record(db: Database, meeting_id: str) -> MeetingRecord | None:
    """The meeting with its live booking, that booking's room and its saved decisions."""
    if not meeting_id or len(meeting_id) > MAX_MEETING_ID_LENGTH:
        return None
    query = (
        select(Meeting, Booking, Room, MeetingStateRow)
        .outerjoin(Booking, and_(Booking.meeting_id == Meeting.id, Booking.cancelled_at.is_(None)))
        .outerjoin(Room, Room.id == Booking.room_id)
        .outerjoin(MeetingStateRow, MeetingStateRow.meeting_id == Meeting.id)
        .where(Meeting.id == meeting_id)
        .limit(1)
    )
    async with db.sessions() as s:
        row = (await s.execute(query)).first()
        if row is None:
            return None
        meeting, booking, room, saved = row
        invited: frozenset[str] = frozenset()
        if booking is not None:
            invited = frozenset(
                await s.scalars(select(BookingInvitee.user_id).where(BookingInvitee.booking_id == booking.id))
            )
    return MeetingRecord(
        meeting_id=meeting.id,
        title=meeting.title,
        host_user_id=meeting.host_user_id,
        ended=meeting.ended_at is not None,
        closed_until=meeting.closed_until or 0.0,
        booked=booking is not None,
        invited=invited,
        capacity=room.capacity if room is not None else 0,
        saved=saved,
    )


class MeetingStates:
    """Writes each meeting's decisions through to the database and restores them."""

    def __init__(
        self,
        db: Database,
        controls: ControlsBook,
        meetings: Meetings,
        recordings: RecordingBook,
        clock: Callable[[], float],
        background: Background,
    ) -> None:
        self.db = db
        self.controls = controls
        self.meetings = meetings
        self.recordings = recordings
        self.clock = clock
        self.background = background
        self._locks: dict[str, asyncio.Lock] = {}

    # --- writing ----------------------------------------------------------------------------------

    def _snapshot(self, ctl: Controls) -> dict[str, Any]:
        roles = ctl.roles
        live = self.meetings.live.get(ctl.meeting_id)
        if live is not None:
            handed_to = live.info.host_user_id if live.info.host_user_id != ctl.host_user_id else ""
            for user_id in [u for u, role in roles.items() if role == "host" and u != handed_to]:
                del roles[user_id]
            if handed_to:
                roles[handed_to] = "host"  # handed over during the meeting: kept across a restart
            ctl.host_override = handed_to  # and when the meeting empties and people come back
            for seat in live.participants.values():
                if seat.role == "cohost":
                    roles[seat.user_id] = "cohost"
                elif seat.user_id != handed_to:
                    roles.pop(seat.user_id, None)
        rec = self.recordings.state(ctl.meeting_id)
        recorder = ""
        if rec.recording:
            by = live.participants.get(rec.by_participant_id) if live is not None else None
            recorder = by.user_id if by is not None else ctl.recorder_user_id
        ctl.recorder_user_id = recorder
        return {
            "roles": dict(roles),
            "admitted": sorted(ctl.admitted),
            "removed": sorted(ctl.removed),
            "locked": ctl.locked,
            "unmute_allowed": ctl.unmute_allowed,
            "recording_by_user_id": recorder,
            "recording_by_name": rec.by_name if recorder else "",
            "recording_started_at": rec.started_at if recorder else 0.0,
            "allow_cohost_recording": rec.cohosts_allowed,
            "host_muted": {user: sorted(sources) for user, sources in ctl.host_muted.items() if sources},
            "spotlight_user_id": ctl.spotlight_user_id,
            "updated_at": self.clock(),
        }

    async def save(self, meeting_id: str) -> None:
        """Write the meeting's state as it is now (after every change; one statement)."""
        lock = self._locks.setdefault(meeting_id, asyncio.Lock())
        async with lock:
            ctl = self.controls.get(meeting_id)
            if ctl is None:
                return
            values = self._snapshot(ctl)
            insert = postgresql_insert if self.db.url.startswith("postgresql") else sqlite_insert
            statement = insert(MeetingStateRow).values(meeting_id=meeting_id, **values)
            statement = statement.on_conflict_do_update(index_elements=[MeetingStateRow.meeting_id], set_=values)
            async with self.db.sessions() as s, s.begin():
                await s.execute(statement)

    def save_soon(self, meeting_id: str) -> None:
        self.background.spawn(self.save(meeting_id))

    # --- loading and restoring ----------------------------------------------------------------------

    async def load(self, meeting_id: str) -> Controls:
        """The meeting's controls; the first time, read from the database with the decisions saved
        before a restart put back. NotFound when there is no such meeting or it has ended."""
        ctl = self.controls.get(meeting_id)
        if ctl is not None:
            return ctl
        record = await read_record(self.db, meeting_id)
        if record is None:
            raise NotFound("There is no such meeting. Check the link.")
        if record.ended:
            raise NotFound("This meeting has ended.")
        fresh = Controls(
            meeting_id=meeting_id,
            title=record.title,
            host_user_id=record.host_user_id,
            closed_until=record.closed_until,
            booked=record.booked,
            lobby=record.booked,  # people not invited to a booked meeting wait for the host
            invited=set(record.invited),
            capacity=record.capacity,
        )
        ctl = self.controls.add(fresh)
        if ctl is fresh:  # not opened by another request while this one read (restore once)
            self._restore(ctl, record.saved)
        return ctl

    def _restore(self, ctl: Controls, row: MeetingStateRow | None) -> None:
        if row is None:
            return
        ctl.admitted |= set(row.admitted)
        ctl.removed |= set(row.removed)
        ctl.locked = row.locked
        ctl.unmute_allowed = row.unmute_allowed
        ctl.roles = {k: str(v) for k, v in row.roles.items() if v in ("cohost", "host")}
        ctl.host_override = next((k for k, v in row.roles.items() if v == "host"), "")
        if row.recording_by_user_id or row.allow_cohost_recording:
            self.recordings.put(
                m.RecordingState(
                    meeting_id=ctl.meeting_id,
                    recording=bool(row.recording_by_user_id),
                    by_name=row.recording_by_name,
                    started_at=row.recording_started_at,
                    cohosts_allowed=row.allow_cohost_recording,
                )
            )
        ctl.recorder_user_id = row.recording_by_user_id
        ctl.host_muted = {
            str(user): {s for s in sources if s in ("mic", "camera")}
            for user, sources in (row.host_muted or {}).items()
            if isinstance(sources, list)
        }
        ctl.spotlight_user_id = row.spotlight_user_id or ""

    def seated(self, ctl: Controls, meeting: LiveMeeting, seat: Participant) -> None:
        """Someone took a seat: give a saved co-host the role back, and the mutes a host imposed
        (before their media is published, so nothing of it is forwarded); a returning recorder's
        new seat is the recording seat."""
        changed = self._owner_returns(ctl, meeting, seat)
        if ctl.roles.get(seat.user_id) == "cohost" and seat.role == "participant":
            seat.role = "cohost"
            changed = True
        for source in sorted(ctl.host_muted.get(seat.user_id, ())):
            if not seat.muted.get(source):
                seat.muted[source] = True
                changed = True
        if changed:
            meeting.seat_updated(seat)
        if ctl.spotlight_user_id == seat.user_id and ctl.spotlight != seat.participant_id:
            ctl.spotlight = seat.participant_id  # spotlit before a restart: on the stage again
            ctl.state_changed(meeting)
        state = self.recordings.get(meeting.meeting_id)
        if state is not None and state.recording and ctl.recorder_user_id == seat.user_id:
            state.by_participant_id = seat.participant_id
            state.by_name = seat.display_name

    @staticmethod
    def _owner_returns(ctl: Controls, meeting: LiveMeeting, seat: Participant) -> bool:
        """The organiser (who created or booked the meeting) comes back after the host role went to
        someone only because the organiser's seat went: the organiser is host again, and that
        person has the role they had before."""
        if seat.user_id != ctl.host_user_id or seat.role == "host" or not ctl.auto_heir:
            return False
        heir = meeting.by_user(ctl.auto_heir)
        if heir is None or heir.role != "host" or heir is seat:
            return False
        heir.role = "cohost" if ctl.auto_heir_was == "cohost" else "participant"
        seat.role = "host"
        meeting.info.host_user_id = seat.user_id
        ctl.auto_heir = ""
        meeting.seat_updated(heir)
        return True

    # --- forgetting -------------------------------------------------------------------------------

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        """A seat was given up: the recording may have stopped, the host may have changed."""
        if meeting_id in self.controls:
            self.save_soon(meeting_id)

    async def meeting_ended(self, meeting_id: str) -> None:
        """The meeting is over: its saved decisions go (a booked meeting's next occurrence starts
        afresh), unless it started again meanwhile."""
        if meeting_id in self.controls:
            return
        async with self._locks.setdefault(meeting_id, asyncio.Lock()):  # after any save under way
            async with self.db.sessions() as s, s.begin():
                await s.execute(delete(MeetingStateRow).where(MeetingStateRow.meeting_id == meeting_id))
        self._locks.pop(meeting_id, None)
