"""Views and reactions for the desktop app and the command line. No Qt here.

`StageDesk` wraps a `ParleyClient`: it spotlights someone for everyone (hosts and co-hosts), sends
reactions, and turns the relay's ``meeting.reaction`` pushes into `ReactionArrived` events. The
spotlight itself arrives with the meeting's state (`MeetingState.spotlight`).
"""

from __future__ import annotations

import typing

from client.engine import events as ev
from client.engine.call import ParleyClient
from shared.errors import BadRequest
from shared.protocol import messages as m

REACTIONS: tuple[str, ...] = typing.get_args(m.ReactionKind)


class StageDesk:
    def __init__(self, client: ParleyClient) -> None:
        self.client = client
        client.push_handlers.append(self._on_push)

    def close(self) -> None:
        if self._on_push in self.client.push_handlers:
            self.client.push_handlers.remove(self._on_push)

    def _on_push(self, event: m.Event) -> None:
        if isinstance(event, m.ReactionShown):
            meeting = self.client.meeting
            if meeting is not None and event.meeting_id == meeting.meeting_id:
                self.client.emit(ev.ReactionArrived(participant_id=event.participant_id, reaction=event.reaction))

    async def spotlight(self, participant_id: str) -> None:
        """Spotlight ``participant_id`` for everyone ("" ends the spotlight)."""
        await self.client.request(m.SetSpotlight(id=0, participant_id=participant_id))

    async def react(self, reaction: str) -> None:
        if reaction not in REACTIONS:
            raise BadRequest(f"{reaction!r} is not a reaction (use one of {', '.join(REACTIONS)}).")
        await self.client.request(m.SendReaction(id=0, reaction=typing.cast(m.ReactionKind, reaction)))
