"""What everyone sees on the stage: the host's spotlight, and reactions (`Stage`).

A host or co-host spotlights one seat for everyone (kept in `Controls.spotlight` and told through
``meeting.state``; it ends when that seat goes). Reactions are relayed to everyone seated, with a
token bucket per seat so that nobody can flood a meeting with them. The spotlight is saved by
user id with the meeting's decisions, so it comes back on that person's new seat after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from relay.audit import Audit
from relay.controls import ControlsBook
from relay.meetings import Meetings
from relay.peer import Peer, user_of
from relay.ratelimit import TokenBucket
from shared.errors import Forbidden, NotFound, RateLimited
from shared.protocol import messages as m


class PersistSoon(Protocol):
    """Saving a meeting's decisions (relay.meeting_state)."""

    def save_soon(self, meeting_id: str) -> None: ...


# A burst of a few reactions, then one every two seconds.
REACTION_BURST = 5
REACTION_RATE = 0.5


class Stage:
    def __init__(
        self, meetings: Meetings, controls: ControlsBook, persist: PersistSoon, audit: Audit, clock: Callable[[], float]
    ) -> None:
        self.meetings = meetings
        self.controls = controls
        self.persist = persist
        self.audit = audit
        self.clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    async def spotlight(self, peer: Peer, req: m.SetSpotlight) -> m.Reply:
        """``meeting.spotlight``: a host or co-host spotlights a seat for everyone, or ends it."""
        meeting, me = self.meetings.seat_of(peer)
        ctl = self.controls.get(meeting.meeting_id)
        if ctl is None:
            raise NotFound("You are not in a meeting.")
        if not me.hosting:
            raise Forbidden("Only the host or a co-host can spotlight someone for everyone.")
        target = req.participant_id[:32]
        if target and target not in meeting.participants:
            raise NotFound("That person is no longer in the meeting.")
        if ctl.spotlight != target:
            ctl.spotlight = target
            ctl.spotlight_user_id = meeting.participants[target].user_id if target else ""
            ctl.state_changed(meeting)
            self.persist.save_soon(meeting.meeting_id)
            detail = {"participant": target}
            await self.audit.write(user_of(peer).username, "host.spotlight", meeting.meeting_id, detail)
        return m.Ok(id=req.id)

    async def react(self, peer: Peer, req: m.SendReaction) -> m.Reply:
        """``meeting.react``: tell everyone seated (the sender too) that this seat reacted."""
        meeting, me = self.meetings.seat_of(peer)
        now = self.clock()
        key = (meeting.meeting_id, me.participant_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(REACTION_RATE, REACTION_BURST, now)
        if not bucket.take(now):
            raise RateLimited("Too many reactions at once. Wait a moment.", retry_after=bucket.retry_after())
        event = m.ReactionShown(meeting_id=meeting.meeting_id, participant_id=me.participant_id, reaction=req.reaction)
        meeting.broadcast(event)
        return m.Ok(id=req.id)

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        self._buckets.pop((meeting_id, participant_id), None)
        ctl = self.controls.get(meeting_id)
        if ctl is not None and ctl.spotlight == participant_id:
            ctl.spotlight = ctl.spotlight_user_id = ""
            ctl.state_changed(self.meetings.live.get(meeting_id))
            self.persist.save_soon(meeting_id)
