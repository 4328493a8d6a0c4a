"""Token buckets for flooding protection: per connection and per account."""

from __future__ import annotations


class TokenBucket:
    """``rate`` tokens per second up to ``burst``. Time is passed in, so tests need no clock."""

    __slots__ = ("burst", "rate", "tokens", "updated_at")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated_at = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens if there are enough; refill by elapsed time first."""
        elapsed = max(0.0, now - self.updated_at)
        self.updated_at = now
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def retry_after(self, cost: float = 1.0) -> float:
        missing = cost - self.tokens
        return 0.0 if missing <= 0 or self.rate <= 0 else missing / self.rate
