"""Where decoded remote media goes: statistics, audio levels, and the speakers."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from client.engine.media.audio_processing import raise_audio_thread_priority
from client.engine.media.sources import AUDIO_RATE, read_mark, wall_ms

log = logging.getLogger("parley.media")

FREEZE_SECONDS = 0.5


class TrackStats:
    """What one remote track delivered: the ``remote_tracks`` entries of ``--stats``."""

    def __init__(self, participant: str, source: str, kind: str) -> None:
        self.participant, self.source, self.kind = participant, source, kind
        self.frames = 0
        self.width = 0
        self.height = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.packet_at: float | None = None  # when the last RTP packet arrived (the watchdog reads it)
        self.freezes = 0
        self.skipped = 0  # decoded frames passed over because newer ones were already waiting
        self.bytes = 0
        self.latencies: list[float] = []
        self.marks = 0

    def add_bytes(self, size: int) -> None:
        self.bytes += size

    def add_frame(self, frame: Any, now: float) -> None:
        self.frames += 1
        if self.first_at is None:
            self.first_at = now
        elif self.kind == "video" and self.last_at is not None and now - self.last_at > FREEZE_SECONDS:
            self.freezes += 1
        self.last_at = now
        if self.kind == "video":
            self.width, self.height = frame.width, frame.height
            plane = frame.planes[0]
            if frame.format.name in ("yuv420p", "yuvj420p") and len(self.latencies) < 100000:
                luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]
                mark = read_mark(luma)
                if mark is not None:
                    self.marks += 1
                    delta = (wall_ms() - mark[1]) & ((1 << 36) - 1)
                    if delta < 60000:
                        self.latencies.append(float(delta))

    def report(self) -> dict[str, Any]:
        span = (self.last_at - self.first_at) if self.first_at is not None and self.last_at is not None else 0.0
        fps = (self.frames - 1) / span if span > 0 else 0.0
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

        return {
            "participant": self.participant,
            "source": self.source,
            "kind": self.kind,
            "frames": self.frames,
            "width": self.width,
            "height": self.height,
            "fps": round(fps, 2),
            "bitrate_kbps": round(self.bytes * 8 / 1000 / span, 1) if span > 0 else 0.0,
            "freezes": self.freezes,
            "frames_skipped": self.skipped,
            "latency_ms_p50": pct(0.5),
            "latency_ms_p95": pct(0.95),
        }


def audio_level(frame: Any) -> float:
    """RMS level of a decoded audio frame, 0..1."""
    samples = frame.to_ndarray()
    if samples.size == 0:
        return 0.0
    if samples.dtype != np.int16:
        return float(min(1.0, np.sqrt(np.mean(np.square(samples.astype(np.float32))))))
    return float(min(1.0, np.sqrt(np.mean(np.square(samples.astype(np.float32) / 32768.0))) * 2))


class AudioPlayback:
    """Mixes every remote participant's audio and plays it, with a small jitter buffer.

    Without an output device (or with ``enabled=False``) it still mixes on demand, for the
    recorder and for statistics, and says once why nothing is heard.
    """

    def __init__(
        self,
        enabled: bool = True,
        buffer_ms: int = 60,
        *,
        taps: list[Callable[[np.ndarray[Any, Any]], None]] | None = None,
        gap_listeners: list[Callable[[], None]] | None = None,
        clock_without_device: bool = False,
    ) -> None:
        self._lock = threading.Lock()
        self._buffers: dict[str, deque[np.ndarray[Any, Any]]] = {}
        self._max_chunks = max(2, buffer_ms // 20 * 2)
        self._stream: Any = None
        # Each gets every block exactly as the speakers are handed it (the echo canceller's
        # reference, --speaker-out), on the playback thread.
        self.taps = list(taps or [])
        self.gap_listeners = list(gap_listeners or [])  # the device underran: silence was played
        self._clock: threading.Thread | None = None
        self._clock_running = threading.Event()
        self._prioritised = False
        self.message = ""
        if enabled:
            try:
                import sounddevice

                self._stream = sounddevice.OutputStream(
                    samplerate=AUDIO_RATE, channels=1, dtype="int16", blocksize=960, callback=self._callback
                )
                self._stream.start()
            except Exception as exc:
                self.message = f"No audio output device; remote audio is not played ({exc})."
                log.warning(self.message)
                self._stream = None
        if self._stream is None and clock_without_device:
            self._start_clock()

    def _start_clock(self) -> None:
        """No device: a thread takes the mix at real-time pace, as a sound card would."""
        self._clock_running.set()

        def run() -> None:
            next_at = time.monotonic()
            while self._clock_running.is_set():
                self._played(self.mix(960))
                next_at += 0.02
                delay = next_at - time.monotonic()
                if delay < -1.0:
                    next_at = time.monotonic()
                elif delay > 0:
                    time.sleep(delay)

        self._clock = threading.Thread(target=run, name="playback-clock", daemon=True)
        self._clock.start()

    def _played(self, block: np.ndarray[Any, Any]) -> None:
        for tap in self.taps:
            try:
                tap(block)
            except Exception:
                log.exception("playback tap failed")

    @property
    def playing(self) -> bool:
        return self._stream is not None

    def push(self, participant_id: str, frame: Any) -> None:
        samples = frame.to_ndarray()
        if samples.dtype != np.int16:
            samples = (samples * 32767).astype(np.int16)
        channels = len(frame.layout.channels)
        mono = samples.reshape(-1, channels).mean(axis=1).astype(np.int16) if channels > 1 else samples.reshape(-1)
        if frame.sample_rate != AUDIO_RATE:
            return
        with self._lock:
            buf = self._buffers.setdefault(participant_id, deque())
            buf.append(mono)
            while len(buf) > self._max_chunks:  # late: drop the oldest rather than drift
                buf.popleft()

    def remove(self, participant_id: str) -> None:
        with self._lock:
            self._buffers.pop(participant_id, None)

    def mix(self, samples: int) -> np.ndarray[Any, Any]:
        """The next ``samples`` of everyone's audio summed (silence where there is none)."""
        out = np.zeros(samples, np.int32)
        with self._lock:
            for buf in self._buffers.values():
                filled = 0
                while filled < samples and buf:
                    chunk = buf[0]
                    take = min(samples - filled, len(chunk))
                    out[filled : filled + take] += chunk[:take]
                    if take == len(chunk):
                        buf.popleft()
                    else:
                        buf[0] = chunk[take:]
                    filled += take
        return np.clip(out, -32768, 32767).astype(np.int16)

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if not self._prioritised:
            self._prioritised = True
            raise_audio_thread_priority()
        if status and status.output_underflow:
            for listener in self.gap_listeners:
                listener()
        block = self.mix(frames)
        outdata[:, 0] = block
        self._played(block)

    def close(self) -> None:
        self._clock_running.clear()
        if self._clock is not None:
            self._clock.join(timeout=2.0)
            self._clock = None
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:
                pass
            self._stream = None


def monotonic() -> float:
    return time.monotonic()
