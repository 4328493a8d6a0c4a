"""A real call on loopback: a relay process, two in-process participants and a headless CLI
participant who joins late. Everyone decodes everyone's audio and video, the screen share is its
own track, and leaving frees every connection and task (counted on the relay)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.media_fixtures import frames, join, leave, metric, start_media_relay, wait_until

pytestmark = pytest.mark.slow


async def test_three_participants_late_joiner_and_no_leaks(tmp_path: Path) -> None:
    relay = start_media_relay(tmp_path)
    try:
        for name in ("alice", "bob", "carol", "dave"):
            relay.add_user(name)
        meeting = relay.create_meeting("alice")
        # A first sign-in starts the relay's lazy background tasks (e.g. the maintenance watch):
        # they belong in the baseline, not in what the call must free.
        from client.engine.call import ParleyClient

        warm = ParleyClient(relay.server, fingerprint=relay.fingerprint)
        await warm.connect()
        await warm.sign_in("dave", "correct horse", remember=False)
        await warm.close()
        baseline_tasks = metric(relay, "parley_asyncio_tasks")
        local_tasks = len(asyncio.all_tasks())

        a_client, alice = await join(relay, "alice", meeting, screen=True, screen_monitor=0)
        b_client, bob = await join(relay, "bob", meeting)
        a_id, b_id = a_client.participant_id, b_client.participant_id

        def everyone_flows() -> bool:
            return all(
                frames(s, pid, src) >= 5
                for s, pid, sources in ((alice, b_id, ("mic", "camera")), (bob, a_id, ("mic", "camera", "screen")))
                for src in sources
            )

        await wait_until(everyone_flows, 20, "alice and bob to decode each other")
        screen = bob.stats_by_track[(a_id, "screen")]
        camera = bob.stats_by_track[(a_id, "camera")]
        assert (screen.width, screen.height) == (640, 360) and (camera.width, camera.height) == (320, 240)
        assert camera.latencies, "the synthetic frame's capture time did not survive the relay"

        # Carol joins late, as a headless CLI participant.
        stats_file = tmp_path / "carol.json"
        env = {
            **os.environ,
            "PARLEY_VIDEO": "320x240@15",
            "PARLEY_PLAYBACK": "0",
            "PARLEY_ICE_ADDRESSES": "127.0.0.1",
        }
        link = f"parley://{relay.server}/m/{meeting}"
        carol = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "client.cli", "join", link, "--headless", "--user", "carol", "--password-stdin",
            "--server-fingerprint", relay.fingerprint, "--duration", "6", "--stats", str(stats_file),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
        )  # fmt: skip
        assert carol.stdin is not None
        carol.stdin.write(b"correct horse\n")
        carol.stdin.close()

        def carol_id() -> str | None:
            return next((p.participant_id for p in a_client.participants.values() if p.display_name == "carol"), None)

        await wait_until(lambda: carol_id() is not None, 20, "carol to join")
        c_id = carol_id()
        await wait_until(
            lambda: all(frames(s, c_id, src) >= 3 for s in (alice, bob) for src in ("mic", "camera")),
            20,
            "alice and bob to decode carol",
        )
        _, err = await asyncio.wait_for(carol.communicate(), 30)
        assert carol.returncode == 0, err.decode()
        report = json.loads(stats_file.read_text())
        assert report["participant"] == "carol"
        assert report["join_to_first_frame_s"] is not None and report["join_to_first_frame_s"] < 1.0
        got = {(t["participant"], t["source"]): t for t in report["remote_tracks"]}
        for key in (("alice", "mic"), ("alice", "camera"), ("alice", "screen"), ("bob", "mic"), ("bob", "camera")):
            assert got[key]["frames"] > 0, (key, got)
        assert got[("alice", "camera")]["latency_ms_p50"] is not None
        assert got[("alice", "screen")]["kind"] == "video" and got[("alice", "screen")]["width"] == 640
        # Alice's and bob's tones: the relay named one of them the active speaker, and carol heard it.
        assert report["speaker_changes"] and report["speaker_changes"][0]["participant"] in ("alice", "bob")

        # Carol is gone: her connections are closed and her slots freed.
        await wait_until(lambda: metric(relay, "parley_media_participants") == 2, 10, "carol's media to be freed")
        await wait_until(lambda: metric(relay, "parley_media_peer_connections") == 4, 10, "carol's connections")
        await wait_until(lambda: len(alice.remote) == 2, 10, "alice to drop carol's tracks")
        slots_before = len(alice.subscribe_pc.getTransceivers())

        # Dave reuses carol's slots: alice's subscribe connection does not grow.
        d_client, dave = await join(relay, "dave", meeting)
        await wait_until(lambda: frames(alice, d_client.participant_id, "camera") >= 3, 20, "alice to see dave")
        assert len(alice.subscribe_pc.getTransceivers()) == slots_before
        await leave(d_client, dave)

        await leave(a_client, alice)
        await leave(b_client, bob)
        await wait_until(lambda: metric(relay, "parley_media_peer_connections") == 0, 10, "all connections closed")
        await wait_until(lambda: metric(relay, "parley_asyncio_tasks") <= baseline_tasks, 10, "relay tasks to end")
        await wait_until(lambda: len(asyncio.all_tasks()) <= local_tasks, 10, "client tasks to end")
        assert metric(relay, 'parley_forwarded_packets_total{kind="video"}') > 0
    finally:
        relay.stop()
