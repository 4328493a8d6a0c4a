"""Stand-ins for aiortc's objects with exactly the private attributes this package reads, for
benchmarks of the relay's forwarding with no connection behind it (bench/forwarding_micro.py).

tests/shared/webrtc/test_pinned_names.py checks that the real objects have every name these
fakes have, so a fake cannot keep a name aiortc dropped.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import aioice.ice
import pylibsrtp
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import HeaderExtensionsMap

from shared.webrtc.egress import CONNECTED


async def _nothing(*args: Any) -> None:
    return None


def publish_receiver(
    codecs: Sequence[RTCRtpCodecParameters], extensions: HeaderExtensionsMap, *, rtcp_ssrc: int = 1
) -> RTCRtpReceiver:
    """A started video receiver of a publish connection (NACK generator, no RTX) whose transport
    parses RTP with ``extensions``."""
    transport = SimpleNamespace(
        _rtp_router=SimpleNamespace(ssrc_table={}),
        _rtp_header_extensions_map=extensions,
    )
    fake = SimpleNamespace(
        _RTCRtpReceiver__kind="video",
        _RTCRtpReceiver__rtx_ssrc={},
        _RTCRtpReceiver__codecs={c.payloadType: c for c in codecs},
        _RTCRtpReceiver__nack_generator=NackGenerator(),
        _RTCRtpReceiver__remote_streams={},
        _RTCRtpReceiver__remote_bitrate_estimator=None,
        _RTCRtpReceiver__rtcp_ssrc=rtcp_ssrc,
        _handle_rtp_packet=_nothing,
        _send_rtcp=_nothing,
        _send_rtcp_pli=_nothing,
        _send_rtcp_nack=_nothing,
        transport=transport,
        receive=_nothing,
    )
    return cast(RTCRtpReceiver, fake)


class _DetachedProtocol(aioice.ice.StunProtocol):
    """aioice's UDP protocol (what `Egress` sends through), without an ICE connection behind it."""

    def __init__(self) -> None:
        super().__init__(None)  # type: ignore[arg-type]  # no Connection: nothing is received

    def connection_lost(self, exc: Exception | None) -> None:
        pass


async def subscribe_sender(
    ssrc: int, rtx_ssrc: int, remote_addr: tuple[str, int]
) -> tuple[RTCRtpSender, asyncio.DatagramTransport]:
    """A connected sender of a subscribe connection whose nominated ICE pair sends from a new UDP
    socket on 127.0.0.1 to ``remote_addr``, SRTP-protected with a random key. Returns the sender
    and that socket's transport (close it when done)."""
    loop = asyncio.get_running_loop()
    udp, protocol = await loop.create_datagram_endpoint(_DetachedProtocol, local_addr=("127.0.0.1", 0))
    policy = pylibsrtp.Policy(key=os.urandom(30), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    pair = SimpleNamespace(protocol=protocol, remote_addr=remote_addr)
    dtls = SimpleNamespace(
        _state=CONNECTED,
        _tx_srtp=pylibsrtp.Session(policy),
        transport=SimpleNamespace(_connection=SimpleNamespace(_nominated={1: pair})),
    )
    fake = SimpleNamespace(
        send=_nothing,
        _handle_rtcp_packet=_nothing,
        _send_keyframe=lambda: None,
        _ssrc=ssrc,
        _rtx_ssrc=rtx_ssrc,
        _stream_id="",
        _track_id="",
        transport=dtls,
    )
    return cast(RTCRtpSender, fake), udp
