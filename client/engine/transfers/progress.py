"""`Progress`: how fast a transfer moves, and when to say so (throttled). Time is passed in."""

from __future__ import annotations

# Least time between two progress events of one transfer (final states are always said).
PROGRESS_INTERVAL = 0.25
# Least time between two speed samples.
SAMPLE_INTERVAL = 0.2


class Progress:
    """A smoothed speed (bytes per second) and the throttle for progress events."""

    __slots__ = ("last_bytes", "last_emit", "last_time", "speed")

    def __init__(self, now: float) -> None:
        self.last_emit = 0.0
        self.speed = 0.0
        self.last_bytes = 0
        self.last_time = now

    def update(self, done: int, now: float) -> None:
        """Record that ``done`` bytes are through at ``now``."""
        elapsed = now - self.last_time
        if elapsed >= SAMPLE_INTERVAL:
            instant = (done - self.last_bytes) / elapsed
            self.speed = instant if self.speed == 0 else 0.6 * self.speed + 0.4 * instant
            self.last_bytes, self.last_time = done, now

    def due(self, done: int, now: float, force: bool) -> bool:
        """Record ``done`` bytes; True when a progress event should go out now (throttled)."""
        self.update(done, now)
        if not force and now - self.last_emit < PROGRESS_INTERVAL:
            return False
        self.last_emit = now
        return True

    def seconds_left(self, remaining: int) -> float | None:
        """Time to move ``remaining`` bytes at the current speed; None while it is unknown."""
        return remaining / self.speed if self.speed > 0 else None
