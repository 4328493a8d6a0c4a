"""Bad input against a live relay: each case gets its error code, the relay stays up and serves
everyone else, and the database is unharmed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.engine.signalling import SignallingClient
from shared.errors import ParleyError, RateLimited
from shared.protocol import messages as m
from tests.conftest import RunningRelay, signed_in

STRICT = """
[limits]
max_frame_bytes = 4096
connection_requests_per_second = 5
connection_request_burst = 10
account_requests_per_second = 8
account_request_burst = 15
login_free_failures = 2
login_max_delay_seconds = 1
login_lock_after = 5
login_address_lock_after = 12
login_address_free_failures = 8
login_lock_seconds = 600
max_violations = 30
"""


@pytest.fixture(scope="module")
def strict_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    running = RunningRelay(tmp_path_factory.mktemp("strict") / "data", STRICT).start()
    yield running
    running.stop()


class RawPeer:
    """A signalling connection that can send anything and read every frame back."""

    def __init__(self, relay: RunningRelay) -> None:
        self.client = SignallingClient("127.0.0.1", relay.port, fingerprint=relay.fingerprint)
        self.errors: asyncio.Queue[m.Error] = asyncio.Queue()

    async def open(self) -> RawPeer:
        await self.client.connect()
        return self

    async def send_and_read_error(self, frame: str) -> m.Error:
        """Send a frame the client would never send; read the error the relay answers with."""
        assert self.client.ws is not None
        # Bypass the session: the reply to a raw frame has an id the session never issued.
        waiter = asyncio.get_running_loop().create_future()
        original = self.client.session.receive_frame

        def capture(data: str | bytes) -> None:
            decoded = msgspec.json.decode(data)
            if decoded.get("type") == "error" and not waiter.done():
                waiter.set_result(msgspec.convert(decoded, m.Error))
                return
            original(data)

        self.client.session.receive_frame = capture  # type: ignore[method-assign]
        try:
            await self.client.ws.send(frame)
            return await asyncio.wait_for(waiter, 10)
        finally:
            self.client.session.receive_frame = original  # type: ignore[method-assign]

    async def close(self) -> None:
        await self.client.close()


async def assert_still_serving(relay: RunningRelay, make_client: Any) -> None:
    status, body = relay.http_get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    host = await signed_in(make_client, relay)
    meeting = await host.create_meeting("still serving")
    joined = await host.join(meeting.meeting_id)
    assert joined.participants[0].display_name == host.user.display_name


def assert_database_intact(relay: RunningRelay) -> None:
    with sqlite3.connect(relay.data_dir / "parley.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize(
    ("frame", "code", "needle"),
    [
        ("{this is not json", "bad_request", "not a JSON object"),
        ('{"type": "summon_admin", "id": 11}', "bad_request", "Unknown message type"),
        ('{"type": "meeting.join", "id": 12, "meeting_id": 42}', "bad_request", "Invalid meeting.join"),
        ('{"type": "meeting.create", "id": 13, "title": ["a", "b"]}', "bad_request", "Invalid meeting.create"),
        ('{"type": "ping", "id": 14, "extra": {"nested": [1, 2, 3]}}', None, None),
    ],
)
async def test_malformed_frames(
    relay: RunningRelay, make_client: Any, frame: str, code: str | None, needle: str | None
) -> None:
    peer = await RawPeer(relay).open()
    try:
        await peer.client.request(m.Login(id=0, username=relay.add_user(), password="correct horse"))
        if code is None:  # unknown extra fields are tolerated (forward compatibility)
            reply = await peer.client.request(m.Ping(id=0))
            assert isinstance(reply, m.Pong)
        else:
            error = await peer.send_and_read_error(frame)
            assert error.code == code
            assert needle in error.message
            # The same connection keeps working.
            assert isinstance(await peer.client.request(m.Ping(id=0)), m.Pong)
    finally:
        await peer.close()
    await assert_still_serving(relay, make_client)
    assert_database_intact(relay)


async def test_request_before_sign_in_is_unauthorized(relay: RunningRelay, make_client: Any) -> None:
    peer = await RawPeer(relay).open()
    try:
        error = await peer.send_and_read_error('{"type": "meeting.create", "id": 3, "title": "x"}')
        assert (error.code, error.id) == ("unauthorized", 3)
    finally:
        await peer.close()
    await assert_still_serving(relay, make_client)


async def test_frames_over_the_size_limit(strict_relay: RunningRelay, make_client: Any) -> None:
    peer = await RawPeer(strict_relay).open()
    try:
        big = json.dumps({"type": "meeting.create", "id": 5, "title": "x" * 5000})
        error = await peer.send_and_read_error(big)
        assert error.code == "limit_exceeded"
        assert error.detail == {"limit": "max_frame_bytes", "value": 4096}
        assert isinstance(await peer.client.request(m.Ping(id=0)), m.Pong)
        # Far over the limit: the relay closes this connection instead of buffering it.
        assert peer.client.ws is not None
        await peer.client.ws.send("x" * 100_000)
        await asyncio.wait_for(peer.client.closed.wait(), 10)
    finally:
        await peer.close()
    await assert_still_serving(strict_relay, make_client)


async def test_flooding_one_connection_is_rate_limited(strict_relay: RunningRelay, make_client: Any) -> None:
    client = await signed_in(make_client, strict_relay)
    results = await asyncio.gather(*(client.request(m.Ping(id=0)) for _ in range(40)), return_exceptions=True)
    limited = [r for r in results if isinstance(r, RateLimited)]
    answered = [r for r in results if isinstance(r, m.Pong)]
    assert limited, "a flood must be refused"
    assert answered, "the burst must be served"
    assert all(r.retry_after > 0 for r in limited)
    assert all(isinstance(r, (RateLimited, m.Pong)) for r in results)
    await asyncio.sleep(limited[0].retry_after + 0.3)  # the bucket refills: serving again
    assert isinstance(await client.request(m.Ping(id=0)), m.Pong)
    _, metrics = strict_relay.http_get("/metrics")
    assert 'parley_rate_limit_hits_total{scope="connection"}' in metrics
    await assert_still_serving(strict_relay, make_client)


async def test_flooding_one_account_over_many_connections(strict_relay: RunningRelay, make_client: Any) -> None:
    name = strict_relay.add_user()
    clients = [await signed_in(make_client, strict_relay, name) for _ in range(4)]
    # Each connection stays inside its own bucket (10), together they exceed the account's (15).
    batches = await asyncio.gather(
        *(asyncio.gather(*(c.request(m.Ping(id=0)) for _ in range(8)), return_exceptions=True) for c in clients)
    )
    errors = [r for batch in batches for r in batch if isinstance(r, RateLimited)]
    assert errors and all("account" in e.message for e in errors)
    _, metrics = strict_relay.http_get("/metrics")
    assert 'parley_rate_limit_hits_total{scope="account"}' in metrics
    other = await signed_in(make_client, strict_relay)  # another account is unaffected
    assert isinstance(await other.request(m.Ping(id=0)), m.Pong)


async def test_failed_logins_are_slowed_then_locked_per_account(strict_relay: RunningRelay, make_client: Any) -> None:
    name = strict_relay.add_user()
    client = make_client(strict_relay)
    await client.connect()
    outcomes: list[str] = []
    for _ in range(12):
        try:
            await client.sign_in(name, "not the password")
        except RateLimited as exc:
            outcomes.append("locked" if "locked" in exc.message else "slowed")
            if "locked" in exc.message:
                break
            await asyncio.sleep(exc.retry_after + 0.05)
        except Exception as exc:  # Unauthorized
            outcomes.append(type(exc).__name__)
    assert outcomes[:2] == ["Unauthorized", "Unauthorized"]
    assert "slowed" in outcomes
    assert outcomes[-1] == "locked"
    # Even the right password is refused while locked.
    with pytest.raises(RateLimited, match="locked"):
        await client.sign_in(name, "correct horse")
    strict_relay.http_get("/healthz")


async def test_failed_logins_are_locked_per_address(tmp_path: Path, make_client: Any) -> None:
    # Spraying many accounts from one address locks the address, not only each account.
    strict_relay = RunningRelay(tmp_path / "data", STRICT).start()
    try:
        await _spray(strict_relay, make_client)
    finally:
        strict_relay.stop()


async def _spray(strict_relay: RunningRelay, make_client: Any) -> None:
    client = make_client(strict_relay)
    await client.connect()
    names = [strict_relay.add_user() for _ in range(5)]
    messages: list[str] = []
    for attempt in range(40):
        try:
            await client.sign_in(names[attempt % len(names)], "guess")
        except RateLimited as exc:
            messages.append(exc.message)
            if "address is locked" in exc.message:
                break
            await asyncio.sleep(exc.retry_after + 0.05)
        except Exception:
            messages.append("unauthorized")
    # No single account reached its own lock (5), but the address did (12).
    assert messages.count("unauthorized") >= 12
    assert "Sign-in from this address is locked" in messages[-1]
    # The right password from this address is refused too while it is locked.
    with pytest.raises(RateLimited, match="address is locked"):
        await client.sign_in(names[0], "correct horse")


async def test_repeated_garbage_closes_the_connection(strict_relay: RunningRelay, make_client: Any) -> None:
    peer = await RawPeer(strict_relay).open()
    assert peer.client.ws is not None
    try:
        for _ in range(40):
            await peer.client.ws.send("garbage")
            await asyncio.sleep(0.25)  # stay under the rate limit: this is about violations
            if peer.client.closed.is_set():
                break
        await asyncio.wait_for(peer.client.closed.wait(), 10)
    finally:
        await peer.close()
    await assert_still_serving(strict_relay, make_client)


frames = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.builds(
        json.dumps,
        st.fixed_dictionaries(
            {
                "type": st.sampled_from([m.tag_of(t) for t in m.ALL_TYPES] + ["", "x"]),
                "id": st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=5), st.none()),
            },
            optional={
                "meeting_id": st.one_of(st.text(max_size=80), st.integers()),
                "title": st.one_of(st.text(max_size=300), st.lists(st.integers())),
                "username": st.text(max_size=80),
                "password": st.text(max_size=80),
                "token": st.text(max_size=80),
                "session_id": st.text(max_size=40),
                "sdp": st.text(max_size=200),
                "protocol": st.integers(),
            },
        ),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(frames, min_size=1, max_size=8))
def test_random_frames_never_break_the_relay(relay: RunningRelay, tmp_path: Path, batch: list[Any]) -> None:
    async def throw() -> None:
        client = SignallingClient("127.0.0.1", relay.port, fingerprint=relay.fingerprint)
        await client.connect()
        assert client.ws is not None
        for frame in batch:
            await client.ws.send(frame)
        # The connection is either still answering, or was closed for misbehaving; never hung.
        # (A random frame may carry the id our ping gets, so an error reply also proves an answer.)
        if not client.closed.is_set():
            try:
                reply = await asyncio.wait_for(client.request(m.Ping(id=0)), 10)
                assert isinstance(reply, m.Pong)
            except ParleyError as exc:
                assert exc.code.value in ("bad_request", "unauthorized", "rate_limited", "limit_exceeded") or (
                    client.closed.is_set()
                ), exc
        await client.close()

    asyncio.run(throw())


async def test_after_the_fuzzing_the_relay_is_healthy(relay: RunningRelay, make_client: Any) -> None:
    await assert_still_serving(relay, make_client)
    assert_database_intact(relay)
