"""How people get into meetings: ``meeting.create`` and ``meeting.join``.

A join reads top-down in `JoinService.join`:

1. the meeting's controls (read from the database once, with decisions saved before a restart);
2. `admission`, a pure function of the controls and the seats: seat, wait in the lobby, or refuse;
3. the seat (relay.meetings), announced to everyone else;
4. what the meeting keeps for that person (a co-host role or a recording seat from before a
   restart), the lobby, the length-limit clock, then the decisions written through (one upsert);
5. the reply, then the meeting's state, lobby queue and recording indicator for the joiner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from relay.controls import Controls
from relay.lifecycle import Lifecycle
from relay.lobby import Lobby
from relay.meetings import LiveMeeting, Meetings, Participant
from relay.ops.metrics import RelayMetrics
from relay.peer import Peer, deliver, user_of
from relay.store.models import User
from shared.errors import BadRequest, Forbidden, LimitExceeded, ParleyError
from shared.protocol import messages as m


@dataclass(frozen=True)
class Seat:
    """Admitted: take a seat."""


@dataclass(frozen=True)
class WaitInLobby:
    """Wait for a host; ``removed`` when a host removed this person earlier."""

    removed: bool


@dataclass(frozen=True)
class Refused:
    error: ParleyError


Admission = Seat | WaitInLobby | Refused


def admission(user_id: str, ctl: Controls, live: LiveMeeting | None) -> Admission:
    """Whether ``user_id`` may take a seat in the meeting ``ctl`` decides about (``live`` holds the
    seats taken now, if any). The host, people admitted before and people already seated come in;
    others are held by a removal, the lock, the lobby and the room's capacity, in that order."""
    if live is not None and live.by_user(user_id) is not None:
        return Seat()  # taking their own seat back
    host = live.info.host_user_id if live is not None else ctl.host_user_id
    if user_id != host and user_id not in ctl.admitted:
        if user_id in ctl.removed:
            return WaitInLobby(removed=True)
        if ctl.locked:
            return Refused(Forbidden("The host has locked this meeting; nobody new can join."))
        if ctl.lobby and user_id not in ctl.invited:
            return WaitInLobby(removed=False)
    if ctl.capacity and live is not None and len(live.participants) >= ctl.capacity:
        return Refused(
            LimitExceeded("room_capacity", ctl.capacity, f"This room holds {ctl.capacity} people and is full.")
        )
    return Seat()


# --- what the join needs from the other parts -----------------------------------------------------


class StoredState(Protocol):
    """relay.meeting_state: the meeting's controls as stored, seats given back, writing through."""

    async def load(self, meeting_id: str) -> Controls: ...
    def seated(self, ctl: Controls, meeting: LiveMeeting, seat: Participant) -> None: ...
    async def save(self, meeting_id: str) -> None: ...


class NewMeetings(Protocol):
    """relay.maintenance: no meeting starts during a maintenance window."""

    def check_can_start(self) -> None: ...


class Clock(Protocol):
    """relay.length_limit: closed meetings stay closed; a meeting's clock starts at its first join."""

    def check_open(self, ctl: Controls) -> None: ...
    def start(self, ctl: Controls) -> None: ...


class StateTeller(Protocol):
    """relay.host_actions: the meeting's state for the joiner."""

    def tell_state(self, peer: Peer, ctl: Controls) -> None: ...


class RecordingTeller(Protocol):
    """relay.recording: whether the meeting is being recorded, for the joiner."""

    def tell_joiner(self, peer: Peer, meeting_id: str) -> None: ...


class JoinService:
    def __init__(
        self,
        meetings: Meetings,
        stored: StoredState,
        lobby: Lobby,
        maintenance: NewMeetings,
        clock: Clock,
        host_state: StateTeller,
        recording: RecordingTeller,
        lifecycle: Lifecycle,
        metrics: RelayMetrics,
    ) -> None:
        self.meetings = meetings
        self.stored = stored
        self.lobby = lobby
        self.maintenance = maintenance
        self.clock = clock
        self.host_state = host_state
        self.recording = recording
        self.lifecycle = lifecycle
        self.metrics = metrics

    async def create(self, peer: Peer, req: m.CreateMeeting) -> m.Reply:
        """``meeting.create``: an instant meeting owned by the caller."""
        self.maintenance.check_can_start()
        self.lifecycle.check_accepting()
        return m.MeetingCreated(id=req.id, meeting=await self.meetings.create(user_of(peer), req.title))

    async def describe(self, peer: Peer, req: m.DescribeMeeting) -> m.Reply:
        """``meeting.describe``: title and host for the pre-join screen (NotFound when ended)."""
        user_of(peer)
        ctl = await self.stored.load(req.meeting_id)
        return m.MeetingDescribed(id=req.id, meeting=self.meetings.info(req.meeting_id, ctl.title, ctl.host_now))

    async def join(self, peer: Peer, req: m.JoinMeeting) -> m.Reply:
        """``meeting.join``: a seat (`MeetingJoined`) or a place in the lobby (`LobbyWaiting`)."""
        user = user_of(peer)
        self.lifecycle.check_accepting()
        if peer.meeting_id is not None and peer.meeting_id != req.meeting_id:
            raise BadRequest("Leave your current meeting before joining another.")
        if req.meeting_id not in self.meetings.live:
            self.maintenance.check_can_start()
        ctl = await self.stored.load(req.meeting_id)
        live = self.meetings.live.get(req.meeting_id)
        if live is None:
            self.clock.check_open(ctl)
        decision = admission(user.id, ctl, live)
        if isinstance(decision, WaitInLobby):
            return self.lobby.wait(peer, user, ctl, removed=decision.removed, request_id=req.id)
        if isinstance(decision, Refused):
            raise decision.error
        meeting, seat, resumed = self._seat(peer, user, ctl)
        self.stored.seated(ctl, meeting, seat)
        self.lobby.seated(ctl, peer, seat)
        self.clock.start(ctl)
        await self.stored.save(meeting.meeting_id)
        self.host_state.tell_state(peer, ctl)
        self.recording.tell_joiner(peer, meeting.meeting_id)
        return m.MeetingJoined(
            id=req.id,
            meeting=meeting.info,
            participant_id=seat.participant_id,
            participants=meeting.participant_infos(),
            resumed=resumed,
        )

    def _seat(self, peer: Peer, user: User, ctl: Controls) -> tuple[LiveMeeting, Participant, bool]:
        """Seat ``user`` (opening the live meeting with its first seat) and tell everyone else."""
        meeting = self.meetings.open(ctl.meeting_id, ctl.title, ctl.host_now)
        try:
            seat, resumed, outbox = self.meetings.seat(meeting, user, peer)
        except ParleyError:
            self.meetings.close_if_empty(meeting.meeting_id)
            raise
        peer.meeting_id, peer.participant_id = meeting.meeting_id, seat.participant_id
        if resumed:
            self.metrics.reconnects.inc()
        deliver(outbox)
        return meeting, seat, resumed
