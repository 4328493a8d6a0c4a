"""`ChatService`: the meeting's chat for a UI or a script. No Qt here.

Messages travel on the signalling websocket (see relay/chat.py for why); the relay numbers each
meeting's messages, so they are kept and shown in that order even if pushes and replies interleave.
"""

from __future__ import annotations

import bisect
import contextlib
from typing import TYPE_CHECKING

from client.engine import events as ev
from shared.errors import NotFound
from shared.protocol import messages as m

if TYPE_CHECKING:
    from client.engine.call import ParleyClient


class ChatService:
    """Send to everyone or one person; ``messages`` holds what was seen, in the relay's order."""

    def __init__(self, client: ParleyClient) -> None:
        self.client = client
        self.messages: list[m.ChatMessage] = []
        self._seen: set[tuple[str, int]] = set()
        client.push_handlers.append(self._on_push)

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.client.push_handlers.remove(self._on_push)

    async def start(self) -> None:
        """After joining: load what the relay kept (nothing unless retention is on)."""
        reply = await self.client.request(m.ChatHistory(id=0))
        assert isinstance(reply, m.ChatHistoryList)
        for message in reply.messages:
            self._add(message, own=message.from_participant_id == self.client.participant_id)

    async def send(self, text: str, to: str | None = None) -> m.ChatMessage:
        """Send ``text`` to everyone, or privately to participant id ``to``."""
        if to is not None and to not in self.client.participants:
            raise NotFound("That person is not in this meeting.")
        reply = await self.client.request(m.SendChat(id=0, text=text, to=to or ""))
        assert isinstance(reply, m.ChatSent)
        self._add(reply.message, own=True)
        return reply.message

    def _on_push(self, event: m.Event) -> None:
        if isinstance(event, m.ChatReceived):
            self._add(event.message, own=False)

    def _add(self, message: m.ChatMessage, *, own: bool) -> None:
        key = (message.meeting_id, message.seq)
        if key in self._seen:
            return
        self._seen.add(key)
        keys = [(x.meeting_id, x.seq) for x in self.messages]
        self.messages.insert(bisect.bisect(keys, key), message)
        self.client.emit(ev.ChatMessageReceived(message=message, own=own))
