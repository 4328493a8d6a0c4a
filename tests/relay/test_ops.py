"""Operations: the availability report (synthetic heartbeats on a fake clock, and a real relay
killed with SIGKILL), backups taken while serving, and restores that refuse bad files."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from relay.config import load_config
from relay.ops import availability as av
from relay.ops import backup
from relay.ops_cli import availability_report
from relay.store.db import Database
from relay.store.models import ListenerFault, MaintenanceWindow, RelayRun
from tests.conftest import RunningRelay, relay_cli

HOUR = 3600.0
Q4_START, Q4_END = av.quarter_bounds("2026Q4")


def test_quarters() -> None:
    assert av.quarter_bounds("2026Q1")[0] == av.quarter_bounds("2025Q4")[1]
    assert Q4_END - Q4_START == 92 * 86400
    assert av.current_quarter(Q4_START + 5) == "2026Q4"
    with pytest.raises(ValueError, match="2026Q4"):
        av.quarter_bounds("2026-13")


def _run(start: float, end: float, clean: bool, beat: float = 10.0) -> av.Run:
    return av.Run(start, end, end if clean else None, "clean" if clean else "", beat)


def test_outages_causes_maintenance_and_credit() -> None:
    s = Q4_START
    runs = [
        _run(s - 100 * HOUR, s + 10 * HOUR, clean=False),  # crashed 10 h into the quarter
        _run(s + 12 * HOUR, s + 20 * HOUR, clean=True),  # 2 h crash outage, then a clean stop
        _run(s + 21 * HOUR, s + 30 * HOUR, clean=True),  # 1 h clean-stop outage ...
        _run(s + 40 * HOUR, Q4_END + HOUR, clean=True),  # 10 h down, 4 of them planned maintenance
    ]
    windows = [
        av.Window(s + 30 * HOUR, s + 34 * HOUR, announced_at=s + 30 * HOUR - 49 * HOUR),  # planned
        av.Window(s + 36 * HOUR, s + 37 * HOUR, announced_at=s + 30 * HOUR),  # 6 h notice: counts
    ]
    faults = [av.Fault(s + 50 * HOUR, s + 50.5 * HOUR, "ConnectionRefusedError")]
    report = av.compute(runs, faults, windows, "2026Q4", Q4_START, Q4_END, now=Q4_END + 2 * HOUR, fee=1000.0)
    causes = [(round((o.start - s) / HOUR, 2), round(o.seconds / HOUR, 2), o.cause, o.counted) for o in report.outages]
    assert causes == [
        (10.0, 2.0, "crash", True),
        (20.0, 1.0, "clean_stop", True),
        (30.0, 4.0, "maintenance", False),
        (34.0, 2.0, "clean_stop", True),
        (36.0, 1.0, "maintenance_short_notice", True),
        (37.0, 3.0, "clean_stop", True),
        (50.0, 0.5, "listener", True),
    ]
    assert report.excluded_seconds == 4 * HOUR
    assert report.downtime_seconds == pytest.approx(9.5 * HOUR)
    measured = Q4_END - Q4_START - 4 * HOUR
    assert report.availability == pytest.approx(1 - 9.5 * HOUR / measured)
    assert report.met  # 9.5 h of 2204 h is 99.57%
    assert report.credit == 0.0

    # A 20-hour crash more: 29.5 h down is 98.66%, 0.84 points short -> 0.84% of the fee.
    runs.insert(3, _run(s + 60 * HOUR, s + 61 * HOUR, clean=False))
    runs[-1] = _run(s + 81 * HOUR, Q4_END + HOUR, clean=True)
    report = av.compute(runs, faults, windows, "2026Q4", Q4_START, Q4_END, now=Q4_END + 2 * HOUR, fee=1000.0)
    assert not report.met
    shortfall = 0.995 - (1 - report.downtime_seconds / measured)
    assert report.credit_fraction == pytest.approx(shortfall)
    assert report.credit == pytest.approx(round(1000.0 * shortfall, 2))
    text = report.to_text()
    assert "service credit" in text and f"{report.credit:.2f}" in text and "crash" in text


def test_a_running_relay_is_up_until_now_and_no_runs_means_no_data() -> None:
    s = Q4_START
    now = s + 10 * HOUR
    report = av.compute([_run(s + HOUR, now - 5, clean=False)], [], [], "2026Q4", Q4_START, Q4_END, now=now)
    assert report.outages == [] and report.availability == 1.0
    assert report.measured_from == s + HOUR  # before the first run ever, nothing is measured
    stale = av.compute([_run(s + HOUR, now - 600, clean=False)], [], [], "2026Q4", Q4_START, Q4_END, now=now)
    assert [(o.cause, o.seconds) for o in stale.outages] == [("crash", 600)]
    empty = av.compute([], [], [], "2026Q4", Q4_START, Q4_END, now=now)
    assert empty.availability is None and "did not run" in empty.to_text()


async def test_report_reads_heartbeat_rows_and_announced_maintenance(tmp_path: Path) -> None:
    config = load_config(None, data_dir=tmp_path)
    db = Database(config.database_url)
    await db.migrate()
    s = Q4_START
    try:
        async with db.sessions() as session, session.begin():
            session.add(RelayRun(id=1, started_at=s, last_beat_at=s + 5 * HOUR, stopped_at=None, stop_reason="",
                                 heartbeat_seconds=10.0, host="h", version="v"))  # fmt: skip
            session.add(RelayRun(id=2, started_at=s + 6 * HOUR, last_beat_at=s + 9 * HOUR, stopped_at=s + 9 * HOUR,
                                 stop_reason="clean", heartbeat_seconds=10.0, host="h", version="v"))  # fmt: skip
            session.add(RelayRun(id=3, started_at=s + 11 * HOUR, last_beat_at=s + 99 * HOUR, stopped_at=None,
                                 stop_reason="", heartbeat_seconds=10.0, host="h", version="v"))  # fmt: skip
            await session.flush()
            session.add(ListenerFault(run_id=3, started_at=s + 20 * HOUR, ended_at=s + 21 * HOUR, detail="refused"))
            session.add(MaintenanceWindow(starts_at=s + 9 * HOUR, ends_at=s + 11 * HOUR, message="upgrade",
                                          emergency=False, created_by="admin", created_at=s - 50 * HOUR))  # fmt: skip
            session.add(MaintenanceWindow(starts_at=s + 30 * HOUR, ends_at=s + 31 * HOUR, message="cancelled",
                                          emergency=False, created_by="admin", created_at=s,
                                          cancelled_at=s + HOUR))  # fmt: skip
        report = await availability_report(db, config, "2026q4", now=s + 100 * HOUR, fee=300.0)
    finally:
        await db.close()
    got = [(round((o.start - s) / HOUR), round(o.seconds / HOUR), o.cause, o.counted) for o in report.outages]
    assert got == [
        (5, 1, "crash", True),
        (9, 2, "maintenance", False),
        (20, 1, "listener", True),
        (99, 1, "crash", True),
    ]
    assert report.excluded_seconds == 2 * HOUR and report.downtime_seconds == 3 * HOUR
    assert report.period == "2026Q4"


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}


def test_backup_while_serving_restores_every_table_exactly(tmp_path: Path) -> None:
    relay = RunningRelay(tmp_path / "data", "[ops]\nheartbeat_seconds = 0.2\n[backup]\ninterval_hours = 0\n").start()
    try:
        alice = relay.add_user(display="Alice")
        relay.add_user(display="Bob")
        relay.create_meeting(alice, "Quarterly numbers")
        made = relay.cli("backup", "create")
        assert "backup parley-" in made.stdout, made.stdout
        listed = json.loads(relay.cli("backup", "list", "--json").stdout)
        assert len(listed) == 1 and listed[0]["format"] == "sqlite" and not listed[0]["scheduled"]
        source = Path(listed[0]["path"])
        assert (source.with_suffix(".sha256")).read_text().split()[0] == backup.sha256_of(source)
        # Restore refuses while the relay serves on that folder.
        refused = relay.cli("backup", "restore", listed[0]["name"], check=False)
        assert refused.returncode == 1 and "Stop it first" in refused.stderr
        expected = _tables(source)
    finally:
        relay.stop()
    assert set(expected) >= {"users", "meetings", "sessions", "relay_runs", "alembic_version"}
    assert len(expected["users"]) == 2 and expected["meetings"][0][1] == "Quarterly numbers"

    fresh = tmp_path / "fresh"
    restored = relay_cli("backup", "restore", str(source), data_dir=fresh)
    assert "restored" in restored.stdout
    assert _tables(fresh / "parley.db") == expected

    # Restoring over an existing database keeps the old one beside it.
    again = relay_cli("backup", "restore", str(source), data_dir=fresh)
    assert "previous database is kept" in again.stdout
    assert list(fresh.glob("parley.db.before-restore-*"))


def test_restore_refuses_corrupt_unchecked_and_newer_backups(tmp_path: Path) -> None:
    data = tmp_path / "data"
    relay_cli("user", "add", "carol", stdin="correct horse\n", data_dir=data)
    relay_cli("backup", "create", data_dir=data)
    (good,) = [Path(b["path"]) for b in json.loads(relay_cli("backup", "list", "--json", data_dir=data).stdout)]
    before = _tables(data / "parley.db")

    corrupt = tmp_path / "corrupt.db"
    shutil.copy(good, corrupt)
    shutil.copy(good.with_suffix(".sha256"), corrupt.with_suffix(".sha256"))
    raw = bytearray(corrupt.read_bytes())
    for page in range(4096, len(raw), 4096):  # every b-tree page header after the first
        raw[page : page + 16] = b"\xff" * 16
    corrupt.write_bytes(bytes(raw))
    result = relay_cli("backup", "restore", str(corrupt), data_dir=data, check=False)
    assert result.returncode == 1 and "corrupt" in result.stderr and "Traceback" not in result.stderr

    # A corrupt file with a matching checksum still fails SQLite's integrity check.
    corrupt.with_suffix(".sha256").write_text(f"{backup.sha256_of(corrupt)}  corrupt.db\n")
    result = relay_cli("backup", "restore", str(corrupt), data_dir=data, check=False)
    assert result.returncode == 1 and ("integrity" in result.stderr or "not a readable" in result.stderr)

    unchecked = tmp_path / "unchecked.db"
    shutil.copy(good, unchecked)
    result = relay_cli("backup", "restore", str(unchecked), data_dir=data, check=False)
    assert result.returncode == 1 and "no checksum" in result.stderr

    newer = tmp_path / "newer.db"
    shutil.copy(good, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO alembic_version VALUES ('9999_future')")
    newer.with_suffix(".sha256").write_text(f"{backup.sha256_of(newer)}  newer.db\n")
    result = relay_cli("backup", "restore", str(newer), data_dir=data, check=False)
    assert result.returncode == 1 and "newer Parley relay" in result.stderr and "9999_future" in result.stderr

    assert _tables(data / "parley.db") == before  # nothing was touched
    assert not list(data.glob("parley.db.before-restore-*"))


def test_scheduled_backups_keep_the_newest(tmp_path: Path) -> None:
    config = load_config(None, data_dir=tmp_path)
    config.backup.keep = 2
    relay_cli("user", "add", "dave", stdin="correct horse\n", data_dir=tmp_path)
    for i in range(4):
        backup.create_backup(config, scheduled=True, now=Q4_START + i)
    manual = backup.create_backup(config, now=Q4_START - 10)
    removed = backup.prune(config)
    assert len(removed) == 2
    left = backup.list_backups(config)
    assert [b.created_at for b in left] == [manual.created_at, Q4_START + 2, Q4_START + 3]
    assert (
        sorted(p.suffix for p in (tmp_path / "backups").iterdir())
        == [".db", ".db", ".db"] + [".json"] * 3 + [".sha256"] * 3
    )


def test_sigkill_shows_as_a_crash_and_sigterm_as_a_clean_stop(tmp_path: Path) -> None:
    config = "[ops]\nheartbeat_seconds = 0.2\n[backup]\ninterval_hours = 0\n"
    relay = RunningRelay(tmp_path / "data", config).start()
    relay.add_user("erin")
    status, body = relay.http_get("/metrics")
    assert status == 200 and "parley_backup_age_seconds -1.0" in body and "parley_listener_up 1.0" in body
    relay.stop(signal.SIGKILL)
    relay.start()
    assert relay.stop(signal.SIGTERM) == 0
    relay.start()
    try:
        report = json.loads(relay.cli("report", "availability", "--json", "--fee", "100").stdout)
    finally:
        relay.stop()
    causes = [o["cause"] for o in report["outages"]]
    assert causes == ["crash", "clean_stop"], report["outages"]
    assert 0 < report["availability"] < 1 and report["fee"] == 100
    for outage in report["outages"]:
        assert 0 < outage["seconds"] < 30
    text = relay.cli("report", "availability").stdout
    assert "availability" in text and "crash" in text
