"""Stand-ins for what `FileService` talks to, for tests that drive it with no relay and no
connection: `FakeFileClient` (the client's requests, pushes and events), `FakeMedia` (the media
session that brings data channels) and `FakeChannel` (aiortc's RTCDataChannel). Each has exactly
what FileService uses of the real one, and records what it was given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from client.engine import events as ev
from shared.protocol import messages as m


class FakeChannel:
    """A data channel: ``sent`` holds every frame sent on it; `deliver` plays one arriving."""

    label = "parley"

    def __init__(self, *, open: bool = True) -> None:
        self.readyState = "open" if open else "connecting"
        self.bufferedAmount = 0
        self.bufferedAmountLowThreshold = 0
        self.sent: list[bytes] = []
        self.handlers: dict[str, list[Callable[..., Any]]] = {}
        self._more = asyncio.Event()

    def on(self, event: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        self.handlers.setdefault(event, []).append(handler)
        return handler

    def send(self, data: bytes) -> None:
        self.sent.append(data)
        self._more.set()

    def emit(self, event: str, *args: object) -> None:
        for handler in list(self.handlers.get(event, [])):
            handler(*args)

    def open(self) -> None:
        self.readyState = "open"
        self.emit("open")

    def deliver(self, data: bytes) -> None:
        self.emit("message", data)

    async def wait_sent(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """The frames sent, once there are at least ``count``."""
        while len(self.sent) < count:
            self._more.clear()
            await asyncio.wait_for(self._more.wait(), timeout)
        return self.sent


class FakeMedia:
    """A media session: its current ``channel`` and the listeners told of each new one."""

    def __init__(self, channel: FakeChannel | None = None) -> None:
        self.channel = channel
        self.channel_listeners: list[Callable[[Any], None]] = []

    def new_channel(self, channel: FakeChannel) -> None:
        """A new publish connection brought ``channel`` (a reconnect, a media restart)."""
        self.channel = channel
        for listener in list(self.channel_listeners):
            listener(channel)


def ok(request: m.Request) -> m.Reply | Exception:
    """The relay's usual answer: an empty key list to a key, Ok to anything else."""
    if isinstance(request, m.PublishFileKey):
        return m.FileKeys(id=request.id, keys={})
    return m.Ok(id=request.id)


class FakeFileClient:
    """A signed-in, seated client: ``requests`` records each request, answered by ``answer`` (a
    reply, or an exception to raise); `push` plays a relay event; ``events`` records engine events."""

    def __init__(
        self,
        participant_id: str = "ann",
        people: Iterable[m.ParticipantInfo] = (),
        answer: Callable[[m.Request], m.Reply | Exception] = ok,
    ) -> None:
        self.participant_id: str | None = participant_id
        self.participants = {p.participant_id: p for p in people}
        self.answer = answer
        self.push_handlers: list[Callable[[m.Event], None]] = []
        self.reconnect_hooks: list[Callable[[], Awaitable[None]]] = []
        self.requests: list[m.Request] = []
        self.events: list[ev.EngineEvent] = []
        self._more = asyncio.Event()

    async def request(self, request: m.Request) -> m.Reply:
        self.requests.append(request)
        self._more.set()
        outcome = self.answer(request)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def emit(self, event: ev.EngineEvent) -> None:
        self.events.append(event)
        self._more.set()

    def push(self, event: m.Event) -> None:
        for handler in list(self.push_handlers):
            handler(event)

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``condition()`` holds, looking again at each request or event."""
        while not condition():
            self._more.clear()
            await asyncio.wait_for(self._more.wait(), timeout)
