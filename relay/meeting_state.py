"""Meeting state that must survive a relay restart, written through to the ``meeting_state`` table.

Hosts' decisions live in memory while a meeting runs (`relay.hosting.Controls`, the co-host roles
on the seats, `relay.recording.Recordings.states`). This module copies them to the database on
every change and puts them back when a meeting is first loaded after a restart: co-hosts named in
the meeting, people admitted and removed, the lock, "mute all" forbidding unmuting, and the
recording indicator (who records, since when, whether co-hosts may record).

Participant ids change when people come back after a restart, so everything is kept by user id:
a co-host gets the role again when they take a seat, a host handed over during the meeting is the
host again (the meeting loads with them as host), and the recorder's new seat becomes the
recording seat (so the recording ends when that seat is given up, as before the restart).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from relay.store.models import MeetingStateRow
from shared.protocol import messages as m

if TYPE_CHECKING:
    from relay.hosting import Controls

log = logging.getLogger("parley.relay.meeting_state")


class MeetingStates:
    """Writes each meeting's decisions through to the database and restores them."""

    def __init__(self, relay: Any) -> None:
        self.relay = relay
        self.roles: dict[str, dict[str, str]] = {}  # meeting id -> user id -> "cohost"
        self.recorder: dict[str, str] = {}  # meeting id -> user id of whoever records
        self._locks: dict[str, asyncio.Lock] = {}

    # --- writing ----------------------------------------------------------------------------------

    def _snapshot(self, meeting_id: str) -> dict[str, Any] | None:
        ctl: Controls | None = self.relay.hosting.controls.get(meeting_id)
        if ctl is None:
            return None
        roles = self.roles.setdefault(meeting_id, {})
        live = self.relay.meetings.live.get(meeting_id)
        if live is not None:
            handed_to = live.info.host_user_id if live.info.host_user_id != ctl.host_user_id else ""
            for user_id in [u for u, role in roles.items() if role == "host" and u != handed_to]:
                del roles[user_id]
            if handed_to:
                roles[handed_to] = "host"  # handed over during the meeting: kept across a restart
                self.relay.meetings.host_overrides[meeting_id] = handed_to  # and when it empties
            else:
                self.relay.meetings.host_overrides.pop(meeting_id, None)
            for seat in live.participants.values():
                if seat.role == "cohost":
                    roles[seat.user_id] = "cohost"
                elif seat.user_id != handed_to:
                    roles.pop(seat.user_id, None)
        rec: m.RecordingState = self.relay.recordings.state(meeting_id)
        recorder = ""
        if rec.recording:
            seat = live.participants.get(rec.by_participant_id) if live is not None else None
            recorder = seat.user_id if seat is not None else self.recorder.get(meeting_id, "")
        if recorder:
            self.recorder[meeting_id] = recorder
        else:
            self.recorder.pop(meeting_id, None)
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
            "updated_at": self.relay.clock(),
        }

    async def save(self, meeting_id: str) -> None:
        """Write the meeting's state as it is now (call after every change; cheap when unchanged
        meetings are not live)."""
        lock = self._locks.setdefault(meeting_id, asyncio.Lock())
        async with lock:
            values = self._snapshot(meeting_id)
            if values is None:
                return
            async with self.relay.db.sessions() as s, s.begin():
                row = await s.get(MeetingStateRow, meeting_id)
                if row is None:
                    s.add(MeetingStateRow(meeting_id=meeting_id, **values))
                else:
                    for key, value in values.items():
                        setattr(row, key, value)

    def save_soon(self, meeting_id: str) -> None:
        self.relay._spawn(self.save(meeting_id))

    # --- restoring --------------------------------------------------------------------------------

    async def load(self, meeting_id: str) -> MeetingStateRow | None:
        """A meeting's saved decisions, if any (read them, then ``apply`` without awaiting between:
        two people rejoining at once must not restore twice over each other's seats)."""
        async with self.relay.db.sessions() as s:
            row: MeetingStateRow | None = await s.scalar(
                select(MeetingStateRow).where(MeetingStateRow.meeting_id == meeting_id)
            )
            return row

    def apply(self, ctl: Controls, row: MeetingStateRow | None) -> None:
        """Put a meeting's saved decisions back into ``ctl`` (first load after a restart)."""
        if row is None:
            return
        ctl.admitted |= set(row.admitted)
        ctl.removed |= set(row.removed)
        ctl.locked = row.locked
        ctl.unmute_allowed = row.unmute_allowed
        self.roles[ctl.meeting_id] = {k: str(v) for k, v in row.roles.items() if v in ("cohost", "host")}
        handed_to = next((k for k, v in row.roles.items() if v == "host"), "")
        if handed_to:  # the meeting loads with this host (relay.meetings reads the override)
            self.relay.meetings.host_overrides[ctl.meeting_id] = handed_to
        recordings = self.relay.recordings
        if row.recording_by_user_id or row.allow_cohost_recording:
            recordings.states[ctl.meeting_id] = m.RecordingState(
                meeting_id=ctl.meeting_id,
                recording=bool(row.recording_by_user_id),
                by_name=row.recording_by_name,
                started_at=row.recording_started_at,
                cohosts_allowed=row.allow_cohost_recording,
            )
        if row.recording_by_user_id:
            self.recorder[ctl.meeting_id] = row.recording_by_user_id

    def seated(self, meeting_id: str, user_id: str) -> None:
        """Someone took a seat: give a saved co-host the role back; a returning recorder's new
        seat is the recording seat."""
        live = self.relay.meetings.live.get(meeting_id)
        seat = live.by_user(user_id) if live is not None else None
        if seat is None:
            return
        if self.roles.get(meeting_id, {}).get(user_id) == "cohost" and seat.role == "participant":
            seat.role = "cohost"
            event = m.ParticipantUpdated(meeting_id=meeting_id, participant=seat.info())
            for p in live.participants.values():
                if p.peer is not None:
                    p.peer.send_event(event)
        state = self.relay.recordings.states.get(meeting_id)
        if state is not None and state.recording and self.recorder.get(meeting_id) == user_id:
            state.by_participant_id = seat.participant_id
            state.by_name = seat.display_name

    def forget(self, meeting_id: str, participant_id: str) -> None:
        """A seat was given up: the recording may have stopped, or the meeting ended."""
        if meeting_id in self.relay.hosting.controls:
            self.save_soon(meeting_id)
        else:  # ended (hosting drops a meeting's controls only then)
            self.roles.pop(meeting_id, None)
            self.relay.meetings.host_overrides.pop(meeting_id, None)
            self.recorder.pop(meeting_id, None)
            self.relay._spawn(self._delete(meeting_id))

    async def _delete(self, meeting_id: str) -> None:
        if meeting_id in self.relay.hosting.controls:
            return
        async with self.relay.db.sessions() as s, s.begin():
            row = await s.get(MeetingStateRow, meeting_id)
            if row is not None:
                await s.delete(row)


def install(relay: Any) -> MeetingStates:
    """Write hosts' decisions and recording state through to the database (after hosting and
    recording are installed: wraps their handlers)."""
    states = MeetingStates(relay)
    join = relay.handlers[m.JoinMeeting]

    async def on_join(peer: Any, req: m.JoinMeeting) -> m.Reply:
        reply: m.Reply = await join(peer, req)
        if isinstance(reply, m.MeetingJoined):
            meeting_id = reply.meeting.meeting_id
            states.seated(meeting_id, peer.user.id)
            live = relay.meetings.live.get(meeting_id)
            if live is not None:
                reply.participants = [p.info() for p in live.participants.values()]
            await states.save(meeting_id)
        return reply

    relay.handlers[m.JoinMeeting] = on_join
    for request_type in (m.HostAction, m.StartRecording, m.StopRecording, m.AllowCohostRecording):
        relay.handlers[request_type] = _saving(states, relay.handlers[request_type])
    relay.on_participant_removed.append(states.forget)
    end_meeting = relay.hosting.end_meeting

    async def ended(meeting_id: str, message: str, *, actor: str, action: str, closed_until: float = 0.0) -> None:
        await end_meeting(meeting_id, message, actor=actor, action=action, closed_until=closed_until)
        states.roles.pop(meeting_id, None)
        relay.meetings.host_overrides.pop(meeting_id, None)
        states.recorder.pop(meeting_id, None)
        await states._delete(meeting_id)  # a booked meeting's next occurrence starts afresh

    relay.hosting.end_meeting = ended
    return states


def _saving(states: MeetingStates, handler: Any) -> Any:
    async def saving(peer: Any, req: Any) -> m.Reply:
        reply: m.Reply = await handler(peer, req)
        if peer.meeting_id:
            await states.save(peer.meeting_id)
        return reply

    return saving
