"""Recording across a relay restart: the recording goes on to a decodable file with a gap, and the
meeting knows it is recorded again once the host is back (late joiners too)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from client.engine import events as ev
from tests.client.recording_checks import check_playable, duration
from tests.client.test_recording import _join
from tests.conftest import RunningRelay
from tests.media_fixtures import MEDIA_CONFIG, frames, leave, wait_until
from tests.test_reconnect import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


def _loud_windows(path: Path, window: float = 0.1) -> list[tuple[float, bool]]:
    """(start time, has sound) for each ``window`` seconds of the file's audio."""
    chunks: list[np.ndarray[Any, Any]] = []
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            chunks.append(frame.to_ndarray()[0].astype(np.float32))
    samples = np.concatenate(chunks)
    size = int(48000 * window)
    usable = len(samples) // size * size
    rms = np.sqrt(np.mean(np.square(samples[:usable].reshape(-1, size)), axis=1))
    return [(i * window, bool(level > 0.01)) for i, level in enumerate(rms)]


async def test_recording_goes_on_through_a_relay_restart(tmp_path: Path) -> None:
    from client.engine.recording import RecordingService

    port = free_port()
    relay = RunningRelay(tmp_path / "data", MEDIA_CONFIG + "[backup]\ninterval_hours = 0\n", port=port).start()
    people: list[tuple[Any, Any]] = []
    try:
        host = relay.add_user(display="Hannah Host")
        guest = relay.add_user(display="Gus Guest")
        late = relay.add_user(display="Lena Late")
        meeting = relay.create_meeting(host, title="Restart while recording")
        hc, hs = await _join(relay, host, meeting, mic="none")
        watchers: list[Any] = []
        gc, gs = await _join(relay, guest, meeting, before_join=lambda c: watchers.append(RecordingService(c)))
        people += [(hc, hs), (gc, gs)]
        guest_sees = watchers[0]
        await wait_until(lambda: frames(hs, gc.participant_id, "mic") > 10, 30, "the guest's microphone")

        recording = RecordingService(hc, hs, folder=tmp_path / "rec", size=(320, 180), fps=15, min_free=0, reserve=0)
        path = await recording.start()
        await wait_until(lambda: guest_sees.meeting_recorded, 10, "the recording notice")
        await asyncio.sleep(2.0)  # recorded before the restart
        assert recording.recorder is not None
        down_at = recording.recorder.clock() - (recording.recorder.started_at or 0.0)

        back = [
            asyncio.ensure_future(c.wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=60)) for c in (hc, gc)
        ]
        assert relay.stop(signal.SIGTERM) == 0
        relay.start()
        assert relay.port == port
        await asyncio.gather(*back)
        up_at = recording.recorder.clock() - (recording.recorder.started_at or 0.0)
        assert recording.recording_here and recording.recorder.running  # never stopped

        # The host said again that it records (the relay knows the host's new seat records); everyone
        # sees the indicator, people who join now too.
        await wait_until(
            lambda: recording.state is not None and recording.state.by_participant_id == hc.participant_id,
            20,
            "the relay to know who records",
        )
        assert recording.state.recording
        await wait_until(lambda: guest_sees.meeting_recorded, 20, "the indicator after the restart")
        assert guest_sees.state.by_name == "Hannah Host"
        services: list[Any] = []
        lc, ls = await _join(
            relay, late, meeting, camera="none", mic="none", before_join=lambda c: services.append(RecordingService(c))
        )
        people.append((lc, ls))
        await wait_until(lambda: services[0].meeting_recorded, 10, "the late joiner's indicator")
        assert services[0].state.by_name == "Hannah Host"

        # Media comes back into the recording.
        heard = frames(hs, gc.participant_id, "mic")
        await wait_until(lambda: frames(hs, gc.participant_id, "mic") > heard + 50, 30, "the guest's voice again")
        await asyncio.sleep(1.0)  # recorded after the restart
        saved = await recording.stop()
        assert saved == path
        await wait_until(lambda: not services[0].meeting_recorded, 10, "the stop notice")
    finally:
        for client, session in people:
            with contextlib.suppress(Exception):
                await leave(client, session)
        relay.stop()

    info = check_playable(path, (320, 180))
    wall = recording.last_wall_seconds
    assert abs(duration(info) - wall) <= wall * 0.01, (duration(info), wall)
    windows = _loud_windows(path)
    # The guest is heard before the relay went down and after it came back; in between, a gap.
    assert any(loud for t, loud in windows if 0.5 < t < down_at - 0.2)
    assert any(loud for t, loud in windows if t > up_at)
    assert not any(loud for t, loud in windows if down_at + 0.3 < t < up_at - 0.1), (down_at, up_at)
