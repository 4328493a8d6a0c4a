"""The microphone's sound processing: WebRTC's audio processing module (AEC3 echo cancellation,
noise suppression, AGC2 automatic gain, high-pass filter) on 10 ms frames, and voice activity.

Everything here runs on the capture thread (a PortAudio callback, or the file microphone's
pacing thread), never on the event loop. The echo canceller's far-end reference is exactly what
the speakers were handed after mixing: `AudioPlayback` writes every block it plays into a
`FarEndReference`, and each 10 ms microphone frame takes the same number of reference samples.

The binding is ``pywebrtc-audio`` (Apache-2.0, WebRTC's APM itself is BSD-3-Clause); without it
the microphone is sent as captured and one sentence says so.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

log = logging.getLogger("parley.media")

RATE = 48000
FRAME = RATE // 100  # 10 ms: what the APM takes per call
NOISE_LEVELS = ("off", "standard", "high")
_NS_LEVEL = {"standard": 2, "high": 3}  # pywebrtc-audio: 2 = 18 dB (Chrome's default), 3 = 21 dB
# AGC2 lifts quiet speech but never the remaining noise above this; WebRTC's -50 dBFS would give
# back ~10 dB of what noise suppression took away (bench/audio_processing.py).
AGC_MAX_NOISE_DBFS = -65.0
SPEECH_PROBABILITY = 0.6
SPEECH_LEVEL_DBFS = -45.0
SPEECH_HANGOVER_S = 0.4
VOICE_INTERVAL_S = 0.1  # how often voice listeners hear about level and speech
CLIP_FRACTION = 0.01  # clipped samples per second that mean "too loud"
UNAVAILABLE = (
    "Echo cancellation and noise suppression are not available in this installation; your microphone is sent as it is."
)
CLIPPING = "Your microphone is too loud and the sound is distorted: turn its input level down in the system settings."

Samples = np.ndarray[Any, np.dtype[np.int16]]
_SILENCE = np.zeros(FRAME, np.int16)


@dataclass(frozen=True)
class ProcessingChoice:
    """What the person (or IT's policy) chose. ``original_sound`` turns every stage off (music)."""

    noise_suppression: str = "standard"
    echo_cancellation: bool = True
    auto_gain: bool = True
    original_sound: bool = False

    @property
    def active(self) -> bool:
        """True when at least one stage changes the sound."""
        if self.original_sound:
            return False
        return self.noise_suppression != "off" or self.echo_cancellation or self.auto_gain

    @classmethod
    def off(cls) -> ProcessingChoice:
        return cls(original_sound=True)

    def replace(self, **changes: Any) -> ProcessingChoice:
        return dataclasses.replace(self, **changes)


class ProcessingSettings(Protocol):
    """The four fields of `client.engine.settings.ClientSettings` that choose the processing."""

    noise_suppression: str
    echo_cancellation: bool
    auto_gain_control: bool
    original_sound: bool


def choice_from_settings(settings: ProcessingSettings) -> ProcessingChoice:
    """The processing the settings in force ask for (policy already applied by `load_settings`)."""
    level = settings.noise_suppression if settings.noise_suppression in NOISE_LEVELS else "standard"
    return ProcessingChoice(
        noise_suppression=level,
        echo_cancellation=settings.echo_cancellation,
        auto_gain=settings.auto_gain_control,
        original_sound=settings.original_sound,
    )


class FarEndReference:
    """What this participant's speakers played, after mixing: the echo canceller's reference.

    The playback thread appends every block it hands the speakers (`played`); the capture thread
    takes as many samples as it captured (`take`). Sound servers deliver capture and playback in
    bursts of their own, so the reference is not taken "whatever is queued now" (the pairing of
    reference and echo would change with every burst, which the echo canceller cannot follow):
    captured sample ``c`` is paired with played sample ``c + offset``. The offset is the newest
    pairing that never asks for a sample before it was played, measured over the first half
    second and checked every half second; it moves when the clocks drift (two seconds of it), and is measured again
    when a device reports lost sound (`gap`). While it is measured again the old pairing goes on
    being used: a reference a few milliseconds off is followed by AEC3's own delay estimator,
    whereas a silent reference lets the echo through uncancelled until it is paired again (under
    load, where the devices report gaps every few seconds, that was most of the echo heard).
    Each measurement starts afresh from what was played in time over its window, so nothing a
    late thread does accumulates (moving the pairing back at each shortfall did: under heavy load
    hundreds of such moves left the reference behind the echo).
    """

    def __init__(self, capacity_s: float = 2.0, calibrate_s: float = 0.5, check_s: float = 2.0) -> None:
        self._lock = threading.Lock()
        self._ring = np.zeros(int(capacity_s * RATE), np.int16)
        self._written = 0  # samples played since the start
        self._captured = 0  # samples taken since the pairing was last set
        self._offset: int | None = None
        self._measuring = True  # the pairing is (re)measured over the current window
        self._slack: int | None = None  # min over the window of (played - needed)
        self._window = 0
        self._calibrate = int(calibrate_s * RATE)
        self._recent: deque[int] = deque(maxlen=max(1, round(check_s / calibrate_s)))  # windows' slack
        self._max_slack = 2 * FRAME  # more to spare than this, every window: tighten again
        self.stalls = 0  # gaps the devices reported (underflow, overflow): each pairs again
        self.resyncs = 0  # times the pairing moved (clock drift, a stall)
        self.missing = 0  # samples taken before they were played (given as silence)

    def played(self, samples: Samples) -> None:
        """Called with every block handed to the speakers (mono s16 at 48 kHz)."""
        data = np.asarray(samples, dtype=np.int16).reshape(-1)[-self._ring.size :]
        if data.size == 0:
            return
        with self._lock:
            self._append(data)

    def gap(self) -> None:
        """A device reported lost sound (playback underflow, capture overflow): the played and
        captured streams no longer line up as paired, so pair them again."""
        with self._lock:
            self.stalls += 1
            self._measure_again()

    def _measure_again(self) -> None:
        self._measuring, self._slack, self._window = True, None, 0
        self._recent.clear()

    def _append(self, data: Samples) -> None:
        if data.size:
            start = self._written % self._ring.size
            first = min(data.size, self._ring.size - start)
            self._ring[start : start + first] = data[:first]
            self._ring[: data.size - first] = data[first:]
            self._written += data.size

    def take(self, count: int) -> Samples:
        """The reference for the next ``count`` captured samples (silence until paired)."""
        out = np.zeros(count, np.int16)
        with self._lock:
            written = self._written
            if written == 0:
                return out
            needed_end = self._captured + count + (self._offset or 0)
            slack = written - needed_end
            self._slack = slack if self._slack is None else min(self._slack, slack)
            self._window += count
            self._captured += count
            if self._measuring and self._window >= self._calibrate and self._slack is not None:
                # the newest pairing that was always played in time
                if self._offset is not None and self._slack != 0:
                    self.resyncs += 1
                self._offset = (self._offset or 0) + self._slack
                self._measuring, self._slack, self._window = False, None, 0
            elif self._offset is None:
                return out
            elif not self._measuring and self._window >= self._calibrate and self._slack is not None:
                # Drift moves the pairing when every window of the last two seconds says so; a
                # late playback thread (one window or two) does not.
                self._recent.append(self._slack)
                self._slack, self._window = None, 0
                if len(self._recent) == self._recent.maxlen:
                    if all(s < 0 for s in self._recent) or all(s > self._max_slack for s in self._recent):
                        # the newest pairing played in time throughout, with 2.5 ms to spare
                        self._offset += min(self._recent) - FRAME // 4
                        self.resyncs += 1
                        self._recent.clear()
            start = self._captured - count + self._offset
            if start < written - self._ring.size:  # far behind (a stall): pair again from scratch
                self._offset = None
                self._measure_again()
                self.resyncs += 1
                return out
            available = max(0, min(count, written - start))
            self.missing += count - available
            idx = start % self._ring.size
            first = min(available, self._ring.size - idx)
            out[:first] = self._ring[idx : idx + first]
            out[first:available] = self._ring[: available - first]
            return out

    def clear(self) -> None:
        """Measure the pairing again from the next frame on (new processing, a new device); the
        current one is used meanwhile."""
        with self._lock:
            self._measure_again()


def to_mono_48k(samples: np.ndarray[Any, Any], rate: int, channels: int, resampler: Any = None) -> Samples:
    """Interleaved (or 2-D frames x channels) samples of any rate, as mono s16 at 48 kHz.

    ``resampler`` is an ``av.AudioResampler`` kept by the caller across calls (so its filter state
    carries over); it is needed only when ``rate`` is not 48 kHz.
    """
    data = np.asarray(samples)
    if data.dtype != np.int16:
        data = (np.clip(data.astype(np.float32), -1.0, 1.0) * 32767).astype(np.int16)
    if channels > 1:
        data = data.reshape(-1, channels).astype(np.int32).mean(axis=1).astype(np.int16)
    data = np.ascontiguousarray(data.reshape(-1))
    if rate == RATE:
        return data
    if resampler is None:
        raise ValueError("a resampler is needed for this rate")
    import av

    frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    return np.ascontiguousarray(np.concatenate(out) if out else np.zeros(0, np.int16), dtype=np.int16)


def new_resampler() -> Any:
    import av

    return av.AudioResampler(format="s16", layout="mono", rate=RATE)


VoiceListener = Callable[[float, bool], None]  # (processed level 0..1, speaking), on the capture thread
NoticeListener = Callable[[str], None]  # one sentence for the person, on the capture thread


class MicProcessor:
    """A microphone's processing, used from one capture thread.

    `process` takes any number of 48 kHz mono s16 samples and returns the processed samples
    ready so far (whole 10 ms frames; a remainder waits for the next call, which the capture
    block sizes used here never leave). `configure` may be called from any thread: the new choice
    takes effect at the next frame.
    """

    def __init__(
        self,
        choice: ProcessingChoice,
        far_end: FarEndReference | None = None,
        *,
        on_voice: VoiceListener | None = None,
        on_notice: NoticeListener | None = None,
    ) -> None:
        self.far_end = far_end
        self.on_voice = on_voice
        self.on_notice = on_notice
        self._pending: ProcessingChoice | None = choice
        self._pending_lock = threading.Lock()
        self.choice = choice
        self._stages: _Stages | None = None
        self._rest = np.zeros(0, np.int16)
        self._speech_until = 0  # in frames
        self._level = 0.0
        self._next_voice = 0
        self._clipped = 0
        self._clip_window = 0
        self._clip_said = False
        self._unavailable_said = False
        self.frames = 0
        self.cpu_s = 0.0  # thread CPU spent in the APM (bench/audio_processing.py reports it)
        self.speaking = False

    # --- configuration (any thread) --------------------------------------------------------------

    def configure(self, choice: ProcessingChoice) -> None:
        with self._pending_lock:
            self._pending = choice

    def reset(self) -> None:
        """Forget what the filters learned (a new device, a rate change): they adapt again."""
        with self._pending_lock:
            self._pending = self._pending or self.choice
        self._rest = np.zeros(0, np.int16)

    def _apply_pending(self) -> None:
        with self._pending_lock:
            choice, self._pending = self._pending, None
        if choice is None:
            return
        self.choice = choice
        self._stages = None
        try:
            import pywebrtc_audio
        except ImportError:
            if choice.active and not self._unavailable_said:
                self._unavailable_said = True
                self._notice(UNAVAILABLE)
            return
        self._stages = _Stages(pywebrtc_audio, choice)
        if self.far_end is not None:
            self.far_end.clear()

    # --- the capture thread ----------------------------------------------------------------------

    def process(self, samples: Samples) -> Samples:
        """Processed samples for ``samples`` (48 kHz mono s16), in whole 10 ms frames."""
        if self._pending is not None:
            self._apply_pending()
        data = samples.reshape(-1)
        if self._rest.size:
            data = np.concatenate([self._rest, data])
        whole = data.size - data.size % FRAME
        self._rest = data[whole:].copy()
        if whole == 0:
            return np.zeros(0, np.int16)
        out = np.empty(whole, np.int16)
        for start in range(0, whole, FRAME):
            out[start : start + FRAME] = self._frame(data[start : start + FRAME])
        return out

    def _frame(self, near: Samples) -> Samples:
        self._watch_clipping(near)
        far = self.far_end.take(FRAME) if self.far_end is not None else _SILENCE
        started = time.thread_time()
        if self._stages is not None:
            out, probability = self._stages.process(near, far)
        else:
            out, probability = near, self._energy_guess(near)
        self.cpu_s += time.thread_time() - started
        self.frames += 1
        self._voice(out, probability)
        return out

    @staticmethod
    def _energy_guess(near: Samples) -> float:
        return 1.0 if rms_dbfs(near) > SPEECH_LEVEL_DBFS else 0.0

    def _voice(self, out: Samples, probability: float) -> None:
        # Counted in frames of sound, not wall time: the same answer however the thread is paced.
        level_db = rms_dbfs(out)
        if probability >= SPEECH_PROBABILITY and level_db > SPEECH_LEVEL_DBFS:
            self._speech_until = self.frames + int(SPEECH_HANGOVER_S * 100)
        self.speaking = self.frames < self._speech_until
        self._level = max(meter_level(level_db), self._level * 0.85)
        if self.on_voice is not None and self.frames >= self._next_voice:
            self._next_voice = self.frames + int(VOICE_INTERVAL_S * 100)
            try:
                self.on_voice(self._level, self.speaking)
            except Exception:
                log.exception("voice listener failed")

    def _watch_clipping(self, near: Samples) -> None:
        self._clipped += int(np.count_nonzero(np.abs(near.astype(np.int32)) >= 32700))
        self._clip_window += near.size
        if self._clip_window >= RATE:
            too_loud = self._clipped > CLIP_FRACTION * self._clip_window
            self._clipped = self._clip_window = 0
            if too_loud and not self._clip_said:
                self._clip_said = True
                self._notice(CLIPPING)

    def _notice(self, sentence: str) -> None:
        log.warning(sentence)
        if self.on_notice is not None:
            try:
                self.on_notice(sentence)
            except Exception:
                log.exception("notice listener failed")


class _Stages:
    """WebRTC's stages in Chrome's order: high-pass and AEC3, noise suppression, AGC2 (fed the
    noise suppressor's speech probability), each a pywebrtc-audio object of its own (its combined
    `AudioProcessor` suppresses noise ~10 dB less at 48 kHz)."""

    def __init__(self, lib: Any, choice: ProcessingChoice) -> None:
        self.echo: Any = None
        self.high_pass: Any = None
        self.noise: Any = None
        self.gain: Any = None
        self.vad: Any = None
        if choice.active:
            if choice.echo_cancellation:
                self.echo = lib.EchoCanceller(sample_rate=RATE)  # with its own high-pass filter
            else:
                self.high_pass = lib.AudioProcessor(sample_rate=RATE, high_pass_filter=True)
            if choice.noise_suppression != "off":
                self.noise = lib.NoiseSuppressor(sample_rate=RATE, level=_NS_LEVEL[choice.noise_suppression])
            if choice.auto_gain:
                self.gain = lib.GainController(sample_rate=RATE, max_output_noise_level_dbfs=AGC_MAX_NOISE_DBFS)
        if self.noise is None:  # "You are muted" needs voice activity whatever the choice
            self.vad = lib.VoiceDetector(sample_rate=RATE)

    def process(self, near: Samples, far: Samples) -> tuple[Samples, float]:
        out = near
        if self.echo is not None:
            out = self.echo.process(out, far)
        elif self.high_pass is not None:
            out = self.high_pass.process(out)
        if self.noise is not None:
            out = self.noise.process(out)
            probability = float(self.noise.speech_probability)
        else:
            probability = float(self.vad.process(out))
        if self.gain is not None:
            out = self.gain.process(out, probability)
        return np.asarray(out, dtype=np.int16), probability


def raise_audio_thread_priority() -> bool:
    """Real-time scheduling for the calling sound thread, as sound programs ask for (a late
    callback is a gap in the sound and moves the echo's timing); the normal priority stays when
    the system says no. Linux only: on Windows PortAudio's WASAPI threads already ask MMCSS."""
    setter = getattr(os, "sched_setscheduler", None)
    if setter is None:
        return False
    try:
        setter(0, os.SCHED_FIFO, os.sched_param(10))  # 0: this thread
    except OSError:
        return False
    return True


def rms_dbfs(samples: np.ndarray[Any, Any]) -> float:
    """The RMS level of s16 samples in dB below full scale (-100 for silence)."""
    if samples.size == 0:
        return -100.0
    power = float(np.mean(np.square(samples.astype(np.float64) / 32768.0)))
    return 10.0 * float(np.log10(power)) if power > 1e-10 else -100.0


def meter_level(dbfs: float) -> float:
    """A level meter's 0..1 from dBFS: -60 dB is empty, -10 dB full."""
    return float(min(1.0, max(0.0, (dbfs + 60.0) / 50.0)))
