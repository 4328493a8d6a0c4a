"""Helpers for the live sound tests and bench/audio_processing.py: headless participants whose
sound devices are PulseAudio null sinks (tests/pulse.py), speech from espeak-ng, noise from sox."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
RATE = 48000


def need_tools() -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (installer/apt-test-packages.txt)")


def speech(path: Path, text: str, voice: str = "en-us", seconds: float | None = None) -> Path:
    """espeak-ng speech as 48 kHz mono s16, padded with silence to ``seconds``."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True, timeout=60)
    pad = ["pad", "0", str(seconds)] if seconds else []
    subprocess.run(["sox", str(raw), "-r", "48000", "-c", "1", "-b", "16", str(path), "norm", "-6", *pad],
                   check=True, timeout=60)  # fmt: skip
    if seconds:
        subprocess.run(["sox", str(path), str(raw), "trim", "0", str(seconds)], check=True, timeout=60)
        raw.replace(path)
    else:
        raw.unlink()
    return path


def pink_noise(path: Path, seconds: float, level_db: float = -30.0) -> Path:
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(path), "synth", str(seconds),
                    "pinknoise", "norm", str(level_db)], check=True, timeout=60)  # fmt: skip
    return path


def mix(path: Path, first: Path, second: Path, second_gain_db: float) -> Path:
    """``first`` plus ``second`` attenuated by ``second_gain_db`` (e.g. speech with noise)."""
    a, b = read_wav(first).astype(np.float64), read_wav(second).astype(np.float64)
    n = min(a.size, b.size)
    out = a[:n] + b[:n] * 10 ** (second_gain_db / 20)
    write_wav(path, np.clip(out, -32768, 32767).astype(np.int16))
    return path


def read_wav(path: Path) -> np.ndarray[Any, Any]:
    with wave.open(str(path)) as f:
        assert f.getframerate() == RATE and f.getnchannels() == 1 and f.getsampwidth() == 2
        return np.frombuffer(f.readframes(f.getnframes()), "<i2").astype(np.int16)


def write_wav(path: Path, samples: np.ndarray[Any, Any]) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())


def level_db(samples: np.ndarray[Any, Any]) -> float:
    power = float(np.mean(np.square(samples.astype(np.float64) / 32768.0))) if samples.size else 0.0
    return 10 * float(np.log10(power)) if power > 1e-12 else -120.0


def headless(
    server: str, fingerprint: str, user: str, meeting: str, env: dict[str, str], *extra: str
) -> subprocess.Popen[str]:
    link = f"parley://{server}/m/{meeting}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "client.cli", "join", link, "--headless", "--user", user, "--password-stdin",
         "--server-fingerprint", fingerprint, "--camera", "none", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write("correct horse\n")
    proc.stdin.close()
    proc.stdin = None
    return proc


def wait_for_line(proc: subprocess.Popen[str], word: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if word in line:
            return
    raise AssertionError(f"the participant ended before {word!r}: {proc.stderr.read() if proc.stderr else ''}")


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    if proc.poll() is None:
        proc.terminate()
    out, err = proc.communicate(timeout=timeout)
    return out, err
