"""Connection quality from aiortc's statistics: packet loss of what we receive, round-trip time.

``MediaSession.stats()`` reports the newest sample as ``packet_loss`` (0..1, over the last sample
interval) and ``rtt_ms`` (None until the relay has answered a sender report). Sampling is async
(``RTCPeerConnection.getStats``), so a task refreshes it every ``interval`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("parley.media")


def loss_and_rtt(reports: Iterable[Any]) -> tuple[int, int, float | None]:
    """(packets received, packets lost, worst round-trip time in seconds or None) from stats objects."""
    received = lost = 0
    rtts: list[float] = []
    for report in reports:
        kind = getattr(report, "type", "")
        if kind == "inbound-rtp":
            received += int(getattr(report, "packetsReceived", 0) or 0)
            lost += max(0, int(getattr(report, "packetsLost", 0) or 0))
        elif kind == "remote-inbound-rtp":
            rtt = getattr(report, "roundTripTime", None)
            if rtt is not None and rtt > 0:
                rtts.append(float(rtt))
    return received, lost, (max(rtts) if rtts else None)


class NetworkSampler:
    """Samples loss and round-trip time of the peer connections ``connections()`` returns."""

    def __init__(self, connections: Callable[[], list[Any]], interval: float = 2.0) -> None:
        self._connections = connections
        self.interval = interval
        self.packet_loss = 0.0
        self.rtt_ms: float | None = None
        self._last: tuple[int, int] = (0, 0)

    async def sample(self) -> None:
        """Read every connection's stats once and update ``packet_loss`` and ``rtt_ms``."""
        reports: list[Any] = []
        for pc in self._connections():
            if pc is None:
                continue
            with contextlib.suppress(Exception):  # a connection closing under us
                reports.extend((await pc.getStats()).values())
        received, lost, rtt = loss_and_rtt(reports)
        d_received, d_lost = received - self._last[0], lost - self._last[1]
        if d_received < 0 or d_lost < 0:  # connections were replaced (reconnect): start over
            d_received, d_lost = received, lost
        self._last = (received, lost)
        total = d_received + d_lost
        self.packet_loss = round(d_lost / total, 4) if total > 0 else 0.0
        if rtt is not None:
            self.rtt_ms = round(rtt * 1000, 1)

    async def run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self.interval)
