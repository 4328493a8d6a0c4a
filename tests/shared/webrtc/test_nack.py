"""Asking again for lost packets and giving up in time (shared/webrtc/nack.py), and the audio
jitter buffer that never stalls (shared/webrtc/receiver.py), without a network."""

from __future__ import annotations

from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RtpPacket

from shared.webrtc.nack import GIVE_UP_S, NackRetrier
from shared.webrtc.receiver import AudioJitterBuffer


def packet(seq: int) -> RtpPacket:
    return RtpPacket(payload_type=96, sequence_number=seq & 0xFFFF, timestamp=seq * 960, payload=bytes([seq & 0xFF]))


def test_a_hole_is_asked_for_again_until_repaired() -> None:
    generator = NackGenerator()
    retrier = NackRetrier(generator)
    generator.add(packet(1))
    assert generator.add(packet(3))  # 2 is missing: aiortc NACKs it once, now
    assert retrier.due(0.0) == ([], [])  # just NACKed
    t, asked = 0.0, 0
    while t < 0.3:
        t += 0.01
        again, lost = retrier.due(t)
        asked += again == [2]
        assert lost == []
    assert asked >= 2  # about twice per (assumed 100 ms) round trip, not once per new loss
    generator.add(packet(2))  # the retransmission arrived
    assert retrier.due(0.31) == ([], [])
    assert retrier.repairs and abs(retrier.repairs[-1] - 0.31) < 1e-9


def test_retries_follow_the_measured_round_trip() -> None:
    generator = NackGenerator()
    retrier = NackRetrier(generator)
    retrier.repairs.extend([0.5, 0.04, 0.3])
    assert retrier.retry_s == 0.03  # half the fastest repair, at least 30 ms
    retrier.repairs.clear()
    retrier.repairs.append(2.0)
    assert retrier.retry_s == 0.2  # at most 200 ms


def test_a_hole_is_given_up_on_in_time() -> None:
    generator = NackGenerator()
    retrier = NackRetrier(generator)
    generator.add(packet(10))
    generator.add(packet(12))
    retrier.due(0.0)
    t = 0.0
    lost: list[int] = []
    while not lost:
        t += 0.02
        _, lost = retrier.due(t)
    assert lost == [11] and GIVE_UP_S <= t < GIVE_UP_S + 0.03
    assert 11 not in generator.missing and retrier.given_up == 1
    assert retrier.due(t + 1.0) == ([], [])


def test_audio_is_handed_on_as_it_comes_and_late_packets_dropped() -> None:
    buffer = AudioJitterBuffer()
    out = [buffer.add(packet(seq))[1] for seq in (65534, 65535, 1, 2, 0, 2, 5)]
    # 0 was lost until after 1 and 2 went on: dropped as late, as is the duplicate 2; 3-4 lost.
    got = [frame.data[0] if frame is not None else None for frame in out]
    assert got == [254, 255, 1, 2, None, None, 5]
    assert buffer.late == 2
    # a stream that restarts far behind is taken as it is
    assert buffer.add(packet(5 - 1000))[1] is not None
