"""Recording: permission and notices through a live relay, and the files checked with ffmpeg."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from tests.client.recording_checks import (
    beep_times,
    check_playable,
    decode_errors,
    duration,
    flash_times,
    probe,
    streams,
    sync_offsets,
)
from tests.conftest import ROOT
from tests.media_fixtures import SMALL, leave, start_media_relay, wait_until

pytestmark = pytest.mark.timeout(120)


async def _join(
    relay: Any, name: str, meeting: str, *, calibration: bool = False, before_join: Any = None, **media: Any
) -> tuple[Any, Any]:
    """A signed-in participant with media; ``calibration`` sends flashes and beeps."""
    from client.engine.call import ParleyClient
    from client.engine.media.calibration import BeepAudioTrack, FlashVideoTrack
    from client.engine.media.session import MediaSession

    client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    await client.connect()
    await client.sign_in(name, "correct horse", remember=False)
    if before_join is not None:
        before_join(client)
    await client.join(meeting)
    session = MediaSession(client, **{**SMALL, **media})
    if calibration:

        def sources() -> None:
            session.local_tracks["camera"] = FlashVideoTrack(320, 240, 30.0)
            session.local_tracks["mic"] = BeepAudioTrack()

        session._open_sources = sources  # type: ignore[method-assign]
    await session.start()
    return client, session


def _recording_events(client: Any) -> list[Any]:
    seen: list[Any] = []
    client.add_listener(lambda e: seen.append(e) if isinstance(e, ev.RecordingStateChanged) else None)
    return seen


async def test_host_records_in_sync_everyone_is_told_and_others_are_refused(tmp_path: Path) -> None:
    from client.engine.recording import RecordingService
    from shared.errors import Forbidden
    from shared.protocol import messages as m

    relay = start_media_relay(tmp_path)
    people: list[tuple[Any, Any]] = []
    try:
        host = relay.add_user(display="Hannah Host")
        guest = relay.add_user(display="Gus Guest")
        late = relay.add_user(display="Lena Late")
        meeting = relay.create_meeting(host, title="Weekly: sync/review")
        hc, hs = await _join(relay, host, meeting, mic="none", fps=15.0)
        gc, gs = await _join(relay, guest, meeting, calibration=True)
        people += [(hc, hs), (gc, gs)]
        remote_audio: list[str] = []
        hs.add_audio_sink(lambda pid, source, frame: remote_audio.append(source))
        guest_told = _recording_events(gc)

        # Only the host may record: the relay refuses everyone else.
        guest_recorder = RecordingService(gc, gs, folder=tmp_path / "guest", size=(640, 360), min_free=0, reserve=0)
        with pytest.raises(Forbidden):
            await guest_recorder.start()
        assert not (tmp_path / "guest").exists()

        await wait_until(
            lambda: hs.first_video.is_set() and len(remote_audio) > 10,
            30,
            f"guest media ({hs.first_video.is_set()}, {len(remote_audio)})",
        )
        recorder = RecordingService(hc, hs, folder=tmp_path / "rec", size=(640, 360), fps=30, min_free=0, reserve=0)
        path = await recorder.start()
        assert path.parent == tmp_path / "rec" and path.name.startswith("Weekly_ sync_review ")
        await wait_until(lambda: guest_told and guest_told[-1].state.recording, 10, "the recording notice")
        assert guest_told[-1].message == "Hannah Host started recording this meeting."

        # A late joiner sees the indicator straight away.
        services: list[Any] = []
        lc, ls = await _join(
            relay, late, meeting, camera="none", mic="none", before_join=lambda c: services.append(RecordingService(c))
        )
        people.append((lc, ls))
        late_service = services[0]
        await wait_until(lambda: late_service.meeting_recorded, 10, "the late joiner's indicator")
        assert late_service.state is not None
        assert late_service.state.by_name == "Hannah Host"

        # Stopping is the host's (or the recorder's) call, not a guest's.
        with pytest.raises(Forbidden):
            await gc.request(m.StopRecording(id=0))
        await asyncio.sleep(5.5)  # the length of the recording under test
        saved = await recorder.stop()
        assert saved == path
        await wait_until(lambda: not late_service.meeting_recorded, 10, "the stop notice")
        assert guest_told[-1].message == "Hannah Host stopped recording this meeting."
    finally:
        for client, session in people:
            with contextlib.suppress(Exception):
                await leave(client, session)
        relay.stop()

    assert recorder.recorder is None
    info = check_playable(path, (640, 360))
    wall = recorder.last_wall_seconds
    assert abs(duration(info) - wall) <= wall * 0.01, (duration(info), wall)
    # Leave out the edges, where a flash or a beep may be cut in half.
    flashes = [t for t in flash_times(path) if 0.5 < t < wall - 0.5]
    beeps, _level = beep_times(path)
    offsets = sync_offsets(flashes, beeps)
    assert len(flashes) >= 3 and len(offsets) >= 3, (flashes, beeps)
    assert max(abs(o) for o in offsets) < 0.1, offsets


async def _feed(recorder: Any, seconds: float, people: int, *, pause: tuple[float, float] | None = None) -> None:
    """Synthetic 640x360 cameras and tones into ``recorder`` as a media session would, with
    nothing at all arriving during ``pause`` (start, end in seconds): a network drop."""
    from client.engine.media.sources import SyntheticVideoTrack, ToneAudioTrack

    t0 = time.monotonic()

    def dropped() -> bool:
        return pause is not None and pause[0] <= time.monotonic() - t0 < pause[1]

    async def video(i: int) -> None:
        track = SyntheticVideoTrack(640, 360, 15.0, hue=i * 40)
        while time.monotonic() - t0 < seconds:
            frame = await track.recv()
            if not dropped():
                recorder.video(f"p{i}", "camera", frame)

    async def audio(i: int) -> None:
        track = ToneAudioTrack(300.0 + 200 * i)
        while time.monotonic() - t0 < seconds:
            frame = await track.recv()
            if not dropped():
                recorder.audio(f"p{i}", frame)

    await asyncio.gather(*(video(i) for i in range(people)), *(audio(i) for i in range(min(people, 2))))


async def test_recorder_720p_file_with_name_tiles_and_a_network_gap(tmp_path: Path) -> None:
    from client.engine.recorder import MeetingRecorder

    path = tmp_path / "gallery.mp4"
    recorder = MeetingRecorder(path, size=(1280, 720), fps=30, min_free=0, reserve=0)
    # p2 has its camera off: a name tile; p3 never sends video: a name tile too.
    recorder.set_roster([("p0", "Ann", True), ("p1", "Bo", True), ("p2", "Cy", False), ("p3", "Di", True)])
    recorder.start()
    await _feed(recorder, 5.0, 3, pause=(2.0, 3.0))
    await asyncio.get_running_loop().run_in_executor(None, recorder.stop)
    assert recorder.stop_reason == "stopped"
    info = check_playable(path, (1280, 720))
    wall = recorder.stopped_at - recorder.started_at
    assert abs(duration(info) - wall) <= wall * 0.01, (duration(info), wall)
    assert recorder.stats.frames + recorder.stats.dropped >= int(wall * 30) - 1


def test_recordings_are_named_from_the_title_and_start_time() -> None:
    import datetime as dt

    from client.engine.recording import recording_filename

    when = dt.datetime(2025, 3, 4, 9, 5, 7)
    assert recording_filename("Board: Q1/Q2 review?", when) == "Board_ Q1_Q2 review_ 2025-03-04 09-05-07.mp4"
    assert recording_filename("..\x00", when) == "Meeting 2025-03-04 09-05-07.mp4"


CHILD = """
import asyncio, sys
from pathlib import Path
from client.engine.recorder import MeetingRecorder
from tests.client.test_recording import _feed

async def main() -> None:
    recorder = MeetingRecorder(Path(sys.argv[1]), size=(320, 180), fps=15, min_free=0, reserve=0)
    recorder.set_roster([("p0", "Ann", True), ("p1", "Bo", True)])
    recorder.start()
    print("recording", flush=True)
    await _feed(recorder, 600.0, 2)

asyncio.run(main())
"""


def test_a_recording_killed_with_sigkill_still_decodes(tmp_path: Path) -> None:
    path = tmp_path / "killed.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "recording"
        # Fragments reach the file every second: wait for a few of them, then kill mid-fragment.
        deadline = time.monotonic() + 30
        while (not path.exists() or path.stat().st_size < 60_000) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    info = probe(path)
    found = streams(info)
    assert {"video", "audio"} <= set(found), found
    assert decode_errors(path) == ""
    assert duration(info) >= 1.0


def _tmpfs(folder: Path, size: str) -> None:
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], check=False)


async def test_disk_space_checked_before_and_while_recording(tmp_path: Path) -> None:
    import shutil

    from client.engine.recorder import MeetingRecorder, RecordingError

    small = tmp_path / "small"
    _tmpfs(small, "4m")
    try:
        with pytest.raises(RecordingError, match="not enough free disk space"):
            MeetingRecorder(small / "a.mp4", size=(320, 180), fps=15).start()  # default: 500 MB needed
        assert not (small / "a.mp4").exists()

        stopped: list[str] = []
        free = shutil.disk_usage(small).free
        recorder = MeetingRecorder(
            small / "b.mp4",
            size=(640, 360),
            fps=15,
            min_free=free // 2,
            reserve=free - 300_000,
            on_stopped=stopped.append,
        )
        recorder.set_roster([("p0", "Ann", True)])
        recorder.start()
        feeding = asyncio.ensure_future(_feed(recorder, 60.0, 1))
        await wait_until(lambda: stopped, 40, "the disk-space stop")
        feeding.cancel()
        await asyncio.gather(feeding, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(None, recorder.stop)
        assert "disk is nearly full" in stopped[0] and str(small / "b.mp4") in stopped[0]
        assert recorder.stop_reason == stopped[0]
        assert shutil.disk_usage(small).free > free // 2  # stopped well before the disk filled
        check_playable(small / "b.mp4", (640, 360))
    finally:
        _umount(small)


def _headless(relay: Any, user: str, meeting: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PARLEY_VIDEO": "320x180@15",
        "PARLEY_RECORD_VIDEO": "320x180@15",
        "PARLEY_PLAYBACK": "0",
        "PARLEY_ICE_ADDRESSES": "127.0.0.1",
    }
    link = f"parley://{relay.server}/m/{meeting}"
    return subprocess.run(
        [sys.executable, "-m", "client.cli", "join", link, "--headless", "--user", user, "--password-stdin",
         "--server-fingerprint", relay.fingerprint, *extra],
        input="correct horse\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=90,
    )  # fmt: skip


def test_headless_record_as_host_and_refused_for_others(tmp_path: Path) -> None:
    relay = start_media_relay(tmp_path)
    try:
        host = relay.add_user(display="Hal")
        other = relay.add_user(display="Olga")
        meeting = relay.create_meeting(host, title="Stand-up")
        refused = _headless(relay, other, meeting, "--record", str(tmp_path / "nope.mp4"), "--duration", "1")
        assert refused.returncode == 1
        assert "Only the host can record this meeting." in refused.stderr
        assert not (tmp_path / "nope.mp4").exists()

        out = tmp_path / "standup.mp4"
        stats = tmp_path / "stats.json"
        done = _headless(relay, host, meeting, "--record", str(out), "--duration", "4", "--stats", str(stats))
        assert done.returncode == 0, done.stderr
        assert f"recording_started path={out}" in done.stdout
        assert "recording_saved" in done.stdout
    finally:
        relay.stop()
    import json

    report = json.loads(stats.read_text())["recording"]
    info = check_playable(out, (320, 180))
    assert abs(duration(info) - report["seconds"]) <= report["seconds"] * 0.01, (info["format"], report)
    _beeps, level = beep_times(out)
    assert level > 0.01  # the host's own microphone (a test tone) is in the mix


def _solid(bgr: tuple[int, int, int], width: int, height: int) -> Any:
    import av
    import numpy as np

    image = np.empty((height, width, 3), np.uint8)
    image[:] = bgr
    return av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")


def _colour_at(frame: Any, x0: int, y0: int, x1: int, y1: int) -> tuple[float, float, float]:
    """Mean (B, G, R) of a region of a decoded frame."""
    region = frame.to_ndarray(format="bgr24")[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)
    return float(region[0]), float(region[1]), float(region[2])


async def test_a_shared_screen_goes_on_stage_with_speakers_beside_it_at_1080p(tmp_path: Path) -> None:
    import av

    from client.engine.recorder import MeetingRecorder
    from client.engine.recording import SIZES

    path = tmp_path / "stage.mp4"
    recorder = MeetingRecorder(path, size=SIZES["1080p"], fps=15, min_free=0, reserve=0)
    recorder.set_roster([("p0", "Ann", True), ("p1", "Bo", True)])
    red_screen = _solid((0, 0, 255), 1280, 720)
    blue_cameras = [_solid((255, 0, 0), 640, 360), _solid((255, 0, 0), 640, 360)]
    recorder.start()
    t0 = time.monotonic()
    share_at, seconds = 1.5, 3.5
    n = 0
    while (elapsed := time.monotonic() - t0) < seconds:
        for i, camera in enumerate(blue_cameras):
            recorder.video(f"p{i}", "camera", camera)
        if elapsed >= share_at:  # Ann shares her screen half way through
            recorder.video("p0", "screen", red_screen)
        n += 1
        await asyncio.sleep(max(0.0, t0 + n / 15 - time.monotonic()))
    await asyncio.get_running_loop().run_in_executor(None, recorder.stop)

    info = check_playable(path, (1920, 1080))  # 1920x1080, as selected
    wall = recorder.stopped_at - recorder.started_at
    assert abs(duration(info) - wall) <= wall * 0.01, (duration(info), wall)
    gallery = stage = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base)
            if gallery is None and 0.5 < t < share_at - 0.3:
                gallery = frame
            if t > share_at + 0.5:
                stage = frame
                break
    assert gallery is not None and stage is not None
    # Before: a gallery of the two cameras side by side, no screen anywhere.
    b, g, r = _colour_at(gallery, 100, 400, 900, 700)
    assert b > 180 and r < 60, (b, g, r)
    b, g, r = _colour_at(gallery, 1020, 400, 1820, 700)
    assert b > 180 and r < 60, (b, g, r)
    # After: the screen large on the left (78% of the width, full height, 16:9)...
    b, g, r = _colour_at(stage, 100, 200, 1400, 850)
    assert r > 180 and b < 60, (b, g, r)
    # ...and the speakers in a column beside it, one above the other.
    for top in (60, 420):
        b, g, r = _colour_at(stage, 1560, top, 1860, top + 200)
        assert b > 180 and r < 60, (top, b, g, r)
    b, g, r = _colour_at(stage, 1560, 800, 1860, 1000)  # no third speaker: background
    assert max(b, g, r) < 60, (b, g, r)


async def test_cohost_records_only_when_the_host_allows_it(relay: Any, make_client: Any, tmp_path: Path) -> None:
    from client.engine.meetings import MeetingDesk
    from client.engine.recording import RecordingService
    from shared.errors import Conflict, Forbidden
    from tests.conftest import signed_in

    host_name = relay.add_user(display="Hannah Host")
    cohost_name = relay.add_user(display="Cora Cohost")
    meeting = relay.create_meeting(host_name, title="Co-hosted")
    host = await signed_in(make_client, relay, host_name)
    cohost = await signed_in(make_client, relay, cohost_name)
    guest = await signed_in(make_client, relay)
    for client in (host, cohost, guest):
        await client.join(meeting)
    watcher = RecordingService(guest)  # the guest's indicator and notices
    told = _recording_events(guest)
    await wait_until(lambda: cohost.participant_id in host.participants, 10, "the co-host's seat")
    await MeetingDesk(host).host_action("make_cohost", participant_id=cohost.participant_id)
    await wait_until(lambda: cohost.participants[cohost.participant_id].role == "cohost", 10, "the co-host role")

    options = {"size": (320, 180), "fps": 15, "min_free": 0, "reserve": 0}
    hosting = RecordingService(host, folder=tmp_path / "host", **options)
    recorder = RecordingService(cohost, folder=tmp_path / "cohost", **options)
    with pytest.raises(Forbidden, match="The host has not allowed co-hosts to record"):
        await recorder.start()
    assert not (tmp_path / "cohost").exists()
    with pytest.raises(Forbidden):
        await recorder.allow_cohosts(True)  # only the host decides

    state = await hosting.allow_cohosts(True)
    assert state.cohosts_allowed
    await wait_until(lambda: told and told[-1].state.cohosts_allowed, 10, "the co-host notice")
    assert told[-1].message == "Co-hosts may now start and stop recording."
    path = await recorder.start()
    await wait_until(lambda: told[-1].state.recording, 10, "the recording notice")
    assert told[-1].message == "Cora Cohost started recording this meeting."
    assert told[-1].state.by_participant_id == cohost.participant_id
    with pytest.raises(Conflict, match="Cora Cohost is already recording"):
        await hosting.start()
    await asyncio.sleep(1.5)  # the length of the recording under test

    # The host stops the co-host's recording from their machine: the co-host's file is finished.
    finished = asyncio.ensure_future(cohost.wait_for(lambda e: isinstance(e, ev.RecordingFinished), timeout=20))
    await hosting.stop_meeting_recording()
    done = await finished
    assert done.path == str(path) and recorder.recorder is None
    await wait_until(lambda: not told[-1].state.recording, 10, "the stop notice")
    assert told[-1].message == "Hannah Host stopped recording this meeting."
    check_playable(path, (320, 180))

    await hosting.allow_cohosts(False)
    with pytest.raises(Forbidden):
        await recorder.start()
    assert not watcher.meeting_recorded
    for client in (host, cohost, guest):
        await client.leave()
