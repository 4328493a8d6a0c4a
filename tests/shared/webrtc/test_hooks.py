"""The forwarding hooks of `shared.webrtc` on real aiortc objects: ingress, egress, RTX routing,
the ICE host-address choice, header-extension ids (the names themselves: test_pinned_names.py).

Two real peer connections in this process, on loopback: the publisher's packets are taken at the
DTLS transport by `hook_ingress` (decrypted packet + raw bytes), and `Egress` sends bytes that the
other side decrypts and routes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import aioice.ice
import pylibsrtp
import pytest
from aiortc import RTCRtpReceiver
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from client.engine import peer
from relay.sfu import rtp
from shared.webrtc import egress, extensions, ice, ingress
from shared.webrtc import receiver as receivers
from shared.webrtc import sender as senders
from shared.webrtc.peerconnection import transceiver_codecs
from tests.media_fixtures import wait_until
from tests.shared.webrtc.pairs import connected_pair


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Any, Any]]:
    pub, sub = await connected_pair()
    yield pub, sub
    await pub.close()
    await sub.close()


async def test_ingress_hook_hands_over_packet_and_raw_bytes(pair: tuple[Any, Any]) -> None:
    _, sub = pair
    receiver = sub.getTransceivers()[0].receiver
    dtls = receiver.transport
    got: list[tuple[RtpPacket, bytes]] = []

    async def forward(packet: RtpPacket, raw: bytes) -> None:
        got.append((packet, raw))

    ingress.hook_ingress(dtls)
    ingress.hook_ingress(dtls)  # idempotent
    ingress.set_forward(receiver, forward)
    await wait_until(lambda: len(got) >= 20, 10, "packets at the hook")
    ext = extensions.transport_extension_map(dtls)
    for packet, raw in got:
        again = RtpPacket.parse(raw, ext)
        assert (again.ssrc, again.sequence_number) == (packet.ssrc, packet.sequence_number)
        assert again.payload == packet.payload
    ids = extensions.transport_extension_ids(dtls)
    assert ids.mid is not None  # aiortc negotiates the mid extension: the relay must drop it
    # Without a forward function the receiver gets packets the usual way again.
    ingress.set_forward(receiver, None)
    count = len(got)
    frame = await asyncio.wait_for(receiver.track.recv(), 10)
    assert frame.width == 64 and len(got) == count


async def test_egress_sends_synchronously_and_the_other_side_decrypts(pair: tuple[Any, Any]) -> None:
    pub, sub = pair
    sender = pub.getTransceivers()[0].sender
    receiver = sub.getTransceivers()[0].receiver
    got: list[bytes] = []

    async def forward(packet: RtpPacket, raw: bytes) -> None:
        if packet.payload.startswith(b"parley-egress"):
            got.append(raw)

    ingress.hook_ingress(receiver.transport)
    ingress.set_forward(receiver, forward)
    out = egress.Egress(sender)
    pt = transceiver_codecs(pub.getTransceivers()[0])[0].payloadType
    sent = []
    for seq in range(10):
        packet = RtpPacket(payload_type=pt, sequence_number=40000 + seq, timestamp=seq, ssrc=senders.ssrcs(sender)[0])
        packet.payload = b"parley-egress" + os.urandom(20)
        data = packet.serialize()
        assert out.send(data)  # returns without awaiting anything
        sent.append(data)
    await wait_until(lambda: len(got) == 10, 5, "egress packets to arrive")
    assert got == sent
    await pub.close()
    assert not out.send(sent[0])  # a closed transport: refused, no exception


def test_egress_under_uvloop() -> None:
    """The relay runs on uvloop, whose UDP transports are not asyncio's."""
    import uvloop

    async def run() -> None:
        pub, sub = await connected_pair()
        await test_egress_sends_synchronously_and_the_other_side_decrypts((pub, sub))
        await sub.close()

    uvloop.run(run())


async def test_rtx_ssrcs_are_routed_to_their_receiver(pair: tuple[Any, Any]) -> None:
    """aiortc's router knows primary SSRCs only; relay and client register the RTX ones."""
    _, sub = pair
    receiver = sub.getTransceivers()[0].receiver
    router = receiver.transport._rtp_router
    rtx = dict(receiver._RTCRtpReceiver__rtx_ssrc)
    assert rtx, "the publisher's SDP announces an RTX SSRC (ssrc-group FID)"
    for rtx_ssrc in rtx:
        router.ssrc_table.pop(rtx_ssrc, None)
    receivers.route_rtx(receiver)
    assert all(router.ssrc_table[s] is receiver for s in rtx)
    for rtx_ssrc in rtx:
        router.ssrc_table.pop(rtx_ssrc, None)
    peer.route_rtx(sub)
    assert all(router.ssrc_table[s] is receiver for s in rtx)
    # Both wrap receive() (public in aiortc) once, to register again when aiortc (re)starts the
    # receiver, which is when it learns the RTX SSRCs.
    assert receiver._parley_rtx and "receive" in vars(receiver)
    assert callable(RTCRtpReceiver.receive)


def test_fast_protect_matches_pylibsrtp() -> None:
    key = os.urandom(30)
    sessions = []
    for _ in range(2):
        policy = pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
        policy.allow_repeat_tx = True
        sessions.append(pylibsrtp.Session(policy))
    fast = egress.fast_protect(sessions[0])
    for seq in range(5):
        packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 3000, ssrc=1234)
        packet.payload = os.urandom(1000)
        data = packet.serialize()
        assert fast(data) == sessions[1].protect(data)
    with pytest.raises(ValueError):
        fast(bytes(1500))


def test_ice_host_addresses_hook() -> None:
    ice.use_host_addresses(["127.0.0.1"])
    assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
    ice.use_host_addresses([])
    assert "127.0.0.1" in aioice.ice.get_host_addresses(True, False)


def test_extension_ids_follow_configure() -> None:
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters

    ext_map = HeaderExtensionsMap()
    ids = extensions.extension_ids(ext_map)
    params = RTCRtpParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=4, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
        ]
    )
    ext_map.configure(params)
    assert extensions.ids_key(ids)[:2] == (4, 2)  # the same object, reconfigured in place
    assert rtp.extension_table({"mid": 4, "abs_send_time": 2}, {"abs_send_time": 7})[2] == 7
