"""What the host decides about each meeting (`Controls`).

Controls are loaded from the database on a meeting's first join (relay.meeting_state) and live
while the meeting has not ended, even when nobody is seated, so a locked meeting stays locked when
everyone steps out; they are dropped when the meeting ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from relay.meetings import LiveMeeting
from relay.peer import Peer
from shared.protocol import messages as m


@dataclass
class Waiting:
    """Someone in the lobby and the connection they wait on."""

    entry: m.LobbyEntry
    peer: Peer


@dataclass
class Controls:
    """The host's decisions about one meeting, and what the meeting keeps across a restart."""

    meeting_id: str
    title: str
    host_user_id: str  # who booked or created it
    booked: bool = False
    lobby: bool = False
    invited: set[str] = field(default_factory=set)
    capacity: int = 0
    locked: bool = False
    unmute_allowed: bool = True
    admitted: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    waiting: dict[str, Waiting] = field(default_factory=dict)
    ends_at: float = 0.0
    started_at: float = 0.0  # the first join (relay.length_limit); not kept across a restart
    closed_until: float = 0.0  # the length limit ended it: no new start before this
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    # Kept by user id across a restart (relay.meeting_state): user id -> "cohost" or "host" (a host
    # handed over during the meeting), and the user id of whoever records.
    roles: dict[str, str] = field(default_factory=dict)
    host_override: str = ""
    # Who became host only because the host's seat went (relay.host_actions.Handover), and their
    # role before: the owner who comes back takes the host role back from them (issue #19 item 6).
    auto_heir: str = ""
    auto_heir_was: str = "participant"
    recorder_user_id: str = ""
    # user id -> the sources ("mic", "camera") a host or co-host muted, until that person unmutes
    # them: kept by user id (seats change across a restart) and put back when they take a seat.
    host_muted: dict[str, set[str]] = field(default_factory=dict)
    spotlight: str = ""  # the seat a host spotlights for everyone (relay.stage), "" for nobody
    spotlight_user_id: str = ""  # that seat's user, kept across a restart (relay.meeting_state)

    @property
    def host_now(self) -> str:
        """The host the meeting opens with: one handed over during the meeting, else its owner."""
        return self.host_override or self.host_user_id

    def lobby_entries(self) -> list[m.LobbyEntry]:
        return [w.entry for w in self.waiting.values()]

    def state(self, meeting: LiveMeeting | None) -> m.MeetingState:
        """What everyone in the meeting sees of these decisions (with raised hands, first first)."""
        seats = list(meeting.participants.values()) if meeting is not None else []
        hands = [p.participant_id for p in sorted(seats, key=lambda p: p.hand_raised_at) if p.hand_raised_at]
        return m.MeetingState(
            meeting_id=self.meeting_id,
            locked=self.locked,
            lobby=self.lobby,
            unmute_allowed=self.unmute_allowed,
            hands=hands,
            ends_at=self.ends_at,
            started_at=self.started_at,
            spotlight=self.spotlight,
        )

    def state_changed(self, meeting: LiveMeeting | None) -> None:
        """Tell everyone seated that the decisions (or raised hands) changed."""
        if meeting is not None:
            meeting.broadcast(m.MeetingStateChanged(state=self.state(meeting)))


class ControlsBook:
    """The controls of every meeting that has not ended (relay.meeting_state loads them)."""

    def __init__(self) -> None:
        self._controls: dict[str, Controls] = {}

    def get(self, meeting_id: str) -> Controls | None:
        return self._controls.get(meeting_id)

    def __contains__(self, meeting_id: object) -> bool:
        return meeting_id in self._controls

    def add(self, ctl: Controls) -> Controls:
        """Keep ``ctl``, unless another request added the meeting's controls first (then those)."""
        return self._controls.setdefault(ctl.meeting_id, ctl)

    def drop(self, meeting_id: str) -> Controls | None:
        """Forget a meeting's controls (it ended, or it is closed until later); cancels its timers."""
        ctl = self._controls.pop(meeting_id, None)
        if ctl is not None:
            for timer in ctl.timers:
                timer.cancel()
        return ctl
