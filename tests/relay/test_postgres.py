"""The relay on PostgreSQL: the same migrations, sign-in and meetings as on SQLite."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from client.engine import events as ev
from tests.conftest import RunningRelay, signed_in
from tests.pg import PostgresServer, postgres  # noqa: F401  (fixture)


async def test_relay_serves_from_postgresql(postgres: PostgresServer, tmp_path: Path, make_client: Any) -> None:  # noqa: F811
    relay = RunningRelay(tmp_path / "data", f'[database]\nurl = "{postgres.url}"\n').start()
    try:
        assert not (tmp_path / "data" / "parley.db").exists()  # nothing went to SQLite
        host_name, guest_name = relay.add_user(display="Pat Postgres"), relay.add_user()
        meeting_id = relay.create_meeting(host_name, "On PostgreSQL")
        host = await signed_in(make_client, relay, host_name)
        guest = await signed_in(make_client, relay, guest_name)
        await host.join(meeting_id)
        seen = asyncio.ensure_future(
            host.wait_for(lambda e: isinstance(e, ev.ParticipantChanged) and e.change == "joined")
        )
        joined = await guest.join(meeting_id)
        await seen
        assert joined.meeting.title == "On PostgreSQL"
        assert [s.current for s in await host.list_sessions()] == [True]
        relay.cli("user", "suspend", guest_name)
        await guest.wait_for(lambda e: isinstance(e, ev.SignedOut), timeout=10)
    finally:
        assert relay.stop() == 0


def test_pg_dump_backup_and_restore(postgres: PostgresServer, tmp_path: Path) -> None:  # noqa: F811
    config = f'[database]\nurl = "{postgres.url}"\n[backup]\ninterval_hours = 0\n'
    relay = RunningRelay(tmp_path / "data", config).start()
    try:
        kept = relay.add_user(display="Kept Across Restore")
        relay.create_meeting(kept, "Before the backup")
    finally:
        assert relay.stop() == 0
    made = relay.cli("backup", "create")
    listed = json.loads(relay.cli("backup", "list", "--json").stdout)
    assert [b["format"] for b in listed] == ["pg_dump"], made.stdout
    assert Path(listed[0]["path"]).stat().st_size > 0

    later = relay.add_user(display="Added After The Backup")
    names = {u["username"] for u in json.loads(relay.cli("user", "list", "--json").stdout)}
    assert {kept, later} <= names

    restored = relay.cli("backup", "restore", listed[0]["name"])
    assert "restored" in restored.stdout
    names = {u["username"] for u in json.loads(relay.cli("user", "list", "--json").stdout)}
    assert kept in names and later not in names
    # The relay serves from the restored database.
    relay.start()
    try:
        status, body = relay.http_get("/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
    finally:
        relay.stop()
