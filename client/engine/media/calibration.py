"""Sources that flash and beep at the same instant, for checking audio/video sync end to end.

Both follow the monotonic clock of this process: every ``period`` seconds the picture turns white
and a 1 kHz beep sounds, each for ``length`` seconds, so a recording or a receiver can measure how
far apart the two arrive.
"""

from __future__ import annotations

import fractions
import time

import av
import numpy as np

from client.engine.media.sources import AUDIO_RATE, AUDIO_SAMPLES, VIDEO_CLOCK, VIDEO_TIME_BASE, _PacedTrack

PERIOD = 1.0
LENGTH = 0.2
BEEP_HZ = 1000.0


def _lit(t: float, period: float, length: float) -> bool:
    return (t % period) < length


class FlashVideoTrack(_PacedTrack):
    """Dark grey, white for ``length`` seconds at the start of every period."""

    kind = "video"

    def __init__(
        self, width: int = 320, height: int = 240, fps: float = 30.0, *, period: float = PERIOD, length: float = LENGTH
    ) -> None:
        super().__init__(fps)
        self.width, self.height = width - width % 2, height - height % 2
        self.period, self.length = period, length
        self._dark = np.full((self.height * 3 // 2, self.width), 40, np.uint8)
        self._dark[self.height :] = 128
        self._white = np.full((self.height * 3 // 2, self.width), 235, np.uint8)
        self._white[self.height :] = 128

    async def recv(self) -> av.VideoFrame:
        count = await self._pace()
        lit = not self.muted and _lit(time.monotonic(), self.period, self.length)
        frame = av.VideoFrame.from_ndarray(self._white if lit else self._dark, format="yuv420p")
        frame.pts = int(count * VIDEO_CLOCK / self.rate)
        frame.time_base = VIDEO_TIME_BASE
        return frame


class BeepAudioTrack(_PacedTrack):
    """Silence, with a 1 kHz beep for ``length`` seconds at the start of every period."""

    kind = "audio"

    def __init__(self, *, period: float = PERIOD, length: float = LENGTH, level: float = 0.5) -> None:
        super().__init__(1 / (AUDIO_SAMPLES / AUDIO_RATE))
        self.period, self.length, self.level = period, length, level

    async def recv(self) -> av.AudioFrame:
        count = await self._pace()
        assert self._start is not None
        # The frame's first sample is due now; each sample's own time decides beep or silence.
        t = self._start + count * AUDIO_SAMPLES / AUDIO_RATE + np.arange(AUDIO_SAMPLES) / AUDIO_RATE
        on = ((t % self.period) < self.length) & (not self.muted)
        wave = np.sin(2 * np.pi * BEEP_HZ * t) * self.level * 32767 * on
        frame = av.AudioFrame.from_ndarray(wave.astype(np.int16).reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = count * AUDIO_SAMPLES
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame
