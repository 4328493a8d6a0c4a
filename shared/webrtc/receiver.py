"""An RTCRtpReceiver's private state and hooks, typed.

aiortc keeps a receiver's state in name-mangled attributes (``self.__codecs`` is stored as
``_RTCRtpReceiver__codecs``), which mypy does not see; they are read here through ``vars()`` into
annotated names. Each accessor returns aiortc's own live object (a dict it keeps filling, the
generator it uses), so a caller can bind it once and read it per packet at no extra cost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from aiortc import MediaStreamTrack, RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import AnyRtcpPacket, RtpPacket


class RtpHandler(Protocol):
    """``async handler(packet, arrival_time_ms)``, as aiortc's transport calls it."""

    def __call__(self, packet: RtpPacket, arrival_time_ms: int) -> Coroutine[Any, Any, None]: ...


NackSender = Callable[[int, list[int]], Coroutine[Any, Any, None]]

_KIND = "_RTCRtpReceiver__kind"
_CODECS = "_RTCRtpReceiver__codecs"
_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
_NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"
_REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
_REMOTE_BITRATE_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"
_RTCP_SSRC = "_RTCRtpReceiver__rtcp_ssrc"
_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
_TRACK_QUEUE = "_queue"  # RemoteStreamTrack's decoded frames

Frame = TypeVar("Frame")


def kind(receiver: RTCRtpReceiver) -> str:
    """The receiver's media kind, "audio" or "video" (aiortc does not expose it)."""
    value: str = vars(receiver)[_KIND]
    return value


def codecs(receiver: RTCRtpReceiver) -> dict[int, RTCRtpCodecParameters]:
    """The receiver's codecs by payload type (filled when aiortc starts it), live."""
    value: dict[int, RTCRtpCodecParameters] = vars(receiver)[_CODECS]
    return value


def rtx_ssrcs(receiver: RTCRtpReceiver) -> dict[int, int]:
    """RTX SSRC -> the SSRC it repairs, as learned from the remote SDP (filled on start), live."""
    value: dict[int, int] = vars(receiver)[_RTX_SSRC]
    return value


def nack_generator(receiver: RTCRtpReceiver) -> NackGenerator | None:
    """The receiver's loss tracker (None for audio, which aiortc does not NACK)."""
    value: NackGenerator | None = vars(receiver)[_NACK_GENERATOR]
    return value


def remote_streams(receiver: RTCRtpReceiver) -> dict[int, StreamStatistics]:
    """Per remote SSRC reception statistics (what the receiver reports in RTCP), live."""
    value: dict[int, StreamStatistics] = vars(receiver)[_REMOTE_STREAMS]
    return value


def rtcp_ssrc(receiver: RTCRtpReceiver) -> int | None:
    """The SSRC this receiver's RTCP is sent from (None until the connection set one)."""
    value: int | None = vars(receiver)[_RTCP_SSRC]
    return value


def disable_remb_estimator(receiver: RTCRtpReceiver) -> None:
    """Stop the receiver's own REMB: it only sees its own SSRC, so with camera and screen from one
    publisher each estimate starves the other (the relay sends its own)."""
    vars(receiver)[_REMOTE_BITRATE_ESTIMATOR] = None


class AudioJitterBuffer(JitterBuffer):
    """Audio as it comes: each packet (one Opus frame) goes to the decoder when it arrives; a
    duplicate or a packet older than one already handed on is dropped.

    aiortc's buffer (even without prefetch) releases a frame only when the next one is there and
    in order: one lost packet stalled audio until 16 packets (320 ms) had piled up behind it, and
    those 300 ms stayed as added delay. Here a loss is a 20 ms hole for the decoder to conceal.
    """

    RESTART = 100  # a jump back this far is a restarted stream, not a late packet

    def __init__(self) -> None:
        super().__init__(capacity=16, prefetch=0)
        self.last: int | None = None
        self.late = 0

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        seq = packet.sequence_number
        if self.last is not None:
            back = (self.last - seq) & 0xFFFF
            if back < self.RESTART:  # a duplicate (0) or late: its moment has passed
                self.late += 1
                return False, None
        self.last = seq
        return False, JitterFrame(data=packet.payload, timestamp=packet.timestamp)  # Opus: no depayloading


def remove_audio_prefetch(receiver: RTCRtpReceiver) -> None:
    """aiortc holds 4 packets (80 ms) of audio before decoding, and stalls on a lost packet: play
    each packet as soon as it arrives (`AudioJitterBuffer`). Idempotent."""
    if vars(receiver).get(_KIND) == "audio" and not isinstance(vars(receiver)[_JITTER_BUFFER], AudioJitterBuffer):
        vars(receiver)[_JITTER_BUFFER] = AudioJitterBuffer()


def jitter_buffer_prefetch(receiver: RTCRtpReceiver) -> int:
    """How many packets the receiver's jitter buffer holds back before it releases a frame."""
    buffer: JitterBuffer = vars(receiver)[_JITTER_BUFFER]
    return buffer._prefetch


def skip_video_jitter_buffer(receiver: RTCRtpReceiver, lost: list[int]) -> None:
    """Let a video receiver's jitter buffer move past packets given up on: it releases frames in
    order and would otherwise hold everything behind the hole until 512 packets later."""
    buffer: JitterBuffer = vars(receiver)[_JITTER_BUFFER]
    origin = buffer._origin
    if origin is None:
        return
    ahead = [(seq - origin) & 0xFFFF for seq in lost]
    skip = max((d for d in ahead if d < buffer.capacity), default=-1)
    if skip >= 0:
        buffer.remove(skip + 1)


def rtp_handler(receiver: RTCRtpReceiver) -> RtpHandler:
    """What handles each decrypted RTP packet routed to ``receiver`` (jitter buffer, decoder)."""
    return receiver._handle_rtp_packet


def set_rtp_handler(receiver: RTCRtpReceiver, handler: RtpHandler) -> None:
    """Replace, on this receiver only, what handles its decrypted RTP packets (``handler(packet,
    arrival_time_ms)``; get the previous one first with `rtp_handler` to wrap it)."""
    receiver._handle_rtp_packet = handler  # type: ignore[method-assign]  # per instance, on purpose


class RtcpHandler(Protocol):
    """``async handler(packet)``, as aiortc's transport calls it."""

    def __call__(self, packet: AnyRtcpPacket) -> Coroutine[Any, Any, None]: ...


def rtcp_handler(receiver: RTCRtpReceiver) -> RtcpHandler:
    """What handles each RTCP packet routed to ``receiver`` (the remote sender's reports)."""
    return receiver._handle_rtcp_packet


def set_rtcp_handler(receiver: RTCRtpReceiver, handler: RtcpHandler) -> None:
    """Replace, on this receiver only, what handles its RTCP (get the previous one first with
    `rtcp_handler` to wrap it): the client counts the relay's reports to tell a live subscribe
    connection from a dead one when no media flows on it."""
    receiver._handle_rtcp_packet = handler  # type: ignore[method-assign]  # per instance, on purpose


async def send_rtcp(receiver: RTCRtpReceiver, packet: AnyRtcpPacket) -> None:
    """Send an RTCP packet (e.g. REMB) towards the remote sender on the receiver's transport."""
    await receiver._send_rtcp(packet)


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Ask the remote sender of ``media_ssrc`` for a keyframe (nothing before RTCP is set up)."""
    await receiver._send_rtcp_pli(media_ssrc)


def nack_sender(receiver: RTCRtpReceiver) -> NackSender:
    """The receiver's ``send(media_ssrc, lost_sequence_numbers)`` for NACKs, bound once."""
    return receiver._send_rtcp_nack


def route_rtx(receiver: RTCRtpReceiver) -> None:
    """Let ``receiver``'s transport route its RTX packets to it (idempotent).

    aiortc's RtpRouter registers primary SSRCs only and routes an unknown SSRC by payload type,
    which fails as soon as two video m-lines share the RTX payload type (always, with BUNDLE):
    retransmissions were dropped and lost packets never repaired. Register the RTX SSRCs the
    receiver learned from the SDP, now and each time aiortc (re)starts it with
    ``receive(parameters)``, which is when it learns them.
    """

    def register() -> None:
        if receiver.transport is not None:
            for rtx_ssrc in rtx_ssrcs(receiver):
                receiver.transport._rtp_router.ssrc_table[rtx_ssrc] = receiver

    if not vars(receiver).get("_parley_rtx", False):
        original = receiver.receive

        async def receive(parameters: RTCRtpReceiveParameters) -> None:
            await original(parameters)
            register()

        receiver.receive = receive  # type: ignore[method-assign]  # per instance, on purpose
        vars(receiver)["_parley_rtx"] = True
    register()


def watch_sent_feedback(
    on_nack: Callable[[RTCRtpReceiver, int, list[int]], None], on_pli: Callable[[RTCRtpReceiver, int], None]
) -> Callable[[], None]:
    """For tests and benchmarks: call ``on_nack(receiver, media_ssrc, lost)`` / ``on_pli(receiver,
    media_ssrc)`` whenever any receiver of this process sends a NACK / PLI. Returns the undo."""
    nack, pli = RTCRtpReceiver._send_rtcp_nack, RTCRtpReceiver._send_rtcp_pli

    async def send_nack(self: RTCRtpReceiver, media_ssrc: int, lost: list[int]) -> None:
        on_nack(self, media_ssrc, lost)
        await nack(self, media_ssrc, lost)

    async def send_pli(self: RTCRtpReceiver, media_ssrc: int) -> None:
        on_pli(self, media_ssrc)
        await pli(self, media_ssrc)

    RTCRtpReceiver._send_rtcp_nack = send_nack  # type: ignore[method-assign]  # process-wide, until undone
    RTCRtpReceiver._send_rtcp_pli = send_pli  # type: ignore[method-assign]

    def undo() -> None:
        RTCRtpReceiver._send_rtcp_nack = nack  # type: ignore[method-assign]
        RTCRtpReceiver._send_rtcp_pli = pli  # type: ignore[method-assign]

    return undo


def newest_decoded_frame(track: MediaStreamTrack, frame: Frame) -> tuple[Frame, int]:
    """``frame`` just received from a remote ``track``, or the newest of the frames that were decoded
    after it and already wait in the track's queue; and how many older frames were skipped.

    aiortc's decoder thread puts every decoded frame in the track's unbounded queue. When whoever
    reads the track falls behind (a busy machine, a stalled event loop), decoded frames pile up
    there, 3 MB each at 1080p: hundreds of megabytes within minutes, shown late. A video reader
    wants only the newest one. The end-of-track mark (None) stays queued for the next ``recv``.
    """
    queue: asyncio.Queue[Frame | None] | None = vars(track).get(_TRACK_QUEUE)
    skipped = 0
    while queue is not None and not queue.empty():
        newer = queue.get_nowait()
        if newer is None:
            queue.put_nowait(None)
            break
        frame, skipped = newer, skipped + 1
    return frame, skipped
