"""An RTCRtpSender's private state and hooks, typed.

The relay keeps aiortc's sender on each subscribe m-line for SDP and RTCP but sends the RTP
itself, so it takes over what the sender does with feedback (`hook_subscribe_sender`): NACKs are
answered from the relay's own history, keyframe requests go upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from aiortc import RTCRtpSender
from aiortc.codecs.base import Encoder
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import AnyRtcpPacket


class RtcpHandler(Protocol):
    """``async handler(packet)``, as aiortc's transport calls it."""

    def __call__(self, packet: AnyRtcpPacket) -> Coroutine[Any, Any, None]: ...


_ENCODER = "_RTCRtpSender__encoder"


def ssrcs(sender: RTCRtpSender) -> tuple[int, int]:
    """(SSRC, RTX SSRC) the sender announces in SDP and sends RTP from."""
    return sender._ssrc, sender._rtx_ssrc


def label(sender: RTCRtpSender, stream_id: str, track_id: str) -> None:
    """Set the m-line's msid (aiortc gives every sender of a connection one stream id) before
    the next offer, so the other side can tell whose track it is."""
    sender._stream_id = stream_id
    sender._track_id = track_id


def msid(sender: RTCRtpSender) -> tuple[str, str]:
    """(stream id, track id) of the sender's m-line."""
    return sender._stream_id, sender._track_id


def rtcp_handler(sender: RTCRtpSender) -> RtcpHandler:
    """What handles each RTCP packet routed to ``sender`` (NACK -> retransmit, PLI, REMB, RR)."""
    return sender._handle_rtcp_packet


def set_rtcp_handler(sender: RTCRtpSender, handler: RtcpHandler) -> None:
    """Replace, on this sender only, what handles its RTCP (get the previous one first with
    `rtcp_handler` to wrap it)."""
    sender._handle_rtcp_packet = handler  # type: ignore[method-assign]  # per instance, on purpose


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` instead of flagging the encoder when the remote asks this sender for a
    keyframe (PLI/FIR)."""
    sender._send_keyframe = callback  # type: ignore[method-assign]  # per instance, on purpose


def hook_subscribe_sender(
    sender: RTCRtpSender,
    *,
    configure: Callable[[RTCRtpSendParameters], None],
    on_rtcp: Callable[[AnyRtcpPacket], Coroutine[Any, Any, bool]],
    keyframe_requested: Callable[[], None],
) -> None:
    """Take over a relay sender that never encodes: ``configure(parameters)`` each time aiortc
    starts it with negotiated parameters; ``on_rtcp(packet)`` first for each RTCP packet (True:
    handled, aiortc's sender never sees it); ``keyframe_requested()`` for PLI/FIR that reach
    aiortc's sender."""
    original_send = sender.send
    original_rtcp = sender._handle_rtcp_packet

    async def send(parameters: RTCRtpSendParameters) -> None:
        configure(parameters)
        await original_send(parameters)

    async def handle_rtcp(packet: AnyRtcpPacket) -> None:
        if not await on_rtcp(packet):
            await original_rtcp(packet)

    sender.send = send  # type: ignore[method-assign]  # per instance, on purpose
    set_rtcp_handler(sender, handle_rtcp)
    on_keyframe_request(sender, keyframe_requested)


def encoder(sender: RTCRtpSender) -> Encoder | None:
    """The sender's encoder (None until it encoded a frame), e.g. to read its target bitrate."""
    value: Encoder | None = vars(sender)[_ENCODER]
    return value


def watch_received_rtcp(on_packet: Callable[[RTCRtpSender, AnyRtcpPacket], None]) -> Callable[[], None]:
    """For tests and benchmarks: call ``on_packet(sender, packet)`` for each RTCP packet any sender
    of this process handles (NACK, PLI, REMB, ...). Returns the undo."""
    handle = RTCRtpSender._handle_rtcp_packet

    async def handle_rtcp(self: RTCRtpSender, packet: AnyRtcpPacket) -> None:
        on_packet(self, packet)
        await handle(self, packet)

    RTCRtpSender._handle_rtcp_packet = handle_rtcp  # type: ignore[method-assign]  # process-wide, until undone

    def undo() -> None:
        RTCRtpSender._handle_rtcp_packet = handle  # type: ignore[method-assign]

    return undo
