"""Sign-in under attack against a live relay (issue #15 items 1, 2, 8 and the throttle rows of 12):
parallel guesses never get past the lock, on SQLite and on PostgreSQL; password hashing is bounded
and paced per address; the owner passes a lock others caused; counters of unknown names are
forgotten."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.errors import RateLimited, Unauthorized
from shared.protocol import messages as m
from tests.abuse import address, close_all, connected, parallel_logins, tally
from tests.conftest import RunningRelay
from tests.pg import PostgresServer, postgres  # noqa: F401  (fixture)

_databases = itertools.count(1)

# Only the lock under test: no slow-down delays, no pace, room for every hash.
LOCK_ONLY = """
[limits]
login_free_failures = 1000
login_lock_after = 5
login_address_free_failures = 1000
login_address_lock_after = 12
login_attempts_per_address_per_second = 0
login_hash_queue = 200
connection_requests_per_second = 100
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def lock_relay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningRelay]:
    config = LOCK_ONLY
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        # A fresh database per test on the shared server.
        name = f"lock{next(_databases)}"
        server.create_database(name)
        config = f'[database]\nurl = "{server.url_of(name)}"\n' + config
    relay = RunningRelay(tmp_path / "data", config).start()
    try:
        yield relay
    finally:
        relay.stop()


async def test_parallel_guesses_do_not_pass_the_locks(lock_relay: RunningRelay) -> None:
    relay = lock_relay
    name = relay.add_user()
    # 30 guesses for one account at once, each from its own address: at most 5 are checked.
    clients = [await connected(relay.port, relay.fingerprint, address(i)) for i in range(30)]
    try:
        outcomes = tally(await parallel_logins(clients, [(name, f"guess {i}") for i in range(30)]))
    finally:
        await close_all(clients)
    assert outcomes["unauthorized"] <= 5, outcomes
    assert outcomes["unauthorized"] + outcomes["rate_limited"] == 30, outcomes  # nothing else
    late = await connected(relay.port, relay.fingerprint, address(40))
    try:
        with pytest.raises(RateLimited, match="This account is locked"):
            await late.request(m.Login(id=0, username=name, password="correct horse"))
    finally:
        await late.close()

    # 40 guesses for 40 names at once from one address: the address locks at 12.
    clients = [await connected(relay.port, relay.fingerprint, "127.0.0.1") for _ in range(40)]
    try:
        outcomes = tally(await parallel_logins(clients, [(f"nobody{i}", "guess") for i in range(40)]))
    finally:
        await close_all(clients)
    assert outcomes["unauthorized"] <= 12, outcomes
    assert outcomes["unauthorized"] + outcomes["rate_limited"] == 40, outcomes
    status, _ = relay.http_get("/healthz")
    assert status == 200


async def test_password_hashing_is_bounded_and_paced(tmp_path: Path) -> None:
    config = """
[limits]
login_hash_workers = 1
login_hash_queue = 2
login_attempts_per_address_per_second = 0.2
login_address_burst = 4
"""
    relay = RunningRelay(tmp_path / "data", config).start()
    try:
        name = relay.add_user()
        # 24 unknown-user logins at once from 24 addresses: one hashes, two wait, the rest are
        # refused at once instead of queueing argon2 work (and memory) on every core.
        clients = [await connected(relay.port, relay.fingerprint, address(i)) for i in range(24)]
        try:
            results = await parallel_logins(clients, [(f"ghost{i}", "guess") for i in range(24)])
        finally:
            await close_all(clients)
        outcomes = tally(results)
        assert outcomes["unauthorized"] <= 12, outcomes  # 3 at once; a few may finish early
        assert outcomes["unauthorized"] + outcomes["rate_limited"] == 24, outcomes
        assert any(isinstance(r, RateLimited) and "busy signing people in" in r.message for r in results)

        # One address may try 4 at once and then one every 5 seconds.
        clients = [await connected(relay.port, relay.fingerprint, "127.0.0.9") for _ in range(12)]
        try:
            results: list[Any] = []
            for client in clients:  # one after the other: the pace, not the hashing bound
                try:
                    results.append(await client.request(m.Login(id=0, username="ghost", password="x")))
                except Exception as exc:
                    results.append(exc)
        finally:
            await close_all(clients)
        paced = [r for r in results if isinstance(r, RateLimited) and "from your network" in r.message]
        assert len(paced) >= 7, results
        # Another address is not held up, and the right password works there.
        other = await connected(relay.port, relay.fingerprint, "127.0.0.10")
        try:
            assert isinstance(await other.request(m.Login(id=0, username=name, password="correct horse")), m.LoginOk)
        finally:
            await other.close()
    finally:
        relay.stop()


async def test_a_lock_caused_by_others_spares_the_owner(tmp_path: Path) -> None:
    config = """
[limits]
login_free_failures = 1000
login_lock_after = 4
login_address_free_failures = 1000
login_address_lock_after = 6
login_attempts_per_address_per_second = 0
"""
    relay = RunningRelay(tmp_path / "data", config).start()
    try:
        owner, colleague = relay.add_user(), relay.add_user()
        office, elsewhere = "127.0.2.1", "127.0.3.1"
        # Both have signed in from the office before.
        for name in (owner, colleague):
            client = await connected(relay.port, relay.fingerprint, office)
            await client.request(m.Login(id=0, username=name, password="correct horse"))
            await client.close()
        holder = await connected(relay.port, relay.fingerprint, office)
        signed = await holder.request(m.Login(id=0, username=owner, password="correct horse"))
        assert isinstance(signed, m.LoginOk)
        token = signed.token
        await holder.close()

        # Someone elsewhere guesses the owner's password until the account is locked for them...
        attacker = await connected(relay.port, relay.fingerprint, elsewhere)
        for _ in range(4):
            with pytest.raises(Unauthorized):
                await attacker.request(m.Login(id=0, username=owner, password="guess"))
        with pytest.raises(RateLimited, match="This account is locked"):
            await attacker.request(m.Login(id=0, username=owner, password="correct horse"))
        await attacker.close()
        # ... and someone in the office sprays names until the office address is locked.
        sprayer = await connected(relay.port, relay.fingerprint, office)
        for i in range(6):
            with pytest.raises(Unauthorized):
                await sprayer.request(m.Login(id=0, username=f"spray{i}", password="guess"))
        with pytest.raises(RateLimited, match="address is locked"):
            await sprayer.request(m.Login(id=0, username="spray0", password="guess"))
        await sprayer.close()

        # The owner, at their usual address, still signs in; so does the colleague; and the
        # owner's device with a valid token resumes.
        for name in (owner, colleague):
            client = await connected(relay.port, relay.fingerprint, office)
            assert isinstance(await client.request(m.Login(id=0, username=name, password="correct horse")), m.LoginOk)
            await client.close()
        device = await connected(relay.port, relay.fingerprint, "127.0.4.1")  # the owner's laptop, travelling
        assert isinstance(await device.request(m.Resume(id=0, token=token)), m.LoginOk)
        await device.close()
        # The attacker elsewhere is still locked out.
        attacker = await connected(relay.port, relay.fingerprint, elsewhere)
        with pytest.raises(RateLimited, match="locked"):
            await attacker.request(m.Login(id=0, username=owner, password="correct horse"))
        await attacker.close()
    finally:
        relay.stop()


async def test_counters_of_unknown_names_are_forgotten(tmp_path: Path) -> None:
    config = "[limits]\nlogin_window_seconds = 3\nlogin_lock_seconds = 3\nlogin_max_delay_seconds = 1\n"
    relay = RunningRelay(tmp_path / "data", config).start()
    try:
        client = await connected(relay.port, relay.fingerprint)
        for i in range(3):
            with pytest.raises(Unauthorized):
                await client.request(m.Login(id=0, username=f"nobody-{i}", password="guess"))
        await client.close()

        def keys() -> set[str]:
            with sqlite3.connect(relay.data_dir / "parley.db") as db:
                return {row[0] for row in db.execute("SELECT key FROM login_throttle")}

        assert "user:nobody-2" in keys()
        for _ in range(300):  # the relay prunes about once a window (3 s here)
            if not keys():
                break
            await asyncio.sleep(0.1)
        assert keys() == set()
    finally:
        relay.stop()
