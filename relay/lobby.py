"""The lobby: people waiting for a host to let them into a meeting (a booked meeting's uninvited
guests, everyone while the host has the lobby on, and people the host removed earlier).

A waiting person is told `LobbyWaiting` as the answer to their join and `LobbyDecided` when a host
decides; the host and co-hosts are told `LobbyChanged` whenever the queue changes.
"""

from __future__ import annotations

from collections.abc import Callable

from relay.config import LimitsConfig
from relay.controls import Controls, ControlsBook, Waiting
from relay.meetings import Meetings, Participant
from relay.peer import Peer, Peers, send_soon
from relay.store.models import User
from shared.errors import BadRequest, LimitExceeded
from shared.protocol import messages as m
from shared.text import clean_line


class Lobby:
    def __init__(
        self,
        controls: ControlsBook,
        meetings: Meetings,
        peers: Peers,
        limits: LimitsConfig,
        clock: Callable[[], float],
    ) -> None:
        self.controls = controls
        self.meetings = meetings
        self.peers = peers
        self.limits = limits
        self.clock = clock
        self._lobby_of: dict[Peer, str] = {}  # who waits where

    def wait(self, peer: Peer, user: User, ctl: Controls, *, removed: bool, request_id: int) -> m.LobbyWaiting:
        """Put ``user`` in the meeting's lobby (the answer to their join)."""
        if peer.meeting_id is not None:
            raise BadRequest("Leave your current meeting before joining another.")
        if user.id not in ctl.waiting and len(ctl.waiting) >= self.limits.participants_per_meeting:
            raise LimitExceeded(
                "participants_per_meeting",
                self.limits.participants_per_meeting,
                "Too many people are waiting to join this meeting. Try again later.",
            )
        previous = self._lobby_of.get(peer)
        if previous and previous != ctl.meeting_id:
            self.leave(peer)
        entry = m.LobbyEntry(
            user_id=user.id,
            username=user.username,
            display_name=clean_line(user.display_name) or user.username,
            since=self.clock(),
            removed_before=removed,
        )
        ctl.waiting[user.id] = Waiting(entry, peer)
        self._lobby_of[peer] = ctl.meeting_id
        self.changed(ctl)
        message = (
            "You were removed from this meeting; the host must let you back in."
            if removed
            else "Please wait; the host will let you in soon."
        )
        return m.LobbyWaiting(id=request_id, meeting_id=ctl.meeting_id, message=message)

    def leave(self, peer: Peer) -> bool:
        """Stop waiting (leave request, or waiting elsewhere now). True when ``peer`` was waiting."""
        meeting_id = self._lobby_of.pop(peer, None)
        ctl = self.controls.get(meeting_id or "")
        if ctl is None or peer.user is None:
            return meeting_id is not None
        waiting = ctl.waiting.get(peer.user.id)
        if waiting is not None and waiting.peer is peer:
            del ctl.waiting[peer.user.id]
            self.changed(ctl)
        return True

    def changed(self, ctl: Controls) -> None:
        """Drop people whose connection is gone, then tell the hosts who waits."""
        live = {w.entry.user_id: w for w in ctl.waiting.values() if w.peer in self.peers}
        for gone in [p for p in self._lobby_of if p not in self.peers]:
            del self._lobby_of[gone]
        ctl.waiting = live
        event = m.LobbyChanged(meeting_id=ctl.meeting_id, waiting=[w.entry for w in live.values()])
        meeting = self.meetings.live.get(ctl.meeting_id)
        for host in meeting.hosts() if meeting is not None else []:
            if host.peer is not None:
                host.peer.send_event(event)

    def decide(self, ctl: Controls, waiting: Waiting, admitted: bool) -> None:
        """A host let ``waiting`` in (they send their join again) or not."""
        self._lobby_of.pop(waiting.peer, None)
        if admitted:
            ctl.admitted.add(waiting.entry.user_id)
            ctl.removed.discard(waiting.entry.user_id)
            message = "The host let you in."
        else:
            message = "The host did not let you in."
        waiting.peer.send_event(m.LobbyDecided(meeting_id=ctl.meeting_id, admitted=admitted, message=message))
        self.changed(ctl)

    def seated(self, ctl: Controls, peer: Peer, seat: Participant) -> None:
        """``seat`` joined: they wait no more and may come back; a host is told who waits."""
        if ctl.waiting.pop(seat.user_id, None) is not None:
            self._lobby_of.pop(peer, None)
            self.changed(ctl)
        ctl.admitted.add(seat.user_id)
        if seat.hosting:
            send_soon(peer, m.LobbyChanged(meeting_id=ctl.meeting_id, waiting=ctl.lobby_entries()))

    def tell(self, ctl: Controls, seat: Participant) -> None:
        """Show the queue to someone who just became host or co-host."""
        if seat.peer is not None:
            seat.peer.send_event(m.LobbyChanged(meeting_id=ctl.meeting_id, waiting=ctl.lobby_entries()))

    def close(self, ctl: Controls, message: str) -> None:
        """The meeting ended: nobody waits any longer."""
        for waiting in ctl.waiting.values():
            self._lobby_of.pop(waiting.peer, None)
            waiting.peer.send_event(m.LobbyDecided(meeting_id=ctl.meeting_id, admitted=False, message=message))
        ctl.waiting.clear()
