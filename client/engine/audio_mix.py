"""The recording's sound: everyone's audio placed on the recording's timeline and mixed to one
mono track. No Qt here.

Chunks arrive on the event loop (`AudioMix.add`, cheap); the recorder's worker thread takes the
mix a frame at a time (`AudioMix.mix`) and reads who is speaking (`AudioMix.levels`).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np

AUDIO_RATE = 48000
# Decoded video reaches the recorder later than audio sent at the same instant (VP8's decode,
# the frame tick): audio is placed this much later to line up (measured: 40-60 ms on loopback).
AUDIO_ALIGN = 0.03
RESYNC = 0.08  # a lane this far behind the arrival clock jumps to it (a gap)
EARLY = 0.005  # a chunk this much earlier than its slot moves the lane back


@dataclass
class AudioLane:
    """One person's audio placed on the recording's timeline (in samples since the start)."""

    next_pos: int | None = None
    chunks: deque[tuple[int, np.ndarray[Any, Any]]] = field(default_factory=deque)
    level: float = 0.0


class AudioMix:
    """Everyone's audio lanes; safe to feed from the event loop while a worker mixes."""

    def __init__(self) -> None:
        self._lanes: dict[str, AudioLane] = {}
        self._lock = threading.Lock()

    def add(self, participant_id: str, samples: np.ndarray[Any, Any], now_pos: int) -> None:
        """Place mono s16 ``samples`` that arrived when the recording was at ``now_pos``."""
        level = float(np.sqrt(np.mean(np.square(samples.astype(np.float32) / 32768.0)))) if samples.size else 0.0
        with self._lock:
            lane = self._lanes.setdefault(participant_id, AudioLane())
            lane.level = max(level, lane.level * 0.8)
            # Chunks are laid end to end. Jitter only ever delays a chunk, so the earliest arrival
            # is the true clock: a chunk arriving earlier than its slot pulls the lane back to it;
            # one arriving far later (a stall, a network drop) moves it on and leaves a gap.
            arrival = now_pos - len(samples) + int(AUDIO_ALIGN * AUDIO_RATE)
            if (
                lane.next_pos is None
                or arrival < lane.next_pos - EARLY * AUDIO_RATE
                or arrival > lane.next_pos + RESYNC * AUDIO_RATE
            ):
                lane.next_pos = arrival
            lane.chunks.append((lane.next_pos, samples))
            lane.next_pos += len(samples)

    def levels(self) -> dict[str, float]:
        """How loud each person is now (decaying), by participant id."""
        with self._lock:
            return {pid: lane.level for pid, lane in self._lanes.items()}

    def mix(self, start: int, count: int) -> np.ndarray[Any, Any]:
        """Samples ``start`` to ``start + count`` of everyone together, as s16."""
        out = np.zeros(count, np.int32)
        end = start + count
        with self._lock:
            for lane in self._lanes.values():
                while lane.chunks:
                    pos, chunk = lane.chunks[0]
                    if pos >= end:
                        break
                    lo, hi = max(pos, start), min(pos + len(chunk), end)
                    if hi > lo:
                        out[lo - start : hi - start] += chunk[lo - pos : hi - pos]
                    if pos + len(chunk) <= end:
                        lane.chunks.popleft()
                    else:
                        break
                lane.level *= 0.9
        return np.clip(out, -32768, 32767).astype(np.int16)


def mono_s16(frame: av.AudioFrame) -> np.ndarray[Any, Any] | None:
    """The frame's first channel as s16 samples; None unless it is at the recording's rate."""
    if frame.sample_rate != AUDIO_RATE:
        return None
    samples = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    if frame.format.is_planar:
        samples = samples[0] if channels >= 1 else samples.reshape(-1)
    else:
        samples = samples.reshape(-1, channels)[:, 0] if channels > 1 else samples.reshape(-1)
    return np.ascontiguousarray(samples, dtype=np.int16)
