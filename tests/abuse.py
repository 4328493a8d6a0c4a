"""What an attacker does to a relay, for the abuse tests and bench/abuse.py: signalling
connections from chosen loopback addresses (Linux routes all of 127.0.0.0/8 to lo), password
guesses in parallel, idle sockets, paced request floods."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import Counter
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from client.engine.signalling import SignallingClient
from shared.errors import ParleyError
from shared.protocol import messages as m


def address(n: int) -> str:
    """The n-th loopback address other than 127.0.0.1 (127.0.1.1, 127.0.1.2, ...)."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


class AddressedClient(SignallingClient):
    """A signalling client whose connection comes from ``source`` (a loopback address)."""

    def __init__(self, port: int, fingerprint: str, source: str = "127.0.0.1") -> None:
        super().__init__("127.0.0.1", port, fingerprint=fingerprint)
        self.source = source

    async def _open(self, context: ssl.SSLContext, server_hostname: str | None) -> ClientConnection:
        return await connect(
            self.url, ssl=context, open_timeout=10, ping_interval=None, proxy=None, local_addr=(self.source, 0)
        )


async def connected(port: int, fingerprint: str, source: str = "127.0.0.1") -> AddressedClient:
    client = AddressedClient(port, fingerprint, source)
    await client.connect()
    return client


def outcome(result: Any) -> str:
    """``ok``, an error code (``unauthorized``, ``rate_limited``...), or the exception's name."""
    if isinstance(result, ParleyError):
        return result.code.value
    if isinstance(result, BaseException):
        return type(result).__name__
    return "ok"


async def parallel_logins(clients: list[AddressedClient], attempts: list[tuple[str, str]]) -> list[Any]:
    """Send one login on each connection at once; the replies (or errors) in order."""
    return await asyncio.gather(
        *(c.request(m.Login(id=0, username=u, password=p)) for c, (u, p) in zip(clients, attempts, strict=True)),
        return_exceptions=True,
    )


def tally(results: list[Any]) -> Counter[str]:
    return Counter(outcome(r) for r in results)


async def close_all(clients: list[AddressedClient]) -> None:
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


async def paced_flood(
    client: SignallingClient, per_second: float, seconds: float, stop: asyncio.Event | None = None
) -> int:
    """Send pings at an even ``per_second`` for ``seconds`` (or until ``stop`` is set, or the relay
    closes the socket); returns how many were sent."""
    assert client.ws is not None
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    frame = '{"type": "ping", "id": 1}'
    while not client.closed.is_set() and loop.time() - start < seconds and not (stop and stop.is_set()):
        due = int((loop.time() - start) * per_second) + 1  # whatever is due now, in one go
        try:
            while sent < due:
                await client.ws.send(frame)
                sent += 1
        except Exception:
            break
        await asyncio.sleep(0.001)
    return sent
