"""Asking again for lost video packets, and giving up in time (relay and client receivers).

aiortc's ``NackGenerator`` sends one NACK when it sees a hole and then only when a *new* hole
appears (with every seq still missing). On a lossy link a lost NACK or a lost retransmission
(each ~5% at 5% loss) thus waits for the next loss, and the video jitter buffer, which releases
frames in order, holds every frame behind the hole: 0.5-2.3 s freezes at 5% loss and 80 ms delay
(tests/test_lossy_link.py). `NackRetrier` asks again, about twice per round trip, for what is
still missing, and gives up on a packet after ``give_up_s``: the caller then asks for a keyframe,
and a client also lets its jitter buffer move past the hole (`watch_losses`).
"""

from __future__ import annotations

import time
from collections import deque

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RtpPacket

from shared.webrtc import receiver as receivers

RETRY_MIN_S = 0.03
RETRY_MAX_S = 0.2
GIVE_UP_S = 0.4  # a hole this old is not worth waiting for: a keyframe comes sooner
_RETRIER = "_parley_nack_retrier"  # Parley's own attribute on aiortc's receiver


class NackRetrier:
    """What to NACK again, per ``due(now)`` call (made on each packet of the stream)."""

    def __init__(self, generator: NackGenerator, *, give_up_s: float = GIVE_UP_S) -> None:
        self.generator = generator
        self.give_up_s = give_up_s
        self.first_missed: dict[int, float] = {}
        self.last_sent = 0.0
        self.repairs: deque[float] = deque(maxlen=16)  # seconds from a first NACK to its repair
        self.retried = 0
        self.given_up = 0

    @property
    def retry_s(self) -> float:
        """About half the round trip, as the fastest repairs measure it (they took one NACK)."""
        rtt = min(self.repairs) if self.repairs else 0.1
        return min(max(rtt / 2, RETRY_MIN_S), RETRY_MAX_S)

    def due(self, now: float) -> tuple[list[int], list[int]]:
        """(sequence numbers to NACK again now, sequence numbers given up on now)."""
        missing = self.generator.missing
        first = self.first_missed
        if len(first) != len(missing) or any(seq not in missing for seq in first):
            for seq in [s for s in first if s not in missing]:
                self.repairs.append(now - first.pop(seq))
            fresh = [seq for seq in missing if seq not in first]
            for seq in fresh:
                first[seq] = now
            if fresh:  # the generator NACKed them just now
                self.last_sent = now
        if not missing:
            return [], []
        stale = [seq for seq, at in first.items() if now - at >= self.give_up_s]
        for seq in stale:
            missing.discard(seq)
            del first[seq]
        self.given_up += len(stale)
        if not missing or now - self.last_sent < self.retry_s:
            return [], stale
        self.last_sent = now
        again = sorted(missing)[:64]
        self.retried += len(again)
        return again, stale


def watch_losses(receiver: RTCRtpReceiver) -> NackRetrier | None:
    """On a client's video receiver: NACK again what stays missing; on giving up, move the jitter
    buffer past the hole and ask for a keyframe (the frames behind it cannot be decoded anyway).
    None for audio (aiortc does not NACK audio)."""
    generator = receivers.nack_generator(receiver)
    if generator is None:
        return None
    existing: NackRetrier | None = vars(receiver).get(_RETRIER)
    if existing is not None:
        return existing
    retrier = vars(receiver)[_RETRIER] = NackRetrier(generator)
    original = receivers.rtp_handler(receiver)
    send_nack = receivers.nack_sender(receiver)
    rtx = receivers.rtx_ssrcs(receiver)

    async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
        await original(packet, arrival_time_ms)
        if not generator.missing and not retrier.first_missed:
            return
        again, lost = retrier.due(time.monotonic())
        ssrc = rtx.get(packet.ssrc, packet.ssrc)
        if again:
            await send_nack(ssrc, again)
        if lost:
            receivers.skip_video_jitter_buffer(receiver, lost)
            await receivers.send_pli(receiver, ssrc)

    receivers.set_rtp_handler(receiver, handle)
    return retrier
