"""Giving seats up: leaving, being removed, a connection that drops (the seat waits out the grace
period), and a meeting that ends for everyone. Every seat that goes is announced to the parts
that hold something for it (`SeatListener`), in the order the relay wires them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from relay.controls import Controls, ControlsBook
from relay.lobby import Lobby
from relay.meetings import Meetings, Participant
from relay.peer import Peer, deliver, user_of
from relay.store.db import Database
from relay.store.models import AuditEntry, Meeting
from shared.errors import Forbidden, NotFound
from shared.limits import MAX_MEETING_ID_LENGTH
from shared.protocol import messages as m

log = logging.getLogger("parley.relay")


class SeatListener(Protocol):
    """A part that holds something for a seat (media, files, chat numbering, the host role...)."""

    def seat_freed(self, meeting_id: str, participant_id: str) -> None: ...


class StoredState(Protocol):
    """The meeting's stored state (relay.meeting_state)."""

    async def load(self, meeting_id: str) -> Controls: ...
    async def meeting_ended(self, meeting_id: str) -> None: ...


class Seating:
    def __init__(
        self,
        meetings: Meetings,
        controls: ControlsBook,
        lobby: Lobby,
        stored: StoredState,
        listeners: Sequence[SeatListener],
        db: Database,
        clock: Callable[[], float],
        grace_seconds: float,
    ) -> None:
        self.meetings = meetings
        self.controls = controls
        self.lobby = lobby
        self.stored = stored
        self.listeners = list(listeners)
        self.db = db
        self.clock = clock
        self.grace_seconds = grace_seconds

    def _freed(self, meeting_id: str, participant_id: str) -> None:
        for listener in self.listeners:
            try:
                listener.seat_freed(meeting_id, participant_id)
            except Exception:
                log.exception("cleanup after participant %s failed", participant_id)

    # --- leaving and being removed ----------------------------------------------------------------

    async def leave(self, peer: Peer, req: m.LeaveMeeting) -> m.Reply:
        """``meeting.leave``: give up the seat, or stop waiting in a lobby."""
        if peer.meeting_id is None:
            if self.lobby.leave(peer):
                return m.Ok(id=req.id)
            raise NotFound("You are not in a meeting.")
        self.leave_seat(peer, "left")
        return m.Ok(id=req.id)

    def leave_seat(self, peer: Peer, reason: m.LeaveReason) -> None:
        """``peer`` gives up its seat now (left, signed out, removed)."""
        if peer.meeting_id and peer.participant_id:
            meeting_id, participant_id = peer.meeting_id, peer.participant_id
            peer.meeting_id = peer.participant_id = None
            deliver(self.meetings.leave(meeting_id, participant_id, reason))
            self._freed(meeting_id, participant_id)

    def remove(self, meeting_id: str, seat: Participant) -> None:
        """A host removed ``seat`` (connected or within its grace period)."""
        if seat.peer is not None:
            self.leave_seat(seat.peer, "removed")
        else:
            deliver(self.meetings.leave(meeting_id, seat.participant_id, "removed"))
            self._freed(meeting_id, seat.participant_id)

    # --- connections that drop ----------------------------------------------------------------------

    def disconnected(self, peer: Peer) -> None:
        """``peer``'s connection closed: its seat waits out the grace period for it to come back."""
        if not (peer.meeting_id and peer.participant_id):
            return
        meeting_id, participant_id = peer.meeting_id, peer.participant_id
        deliver(self.meetings.disconnected(meeting_id, participant_id, peer))
        seat = self.meetings.find(meeting_id, participant_id)
        if seat is not None and seat.disconnected_at is not None:
            asyncio.get_running_loop().call_later(
                self.grace_seconds, self._grace_over, meeting_id, participant_id, seat.disconnected_at
            )

    def _grace_over(self, meeting_id: str, participant_id: str, since: float) -> None:
        outbox = self.meetings.expire_if_still_gone(meeting_id, participant_id, since)
        if self.meetings.find(meeting_id, participant_id) is None:
            self._freed(meeting_id, participant_id)
        deliver(outbox)

    # --- ending ---------------------------------------------------------------------------------------

    async def end(self, peer: Peer, req: m.EndMeeting) -> m.Reply:
        """``meeting.end``: only the host (seated, or the owner from outside) may."""
        user = user_of(peer)
        meeting_id = req.meeting_id[:MAX_MEETING_ID_LENGTH]
        try:
            ctl = await self.stored.load(meeting_id)
        except NotFound:
            raise NotFound("There is no such meeting.") from None
        live = self.meetings.live.get(meeting_id)
        seat = live.by_user(user.id) if live else None
        if not ((seat is not None and seat.role == "host") or (seat is None and ctl.host_user_id == user.id)):
            raise Forbidden("Only the host can end this meeting.")
        await self.end_meeting(meeting_id, "The host ended the meeting.", actor=user.username, action="meeting.end")
        return m.Ok(id=req.id)

    async def end_meeting(
        self, meeting_id: str, message: str, *, actor: str, action: str, closed_until: float = 0.0
    ) -> None:
        """End a meeting for everyone (and the lobby). A booked meeting's link stays valid for its
        later occurrences (from ``closed_until`` on); an instant meeting's link stops working."""
        ctl = self.controls.drop(meeting_id)
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            row = await s.get(Meeting, meeting_id)
            if row is not None and row.ended_at is None and not (ctl is not None and ctl.booked):
                row.ended_at = now
            if row is not None and closed_until:
                row.closed_until = closed_until
            s.add(AuditEntry(at=now, actor=actor, action=action, target=meeting_id))
        if ctl is not None:
            self.lobby.close(ctl, message)
        meeting = self.meetings.live.pop(meeting_id, None)
        if meeting is not None:
            event = m.MeetingEnded(meeting_id=meeting_id, message=message)
            for seat in list(meeting.participants.values()):
                if seat.peer is not None:
                    seat.peer.meeting_id = seat.peer.participant_id = None
                    seat.peer.send_event(event)
                self._freed(meeting_id, seat.participant_id)
        await self.stored.meeting_ended(meeting_id)
