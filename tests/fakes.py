"""Fakes shared by tests across the tree. Fakes of one part ship next to it instead
(client/engine/media/fakes.py, shared/webrtc/fakes.py)."""

from __future__ import annotations

DEFAULT_NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC


class FakeClock:
    """A clock that stands still: ``clock()`` is the time; a test moves it by setting ``now``."""

    def __init__(self, now: float = DEFAULT_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
