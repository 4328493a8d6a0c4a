"""Peer connections as Parley uses them: MAX_BUNDLE, no public STUN, pinned DTLS fingerprints.

Also the two aiortc adjustments the client needs (pinned to aiortc 1.16, covered by tests): ICE
host candidates on configurable addresses including loopback, and no 80 ms audio prefetch.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from typing import Any

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcrtpsender import RTCRtpSender

_FINGERPRINT = re.compile(r"^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$", re.MULTILINE)
_original_host_addresses: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
_addresses: list[str] = []


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _addresses:
        return [
            a
            for a in _addresses
            if (ipaddress.ip_address(a).version == 4 and use_ipv4)
            or (ipaddress.ip_address(a).version == 6 and use_ipv6)
        ]
    found = _original_host_addresses(use_ipv4, use_ipv6)
    if use_ipv4 and "127.0.0.1" not in found:
        found.append("127.0.0.1")  # aioice leaves loopback out; a relay on this machine needs it
    return found


def use_host_addresses(addresses: list[str] | None = None) -> None:
    """Gather ICE host candidates on ``addresses`` (default: ``PARLEY_ICE_ADDRESSES``, a comma
    list; empty means every interface address plus 127.0.0.1)."""
    if addresses is None:
        addresses = [a.strip() for a in os.environ.get("PARLEY_ICE_ADDRESSES", "").split(",") if a.strip()]
    for address in addresses:
        ipaddress.ip_address(address)
    _addresses[:] = addresses
    aioice.ice.get_host_addresses = _host_addresses


def new_peer_connection() -> RTCPeerConnection:
    """A connection for one direction of a call: everything on one transport, no STUN server."""
    if aioice.ice.get_host_addresses is not _host_addresses:
        use_host_addresses()
    return RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))


def sdp_fingerprint(sdp: str) -> str:
    """The DTLS fingerprint of an SDP, as ``"sha-256 AB:CD:..."`` ('' when there is none)."""
    found = _FINGERPRINT.search(sdp)
    return f"{found.group(1)} {found.group(2)}" if found else ""


def remove_audio_prefetch(receiver: Any) -> None:
    """aiortc holds 4 packets (80 ms) of audio before decoding; play as soon as packets arrive."""
    if getattr(receiver, "_RTCRtpReceiver__kind", None) == "audio":
        receiver._RTCRtpReceiver__jitter_buffer = JitterBuffer(capacity=16, prefetch=0)


def route_rtx(pc: Any) -> None:
    """Let each receiver of ``pc`` get its retransmissions (call after setRemoteDescription).

    aiortc's RtpRouter registers primary SSRCs only and routes an unknown SSRC by payload type,
    which fails as soon as two video m-lines share the RTX payload type (always, with BUNDLE), so
    RTX from the relay was dropped and lost packets never repaired. The RTX SSRCs are known once
    aiortc starts the receiver (``receive(parameters)``), so they are registered then.
    """
    for transceiver in pc.getTransceivers():
        _route_rtx(transceiver.receiver)


def _route_rtx(receiver: Any) -> None:
    def register() -> None:
        if receiver.transport is not None:
            for rtx_ssrc in receiver._RTCRtpReceiver__rtx_ssrc:
                receiver.transport._rtp_router.ssrc_table[rtx_ssrc] = receiver

    if not getattr(receiver, "_parley_rtx", False):
        original = receiver.receive

        async def receive(parameters: Any) -> None:
            await original(parameters)
            register()

        receiver.receive = receive
        receiver._parley_rtx = True
    register()


def video_codec_preferences() -> list[Any]:
    """VP8 and H.264 (the relay picks the meeting's), each with RTX."""
    caps = RTCRtpSender.getCapabilities("video").codecs
    order = {"video/vp8": 0, "video/h264": 1, "video/rtx": 2}
    return sorted((c for c in caps if c.mimeType.lower() in order), key=lambda c: order[c.mimeType.lower()])
