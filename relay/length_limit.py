"""The meeting-length limit: a meeting ends ``meeting_length_minutes`` after it starts, with warnings
10 and 1 minute before. A booked meeting it ended may not simply start again with a fresh budget
(that would make the limit meaningless): it opens again shortly before its next booked time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from relay.background import Background
from relay.config import LimitsConfig
from relay.controls import Controls, ControlsBook
from relay.meetings import Meetings
from relay.rooms import Rooms
from relay.store.db import Database
from relay.store.models import Meeting
from relay.times import length_text, local_text
from shared.errors import LimitExceeded
from shared.protocol import messages as m

WARN_BEFORE_END = (600.0, 60.0)  # seconds before the length limit ends a meeting
# A booked meeting the length limit ended opens again this long before its next booked time.
REOPEN_BEFORE = 900.0
CLOSED_FOR_GOOD = 1e18


class Ender(Protocol):
    async def end_meeting(
        self, meeting_id: str, message: str, *, actor: str, action: str, closed_until: float = 0.0
    ) -> None: ...


class LengthLimit:
    def __init__(
        self,
        controls: ControlsBook,
        meetings: Meetings,
        rooms: Rooms,
        ender: Ender,
        db: Database,
        limits: LimitsConfig,
        clock: Callable[[], float],
        background: Background,
    ) -> None:
        self.controls = controls
        self.meetings = meetings
        self.rooms = rooms
        self.ender = ender
        self.db = db
        self.limits = limits
        self.clock = clock
        self.background = background

    def check_open(self, ctl: Controls) -> None:
        """Refuse to start a meeting the limit closed until later (and forget its controls)."""
        if self.clock() < ctl.closed_until:
            self.controls.drop(ctl.meeting_id)
            raise self._closed_by_length(ctl.closed_until)

    def start(self, ctl: Controls) -> None:
        """Start the meeting's clock at its first join (no-op once running)."""
        if ctl.ends_at:
            return
        limit = self.limits.meeting_length_minutes * 60
        ctl.started_at = self.clock()
        ctl.ends_at = ctl.started_at + limit
        loop = asyncio.get_running_loop()
        for before in WARN_BEFORE_END:
            if limit > before:
                ctl.timers.append(loop.call_later(limit - before, self._warn, ctl.meeting_id))
        if limit <= WARN_BEFORE_END[0]:
            ctl.timers.append(loop.call_later(0, self._warn, ctl.meeting_id))
        ctl.timers.append(loop.call_later(limit, self._reached, ctl.meeting_id))

    def _warn(self, meeting_id: str) -> None:
        ctl = self.controls.get(meeting_id)
        meeting = self.meetings.live.get(meeting_id)
        if ctl is None or meeting is None:
            return
        left = max(0.0, ctl.ends_at - self.clock())
        minutes = max(1, round(left / 60))
        limit = length_text(self.limits.meeting_length_minutes)
        plural = "s" if minutes != 1 else ""
        text = f"This meeting ends in {minutes} minute{plural}: meetings on this server may last at most {limit}."
        meeting.broadcast(
            m.MeetingEndingSoon(meeting_id=meeting_id, ends_at=ctl.ends_at, seconds_left=left, message=text)
        )

    def _reached(self, meeting_id: str) -> None:
        self.background.spawn(self._end(meeting_id))

    async def _end(self, meeting_id: str) -> None:
        limit = self.limits.meeting_length_minutes
        ctl = self.controls.get(meeting_id)
        closed_until = 0.0
        if ctl is not None and ctl.booked:
            started = ctl.ends_at - limit * 60
            times = await self.rooms.occurrences_for_meeting(meeting_id)
            # The occurrence this meeting was held for is the first not over when it started.
            closed_until = reopens_at([start for start, end in times if end > started][1:])
        await self.ender.end_meeting(
            meeting_id,
            f"The meeting reached the length limit of {length_text(limit)} and has ended.",
            actor="relay",
            action="meeting.length_limit",
            closed_until=closed_until,
        )

    async def booking_moved(self, booking: m.BookingInfo) -> None:
        """The host moved a booking the limit had closed: it opens before its new next time."""
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            row = await s.get(Meeting, booking.meeting_id)
            if row is None or not row.closed_until:
                return
            until = reopens_at([start for start, end in booking.occurrences if end > now])  # in progress counts
            row.closed_until = until
        ctl = self.controls.get(booking.meeting_id)
        if ctl is not None:
            ctl.closed_until = until

    def _closed_by_length(self, until: float) -> LimitExceeded:
        limit = self.limits.meeting_length_minutes
        if until >= CLOSED_FOR_GOOD:
            when = "it has no later booked time; book it again to meet again."
        else:
            when = f"it opens again at {local_text(until)}, before its next booked time."
        return LimitExceeded(
            "meeting_length_minutes",
            limit,
            f"This meeting reached the length limit of {length_text(limit)}; {when}",
        )


def reopens_at(next_starts: list[float]) -> float:
    """When a meeting the length limit closed opens again: before the first of ``next_starts``."""
    return next_starts[0] - REOPEN_BEFORE if next_starts else CLOSED_FOR_GOOD
