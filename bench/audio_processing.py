"""Echo cancellation, noise suppression and their cost, end to end (issue #18).

Two headless participants through a real relay. Bob's speaker and microphone are PulseAudio null
sinks (tests/pulse.py) with ``module-loopback`` from his speaker's monitor into his microphone at
60 ms and -6 dB as the room; Ann's microphone is a speech file and what she hears goes to
``--speaker-out``. Each case runs with Bob's processing off, then on. Speech from espeak-ng
(English for Ann, Chinese for Bob), noise from sox (pink). Prints JSON:

- echo: Ann speaks, Bob is silent; Ann's own voice coming back to her, off vs on, after 2 s of
  convergence (echo return loss enhancement, dB);
- double_talk: both speak (Bob 4 s of speech, 4 s of pause, looped); the envelope (100 ms) of what
  Ann hears of Bob against Bob's clean speech, and Ann's echo in Bob's pauses (150 ms clear of his
  speech), off vs on;
- noise: Bob's speech with pink noise at 5 dB SNR (a file microphone, no echo); the SNR at Ann off
  vs on (speech segments against the pauses) and STOI (pystoi) of what Ann hears against the
  clean speech, with the clean speech sent through the same call as the yardstick;
- cost: CPU per 10 ms frame on Bob's capture thread (thread CPU time, from --stats) as a share of
  one core; the latency the processing adds, measured offline by cross-correlation.

    .venv/bin/python bench/audio_processing.py [--seconds 24]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client.engine.media.audio_processing import MicProcessor, ProcessingChoice  # noqa: E402
from tests.client.media.audio_live import (  # noqa: E402
    RATE,
    finish,
    headless,
    level_db,
    mix,
    pink_noise,
    read_wav,
    speech,
    wait_for_line,
    write_wav,
)
from tests.media_fixtures import start_media_relay  # noqa: E402
from tests.pulse import PulseServer  # noqa: E402

ENGLISH = (
    "The quick brown fox jumps over the lazy dog. Parley cancels the echo so that the people who speak "
    "do not hear themselves again, and it keeps the voice while it lowers the noise around it."
)
CHINESE = "大家好\uff0c欢迎参加今天的会议。我们来讨论一下下个季度的计划。"
CONVERGED = 2 * RATE
_names = itertools.count(1)


class Studio:
    def __init__(self, folder: Path, seconds: float) -> None:
        self.folder, self.seconds = folder, seconds
        self.pulse = PulseServer(folder).start()
        self.relay = start_media_relay(folder)

    def close(self) -> None:
        self.relay.stop()
        self.pulse.stop()

    def call(
        self, processing: str, *, ann_mic: Path | None, bob_mic: Path | None = None, bob_voice: Path | None = None
    ) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
        """What Ann heard, and Bob's --stats. ``bob_mic`` a file microphone (no room), else his
        PulseAudio microphone with the room's echo and ``bob_voice`` played into it."""
        n = next(_names)
        speaker, mic = self.pulse.speaker(f"bob{n}_speaker"), self.pulse.microphone(f"bob{n}_mic")
        if bob_mic is None:
            self.pulse.acoustic_path(speaker, mic, delay_ms=60, gain=0.5)
        ann, bob = self.relay.add_user(display=f"Ann{n}"), self.relay.add_user(display=f"Bob{n}")
        meeting = self.relay.create_meeting(ann)
        stats_path, heard = self.folder / f"bob{n}.json", self.folder / f"heard{n}.wav"
        mic_arg = str(bob_mic) if bob_mic is not None else "default"
        bob_proc = headless(self.relay.server, self.relay.fingerprint, bob, meeting,
                            self.pulse.device_env(speaker, mic), "--mic", mic_arg,
                            "--audio-processing", processing, "--stats", str(stats_path))  # fmt: skip
        try:
            wait_for_line(bob_proc, "joined")
            if bob_voice is not None:
                self.pulse.play_loop(f"{mic}_in", bob_voice)
            ann_proc = headless(self.relay.server, self.relay.fingerprint, ann, meeting,
                                {**self.pulse.env, "PARLEY_PLAYBACK": "0"},
                                "--mic", str(ann_mic) if ann_mic else "none", "--speaker-out", str(heard),
                                "--duration", str(self.seconds))  # fmt: skip
            _out, err = ann_proc.communicate(timeout=self.seconds + 120)
            if ann_proc.returncode != 0:
                raise RuntimeError(f"Ann's participant failed: {err[-2000:]}")
        finally:
            finish(bob_proc)
        return read_wav(heard), json.loads(stats_path.read_text())


def first_sound(samples: np.ndarray[Any, Any], threshold_db: float = -50.0) -> int:
    """Where sound first arrives (in 10 ms steps), for "after 2 s of convergence"."""
    for start in range(0, samples.size - 480, 480):
        if level_db(samples[start : start + 480]) > threshold_db:
            return start
    return samples.size


def align(heard: np.ndarray[Any, Any], clean: np.ndarray[Any, Any]) -> int:
    """The lag of ``clean`` (looped) in ``heard``, by cross-correlation of 10 ms envelopes."""

    def env(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        usable = x[: x.size // 480 * 480].astype(np.float64).reshape(-1, 480)
        return np.sqrt(np.mean(usable**2, axis=1))

    h, c = env(heard), env(clean)
    h = h - h.mean()
    c = c - c.mean()
    scores = [float(np.dot(h[k : k + c.size], c)) for k in range(max(1, h.size - c.size))]
    return int(np.argmax(scores)) * 480 % clean.size  # the speech loops: its first start


def looped(clean: np.ndarray[Any, Any], lag: int, size: int) -> np.ndarray[Any, Any]:
    reps = np.tile(clean, size // clean.size + 3)
    start = (-lag) % clean.size
    return reps[start : start + size]


def envelope_correlation(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    n = min(a.size, b.size) // 4800 * 4800  # 100 ms windows: syllables, not pitch
    ea = np.sqrt(np.mean(a[:n].astype(np.float64).reshape(-1, 4800) ** 2, axis=1))
    eb = np.sqrt(np.mean(b[:n].astype(np.float64).reshape(-1, 4800) ** 2, axis=1))
    return round(float(np.corrcoef(ea, eb)[0, 1]), 3)


def segment_levels(heard: np.ndarray[Any, Any], clean: np.ndarray[Any, Any], lag: int) -> tuple[float, float]:
    """(level where Bob speaks, level in his pauses) of ``heard``, from the aligned clean speech."""
    guide = looped(clean, lag, heard.size)
    frames = heard.size // 480
    talk = np.array([level_db(guide[i * 480 : (i + 1) * 480]) > -45 for i in range(frames)])
    h = heard[: frames * 480].reshape(frames, 480)
    return level_db(h[talk].reshape(-1)), level_db(h[~talk].reshape(-1))


def pause_level(heard: np.ndarray[Any, Any], clean: np.ndarray[Any, Any], lag: int, margin_s: float = 0.15) -> float:
    """The level of ``heard`` where Bob is silent: 10 ms frames at least ``margin_s`` from any
    sound of his aligned clean speech. Without the margin the "pauses" hold the ends of his
    syllables and his quiet sounds (the alignment is 10 ms coarse, the call's timing wanders and
    the processing delays by ~15 ms), which the gain control lifts: they were counted as echo."""
    guide = looped(clean, lag, heard.size)
    frames = heard.size // 480
    sound = np.array([level_db(guide[i * 480 : (i + 1) * 480]) > -70 for i in range(frames)])
    reach = int(margin_s * 100)
    near = np.convolve(sound.astype(np.int32), np.ones(2 * reach + 1, np.int32), mode="same") > 0
    h = heard[: frames * 480].reshape(frames, 480)
    return level_db(h[~near].reshape(-1))


def snr_db(speech_db: float, pause_db: float) -> float:
    s, p = 10 ** (speech_db / 10), 10 ** (pause_db / 10)
    return round(10 * float(np.log10(max(s - p, 1e-12) / p)), 1)


def fine_lag(window: np.ndarray[Any, Any], guide: np.ndarray[Any, Any], around: int = 2400) -> int:
    """The sample offset (within +-``around``) at which ``guide`` best matches ``window`` (FFT)."""
    n = window.size + 2 * around
    size = 1 << (n + window.size).bit_length()
    spectrum = np.fft.rfft(guide[:n].astype(np.float64), size) * np.conj(np.fft.rfft(window.astype(np.float64), size))
    corr = np.fft.irfft(spectrum, size)[: 2 * around + 1]
    return int(np.argmax(corr)) - around


def stoi_of(heard: np.ndarray[Any, Any], clean: np.ndarray[Any, Any], lag: int) -> float | None:
    """Median STOI over one-loop windows after convergence, each aligned to the sample (the call's
    jitter buffer moves the timing a little over a call)."""
    try:
        from pystoi import stoi
    except ImportError:
        return None
    guide = np.concatenate([np.zeros(2400, np.int16), looped(clean, lag, heard.size + 4800)])
    scores = []
    for start in range(lag + CONVERGED, heard.size - clean.size + 1, clean.size):
        window = heard[start : start + clean.size]
        shift = fine_lag(window, guide[start : start + clean.size + 4800])
        reference = guide[start + 2400 + shift : start + 2400 + shift + clean.size]
        scores.append(float(stoi(reference.astype(np.float64), window.astype(np.float64), RATE)))
    return round(float(np.median(scores)), 3) if scores else None


def added_latency_ms(choice: ProcessingChoice) -> float:
    """Offline: noise through the processing (silent far end), delay found by cross-correlation."""
    rng = np.random.default_rng(7)
    signal = (rng.standard_normal(4 * RATE) * 3000).astype(np.int16)
    processor = MicProcessor(choice)
    out = np.concatenate([processor.process(signal[i : i + 960]) for i in range(0, signal.size, 960)])
    a, b = signal[RATE : 2 * RATE].astype(np.float64), out[RATE : 2 * RATE + 2400].astype(np.float64)
    scores = [float(np.dot(a, b[k : k + a.size])) for k in range(2400)]
    return round(int(np.argmax(scores)) / RATE * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=24.0)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parley-audio-bench-") as tmp:
        folder = Path(tmp)
        ann_voice = speech(folder / "ann.wav", ENGLISH, seconds=10)
        bob_clean = speech(folder / "bob.wav", CHINESE, voice="cmn", seconds=4)
        pause = np.zeros(4 * RATE, np.int16)
        write_wav(folder / "bob-turns.wav", np.concatenate([read_wav(bob_clean), pause]))  # 4 s on, 4 s off
        bob_turns = read_wav(folder / "bob-turns.wav")
        noise = pink_noise(folder / "pink.wav", 8)
        speech_db = level_db(bob_turns[: 4 * RATE])
        noise_db = level_db(read_wav(noise))
        noisy = mix(folder / "bob-noisy.wav", folder / "bob-turns.wav", noise, speech_db - 5 - noise_db)
        studio = Studio(folder, args.seconds)
        try:
            report: dict[str, Any] = {"benchmark": "audio_processing", "seconds_per_call": args.seconds}
            echo: dict[str, Any] = {}
            start = 4 * RATE
            for mode in ("off", "on"):
                heard, stats = studio.call(mode, ann_mic=ann_voice)
                if mode == "off":  # the echo's arrival, 2 s of convergence; the same span with it on
                    start = min(first_sound(heard), 4 * RATE) + CONVERGED
                echo[f"echo_dbfs_{mode}"] = round(level_db(heard[start:]), 1)
                echo[f"echo_dbfs_per_second_{mode}"] = [
                    round(level_db(heard[i : i + RATE]), 1) for i in range(start, heard.size - RATE + 1, RATE)
                ]
                echo[f"bob_far_end_{mode}"] = {
                    k: v for k, v in stats["audio_processing"].items() if k.startswith("far_end")
                }
                if mode == "on":
                    report["cost"] = {
                        "cpu_ms_per_10ms_frame": stats["audio_processing"]["cpu_ms_per_frame"],
                        "cpu_percent_of_core": round(stats["audio_processing"]["cpu_ms_per_frame"] / 10 * 100, 2),
                        "far_end_resyncs": stats["audio_processing"]["far_end_resyncs"],
                        "far_end_stalls": stats["audio_processing"]["far_end_stalls"],
                    }
            echo["erle_db"] = round(echo["echo_dbfs_off"] - echo["echo_dbfs_on"], 1)
            report["echo"] = echo
            talk: dict[str, Any] = {}
            for mode in ("off", "on"):
                heard, stats = studio.call(mode, ann_mic=ann_voice, bob_voice=folder / "bob-turns.wav")
                lag = align(heard, bob_turns)
                start = lag + CONVERGED
                talk[f"echo_in_pauses_dbfs_{mode}"] = round(pause_level(heard[start:], bob_turns, lag - start), 1)
                talk[f"bob_far_end_{mode}"] = {
                    k: v for k, v in stats["audio_processing"].items() if k.startswith("far_end")
                }
                talk[f"bob_envelope_correlation_{mode}"] = envelope_correlation(
                    heard[start:], looped(bob_turns, lag, heard.size)[start:]
                )
            talk["echo_reduction_db"] = round(talk["echo_in_pauses_dbfs_off"] - talk["echo_in_pauses_dbfs_on"], 1)
            report["double_talk"] = talk
            noisy_report: dict[str, Any] = {"input_snr_db": 5.0}
            for mode, mic in (("clean_off", folder / "bob-turns.wav"), ("off", noisy), ("on", noisy)):
                heard, _ = studio.call("on" if mode == "on" else "off", ann_mic=None, bob_mic=mic)
                lag = align(heard, bob_turns)
                start = lag + CONVERGED
                talking_db, pauses_db = segment_levels(heard[start:], bob_turns, lag - start)
                if mode != "clean_off":
                    noisy_report[f"snr_at_ann_db_{mode}"] = snr_db(talking_db, pauses_db)
                noisy_report[f"stoi_{mode}"] = stoi_of(heard, bob_turns, lag)
            noisy_report["snr_improvement_db"] = round(
                noisy_report["snr_at_ann_db_on"] - noisy_report["snr_at_ann_db_off"], 1
            )
            report["noise"] = noisy_report
            report["cost"]["added_latency_ms"] = added_latency_ms(ProcessingChoice())  # what people get
            report["cost"]["added_latency_ms_by_stage"] = {
                "echo_cancellation": added_latency_ms(ProcessingChoice("off", True, False)),
                "noise_suppression": added_latency_ms(ProcessingChoice("standard", False, False)),
                "auto_gain": added_latency_ms(ProcessingChoice("off", False, True)),
            }
        finally:
            studio.close()
    report["wall_s"] = round(time.monotonic() - started, 1)
    report["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
