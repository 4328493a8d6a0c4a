"""Connection quality from aiortc statistics: loss over the last interval, worst round trip."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from client.engine.media.network import NetworkSampler, loss_and_rtt


def inbound(received: int, lost: int) -> Any:
    return SimpleNamespace(type="inbound-rtp", packetsReceived=received, packetsLost=lost)


def remote(rtt: float | None) -> Any:
    return SimpleNamespace(type="remote-inbound-rtp", roundTripTime=rtt, packetsLost=0)


class FakeConnection:
    def __init__(self) -> None:
        self.reports: list[Any] = []

    async def getStats(self) -> dict[str, Any]:
        return {str(i): r for i, r in enumerate(self.reports)}


def test_loss_and_rtt_sum_inbound_and_take_the_worst_round_trip() -> None:
    reports = [inbound(90, 10), inbound(100, 0), remote(0.02), remote(0.05), remote(None), SimpleNamespace(type="x")]
    assert loss_and_rtt(reports) == (190, 10, 0.05)
    assert loss_and_rtt([]) == (0, 0, None)


def test_sampler_reports_loss_of_the_last_interval() -> None:
    publish, subscribe = FakeConnection(), FakeConnection()
    sampler = NetworkSampler(lambda: [publish, None, subscribe])
    assert (sampler.packet_loss, sampler.rtt_ms) == (0.0, None)
    subscribe.reports = [inbound(95, 5)]
    asyncio.run(sampler.sample())
    assert sampler.packet_loss == 0.05 and sampler.rtt_ms is None
    publish.reports = [remote(0.031)]
    subscribe.reports = [inbound(195, 5)]  # no new loss in this interval
    asyncio.run(sampler.sample())
    assert sampler.packet_loss == 0.0 and sampler.rtt_ms == 31.0
    subscribe.reports = [inbound(20, 20)]  # new connection after a reconnect: counters restart
    asyncio.run(sampler.sample())
    assert sampler.packet_loss == 0.5


def test_a_failing_connection_is_skipped() -> None:
    class Broken:
        async def getStats(self) -> dict[str, Any]:
            raise RuntimeError("closed")

    good = FakeConnection()
    good.reports = [inbound(10, 0)]
    sampler = NetworkSampler(lambda: [Broken(), good])
    asyncio.run(sampler.sample())
    assert sampler.packet_loss == 0.0
