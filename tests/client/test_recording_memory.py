"""A long recorded meeting holds only what it shows (issue #14 item 6).

The recorder kept the last frames of every (participant, source) it had ever seen, and the
compositor a scaled frame and a name card per person per tile size, for the whole recording:
people who left, shares that stopped (8 frames of 3 MB each at 1080p) and every layout the meeting
went through stayed in memory until the recording ended.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from client.engine.compositor import Compositor, Tile
from client.engine.recorder import FORGET_AFTER, HISTORY, PRUNE_EVERY, MeetingRecorder


def _frame(width: int = 320, height: int = 180) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((height, width, 3), 90, np.uint8), format="bgr24")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_recorder_lets_go_of_people_who_left_and_shares_that_stopped(tmp_path: Path) -> None:
    clock = Clock()
    recorder = MeetingRecorder(tmp_path / "r.mp4", size=(320, 180), fps=15, min_free=0, reserve=0, clock=clock)
    recorder.set_roster([("alice", "Alice", True), ("bob", "Bob", True)])
    for _ in range(HISTORY + 2):
        for key in (("alice", "camera"), ("bob", "camera"), ("bob", "screen")):
            recorder.video(*key, _frame())
        clock.now += 0.05
    assert recorder.tiles_held == {("alice", "camera"), ("bob", "camera"), ("bob", "screen")}

    recorder.set_roster([("alice", "Alice", True)])  # Bob left
    assert recorder.tiles_held == {("alice", "camera")}

    # Alice shares for a while and stops; her camera goes on.
    for _ in range(20):
        recorder.video("alice", "screen", _frame())
        recorder.video("alice", "camera", _frame())
        clock.now += 0.1
    assert ("alice", "screen") in recorder.tiles_held
    for _ in range(int((FORGET_AFTER + 2 * PRUNE_EVERY) / 0.1)):
        recorder.video("alice", "camera", _frame())
        clock.now += 0.1
    assert recorder.tiles_held == {("alice", "camera")}

    # A working day's coming and going: what is held follows who is there.
    for i in range(30):
        guest = f"guest{i}"
        recorder.set_roster([("alice", "Alice", True), (guest, f"Guest {i}", True)])
        for _ in range(HISTORY):
            recorder.video(guest, "camera", _frame())
            recorder.video(guest, "screen", _frame())
            clock.now += 0.05
        assert recorder.tiles_held <= {("alice", "camera"), (guest, "camera"), (guest, "screen")}
    recorder.set_roster([("alice", "Alice", True)])
    assert recorder.tiles_held <= {("alice", "camera")}


def test_the_compositor_keeps_one_picture_and_one_name_card_per_person_shown() -> None:
    compositor = Compositor(640, 360)
    people = [Tile(f"p{i}", f"Person {i}", _frame() if i % 2 else None) for i in range(9)]
    # The gallery's tile size changes with every arrival; each person is drawn at many sizes.
    for count in range(1, 10):
        for _ in range(2):
            compositor.compose(people[:count])
    compositor.compose(people[:4], screen=Tile("p1/screen", "Person 1's screen", _frame(640, 360)))
    cached = compositor.tiles_cached
    assert max(cached.values()) <= 2, cached  # before: one entry per size each person was drawn at
    assert set(cached) <= {t.key for t in people} | {"p1/screen"}

    compositor.forget({"p0", "p1"})  # the others left
    assert set(compositor.tiles_cached) <= {"p0", "p1"}
