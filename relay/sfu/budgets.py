"""Bitrate limits the relay enforces on the packet path, not only advises (issue #15 item 4).

REMB only asks a publisher to slow down; one that ignores it (50 Mbit/s was seen) would be
forwarded in full to every subscriber. So:

- `Ceiling`: each published stream (mic, camera, screen: the layers a participant publishes) has
  a hard ceiling, a token bucket of bytes with one second of burst (keyframes fit). Packets over
  it are dropped, every subscriber of the stream then waits for a keyframe (a frame with a
  missing packet cannot be decoded) and one is asked for; a publisher still over the ceiling
  after ``cutoff_seconds`` of dropping (an episode ends after ``EPISODE_GAP`` seconds without a
  drop) is cut off: its stream is no longer forwarded and it is told why in a sentence.
- `EgressBudget`: each subscriber has a budget of bytes per second over all it receives. Video
  over it is dropped for that subscriber alone (the slot restarts at a keyframe); audio always
  goes out but spends the budget, so it takes precedence over video.

Both are a few float operations per packet, with time passed in.
"""

from __future__ import annotations

EPISODE_GAP = 2.0  # seconds without a drop that end an episode of going over the ceiling


class Ceiling:
    """A published stream's hard bitrate ceiling."""

    __slots__ = ("cut", "cutoff_seconds", "dropped", "kbps", "last_drop", "over_since", "rate", "tokens", "updated")

    def __init__(self, kbps: float, cutoff_seconds: float, now: float) -> None:
        self.kbps = kbps
        self.rate = kbps * 125.0  # bytes per second
        self.tokens = self.rate  # one second of burst
        self.updated = now
        self.cutoff_seconds = cutoff_seconds
        self.dropped = 0
        self.last_drop = -1e9
        self.over_since = 0.0
        self.cut = False  # set once: the stream stays cut off

    def allows(self, size: int, now: float) -> bool:
        """Whether a packet of ``size`` bytes may be forwarded now (spends it if so)."""
        if self.rate <= 0:
            return True
        tokens = self.tokens + (now - self.updated) * self.rate
        self.updated = now
        if tokens > self.rate:
            tokens = self.rate
        if tokens >= size:
            self.tokens = tokens - size
            return True
        self.tokens = tokens
        self.dropped += 1
        if now - self.last_drop > EPISODE_GAP:
            self.over_since = now
        self.last_drop = now
        return False

    def exhausted(self, now: float) -> bool:
        """True once, when the stream has been over its ceiling for ``cutoff_seconds``."""
        if self.cut or self.cutoff_seconds <= 0 or now - self.over_since < self.cutoff_seconds:
            return False
        self.cut = True
        return True


class EgressBudget:
    """One subscriber's budget of bytes per second, shared by all its slots."""

    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, kbps: float, now: float) -> None:
        self.rate = kbps * 125.0
        self.burst = self.rate  # one second
        self.tokens = self.burst
        self.updated = now

    def spend(self, size: int, now: float, *, must: bool) -> bool:
        """Spend ``size`` bytes; False (nothing spent) when they are not there, unless ``must``
        (audio), which may take the budget below zero so the video after it waits."""
        tokens = self.tokens + (now - self.updated) * self.rate
        self.updated = now
        if tokens > self.burst:
            tokens = self.burst
        if tokens >= size or must:
            self.tokens = tokens - size
            return True
        self.tokens = tokens
        return False
