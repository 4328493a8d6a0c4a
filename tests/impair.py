"""A lossy link in user space (this kernel has no netem): UDP forwarders on loopback that drop,
delay and optionally reorder datagrams on a seeded random schedule.

`UdpImpairer` listens on a loopback port and forwards to one target, both ways, like a small NAT:
each source that writes to the listening port gets its own upstream socket towards the target,
and what the target answers on it goes back to that source from the listening port.

`LossyLink` puts impairers on the media path of a WebRTC peer by rewriting the ``a=candidate``
lines of SDPs: every candidate address is replaced by an impairer forwarding to it. Rewrite the
relay's SDPs as the client receives them *and* the client's SDPs as the relay receives them, so
that each side only knows the other through a forwarder (otherwise ICE finds the direct path in
one direction and half the traffic bypasses the impairment).

Usable from any asyncio test::

    link = LossyLink(loss=0.05, delay=0.08, seed=1)
    sdp_for_client = link.rewrite_sdp(relay_sdp)
    ...
    link.close(); link.dropped_fraction()
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import time
from dataclasses import dataclass, field

_CANDIDATE = re.compile(r"^(a=candidate:\S+ \d+ udp \d+ )(\S+) (\d+)( typ .*)$", re.MULTILINE | re.IGNORECASE)


@dataclass
class DirectionStats:
    """What one direction of an impairer did."""

    received: int = 0
    dropped: int = 0
    forwarded: int = 0
    reordered: int = 0
    delays: list[float] = field(default_factory=list)  # seconds each forwarded datagram was held


class UdpImpairer:
    """Forwards datagrams between clients of ``listen`` and ``target``, impairing both ways."""

    def __init__(
        self,
        target: tuple[str, int],
        *,
        loss: float = 0.05,
        delay: float = 0.08,
        reorder: float = 0.0,
        seed: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.target = target
        self.loss, self.delay, self.reorder = loss, delay, reorder
        # One schedule per direction, so each direction's drops depend only on its own packet count.
        self._rng = {"up": random.Random(f"{seed}-up"), "down": random.Random(f"{seed}-down")}
        self.stats = {"up": DirectionStats(), "down": DirectionStats()}
        self.loop = asyncio.get_running_loop()
        self.listener = self._socket(host, 0)
        self.address: tuple[str, int] = self.listener.getsockname()
        self._upstream: dict[tuple[str, int], socket.socket] = {}
        self.loop.add_reader(self.listener, self._from_client)
        self.closed = False

    @staticmethod
    def _socket(host: str, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        sock.bind((host, port))
        return sock

    def _from_client(self) -> None:
        for data, source in self._drain(self.listener):
            up = self._upstream.get(source)
            if up is None:
                up = self._upstream[source] = self._socket(self.listener.getsockname()[0], 0)
                self.loop.add_reader(up, self._from_target, up, source)
            self._pass("up", up, data, self.target)

    def _from_target(self, up: socket.socket, client: tuple[str, int]) -> None:
        for data, _ in self._drain(up):
            self._pass("down", self.listener, data, client)

    @staticmethod
    def _drain(sock: socket.socket) -> list[tuple[bytes, tuple[str, int]]]:
        got = []
        while True:
            try:
                got.append(sock.recvfrom(65536))
            except (BlockingIOError, InterruptedError):
                return got
            except OSError:  # e.g. ICMP port unreachable from a peer that went away
                return got

    def _pass(self, direction: str, sock: socket.socket, data: bytes, to: tuple[str, int]) -> None:
        stats, rng = self.stats[direction], self._rng[direction]
        stats.received += 1
        drop, extra = rng.random() < self.loss, rng.random() < self.reorder
        if drop:
            stats.dropped += 1
            return
        hold = self.delay
        if extra:  # held back past the next few datagrams: they overtake it
            hold += self.delay * 0.5
            stats.reordered += 1
        # Datagrams still held when the impairer closes are dropped (_send checks `closed`).
        self.loop.call_later(hold, self._send, direction, sock, data, to, time.monotonic())

    def _send(self, direction: str, sock: socket.socket, data: bytes, to: tuple[str, int], since: float) -> None:
        if self.closed:
            return
        stats = self.stats[direction]
        stats.delays.append(time.monotonic() - since)
        stats.forwarded += 1
        try:
            sock.sendto(data, to)
        except OSError:
            pass

    def close(self) -> None:
        self.closed = True
        for sock in [self.listener, *self._upstream.values()]:
            self.loop.remove_reader(sock)
            sock.close()


class LossyLink:
    """Impairers created on demand, one per address met in the SDPs it rewrites."""

    def __init__(self, *, loss: float = 0.05, delay: float = 0.08, reorder: float = 0.0, seed: int = 0) -> None:
        self.loss, self.delay, self.reorder, self.seed = loss, delay, reorder, seed
        self.impairers: dict[tuple[str, int], UdpImpairer] = {}

    def forwarder_for(self, target: tuple[str, int]) -> UdpImpairer:
        found = self.impairers.get(target)
        if found is None:
            found = self.impairers[target] = UdpImpairer(
                target,
                loss=self.loss,
                delay=self.delay,
                reorder=self.reorder,
                seed=self.seed * 1000 + len(self.impairers),
            )
        return found

    def rewrite_sdp(self, sdp: str) -> str:
        """``sdp`` with every UDP candidate pointing at an impairer that forwards to it."""

        def swap(found: re.Match[str]) -> str:
            if ":" in found.group(2):  # IPv6: the impairers listen on IPv4 loopback only
                return found.group(0)
            host, port = self.forwarder_for((found.group(2), int(found.group(3)))).address
            return f"{found.group(1)}{host} {port}{found.group(4)}"

        return _CANDIDATE.sub(swap, sdp)

    def totals(self) -> DirectionStats:
        total = DirectionStats()
        for impairer in self.impairers.values():
            for stats in impairer.stats.values():
                total.received += stats.received
                total.dropped += stats.dropped
                total.forwarded += stats.forwarded
                total.reordered += stats.reordered
                total.delays.extend(stats.delays)
        return total

    def dropped_fraction(self) -> float:
        total = self.totals()
        return total.dropped / total.received if total.received else 0.0

    def close(self) -> None:
        for impairer in self.impairers.values():
            impairer.close()
