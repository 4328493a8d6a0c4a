"""The relay on PostgreSQL: the same migrations, sign-in and meetings as on SQLite."""

from __future__ import annotations

import asyncio
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
