"""Microphone tracks whose sound goes through `MicProcessor` on the capture thread: a sound
device (sounddevice/PortAudio) or a sound file played as the microphone, in a loop (headless
``--mic FILE.wav``, for tests and benchmarks).

Both hand aiortc 20 ms frames of 48 kHz mono s16. A device that will not open at 48 kHz mono is
opened at its own rate and channel count, and the sound is converted before processing.
"""

from __future__ import annotations

import fractions
import logging
import threading
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from client.engine.media.audio_processing import (
    RATE,
    MicProcessor,
    new_resampler,
    raise_audio_thread_priority,
    to_mono_48k,
)
from client.engine.media.sources import AUDIO_SAMPLES, DeviceUnavailable, _ThreadedTrack

log = logging.getLogger("parley.media")

TIME_BASE = fractions.Fraction(1, RATE)


class _ProcessedAudioTrack(_ThreadedTrack):
    """Turns processed samples into audio frames; silence leaves while muted (the processing, and
    so the "You are muted" voice detection, goes on)."""

    kind = "audio"

    def __init__(self, processor: MicProcessor) -> None:
        super().__init__()
        self.processor = processor
        self._pts = 0

    def _send(self, captured: np.ndarray[Any, Any]) -> None:
        processed = self.processor.process(captured)
        if processed.size == 0:
            return
        samples = np.zeros_like(processed) if self.muted else processed
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        self._pts += processed.size
        self._deliver(frame)


REOPEN_ATTEMPTS = 5
REOPEN_INTERVAL_S = 0.3
OTHER_RATES = (44100, 32000, 16000, 96000, 88200)  # a device whose rate changed since PortAudio listed it


class MicrophoneTrack(_ProcessedAudioTrack):
    """A microphone through sounddevice, processed on PortAudio's callback thread.

    When PortAudio ends the stream by itself (the device changed its sample rate or format, its
    driver restarted, it was unplugged) the same device is opened again, at whatever rate and
    channel count it now takes, and the processing starts afresh (a new device is a new echo
    path); only when that fails does the track end, and the session says so once."""

    def __init__(self, device: str | None, processor: MicProcessor) -> None:
        super().__init__(processor)
        self._resampler: Any = None
        self._rate, self._channels = RATE, 1
        self._prioritised = False
        self.reopened = 0
        try:
            import sounddevice

            self._sounddevice: Any = sounddevice
            self._target: Any = int(device) if device and device.isdigit() else device
            self._stream = self._open(sounddevice, self._target)
        except DeviceUnavailable:
            raise
        except Exception as exc:
            raise DeviceUnavailable(f"The microphone {device or '(default)'} could not be opened: {exc}") from None

    def _open(self, sounddevice: Any, target: Any) -> Any:
        """48 kHz mono when the device takes it, else its own rate and channels (converted here)."""
        info = sounddevice.query_devices(target, "input") if target is not None else None
        native = int(info["default_samplerate"]) if info else RATE
        channels = max(1, min(2, int(info["max_input_channels"]))) if info else 1
        attempts = [(RATE, 1), (native, 1), (native, channels)]
        attempts += [(rate, chans) for rate in OTHER_RATES for chans in (1, 2)]
        last: Exception | None = None
        for rate, chans in dict.fromkeys(attempts):
            try:
                stream = sounddevice.InputStream(
                    samplerate=rate,
                    channels=chans,
                    dtype="int16",
                    blocksize=rate // 50,
                    device=target,
                    callback=self._callback,
                    finished_callback=self._finished,
                )
            except Exception as exc:
                last = exc
                continue
            self._rate, self._channels = rate, chans
            self._resampler = new_resampler() if rate != RATE else None
            if (rate, chans) != (RATE, 1):
                log.info("microphone opened at %d Hz, %d channel(s); converted to 48 kHz mono", rate, chans)
            stream.start()
            return stream
        raise DeviceUnavailable(f"The microphone could not be opened: {last}")

    def _callback(self, data: Any, frames: int, time_info: Any, status: Any) -> None:
        if not self._prioritised:
            self._prioritised = True
            raise_audio_thread_priority()
        if status and status.input_overflow and self.processor.far_end is not None:
            self.processor.far_end.gap()  # captured sound was lost: pair with the reference again
        try:
            self._send(to_mono_48k(data, self._rate, self._channels, self._resampler))
        except Exception:
            log.exception("microphone processing failed; this block is dropped")

    def _finished(self) -> None:
        """PortAudio ended the stream: on our stop, or by itself (see the class). Reopening is
        done on a thread of its own: PortAudio's own thread must not open streams."""
        if self._running.is_set():
            log.warning("the microphone's stream ended by itself; opening it again")
            threading.Thread(target=self._reopen, name="microphone-reopen", daemon=True).start()

    def _reopen(self) -> None:
        self.processor.reset()  # new filters: the echo path and the level may have changed
        if self.processor.far_end is not None:
            self.processor.far_end.gap()
        try:
            self._stream.close()
        except Exception:
            pass
        wake = threading.Event()  # never set: an interruptible sleep
        for attempt in range(REOPEN_ATTEMPTS):
            if not self._running.is_set():
                return
            try:
                stream = self._open(self._sounddevice, self._target)
            except Exception as exc:
                log.info("reopening the microphone (attempt %d): %s", attempt + 1, exc)
                wake.wait(REOPEN_INTERVAL_S)
                continue
            self._stream = stream
            if not self._running.is_set():  # stopped meanwhile
                self._close_stream()
                return
            self.reopened += 1
            log.info("the microphone is open again at %d Hz, %d channel(s)", self._rate, self._channels)
            return
        log.warning("the microphone could not be opened again")
        self._deliver(None)  # the track ends; the session says so once

    def stop(self) -> None:
        super().stop()
        self._close_stream()

    def _close_stream(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:
            pass


def read_sound_file(path: Path) -> np.ndarray[Any, Any]:
    """A sound file (WAV, or anything FFmpeg reads) as 48 kHz mono s16 samples."""
    try:
        container = av.open(str(path))
    except (OSError, av.FFmpegError) as exc:
        raise DeviceUnavailable(f"The sound file {path} cannot be read: {exc}") from None
    chunks: list[np.ndarray[Any, Any]] = []
    with container:
        if not container.streams.audio:
            raise DeviceUnavailable(f"The file {path} has no sound.")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    if samples.size < AUDIO_SAMPLES:
        raise DeviceUnavailable(f"The sound file {path} is empty.")
    return np.ascontiguousarray(samples, dtype=np.int16)


class FileMicrophoneTrack(_ProcessedAudioTrack):
    """A sound file played as the microphone, in a loop, at real-time pace on its own thread."""

    def __init__(self, path: Path, processor: MicProcessor) -> None:
        super().__init__(processor)
        self.path = path
        self._samples = read_sound_file(path)
        self._start_thread(self._run, "file-microphone")

    def _run(self) -> None:
        samples, total = self._samples, self._samples.size
        position = 0
        interval = AUDIO_SAMPLES / RATE
        next_at = time.monotonic()
        wake = threading.Event()  # never set: an interruptible sleep
        while self._running.is_set():
            end = position + AUDIO_SAMPLES
            if end <= total:
                block = samples[position:end]
            else:
                block = np.concatenate([samples[position:], samples[: end - total]])
            position = end % total
            try:
                self._send(block)
            except Exception:
                log.exception("file microphone processing failed; this block is dropped")
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < -1.0:  # fell far behind (a stalled machine): skip ahead rather than burst
                next_at = time.monotonic()
            elif delay > 0:
                wake.wait(delay)
