"""Opus with in-band FEC and loss concealment (client/engine/media/opus.py), offline."""

from __future__ import annotations

import fractions
import itertools

import av
import numpy as np
import pytest
from aiortc.codecs.opus import OpusEncoder
from aiortc.jitterbuffer import JitterFrame

from client.engine.media.opus import ConcealingOpusDecoder, load_libopus, opus_encoder_options

LIB = load_libopus()
pytestmark = pytest.mark.skipif(LIB is None, reason="no libopus to load")


def tone_packets(count: int) -> list[tuple[bytes, int]]:
    encoder = OpusEncoder()
    encoder.codec.options = opus_encoder_options()
    t = np.arange(960 * count) / 48000
    wave = (np.sin(2 * np.pi * 440 * t) * 0.2 * 32767).astype(np.int16)
    packets = []
    for i in range(count):
        frame = av.AudioFrame.from_ndarray(wave[i * 960 : (i + 1) * 960].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = i * 960
        frame.time_base = fractions.Fraction(1, 48000)
        payloads, timestamp = encoder.encode(frame)
        packets += [(payload, timestamp) for payload in payloads]
    return packets


def decode(packets: list[tuple[bytes, int]]) -> tuple[ConcealingOpusDecoder, list[av.AudioFrame]]:
    assert LIB is not None
    decoder = ConcealingOpusDecoder(LIB)
    frames = []
    for data, timestamp in packets:
        frames += decoder.decode(JitterFrame(data=data, timestamp=timestamp))
    return decoder, frames


def test_the_encoder_sends_a_mode_that_carries_fec() -> None:
    packets = tone_packets(50)
    configs = {data[0] >> 3 for data, _ in packets[10:]}
    assert configs and max(configs) < 16, configs  # SILK (0-11) or hybrid (12-15): not CELT-only


def test_lost_packets_leave_no_hole() -> None:
    packets = tone_packets(60)
    kept = [p for i, p in enumerate(packets) if i not in (20, 30, 31, 32)]
    decoder, frames = decode(kept)
    pts = [f.pts for f in frames]
    assert all(b - a == 960 for a, b in itertools.pairwise(pts)), pts
    assert decoder.recovered == 2 and decoder.concealed == 2
    # the recovered frame is sound, not silence
    recovered = next(f for f in frames if f.pts == packets[20][1])
    assert np.abs(recovered.to_ndarray()).max() > 1000


def test_a_long_pause_is_not_filled_and_garbage_is_refused() -> None:
    packets = tone_packets(40)
    decoder, frames = decode([*packets[:10], (b"\xff\xff\xff", packets[10][1]), *packets[30:]])
    assert decoder.concealed == 0 and decoder.bad == 1
    assert len(frames) == 20
