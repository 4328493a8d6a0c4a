"""Checks of recorded files with Debian's ffprobe/ffmpeg (a decoder nobody here wrote)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def streams(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["codec_type"]: s for s in info["streams"]}


def decode_errors(path: Path) -> str:
    """Everything ffmpeg complains about while decoding the whole file ("" when clean)."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stderr.strip() + ("" if out.returncode == 0 else f"\nexit code {out.returncode}")


def check_playable(path: Path, size: tuple[int, int] | None = None) -> dict[str, Any]:
    """Both streams (H.264 + AAC) present and the whole file decodes cleanly; returns ffprobe's view."""
    info = probe(path)
    found = streams(info)
    assert found["video"]["codec_name"] == "h264", found
    assert found["audio"]["codec_name"] == "aac", found
    if size is not None:
        assert (found["video"]["width"], found["video"]["height"]) == size
    assert decode_errors(path) == ""
    return info


def duration(info: dict[str, Any]) -> float:
    return float(info["format"]["duration"])


def _onsets(times: list[float], values: np.ndarray[Any, Any], quiet: float) -> list[float]:
    """Times where ``values`` rises through the halfway mark after ``quiet`` seconds below it."""
    lo, hi = float(np.percentile(values, 5)), float(values.max())
    if hi - lo < 1e-6:
        return []
    mark = (lo + hi) / 2
    found: list[float] = []
    below_since: float | None = times[0] if len(times) else None
    for t, v in zip(times, values, strict=True):
        if v < mark:
            if below_since is None:
                below_since = t
        else:
            if below_since is not None and t - below_since >= quiet:
                found.append(t)
            below_since = None
    return found


def flash_times(path: Path) -> list[float]:
    """When the picture brightens (a calibration flash), in seconds of the file."""
    times, levels = [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            luma = frame.to_ndarray(format="gray")
            times.append(float(frame.pts * stream.time_base))
            levels.append(float(luma.mean()))
    return _onsets(times, np.array(levels), 0.3)


def beep_times(path: Path) -> tuple[list[float], float]:
    """When a beep starts (5 ms windows), and the audio's overall RMS level (0..1)."""
    chunks: list[np.ndarray[Any, Any]] = []
    start: float | None = None
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.pts * stream.time_base)
            chunks.append(frame.to_ndarray()[0].astype(np.float32))
    samples = np.concatenate(chunks) if chunks else np.zeros(1, np.float32)
    rate = 48000
    window = rate // 200
    usable = len(samples) // window * window
    rms = np.sqrt(np.mean(np.square(samples[:usable].reshape(-1, window)), axis=1))
    times = [(start or 0.0) + i * window / rate for i in range(len(rms))]
    return _onsets(times, rms, 0.3), float(np.sqrt(np.mean(np.square(samples))))


def sync_offsets(flashes: list[float], beeps: list[float]) -> list[float]:
    """For each flash, how much later (+) or earlier (-) the nearest beep starts."""
    return [min((b - f for b in beeps), key=abs) for f in flashes] if beeps else []
