"""Who the relay talks to, as the application sees it: a `Peer` (relay.server's Connection is one),
outboxes of events for peers, and the registry of connected peers.

Feature modules never touch sockets: they send events to peers, or return an `Outbox` that the
caller delivers once it has decided everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from relay.store.models import User
from shared.errors import NotFound
from shared.protocol import messages as m


class Peer(Protocol):
    """One client connection: who signed in on it and where it is seated."""

    address: str
    user: User | None
    session_id: str | None
    meeting_id: str | None
    participant_id: str | None

    def send_event(self, event: m.Event) -> None: ...
    def close(self, code: int, reason: str) -> None: ...


Outbox = list[tuple[Peer | None, m.Event]]


def deliver(outbox: Iterable[tuple[Peer | None, m.Event]]) -> None:
    """Send each event to its peer (a seat whose connection dropped has none)."""
    for peer, event in outbox:
        if peer is not None:
            peer.send_event(event)


def send_soon(peer: Peer | None, event: m.Event) -> None:
    """Send ``event`` after the reply now being written, so the client knows what it refers to."""
    if peer is not None:
        asyncio.get_running_loop().call_soon(peer.send_event, event)


def user_of(peer: Peer) -> User:
    """The signed-in user of ``peer`` (the session refuses other requests before sign-in)."""
    if peer.user is None:
        raise NotFound("Sign in first.")
    return peer.user


class Peers:
    """Every connected peer, signed in or not."""

    def __init__(self, on_count: Callable[[int], None] = lambda count: None) -> None:
        self._peers: set[Peer] = set()
        self._on_count = on_count

    def add(self, peer: Peer) -> None:
        self._peers.add(peer)
        self._on_count(len(self._peers))

    def discard(self, peer: Peer) -> None:
        self._peers.discard(peer)
        self._on_count(len(self._peers))

    def __contains__(self, peer: object) -> bool:
        return peer in self._peers

    def __iter__(self) -> Iterator[Peer]:
        return iter(list(self._peers))

    def __len__(self) -> int:
        return len(self._peers)

    def signed_in(self) -> list[Peer]:
        return [p for p in self._peers if p.user is not None]
