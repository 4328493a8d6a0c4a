"""The microphone's processing with real signals and no devices: espeak-ng speech and sox noise
through `MicProcessor`, the far-end reference fed in the bursts a sound server delivers (playback
100 ms at a time, capture 20 ms at a time), on a simulated clock."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from client.engine.media.audio_processing import (
    CLIPPING,
    RATE,
    UNAVAILABLE,
    FarEndReference,
    MicProcessor,
    ProcessingChoice,
    choice_from_settings,
    new_resampler,
    to_mono_48k,
)
from client.engine.settings import load_settings, settings_from_mapping
from tests.client.media.audio_live import level_db, need_tools, pink_noise, read_wav, speech

CHINESE = "大家好\uff0c欢迎参加今天的会议。我们来讨论一下下个季度的计划\uff0c请大家发言。"
ECHO_DELAY_S = 0.06 + 0.04  # the acoustic path's 60 ms plus the output buffer
ECHO_GAIN = 0.5  # -6 dB


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray[Any, Any]]:
    need_tools()
    folder = tmp_path_factory.mktemp("voices")
    far = speech(folder / "far.wav", "The quick brown fox jumps over the lazy dog. Parley cancels the echo of this "
                 "voice so that the people who speak do not hear themselves again.", seconds=10)  # fmt: skip
    near = speech(folder / "near.wav", CHINESE, voice="cmn", seconds=10)
    noise = pink_noise(folder / "pink.wav", 10, level_db=-30)
    return {"far": read_wav(far), "near": read_wav(near), "noise": read_wav(noise)}


def run(
    mic: np.ndarray[Any, Any], far: np.ndarray[Any, Any] | None, choice: ProcessingChoice, **listeners: Any
) -> tuple[np.ndarray[Any, Any], FarEndReference]:
    """``mic`` through a `MicProcessor` while ``far`` plays, both delivered in bursts."""
    reference = FarEndReference()
    processor = MicProcessor(choice, reference, **listeners)
    out: list[np.ndarray[Any, Any]] = []
    played = captured = 0
    for step in range(mic.size // 480):
        now = 100.0 + step * 0.01
        while far is not None and played <= (now - 100.0) * RATE + 4800 and played + 4800 <= far.size:
            reference.played(far[played : played + 4800])
            played += 4800
        if step % 2 == 1 and captured + 960 <= mic.size:
            out.append(processor.process(mic[captured : captured + 960]))
            captured += 960
    return np.concatenate(out), reference


def echo_of(far: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    delay = int(ECHO_DELAY_S * RATE)
    echo = np.zeros(far.size)
    echo[delay:] = far[:-delay] * ECHO_GAIN
    return echo


def test_echo_is_cancelled_by_30_db_after_two_seconds(voices: dict[str, np.ndarray[Any, Any]]) -> None:
    far = voices["far"]
    mic = echo_of(far).astype(np.int16)
    out, reference = run(mic, far, ProcessingChoice())
    untouched, _ = run(mic, far, ProcessingChoice.off())
    start = 2 * RATE
    assert np.array_equal(untouched, mic[: untouched.size])  # original sound: bit for bit
    erle = level_db(untouched[start:]) - level_db(out[start:])
    assert erle >= 30, erle
    assert reference.resyncs == 0


def test_double_talk_keeps_the_near_voice_and_the_echo_stays_down(voices: dict[str, np.ndarray[Any, Any]]) -> None:
    """Both speak (the near end 4 s, then a 4 s pause); the near voice keeps its envelope, and the
    echo in the near end's pause (150 ms from its speech: the processing's own delay and the
    voice's fading end are not echo), after the canceller heard the double talk, is >= 20 dB down
    even though the gain control lifted the near voice."""
    far = voices["far"]
    n = far.size
    near = np.zeros(n, np.int16)
    near[: 4 * RATE] = voices["near"][: 4 * RATE]
    near[8 * RATE :] = voices["near"][: n - 8 * RATE]
    echo = echo_of(far)
    mic = np.clip(near + echo, -32768, 32767).astype(np.int16)
    out, _ = run(mic, far, ProcessingChoice())
    start = 2 * RATE

    def envelope(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:  # 100 ms: syllables, not pitch
        frames = x[start : start + (x.size - start) // 4800 * 4800].astype(np.float64).reshape(-1, 4800)
        return np.sqrt(np.mean(frames**2, axis=1))

    m = min(out.size, near.size)
    correlation = np.corrcoef(envelope(out[:m]), envelope(near[:m]))[0, 1]
    assert correlation >= 0.8, correlation
    pause = slice(int(4.15 * RATE), int(7.85 * RATE))
    assert not near[pause].any()
    reduction = level_db(echo[pause]) - level_db(out[pause])
    assert reduction >= 20, reduction


@pytest.mark.parametrize(("level", "least_db"), [("standard", 15.0), ("high", 17.0)])
def test_noise_alone_is_not_sent_as_noise(voices: dict[str, np.ndarray[Any, Any]], level: str, least_db: float) -> None:
    noise = voices["noise"]
    out, _ = run(noise, None, ProcessingChoice(noise_suppression=level))
    start = 2 * RATE
    assert level_db(noise[start : out.size]) - level_db(out[start:]) >= least_db


def test_noise_suppression_off_leaves_the_noise(voices: dict[str, np.ndarray[Any, Any]]) -> None:
    noise = voices["noise"]
    out, _ = run(noise, None, ProcessingChoice(noise_suppression="off", auto_gain=False))
    start = 2 * RATE
    assert abs(level_db(noise[start : out.size]) - level_db(out[start:])) < 3


def test_voice_activity_comes_from_the_processed_sound(voices: dict[str, np.ndarray[Any, Any]]) -> None:
    heard: list[tuple[float, bool]] = []
    run(voices["near"], None, ProcessingChoice(), on_voice=lambda level, speaking: heard.append((level, speaking)))
    assert any(speaking for _, speaking in heard)
    heard.clear()
    run(voices["noise"], None, ProcessingChoice(), on_voice=lambda level, speaking: heard.append((level, speaking)))
    assert not any(speaking for _, speaking in heard[30:])  # noise is not a voice once suppressed
    heard.clear()
    run(voices["near"], None, ProcessingChoice.off(), on_voice=lambda level, speaking: heard.append((level, speaking)))
    assert any(speaking for _, speaking in heard)  # original sound: still "You are muted"


def test_a_far_end_that_plays_only_silence_for_minutes() -> None:
    silence = np.zeros(3 * 60 * RATE, np.int16)
    mic = (np.random.default_rng(1).standard_normal(silence.size) * 300).astype(np.int16)
    out, reference = run(mic, silence, ProcessingChoice())
    assert out.size == mic.size and reference.resyncs == 0


class Devices:
    """Speakers and a microphone 10 ms at a time, the speakers 100 ms ahead; every played sample
    says where it is in the played stream (its value - 1, modulo 20000)."""

    def __init__(self) -> None:
        self.reference = FarEndReference()
        self.stream = (np.arange(80 * RATE) % 20000 + 1).astype(np.int16)
        self.played = 0
        self.play(4800)

    def play(self, count: int = 480) -> None:
        self.reference.played(self.stream[self.played : self.played + count])
        self.played += count

    def capture(self) -> np.ndarray[Any, Any]:
        return self.reference.take(480)

    def step(self) -> np.ndarray[Any, Any]:
        self.play()
        return self.capture()

    def lead(self, taken: np.ndarray[Any, Any]) -> int:
        """How far behind the newest played sample the reference's first sample is."""
        return (self.played - 1 - (int(taken[0]) - 1)) % 20000


def test_the_reference_is_paired_with_the_newest_sound_played_in_time() -> None:
    devices = Devices()
    for _ in range(60):  # 0.6 s: paired
        devices.step()
    taken = devices.step()
    assert np.array_equal(np.diff(taken.astype(np.int32)), np.ones(479)) and devices.lead(taken) == 479


def test_a_reported_underrun_moves_the_pairing_back() -> None:
    devices = Devices()
    for _ in range(60):
        devices.step()
    for _ in range(3):  # the playback thread stalls for 30 ms; the device plays silence meanwhile
        devices.capture()
    devices.reference.gap()  # PortAudio reports the underrun
    for _ in range(50):  # measured again meanwhile
        devices.step()
    for _ in range(100):  # then each frame has all its reference, the newest sound played
        taken = devices.step()
        assert taken.all() and devices.lead(taken) == 479
    assert devices.reference.stalls == 1 and devices.reference.resyncs == 1


def test_a_late_playback_thread_without_an_underrun_keeps_the_pairing() -> None:
    devices = Devices()
    for _ in range(60):
        devices.step()
    for _ in range(3):  # late, but the device's buffer covered it: nothing was lost
        devices.capture()
    devices.play(3 * 480)  # it catches up
    for _ in range(300):
        taken = devices.step()
    assert devices.lead(taken) == 479 and devices.reference.resyncs == 0


def test_clock_drift_moves_the_pairing() -> None:
    devices = Devices()
    for _ in range(60):
        devices.step()
    missing = []
    for step in range(60 * 100):  # the speakers' clock runs 200 ppm slow (no gap is reported)
        devices.play(479 if step % 10 == 0 else 480)
        missing.append(int(np.count_nonzero(devices.capture() == 0)))
    assert devices.reference.resyncs >= 3
    assert sum(missing) < 0.01 * len(missing) * 480  # the reference goes on (nearly) whole


def test_a_pairing_left_behind_by_a_busy_moment_is_tightened_again() -> None:
    devices = Devices()
    for _ in range(60):
        devices.step()
    for _ in range(4):  # a stalled playback thread during a measurement: the pairing moves back
        devices.capture()
    devices.reference.gap()
    for _ in range(60):
        devices.step()
    devices.play(4 * 480)  # it was only late: 40 ms more are played at once
    for _ in range(400):
        taken = devices.step()
    assert devices.lead(taken) < 479 + 480  # the newest sound again, within 10 ms


def test_lost_capture_keeps_the_reference_while_pairing_again() -> None:
    devices = Devices()
    for _ in range(60):
        devices.step()
    devices.play(2 * 480)  # the microphone lost 20 ms (an overflow): the speakers went on
    devices.reference.gap()
    for _ in range(100):  # the old pairing meanwhile (AEC3 follows 20 ms), then the newest again
        taken = devices.step()
        assert taken.all()
    assert devices.lead(taken) == 479 and devices.reference.resyncs == 1


def test_clipping_is_said_once() -> None:
    notices: list[str] = []
    loud = np.where(np.arange(3 * RATE) % 100 < 50, 32767, -32768).astype(np.int16)
    run(loud, None, ProcessingChoice(), on_notice=notices.append)
    assert notices == [CLIPPING]


def test_without_the_library_the_sound_goes_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pywebrtc_audio", None)
    notices: list[str] = []
    mic = (np.random.default_rng(2).standard_normal(RATE) * 1000).astype(np.int16)
    out, _ = run(mic, None, ProcessingChoice(), on_notice=notices.append)
    assert np.array_equal(out, mic[: out.size]) and notices == [UNAVAILABLE]


def test_a_new_choice_takes_effect_at_the_next_frame(voices: dict[str, np.ndarray[Any, Any]]) -> None:
    noise = voices["noise"][: 4 * RATE]
    processor = MicProcessor(ProcessingChoice())
    processor.process(noise[: 2 * RATE])
    processor.configure(ProcessingChoice.off())
    rest = processor.process(noise[2 * RATE :])
    assert np.array_equal(rest, noise[2 * RATE :])


def test_44_1_khz_stereo_devices_become_48_khz_mono() -> None:
    t = np.arange(44100) / 44100
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1)
    resampler = new_resampler()
    out = np.concatenate([to_mono_48k(stereo[i : i + 882], 44100, 2, resampler) for i in range(0, 44100, 882)])
    assert abs(out.size - RATE) <= 960
    assert abs(level_db(out[4800:-4800]) - level_db(tone)) < 1
    floats = to_mono_48k(np.full((480, 2), 0.5, np.float32), RATE, 2)
    assert floats.dtype == np.int16 and floats.size == 480 and int(floats[0]) == 16383


def test_settings_and_policy_keys_choose_the_processing(tmp_path: Path) -> None:
    assert choice_from_settings(load_settings(policy_dir=tmp_path, machine_dir=tmp_path, user_dir=tmp_path)) == (
        ProcessingChoice()
    )
    (tmp_path / "policy.toml").write_text(
        'noise_suppression = "high"\necho_cancellation = false\nauto_gain_control = "0"\noriginal_sound = false\n'
    )
    (tmp_path / "settings.toml").write_text('noise_suppression = "off"\noriginal_sound = true\n')
    settings = load_settings(policy_dir=tmp_path, machine_dir=tmp_path / "none", user_dir=tmp_path)
    assert choice_from_settings(settings) == ProcessingChoice("high", False, False, False)
    assert {"noise_suppression", "echo_cancellation", "auto_gain_control", "original_sound"} <= settings.locked
    registry = settings_from_mapping(
        {"NoiseSuppression": "standard", "EchoCancellation": 1, "AutoGainControl": 0, "OriginalSound": 1}, "HKLM"
    )
    assert registry == {
        "noise_suppression": "standard",
        "echo_cancellation": True,
        "auto_gain_control": False,
        "original_sound": True,
    }
    assert settings_from_mapping({"NoiseSuppression": "loud"}, "HKLM") == {}  # a bad value is ignored
