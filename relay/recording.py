"""Who may record a meeting, and telling everyone that it is being recorded.

Recordings are made on the recorder's own machine; the relay never sees them. It only enforces
that the host (or a co-host, when the host allows it) starts and stops recording, and broadcasts
the state to everyone in the meeting, including people who join later.

The state lives in memory with the live meeting: it describes a recorder that is in the meeting
now. When the relay restarts, every meeting is rejoined, and a client that is still recording
announces it again on rejoining (see client/engine/recording.py). When the recorder's seat is
given up, the recording is over for everyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from relay.audit import Audit
from relay.meetings import Meetings, Participant
from relay.peer import Peer, user_of
from shared.errors import BadRequest, Conflict, Forbidden
from shared.protocol import messages as m

log = logging.getLogger("parley.relay.recording")

MAX_REASON = 300


class RecordingBook:
    """The recording state of every live meeting that has one."""

    def __init__(self) -> None:
        self._states: dict[str, m.RecordingState] = {}

    def state(self, meeting_id: str) -> m.RecordingState:
        return self._states.get(meeting_id) or m.RecordingState(meeting_id=meeting_id)

    def get(self, meeting_id: str) -> m.RecordingState | None:
        return self._states.get(meeting_id)

    def put(self, state: m.RecordingState) -> None:
        self._states[state.meeting_id] = state

    def drop(self, meeting_id: str) -> None:
        self._states.pop(meeting_id, None)


class Persist(Protocol):
    """Writes a meeting's decisions through to the database (relay.meeting_state)."""

    async def save(self, meeting_id: str) -> None: ...


class Recordings:
    """Answers the recording requests and keeps the indicator right as seats come and go."""

    def __init__(
        self, meetings: Meetings, book: RecordingBook, persist: Persist, audit: Audit, clock: Callable[[], float]
    ) -> None:
        self.meetings = meetings
        self.book = book
        self.persist = persist
        self.audit = audit
        self.clock = clock

    def _may_record(self, seat: Participant, state: m.RecordingState) -> bool:
        return seat.role == "host" or (seat.role == "cohost" and state.cohosts_allowed)

    def _broadcast(self, meeting_id: str, message: str) -> None:
        meeting = self.meetings.live.get(meeting_id)
        if meeting is not None:
            meeting.broadcast(m.RecordingChanged(state=self.book.state(meeting_id), message=message))

    # --- requests -------------------------------------------------------------------------------

    async def start(self, peer: Peer, req: m.StartRecording) -> m.Reply:
        meeting, seat = self.meetings.seat_of(peer)
        state = self.book.state(meeting.meeting_id)
        if not self._may_record(seat, state):
            if seat.role == "cohost":
                raise Forbidden("The host has not allowed co-hosts to record this meeting.")
            raise Forbidden("Only the host can record this meeting.")
        if state.recording and state.by_participant_id != seat.participant_id:
            raise Conflict(f"{state.by_name} is already recording this meeting.")
        again = state.recording
        state = m.RecordingState(
            meeting_id=meeting.meeting_id,
            recording=True,
            by_participant_id=seat.participant_id,
            by_name=seat.display_name,
            started_at=state.started_at if again else self.clock(),
            cohosts_allowed=state.cohosts_allowed,
        )
        self.book.put(state)
        if not again:
            actor = user_of(peer).username
            self.audit.soon(actor, "recording.start", meeting.meeting_id, {"participant": seat.participant_id})
            self._broadcast(meeting.meeting_id, f"{seat.display_name} started recording this meeting.")
        await self.persist.save(meeting.meeting_id)
        return m.RecordingStatus(id=req.id, state=state)

    async def stop(self, peer: Peer, req: m.StopRecording) -> m.Reply:
        meeting, seat = self.meetings.seat_of(peer)
        state = self.book.state(meeting.meeting_id)
        if len(req.reason) > MAX_REASON:
            raise BadRequest(f"A reason may have at most {MAX_REASON} characters.")
        if state.recording:
            if seat.participant_id != state.by_participant_id and not self._may_record(seat, state):
                raise Forbidden("Only the host can stop the recording.")
            self._stopped(meeting.meeting_id, req.reason.strip(), seat.display_name, user_of(peer).username)
        await self.persist.save(meeting.meeting_id)
        return m.RecordingStatus(id=req.id, state=self.book.state(meeting.meeting_id))

    async def allow_cohosts(self, peer: Peer, req: m.AllowCohostRecording) -> m.Reply:
        meeting, seat = self.meetings.seat_of(peer)
        if seat.role != "host":
            raise Forbidden("Only the host can decide whether co-hosts may record.")
        state = self.book.state(meeting.meeting_id)
        state.cohosts_allowed = req.allowed
        self.book.put(state)
        self.audit.soon(user_of(peer).username, "recording.allow_cohosts", meeting.meeting_id, {"allowed": req.allowed})
        who = "Co-hosts may now" if req.allowed else "Only the host may now"
        self._broadcast(meeting.meeting_id, f"{who} start and stop recording.")
        await self.persist.save(meeting.meeting_id)
        return m.RecordingStatus(id=req.id, state=state)

    def _stopped(self, meeting_id: str, reason: str, by: str, actor: str) -> None:
        state = self.book.state(meeting_id)
        self.book.put(m.RecordingState(meeting_id=meeting_id, cohosts_allowed=state.cohosts_allowed))
        self.audit.soon(actor, "recording.stop", meeting_id, {"reason": reason[:80]})
        message = f"{by} stopped recording this meeting."
        if reason:
            message = f"Recording stopped: {reason}"
        self._broadcast(meeting_id, message)

    # --- seats coming and going ------------------------------------------------------------------

    def tell_joiner(self, peer: Peer, meeting_id: str) -> None:
        """Right after the join reply: the state as it is then (a change before then was broadcast
        already), so a client back after a relay restart drops an indicator nobody renews; a
        notice only when the meeting is being recorded."""
        asyncio.get_running_loop().call_soon(self._tell, peer, meeting_id)

    def _tell(self, peer: Peer, meeting_id: str) -> None:
        state = self.book.state(meeting_id)
        message = f"{state.by_name} is recording this meeting." if state.recording else ""
        peer.send_event(m.RecordingChanged(state=state, message=message))

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        if meeting_id not in self.meetings.live:
            self.book.drop(meeting_id)  # the meeting is over (or empty)
            return
        state = self.book.get(meeting_id)
        if state is not None and state.recording and state.by_participant_id == participant_id:
            self._stopped(meeting_id, f"{state.by_name} left the meeting.", state.by_name, "relay")
