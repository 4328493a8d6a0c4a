"""Fault test: the data folder's disk fills up (a 1 MiB tmpfs). The relay refuses writes with a
sentence, keeps serving, and loses nothing already written; its logs hold no secrets or content."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.errors import ParleyError, Unavailable
from tests.conftest import RunningRelay, signed_in

SECRET = "hunter2-never-logged"
TITLE = "Merger talks Zeta"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    assert done.returncode == 0, f"mounting a tmpfs needs root: {done.stderr.decode()}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path) -> None:
    """Write until the disk is full, down to the last few bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


async def test_full_disk_refuses_writes_and_keeps_what_was_written(small_disk: Path, make_client: object) -> None:
    config = "[backup]\ninterval_hours = 0\n[ops]\nheartbeat_seconds = 0.3\nmin_free_disk_mb = 0.01\n"
    relay = RunningRelay(small_disk / "data", config).start()
    try:
        host = relay.add_user("hostuser")
        client = await signed_in(make_client, relay, host)
        bad = make_client(relay)
        await bad.connect()
        with pytest.raises(ParleyError):
            await bad.sign_in(host, SECRET)
        created = [await client.create_meeting(TITLE)]
        assert relay.http_get("/healthz")[0] == 200

        fill(small_disk / "filler")
        refused: Unavailable | None = None
        for i in range(300):  # SQLite reuses WAL space for a while; sooner or later it must grow
            try:
                created.append(await client.create_meeting(f"{TITLE} {i} " + "x" * 150))
            except Unavailable as exc:
                refused = exc
                break
        assert refused is not None, "the relay never refused a write on a full disk"
        assert "disk is full" in refused.message and "Nothing you had saved is lost" in refused.message
        # Still serving, but health checks are told it cannot save (issue #15 item 12).
        status, body = relay.http_get("/healthz")
        assert status == 503 and json.loads(body)["status"] == "degraded", body
        assert json.loads(body)["problems"] == ["disk_full"]
        assert "parley_db_write_errors_total" in relay.http_get("/metrics")[1]
        (small_disk / "filler").unlink()
        created.append(await client.create_meeting("after the disk was freed"))
        for _ in range(100):  # healthy again once a heartbeat (every 0.3 s here) is written
            status, body = relay.http_get("/healthz")
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200 and json.loads(body)["status"] == "ok", body
    finally:
        relay.stop()
    log = relay.log
    assert "disk is full" in log  # the operator is told, in the structured log
    assert SECRET not in log and TITLE not in log and "correct horse" not in log

    with sqlite3.connect(relay.data_dir / "parley.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {r[0] for r in conn.execute("SELECT id FROM meetings")}
    assert {m.meeting_id for m in created} <= ids
