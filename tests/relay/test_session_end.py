"""Sign-out and expiry end live connections (issue #15 item 5, ASVS V3.3.1/3.3.2): a second
connection resumed with the same token is signed out with the first, and a session whose lifetime
is over is ended on the open connection with ``session.ended{expired}``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from shared.errors import Unauthorized
from shared.protocol import messages as m
from tests.abuse import connected
from tests.conftest import RunningRelay, signed_in


async def test_sign_out_ends_every_connection_of_the_session(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    first = await signed_in(make_client, relay, name)
    token = first.tokens.load(first.server, name)
    assert token
    second = await connected(relay.port, relay.fingerprint)
    ended: asyncio.Future[m.SessionEnded] = asyncio.get_running_loop().create_future()
    second.add_listener(lambda e: isinstance(e, m.SessionEnded) and not ended.done() and ended.set_result(e))
    assert isinstance(await second.request(m.Resume(id=0, token=token)), m.LoginOk)
    assert isinstance(await second.request(m.CreateMeeting(id=0, title="before")), m.MeetingCreated)

    await first.sign_out()
    assert (await asyncio.wait_for(ended, 10)).reason == "logged_out"
    await asyncio.wait_for(second.closed.wait(), 10)
    await second.close()
    again = await connected(relay.port, relay.fingerprint)
    with pytest.raises(Unauthorized):
        await again.request(m.Resume(id=0, token=token))
    await again.close()


async def test_an_expired_session_is_ended_on_the_open_connection(tmp_path: Path, make_client: Any) -> None:
    relay = RunningRelay(tmp_path / "data", "[limits]\nsession_ttl_hours = 0.0005\n").start()  # 1.8 s
    try:
        client = await signed_in(make_client, relay)
        meeting = await client.create_meeting("short-lived")
        await client.join(meeting.meeting_id)
        out = await client.wait_for(lambda e: isinstance(e, ev.SignedOut), timeout=20)
        assert out.reason == "expired"
        assert "expired" in out.message
    finally:
        relay.stop()
