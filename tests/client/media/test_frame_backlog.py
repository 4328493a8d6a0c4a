"""A receiver that falls behind shows the newest frame and does not hoard the others (issue #14 item 6).

aiortc's decoder puts every decoded frame in the remote track's unbounded queue; when the event loop
is busy (a loaded machine, a slow sink) they piled up there, 3 MB each at 1080p, and were shown
late one by one. The camera here comes from another process (a headless participant), so it keeps
sending while this process's loop is stalled.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from client.engine.media.sources import read_mark
from tests.conftest import ROOT, RunningRelay
from tests.media_fixtures import join, leave, start_media_relay, wait_until

STALL_S = 2.0
CATCH_UP_S = 0.5
FPS = 15


@pytest.fixture(scope="module")
def media_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    relay = start_media_relay(tmp_path_factory.mktemp("backlog-relay"))
    yield relay
    relay.stop()


def _camera(relay: RunningRelay, link: str, name: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PARLEY_VIDEO=f"320x240@{FPS}", PARLEY_PLAYBACK="0")
    cmd = [sys.executable, "-m", "client.cli", "join", link, "--headless", "--user", name, "--password-stdin"]
    cmd += ["--server-fingerprint", relay.fingerprint, "--mic", "none", "--duration", "120"]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env
    )
    assert proc.stdin is not None
    proc.stdin.write("correct horse\n")
    proc.stdin.close()
    return proc


def _counter(frame: Any) -> int | None:
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]
    mark = read_mark(luma)
    return mark[0] if mark is not None else None


async def test_after_a_stall_the_newest_frame_is_shown_and_the_stale_ones_are_let_go(
    media_relay: RunningRelay, tmp_path: Path
) -> None:
    sender, watcher = media_relay.add_user(), media_relay.add_user()
    meeting = media_relay.create_meeting(sender)
    proc = _camera(media_relay, f"parley://{media_relay.server}/m/{meeting}", sender)
    client, session = await join(media_relay, watcher, meeting, camera="none", mic="none")
    try:
        shown: list[int | None] = []
        stalls = [STALL_S, CATCH_UP_S]  # what the next frames' sink calls block the loop for
        armed = False

        def sink(participant_id: str, source: str, frame: Any) -> None:
            if source != "camera":
                return
            shown.append(_counter(frame))
            if armed and stalls:
                # The whole loop stops, as on a machine busy elsewhere: first while packets queue up
                # in the socket, then (once they are read) while the decoder thread decodes them.
                time.sleep(stalls.pop(0))

        session.add_video_sink(sink)
        await wait_until(lambda: len(shown) >= 10, 60, "the other camera's frames")
        armed = True
        await wait_until(lambda: not stalls, 20, "the stalls")
        at_stall = len(shown)
        await wait_until(lambda: len(shown) >= at_stall + 5, 30, "frames after the stalls")

        stats = next(s for (_, source), s in session.stats_by_track.items() if source == "camera")
        after = [c for c in shown[at_stall - 2 :] if c is not None]
        # About STALL_S x FPS frames arrive in a burst once the loop runs again; the reader catches up
        # by skipping to the newest (before: every stale one was shown in turn, one counter apart).
        biggest_jump = max(b - a for a, b in itertools.pairwise(after))
        assert biggest_jump >= FPS * STALL_S / 4, after[:12]
        assert stats.skipped >= FPS * STALL_S / 4 - 1
        assert stats.report()["frames_skipped"] == stats.skipped
        # Frames are still shown in order, none twice.
        counters = [c for c in shown if c is not None]
        assert counters == sorted(counters) and len(counters) == len(set(counters))
    finally:
        await leave(client, session)
        proc.terminate()
        proc.wait(15)
