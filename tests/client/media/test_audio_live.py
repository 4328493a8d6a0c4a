"""Echo and noise through a real relay with PulseAudio virtual devices (tests/pulse.py).

Ann's microphone is a speech file (``--mic FILE.wav``) and what she hears goes to a file
(``--speaker-out``). Bob's speaker and microphone are PulseAudio devices, with ``module-loopback``
from his speaker's monitor into his microphone (60 ms, -6 dB) as the room's acoustic path. Each
case runs once with Bob's processing off and once on (``--audio-processing``), in the same way.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.client.media.audio_live import (
    RATE,
    finish,
    headless,
    level_db,
    need_tools,
    pink_noise,
    read_wav,
    speech,
    wait_for_line,
)
from tests.conftest import RunningRelay
from tests.media_fixtures import start_media_relay
from tests.pulse import PulseServer

pytestmark = pytest.mark.slow
SECONDS = 24
SETTLED = 8 * RATE  # the first seconds: joining, the first packets, the echo canceller converging
_names = itertools.count(1)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PulseServer, RunningRelay, Path]]:
    need_tools()
    folder = tmp_path_factory.mktemp("studio")
    pulse = PulseServer(folder).start()
    relay = start_media_relay(folder)
    try:
        yield pulse, relay, folder
    finally:
        relay.stop()
        pulse.stop()


def call(
    studio: tuple[PulseServer, RunningRelay, Path],
    processing: str,
    *,
    ann_mic: Path | None,
    bob_echo: bool = True,
    bob_noise: Path | None = None,
) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    """What Ann heard of Bob during a call, and Bob's ``--stats``."""
    pulse, relay, folder = studio
    n = next(_names)
    speaker, mic = pulse.speaker(f"bob{n}_speaker"), pulse.microphone(f"bob{n}_mic")
    if bob_echo:
        pulse.acoustic_path(speaker, mic, delay_ms=60, gain=0.5)
    if bob_noise is not None:
        pulse.play_loop(f"{mic}_in", bob_noise)
    ann, bob = relay.add_user(display=f"Ann{n}"), relay.add_user(display=f"Bob{n}")
    meeting = relay.create_meeting(ann)
    bob_stats, heard = folder / f"bob{n}.json", folder / f"heard{n}.wav"
    bob_proc = headless(relay.server, relay.fingerprint, bob, meeting, pulse.device_env(speaker, mic),
                        "--mic", "default", "--audio-processing", processing, "--stats", str(bob_stats))  # fmt: skip
    try:
        wait_for_line(bob_proc, "joined")
        ann_env = {**pulse.env, "PARLEY_PLAYBACK": "0"}  # no device: a clock takes what she hears
        ann_proc = headless(relay.server, relay.fingerprint, ann, meeting, ann_env,
                            "--mic", str(ann_mic) if ann_mic else "none", "--speaker-out", str(heard),
                            "--duration", str(SECONDS))  # fmt: skip
        out, err = ann_proc.communicate(timeout=SECONDS + 90)
        assert ann_proc.returncode == 0, out + err
    finally:
        out, err = finish(bob_proc)
    stats = json.loads(bob_stats.read_text())
    return read_wav(heard), stats


def test_the_echo_of_a_voice_does_not_come_back(studio: tuple[PulseServer, RunningRelay, Path]) -> None:
    """Ann speaks, Bob is silent in a room whose speaker reaches his microphone."""
    voice = speech(studio[2] / "ann.wav", "The quick brown fox jumps over the lazy dog. Parley cancels the echo "
                   "so that the people who speak do not hear themselves again.", seconds=8)  # fmt: skip
    unprocessed, _ = call(studio, "off", ann_mic=voice)
    processed, stats = call(studio, "on", ann_mic=voice)
    echo_off, echo_on = level_db(unprocessed[SETTLED:]), level_db(processed[SETTLED:])
    assert echo_off > -40, f"the room's echo did not reach Ann at all ({echo_off:.1f} dBFS): a broken test setup"
    seconds = [round(level_db(processed[i : i + RATE]), 1) for i in range(0, processed.size - RATE + 1, RATE)]
    assert echo_off - echo_on >= 25, (echo_off, echo_on, seconds, stats.get("audio_processing"))
    assert stats["audio_processing"]["active"] and stats["audio_processing"]["frames"] > 0


def test_a_noise_only_microphone_is_not_sent_as_noise(studio: tuple[PulseServer, RunningRelay, Path]) -> None:
    """Bob says nothing in front of a fan (pink noise); Ann says nothing either."""
    noise = pink_noise(studio[2] / "fan.wav", 10, level_db=-30)
    unprocessed, _ = call(studio, "off", ann_mic=None, bob_echo=False, bob_noise=noise)
    processed, _ = call(studio, "on", ann_mic=None, bob_echo=False, bob_noise=noise)
    noise_off, noise_on = level_db(unprocessed[SETTLED:]), level_db(processed[SETTLED:])
    assert noise_off > -50, f"the noise did not reach Ann ({noise_off:.1f} dBFS): a broken test setup"
    assert noise_off - noise_on >= 15, (noise_off, noise_on)
