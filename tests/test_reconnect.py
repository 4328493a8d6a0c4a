"""Fault tests: the relay is killed (SIGKILL) and restarted (SIGTERM) mid-meeting on the same port.
Participants come back by themselves (in-process engine and headless CLI), media flows again, the
per-track counters keep counting, and the database is intact."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from tests.conftest import ROOT, RunningRelay
from tests.media_fixtures import MEDIA_CONFIG, frames, join, leave, wait_until

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


async def test_clients_come_back_after_sigkill_and_sigterm(tmp_path: Path) -> None:
    port = free_port()
    relay = RunningRelay(tmp_path / "data", MEDIA_CONFIG + "[backup]\ninterval_hours = 0\n", port=port).start()
    carol_proc: Any = None
    try:
        for name in ("alice", "carol"):
            relay.add_user(name)
        meeting = relay.create_meeting("alice", "Restart drill")
        client, alice = await join(relay, "alice", meeting)
        seen: list[Any] = []
        client.add_listener(seen.append)

        stats_file = tmp_path / "carol.json"
        env = {**os.environ, "PARLEY_VIDEO": "320x240@15", "PARLEY_PLAYBACK": "0", "PARLEY_ICE_ADDRESSES": "127.0.0.1"}
        carol_proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "client.cli", "join", f"parley://{relay.server}/m/{meeting}", "--headless",
            "--user", "carol", "--password-stdin", "--server-fingerprint", relay.fingerprint, "--duration", "600",
            "--stats", str(stats_file),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
        )  # fmt: skip
        assert carol_proc.stdin is not None
        carol_proc.stdin.write(b"correct horse\n")
        carol_proc.stdin.close()

        def carol() -> str | None:
            return next((p.participant_id for p in client.participants.values() if p.display_name == "carol"), None)

        try:
            await wait_until(lambda: carol() is not None and frames(alice, carol(), "camera") >= 5, 40, "carol's video")
        except AssertionError:
            carol_proc.kill()
            out, err = await carol_proc.communicate()
            raise AssertionError(f"carol: {out.decode()[-2000:]} {err.decode()[-2000:]}") from None

        for sig in (signal.SIGKILL, signal.SIGTERM):
            before = frames(alice, carol(), "camera")
            reconnected = asyncio.ensure_future(client.wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=40))
            code = relay.stop(sig)
            assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 0)
            assert integrity(relay.data_dir / "parley.db") == "ok"
            relay.start()
            assert relay.port == port
            back = await reconnected
            assert isinstance(back, ev.Reconnected) and back.meeting_id == meeting
            # Media flows again, counted on the same track statistics as before.
            await wait_until(lambda: carol() is not None, 30, "carol to come back")
            await wait_until(lambda b=before: frames(alice, carol(), "camera") >= b + 10, 30, "carol's video again")
            assert frames(alice, carol(), "mic") > 0

        assert client.reconnects == 2
        names = {type(e).__name__ for e in seen}
        assert "Reconnecting" in names and "Disconnected" not in names and "MediaFailed" not in names
        assert [k for k in alice.stats_by_track if k[1] == "camera"] == [(carol(), "camera")]

        # The database is intact: accounts and the meeting are there, and the relay says so.
        with sqlite3.connect(relay.data_dir / "parley.db") as conn:
            users = {r[0] for r in conn.execute("SELECT username FROM users")}
            titles = [r[0] for r in conn.execute("SELECT title FROM meetings")]
            runs = conn.execute("SELECT stop_reason FROM relay_runs ORDER BY id").fetchall()
        assert {"alice", "carol"} <= users and titles == ["Restart drill"]
        assert [r[0] for r in runs] == ["", "clean", ""]  # killed, stopped cleanly, serving

        carol_proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(carol_proc.communicate(), 30)
        assert carol_proc.returncode == 0, err.decode()
        assert "Traceback" not in err.decode() and "error" not in out.decode().lower()
        assert out.decode().count("reconnected") == 2
        report = json.loads(stats_file.read_text())
        assert report["reconnects"] == 2
        alice_tracks = [t for t in report["remote_tracks"] if t.get("participant") == "alice"]
        assert sorted(t["source"] for t in alice_tracks) == ["camera", "mic"]  # one entry each, not one per run
        assert all(t["frames"] > 0 for t in alice_tracks)
        await leave(client, alice)
    finally:
        if carol_proc is not None and carol_proc.returncode is None:
            carol_proc.kill()
            await carol_proc.wait()
        relay.stop()
