"""Every private aiortc / aioice / pylibsrtp name `shared.webrtc` uses, checked against the installed
versions (aiortc is pinned to 1.16.*): an upgrade that moves one fails here, by name.

`PINNED` lists them by owner; the first test checks that it is exactly what the package spells (read
from its sources with the same rules as tests/test_structure_webrtc.py), the second that each
exists on real objects of this process (a connected media pair and a data channel pair on
127.0.0.1), and the third that the benchmark fakes (`shared.webrtc.fakes`) carry no name the real
objects lack.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aioice.ice
import pylibsrtp
import pytest
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtcsctptransport import DataChunk
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap

import shared.webrtc
from shared.webrtc import egress, extensions, fakes
from shared.webrtc.sctp import watch_chunks
from tests.shared.webrtc import private_names
from tests.shared.webrtc.pairs import channel_pair, connected_pair

PINNED: dict[str, tuple[str, ...]] = {
    "RTCRtpReceiver": (
        "_RTCRtpReceiver__kind",
        "_RTCRtpReceiver__codecs",
        "_RTCRtpReceiver__rtx_ssrc",
        "_RTCRtpReceiver__nack_generator",
        "_RTCRtpReceiver__remote_streams",
        "_RTCRtpReceiver__remote_bitrate_estimator",
        "_RTCRtpReceiver__rtcp_ssrc",
        "_RTCRtpReceiver__jitter_buffer",
        "_handle_rtp_packet",
        "_send_rtcp",
        "_send_rtcp_pli",
        "_send_rtcp_nack",
    ),
    "RTCRtpSender": (
        "_ssrc",
        "_rtx_ssrc",
        "_stream_id",
        "_track_id",
        "_handle_rtcp_packet",
        "_send_keyframe",
        "_RTCRtpSender__encoder",
    ),
    "RemoteStreamTrack": ("_queue",),
    "RTCRtpTransceiver": ("_codecs",),
    "RTCDtlsTransport": (
        "_handle_rtp_data",
        "_rtp_router",
        "_rtp_header_extensions_map",
        "_state",
        "_tx_srtp",
        "_send_rtp",
    ),
    "RTCIceTransport": ("_connection",),
    "aioice.ice.Connection": ("_nominated", "_protocols"),
    "HeaderExtensionsMap": ("_HeaderExtensionsMap__ids",),
    "JitterBuffer": ("_origin", "_prefetch"),
    "pylibsrtp.Session": ("_cdata", "_buffer", "_srtp"),
    "pylibsrtp": ("_binding",),
    "RTCSctpTransport": (
        "_send_sack",
        "_sack_needed",
        "_sack_misordered",
        "_sack_duplicates",
        "_transmit",
        "_outbound_queue",
        "_flight_size",
        "_fast_recovery_exit",
        "_cwnd",
        "_ssthresh",
        "_sent_queue",
        "_last_sacked_tsn",
        "_receive_sack_chunk",
        "_get_inbound_stream",
        "_inbound_streams",
        "_send_chunk",
        "_receive_chunk",
        "_data_channels",
    ),
    "DataChunk": ("_acked", "_book_size"),
}


@pytest.fixture
async def live() -> AsyncIterator[dict[str, Any]]:
    """One real object per owner in `PINNED`, from connections in this process."""
    pub, sub = await connected_pair()
    a, b, channel, received = await channel_pair()
    try:
        chunks: list[DataChunk] = []
        watch_chunks(a.sctp, sent=lambda chunk: chunks.append(chunk) if isinstance(chunk, DataChunk) else None)
        channel.send(os.urandom(5000))
        await asyncio.wait_for(received.get(), 10)
        receiver = sub.getTransceivers()[0].receiver
        dtls = receiver.transport
        yield {
            "RTCRtpReceiver": receiver,
            "RTCRtpSender": pub.getTransceivers()[0].sender,
            "RemoteStreamTrack": receiver.track,
            "RTCRtpTransceiver": pub.getTransceivers()[0],
            "RTCDtlsTransport": dtls,
            "RTCIceTransport": dtls.transport,
            "aioice.ice.Connection": dtls.transport._connection,
            "HeaderExtensionsMap": dtls._rtp_header_extensions_map,
            "JitterBuffer": JitterBuffer(capacity=16, prefetch=0),
            "pylibsrtp.Session": dtls._tx_srtp,
            "pylibsrtp": pylibsrtp,
            "RTCSctpTransport": a.sctp,
            "DataChunk": chunks[0],
        }
    finally:
        for pc in (pub, sub, a, b):
            await pc.close()


def test_pinned_is_exactly_what_the_package_spells() -> None:
    used = private_names.package_names()
    pinned = [name for names in PINNED.values() for name in names]
    assert len(pinned) == len(set(pinned)), "a name is pinned twice"
    unpinned = {name: [str(u) for u in where] for name, where in used.items() if name not in pinned}
    assert not unpinned, f"shared/webrtc uses private names nobody pins here: {unpinned}"
    unused = sorted(set(pinned) - set(used))
    assert not unused, f"pinned here but no longer used by shared/webrtc (remove them): {unused}"


async def test_every_pinned_name_exists_on_the_installed_libraries(live: dict[str, Any]) -> None:
    import aiortc

    missing = [f"{owner}.{name}" for owner, names in PINNED.items() for name in names if not hasattr(live[owner], name)]
    versions = f"aiortc {aiortc.__version__}, aioice {aioice.__version__}, pylibsrtp {pylibsrtp.__version__}"
    assert not missing, f"gone in {versions}: {', '.join(missing)}"


def _compare(fake: SimpleNamespace, real: object, where: str) -> list[str]:
    wrong = []
    for name, value in vars(fake).items():
        if not hasattr(real, name):
            wrong.append(f"{where}.{name}")
        elif isinstance(value, SimpleNamespace):
            wrong += _compare(value, getattr(real, name), f"{where}.{name}")
    return wrong


async def test_fakes_have_no_name_the_real_objects_lack(live: dict[str, Any]) -> None:
    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    receiver = fakes.publish_receiver([codec], HeaderExtensionsMap())
    sender, udp = await fakes.subscribe_sender(1, 2, ("127.0.0.1", 9))
    try:
        pair = live["aioice.ice.Connection"]._nominated[1]
        wrong = _compare(receiver, live["RTCRtpReceiver"], "receiver")  # type: ignore[arg-type]
        wrong += _compare(sender, live["RTCRtpSender"], "sender")  # type: ignore[arg-type]
        wrong += _compare(sender.transport.transport._connection._nominated[1], pair, "nominated pair")
        assert not wrong, f"the fakes have names the real objects lack: {wrong}"
    finally:
        udp.close()


def test_private_names_exist() -> None:
    """The names shared/webrtc relies on, on the installed classes."""
    import aiortc

    assert aiortc.__version__.startswith(shared.webrtc.AIORTC_SERIES), aiortc.__version__
    assert aiortc.__version__.startswith("1.16."), aiortc.__version__
    for name in ("_handle_rtp_data", "_handle_rtcp_data", "_send_rtp", "_recv_next"):
        assert callable(getattr(RTCDtlsTransport, name)), name
    for name in ("_handle_rtp_packet", "_send_rtcp", "_send_rtcp_pli", "_send_rtcp_nack"):
        assert callable(getattr(RTCRtpReceiver, name)), name
    for name in ("send", "_handle_rtcp_packet", "_send_keyframe"):
        assert callable(getattr(RTCRtpSender, name)), name
    assert hasattr(egress.CONNECTED, "name")
    assert "_HeaderExtensionsMap__ids" in vars(HeaderExtensionsMap())
    assert set(extensions.EXTENSION_FIELDS) == set(HeaderExtensions.__dataclass_fields__)
    assert callable(StreamStatistics(90000).add)
    assert JitterBuffer(capacity=16, prefetch=0)._prefetch == 0  # type: ignore[attr-defined]
    assert callable(aioice.ice.get_host_addresses) and callable(aioice.ice.StunProtocol.send_data)
    assert pylibsrtp.SRTP_MAX_TRAILER_LEN > 0
    from pylibsrtp._binding import ffi, lib

    assert callable(lib.srtp_protect) and callable(ffi.new) and callable(ffi.buffer)


async def test_receiver_and_sender_private_state(live: dict[str, Any]) -> None:
    receiver, sender = live["RTCRtpReceiver"], live["RTCRtpSender"]
    for name in ("rtx_ssrc", "codecs", "nack_generator", "remote_streams", "remote_bitrate_estimator", "rtcp_ssrc"):
        assert hasattr(receiver, f"_RTCRtpReceiver__{name}"), name
    assert receiver._RTCRtpReceiver__kind == "video"
    assert isinstance(receiver._RTCRtpReceiver__jitter_buffer, JitterBuffer)
    assert isinstance(sender._ssrc, int) and isinstance(sender._rtx_ssrc, int)
    assert sender._stream_id and sender._track_id
    assert live["RTCRtpTransceiver"]._codecs
    dtls = receiver.transport
    assert dtls._tx_srtp is not None and dtls._rx_srtp is not None
    assert dtls.transport._connection._nominated[1].remote_addr
    assert isinstance(dtls._rtp_header_extensions_map, HeaderExtensionsMap)
    assert callable(dtls._rtp_router.route_rtp) and isinstance(dtls._rtp_router.ssrc_table, dict)
