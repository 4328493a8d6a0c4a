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
from typing import Any

from relay.meetings import LiveMeeting, Participant
from relay.store.models import AuditEntry
from shared.errors import BadRequest, Conflict, Forbidden, NotFound
from shared.protocol import messages as m

log = logging.getLogger("parley.relay.recording")

MAX_REASON = 300


class Recordings:
    """The recording state of every live meeting on this relay."""

    def __init__(self, relay: Any) -> None:
        self.relay = relay
        self.states: dict[str, m.RecordingState] = {}

    # --- helpers --------------------------------------------------------------------------------

    def state(self, meeting_id: str) -> m.RecordingState:
        return self.states.get(meeting_id) or m.RecordingState(meeting_id=meeting_id)

    def _seat(self, peer: Any) -> tuple[LiveMeeting, Participant]:
        meeting = self.relay.meetings.live.get(peer.meeting_id or "")
        seat = meeting.participants.get(peer.participant_id or "") if meeting else None
        if meeting is None or seat is None:
            raise NotFound("You are not in a meeting.")
        return meeting, seat

    def _may_record(self, seat: Participant, state: m.RecordingState) -> bool:
        return seat.role == "host" or (seat.role == "cohost" and state.cohosts_allowed)

    def _broadcast(self, meeting_id: str, message: str) -> None:
        meeting = self.relay.meetings.live.get(meeting_id)
        if meeting is None:
            return
        event = m.RecordingChanged(state=self.state(meeting_id), message=message)
        for p in meeting.participants.values():
            if p.peer is not None:
                p.peer.send_event(event)

    def _audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        async def write() -> None:
            async with self.relay.db.sessions() as s, s.begin():
                s.add(AuditEntry(at=self.relay.clock(), actor=actor, action=action, target=target, detail=detail))

        self.relay._spawn(write())

    # --- handlers -------------------------------------------------------------------------------

    async def on_start(self, peer: Any, req: m.StartRecording) -> m.Reply:
        meeting, seat = self._seat(peer)
        state = self.state(meeting.meeting_id)
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
            started_at=state.started_at if again else self.relay.clock(),
            cohosts_allowed=state.cohosts_allowed,
        )
        self.states[meeting.meeting_id] = state
        if not again:
            self._audit(peer.user.username, "recording.start", meeting.meeting_id, {"participant": seat.participant_id})
            self._broadcast(meeting.meeting_id, f"{seat.display_name} started recording this meeting.")
        return m.RecordingStatus(id=req.id, state=state)

    async def on_stop(self, peer: Any, req: m.StopRecording) -> m.Reply:
        meeting, seat = self._seat(peer)
        state = self.state(meeting.meeting_id)
        if len(req.reason) > MAX_REASON:
            raise BadRequest(f"A reason may have at most {MAX_REASON} characters.")
        if not state.recording:
            return m.RecordingStatus(id=req.id, state=state)
        if seat.participant_id != state.by_participant_id and not self._may_record(seat, state):
            raise Forbidden("Only the host can stop the recording.")
        self._stopped(meeting.meeting_id, req.reason.strip(), seat.display_name, peer.user.username)
        return m.RecordingStatus(id=req.id, state=self.state(meeting.meeting_id))

    async def on_allow_cohosts(self, peer: Any, req: m.AllowCohostRecording) -> m.Reply:
        meeting, seat = self._seat(peer)
        if seat.role != "host":
            raise Forbidden("Only the host can decide whether co-hosts may record.")
        state = self.state(meeting.meeting_id)
        state.cohosts_allowed = req.allowed
        self.states[meeting.meeting_id] = state
        self._audit(peer.user.username, "recording.allow_cohosts", meeting.meeting_id, {"allowed": req.allowed})
        who = "Co-hosts may now" if req.allowed else "Only the host may now"
        self._broadcast(meeting.meeting_id, f"{who} start and stop recording.")
        return m.RecordingStatus(id=req.id, state=state)

    def _stopped(self, meeting_id: str, reason: str, by: str, actor: str) -> None:
        state = self.state(meeting_id)
        self.states[meeting_id] = m.RecordingState(meeting_id=meeting_id, cohosts_allowed=state.cohosts_allowed)
        self._audit(actor, "recording.stop", meeting_id, {"reason": reason[:80]})
        message = f"{by} stopped recording this meeting."
        if reason:
            message = f"Recording stopped: {reason}"
        self._broadcast(meeting_id, message)

    # --- wrapped relay handlers and hooks -------------------------------------------------------

    def wrap_join(self) -> None:
        original = self.relay.handlers[m.JoinMeeting]

        async def on_join(peer: Any, req: m.JoinMeeting) -> m.Reply:
            reply: m.Reply = await original(peer, req)
            if isinstance(reply, m.MeetingJoined):
                # After the reply being written, so the client knows the meeting by then.
                asyncio.get_running_loop().call_soon(self._tell_joiner, peer, reply.meeting.meeting_id)
            return reply

        self.relay.handlers[m.JoinMeeting] = on_join

    def _tell_joiner(self, peer: Any, meeting_id: str) -> None:
        # Always the current state (read now, not when the join was handled: a change in between
        # was broadcast already), so a client back after a relay restart drops an indicator
        # nobody renews; a notice only when the meeting is being recorded.
        state = self.state(meeting_id)
        message = f"{state.by_name} is recording this meeting." if state.recording else ""
        peer.send_event(m.RecordingChanged(state=state, message=message))

    def seat_gone(self, meeting_id: str, participant_id: str) -> None:
        if meeting_id not in self.relay.meetings.live:
            self.states.pop(meeting_id, None)  # the meeting is over
            return
        state = self.states.get(meeting_id)
        if state is not None and state.recording and state.by_participant_id == participant_id:
            self._stopped(meeting_id, f"{state.by_name} left the meeting.", state.by_name, "relay")


def install(relay: Any) -> Recordings:
    """Register the recording handlers on ``relay``."""
    recordings = Recordings(relay)
    relay.handlers[m.StartRecording] = recordings.on_start
    relay.handlers[m.StopRecording] = recordings.on_stop
    relay.handlers[m.AllowCohostRecording] = recordings.on_allow_cohosts
    recordings.wrap_join()
    relay.on_participant_removed.append(recordings.seat_gone)
    return recordings
