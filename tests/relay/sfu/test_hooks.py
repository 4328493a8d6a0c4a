"""Every private aiortc / aioice / pylibsrtp name the relay relies on, checked against the installed
versions (aiortc is pinned to 1.16.*): an upgrade that moves one fails here, by name.

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
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCSessionDescription
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket

from client.engine import peer
from client.engine.media.sources import SyntheticVideoTrack
from relay.sfu import hooks, ice, rtp
from tests.media_fixtures import wait_until


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Any, Any]]:
    pub, sub = await connected_pair()
    yield pub, sub
    await pub.close()
    await sub.close()


async def connected_pair() -> tuple[Any, Any]:
    """A publisher (VP8 at 64x64) and a receiving connection, connected on 127.0.0.1."""
    peer.use_host_addresses(["127.0.0.1"])
    pub, sub = peer.new_peer_connection(), peer.new_peer_connection()
    transceiver = pub.addTransceiver(SyntheticVideoTrack(64, 64, 15), direction="sendonly")
    transceiver.setCodecPreferences(peer.video_codec_preferences())
    await pub.setLocalDescription(await pub.createOffer())
    await sub.setRemoteDescription(RTCSessionDescription(sdp=pub.localDescription.sdp, type="offer"))
    await sub.setLocalDescription(await sub.createAnswer())
    await pub.setRemoteDescription(RTCSessionDescription(sdp=sub.localDescription.sdp, type="answer"))
    await wait_until(lambda: pub.connectionState == "connected" and sub.connectionState == "connected", 10, "ICE")
    return pub, sub


def test_private_names_exist() -> None:
    """The names used by relay/sfu and client/engine/peer.py, on the installed classes."""
    import aiortc

    assert aiortc.__version__.startswith("1.16."), aiortc.__version__
    for name in ("_handle_rtp_data", "_handle_rtcp_data", "_send_rtp", "_recv_next"):
        assert callable(getattr(RTCDtlsTransport, name)), name
    for name in ("_handle_rtp_packet", "_send_rtcp", "_send_rtcp_pli", "_send_rtcp_nack"):
        assert callable(getattr(RTCRtpReceiver, name)), name
    for name in ("send", "_handle_rtcp_packet", "_send_keyframe"):
        assert callable(getattr(RTCRtpSender, name)), name
    assert hasattr(hooks.CONNECTED, "name")
    assert "_HeaderExtensionsMap__ids" in vars(HeaderExtensionsMap())
    assert set(hooks.EXTENSION_FIELDS) == set(HeaderExtensions.__dataclass_fields__)
    assert callable(StreamStatistics(90000).add)
    assert JitterBuffer(capacity=16, prefetch=0)._prefetch == 0  # type: ignore[attr-defined]
    assert callable(aioice.ice.get_host_addresses) and callable(aioice.ice.StunProtocol.send_data)
    assert pylibsrtp.SRTP_MAX_TRAILER_LEN > 0


async def test_receiver_and_sender_private_state(pair: tuple[Any, Any]) -> None:
    pub, sub = pair
    receiver = sub.getTransceivers()[0].receiver
    sender = pub.getTransceivers()[0].sender
    for name in ("rtx_ssrc", "codecs", "nack_generator", "remote_streams", "remote_bitrate_estimator", "rtcp_ssrc"):
        assert hasattr(receiver, f"_RTCRtpReceiver__{name}"), name
    assert receiver._RTCRtpReceiver__kind == "video"
    assert isinstance(receiver._RTCRtpReceiver__jitter_buffer, JitterBuffer)
    assert isinstance(sender._ssrc, int) and isinstance(sender._rtx_ssrc, int)
    assert sender._stream_id and sender._track_id
    assert pub.getTransceivers()[0]._codecs
    dtls = receiver.transport
    assert dtls._tx_srtp is not None and dtls._rx_srtp is not None
    assert dtls.transport._connection._nominated[1].remote_addr
    assert isinstance(dtls._rtp_header_extensions_map, HeaderExtensionsMap)
    assert callable(dtls._rtp_router.route_rtp) and isinstance(dtls._rtp_router.ssrc_table, dict)


async def test_ingress_hook_hands_over_packet_and_raw_bytes(pair: tuple[Any, Any]) -> None:
    _, sub = pair
    receiver = sub.getTransceivers()[0].receiver
    dtls = receiver.transport
    got: list[tuple[RtpPacket, bytes]] = []

    async def forward(packet: RtpPacket, raw: bytes) -> None:
        got.append((packet, raw))

    hooks.hook_ingress(dtls)
    hooks.hook_ingress(dtls)  # idempotent
    receiver._parley_forward = forward
    await wait_until(lambda: len(got) >= 20, 10, "packets at the hook")
    ext = dtls._rtp_header_extensions_map
    for packet, raw in got:
        again = RtpPacket.parse(raw, ext)
        assert (again.ssrc, again.sequence_number) == (packet.ssrc, packet.sequence_number)
        assert again.payload == packet.payload
    ids = hooks.transport_extension_ids(dtls)
    assert ids.mid is not None  # aiortc negotiates the mid extension: the relay must drop it
    # Without _parley_forward the receiver gets packets the usual way again.
    del receiver._parley_forward
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

    hooks.hook_ingress(receiver.transport)
    receiver._parley_forward = forward
    egress = hooks.Egress(sender)
    pt = pub.getTransceivers()[0]._codecs[0].payloadType
    sent = []
    for seq in range(10):
        packet = RtpPacket(payload_type=pt, sequence_number=40000 + seq, timestamp=seq, ssrc=sender._ssrc)
        packet.payload = b"parley-egress" + os.urandom(20)
        data = packet.serialize()
        assert egress.send(data)  # returns without awaiting anything
        sent.append(data)
    await wait_until(lambda: len(got) == 10, 5, "egress packets to arrive")
    assert got == sent
    await pub.close()
    assert not egress.send(sent[0])  # a closed transport: refused, no exception


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
    hooks.route_rtx(receiver)
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
    fast = hooks.fast_protect(sessions[0])
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
    ids = hooks.extension_ids(ext_map)
    params = RTCRtpParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=4, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
        ]
    )
    ext_map.configure(params)
    assert hooks.ids_key(ids)[:2] == (4, 2)  # the same object, reconfigured in place
    assert rtp.extension_table({"mid": 4, "abs_send_time": 2}, {"abs_send_time": 7})[2] == 7
