"""Hostile session descriptions against a live relay (issue #15 items 7 and 12).

A publish offer's ICE candidates are addresses the relay sends STUN checks to, so a client could
aim the relay at any host and port. Only candidates in the admin's networks are used, at most
``max_ice_candidates`` of them and ``max_ice_pairs`` pairs (RFC 8445 6.1.2.5). An offer with
hundreds of data channel m-lines is a bad request, answered without a traceback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiortc import RTCPeerConnection

from client.engine import peer
from shared.errors import BadRequest
from shared.protocol import messages as m
from tests.conftest import RunningRelay
from tests.media_fixtures import metric, start_media_relay

pytestmark = pytest.mark.slow

EXTRA = 'ice_allowed_networks = ["127.0.0.1/32"]\nmax_ice_candidates = 100\nmax_ice_pairs = 100\n'


@pytest.fixture(scope="module")
def hostile_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    relay = start_media_relay(tmp_path_factory.mktemp("hostile-sdp"), EXTRA)
    yield relay
    relay.stop()


@pytest.fixture
async def mallory(hostile_relay: RunningRelay) -> AsyncIterator[Any]:
    from client.engine.call import ParleyClient

    name = hostile_relay.add_user()
    meeting = hostile_relay.create_meeting(name)
    client = ParleyClient(hostile_relay.server, fingerprint=hostile_relay.fingerprint)
    await client.connect()
    await client.sign_in(name, "correct horse", remember=False)
    await client.join(meeting)
    yield client
    await client.close()


class Listener(asyncio.DatagramProtocol):
    """A UDP port that notes whether anything (a STUN check) arrived."""

    def __init__(self) -> None:
        self.got = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.got.set()


async def _listeners(host: str, count: int) -> list[tuple[int, Listener, asyncio.DatagramTransport]]:
    loop = asyncio.get_running_loop()
    out = []
    for _ in range(count):
        transport, protocol = await loop.create_datagram_endpoint(Listener, local_addr=(host, 0))
        out.append((transport.get_extra_info("sockname")[1], protocol, transport))
    return out


async def _data_channel_offer() -> RTCPeerConnection:
    pc = peer.new_peer_connection()
    pc.createDataChannel("files")
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def test_ice_candidates_are_limited_to_allowed_networks_and_100_pairs(
    hostile_relay: RunningRelay, mallory: Any
) -> None:
    kept = await _listeners("127.0.0.1", 100)
    over = await _listeners("127.0.0.1", 40)
    outside = await _listeners("127.0.0.2", 20)
    pc = await _data_channel_offer()
    try:
        # Those the relay must never check have the highest priority: were they kept, aioice
        # would check them before the lowest-priority allowed one.
        top = 2130706431
        lines = [
            f"a=candidate:out{i} 1 udp {top - i} 127.0.0.2 {port} typ host" for i, (port, _, _) in enumerate(outside)
        ]
        lines += [
            f"a=candidate:ok{i} 1 udp {100000 - i} 127.0.0.1 {port} typ host" for i, (port, _, _) in enumerate(kept)
        ]
        lines += [
            f"a=candidate:over{i} 1 udp {top - 100 - i} 127.0.0.1 {port} typ host"
            for i, (port, _, _) in enumerate(over)
        ]
        sdp = re.sub(r"^a=candidate:.*\r\n", "", pc.localDescription.sdp, flags=re.M)  # no real path
        sdp = sdp.replace("a=end-of-candidates\r\n", "\r\n".join(lines) + "\r\na=end-of-candidates\r\n", 1)
        assert len(lines) == 160
        await mallory.request(m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp)))
        # The lowest-priority allowed candidate is checked last: once it is, every check was sent.
        await asyncio.wait_for(kept[-1][1].got.wait(), 30)
        assert all(p.got.is_set() for _, p, _ in kept[:10])
        assert not [port for port, p, _ in outside if p.got.is_set()], "checks sent outside the allowed networks"
        assert not [port for port, p, _ in over if p.got.is_set()], "checks sent beyond 100 candidate pairs"
        assert metric(hostile_relay, 'parley_ice_candidates_refused_total{reason="network"}') >= 20
        assert metric(hostile_relay, 'parley_ice_candidates_refused_total{reason="limit"}') >= 40
    finally:
        await pc.close()
        for _, _, transport in kept + over + outside:
            transport.close()


async def test_hundreds_of_data_channel_lines_are_a_bad_request(hostile_relay: RunningRelay, mallory: Any) -> None:
    pc = await _data_channel_offer()
    try:
        # ICE and DTLS attributes at session level, so 600 m-lines fit in one frame (38 KB).
        head, body = pc.localDescription.sdp.split("m=application", 1)
        session = [re.search(rf"a={key}:.*\r\n", body) for key in ("ice-ufrag", "ice-pwd", "fingerprint")]
        head += "".join(found.group(0) for found in session if found) + "a=setup:actpass\r\n"
        extra = "".join(f"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:{i}\r\n" for i in range(1, 600))
        sdp = head + "m=application" + body + extra
        assert len(sdp) < 64 * 1024
        with pytest.raises(BadRequest, match="m=application"):
            await mallory.request(m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp)))
        assert isinstance(await mallory.request(m.Ping(id=0)), m.Pong)
    finally:
        await pc.close()
    assert "Traceback" not in hostile_relay.log
