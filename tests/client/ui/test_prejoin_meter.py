"""The pre-join microphone meter shows the processed level: a microphone hearing only a fan
(pink noise, through a PulseAudio virtual microphone) barely moves it with noise suppression on,
and moves it with original sound."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.engine.media.audio_processing import ProcessingChoice
from tests.client.media.audio_live import need_tools, pink_noise
from tests.pulse import PulseServer


@pytest.fixture
def fan_microphone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    need_tools()
    pulse = PulseServer(tmp_path).start()
    try:
        mic = pulse.microphone("fan_mic")
        pulse.play_loop(f"{mic}_in", pink_noise(tmp_path / "fan.wav", 10, level_db=-25))
        for name, value in pulse.device_env(None, mic).items():
            if os.environ.get(name) != value:
                monkeypatch.setenv(name, value)  # ALSA's pulse plugin reads them when a stream opens
        _restart_portaudio()  # it lists devices once: an earlier test may have started it without this server
        yield
    finally:
        pulse.stop()
        _restart_portaudio()


def _restart_portaudio() -> None:
    import sounddevice

    sounddevice._terminate()
    sounddevice._initialize()


def meter_after(preview: Any, drive: Any, processing: ProcessingChoice, seconds: float = 4.0) -> float:
    levels: list[float] = []
    preview.level_changed.connect(levels.append)
    try:
        preview.start_microphone("pulse", processing)
        drive.until(lambda: len(levels) > seconds * 10, timeout=seconds + 15, what="meter readings")
        settled = levels[-10:]
    finally:
        preview.stop_microphone()
        preview.level_changed.disconnect(levels.append)
    return max(settled)


def test_the_meter_shows_the_processed_level(fan_microphone: None, qloop: Any, drive: Any) -> None:
    from client.ui.preview import DevicePreview

    preview = DevicePreview()
    problems: list[tuple[str, str]] = []
    preview.problem.connect(lambda kind, sentence: problems.append((kind, sentence)))
    original = meter_after(preview, drive, ProcessingChoice.off())
    assert not problems, problems
    processed = meter_after(preview, drive, ProcessingChoice())
    assert original > 0.3, original  # the fan is heard as it is
    assert processed < original - 0.25, (processed, original)  # ~15 dB less on a 50 dB meter
