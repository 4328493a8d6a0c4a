"""Peer connections as Parley makes them, on both sides, and the codecs of their transceivers."""

from __future__ import annotations

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpTransceiver
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from shared.webrtc import ice


def new_peer_connection() -> RTCPeerConnection:
    """A connection for one direction of a call: MAX_BUNDLE (mic, camera, screen and data on one
    transport; with aiortc's default policy the third m-line is lost) and no public STUN server.
    ICE gathers on the addresses `ice.use_host_addresses` chose, or on ``PARLEY_ICE_ADDRESSES``
    when nothing was chosen yet in this process."""
    if not ice.host_addresses_chosen():
        ice.use_host_addresses()
    return RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))


def transceiver_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    """The codecs negotiated for ``transceiver`` (its answer uses these), after setRemoteDescription."""
    return transceiver._codecs


def set_transceiver_codecs(transceiver: RTCRtpTransceiver, codecs: list[RTCRtpCodecParameters]) -> None:
    """Narrow what ``transceiver`` answers with to ``codecs`` (after setRemoteDescription of an
    offer, before createAnswer): the relay keeps only the meeting's codec and its RTX."""
    transceiver._codecs = codecs
