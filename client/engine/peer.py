"""Peer connections as Parley uses them: MAX_BUNDLE, no public STUN, pinned DTLS fingerprints.

The aiortc adjustments behind them (ICE host candidates on configurable addresses including
loopback, no 80 ms audio prefetch, RTX routing) live in `shared.webrtc`, shared with the relay.
"""

from __future__ import annotations

import re
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.rtcrtpsender import RTCRtpSender

from shared.webrtc import receiver
from shared.webrtc.ice import use_host_addresses
from shared.webrtc.nack import watch_losses
from shared.webrtc.peerconnection import new_peer_connection
from shared.webrtc.receiver import remove_audio_prefetch

__all__ = [
    "ice_ufrag",
    "new_peer_connection",
    "remove_audio_prefetch",
    "route_rtx",
    "sdp_fingerprint",
    "use_host_addresses",
    "video_codec_preferences",
    "watch_losses",
]

_FINGERPRINT = re.compile(r"^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$", re.MULTILINE)
_UFRAG = re.compile(r"^a=ice-ufrag:(\S+)\s*$", re.MULTILINE)


def sdp_fingerprint(sdp: str) -> str:
    """The DTLS fingerprint of an SDP, as ``"sha-256 AB:CD:..."`` ('' when there is none)."""
    found = _FINGERPRINT.search(sdp)
    return f"{found.group(1)} {found.group(2)}" if found else ""


def ice_ufrag(sdp: str) -> str:
    """The SDP's ICE username fragment ('' when none): aiortc has no ICE restart, so another
    fragment means another connection."""
    found = _UFRAG.search(sdp)
    return found.group(1) if found else ""


def route_rtx(pc: RTCPeerConnection) -> None:
    """Let each receiver of ``pc`` get its retransmissions (call after setRemoteDescription);
    see `shared.webrtc.receiver.route_rtx`."""
    for transceiver in pc.getTransceivers():
        receiver.route_rtx(transceiver.receiver)


def video_codec_preferences() -> list[Any]:
    """VP8 and H.264 (the relay picks the meeting's), each with RTX."""
    caps = RTCRtpSender.getCapabilities("video").codecs
    order = {"video/vp8": 0, "video/h264": 1, "video/rtx": 2}
    return sorted((c for c in caps if c.mimeType.lower() in order), key=lambda c: order[c.mimeType.lower()])
