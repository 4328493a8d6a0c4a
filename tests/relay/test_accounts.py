"""Accounts against a real SQLite database brought up by the Alembic migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect

from relay.accounts import Accounts, hash_token
from relay.config import LimitsConfig
from relay.store.db import Database, head_revisions
from relay.store.models import Base
from shared.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from tests.fakes import FakeClock


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}")
    await database.migrate()
    yield database
    await database.close()


async def test_migrations_build_exactly_the_models(db: Database, tmp_path: Path) -> None:
    assert await db.current_revisions() == head_revisions()
    await db.migrate()  # idempotent

    def compare(connection: object) -> list[object]:
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))  # type: ignore[arg-type]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(compare) == []
        tables = await conn.run_sync(lambda c: set(sa_inspect(c).get_table_names()))
    assert {"users", "sessions", "meetings", "audit_log", "login_throttle"} <= tables


async def test_passwords_are_argon2id_and_tokens_stored_only_as_hashes(db: Database, tmp_path: Path) -> None:
    accounts = Accounts(db, LimitsConfig())
    await accounts.add_user("alice", "a long secret", "Alice")
    signed = await accounts.login("alice", "a long secret", address="127.0.0.1")
    assert signed.token
    with sqlite3.connect(tmp_path / "parley.db") as raw:
        (stored_hash,) = raw.execute("SELECT password_hash FROM users").fetchone()
        (token_hash,) = raw.execute("SELECT token_hash FROM sessions").fetchone()
        dump = "\n".join(raw.iterdump())
    assert stored_hash.startswith("$argon2id$")
    assert "a long secret" not in dump
    assert signed.token not in dump
    assert token_hash == hash_token(signed.token)


async def test_usernames_and_passwords_are_validated(db: Database) -> None:
    accounts = Accounts(db, LimitsConfig())
    with pytest.raises(BadRequest, match="user name"):
        await accounts.add_user("../etc", "a long secret")
    with pytest.raises(BadRequest, match="at least 8"):
        await accounts.add_user("bob", "short")
    await accounts.add_user("Bob", "a long secret")
    with pytest.raises(Conflict):
        await accounts.add_user("bob", "a long secret")
    assert [u.username for u in await accounts.list_users()] == ["bob"]


async def test_tokens_expire_and_can_be_revoked(db: Database) -> None:
    clock = FakeClock()
    accounts = Accounts(db, LimitsConfig(session_ttl_hours=1), clock)
    user = await accounts.add_user("carol", "a long secret")
    first = await accounts.login("carol", "a long secret")
    second = await accounts.login("carol", "a long secret")
    assert first.token and second.token and first.token != second.token
    assert (await accounts.resume(first.token)).user.id == user.id
    await accounts.revoke_session(user.id, first.session.id)
    with pytest.raises(Unauthorized, match="ended"):
        await accounts.resume(first.token)
    with pytest.raises(NotFound):
        await accounts.revoke_session("someone-else", second.session.id)
    assert await accounts.check_session(second.session.id)
    clock.now += 3601
    with pytest.raises(Unauthorized, match="expired"):
        await accounts.resume(second.token)
    assert not await accounts.check_session(second.session.id)
    assert await accounts.list_sessions(user.id) == []


async def test_suspension_refuses_sign_in_and_tokens(db: Database) -> None:
    accounts = Accounts(db, LimitsConfig())
    await accounts.add_user("dave", "a long secret")
    signed = await accounts.login("dave", "a long secret")
    await accounts.set_suspended("dave", True)
    with pytest.raises(Forbidden, match="suspended"):
        await accounts.login("dave", "a long secret")
    with pytest.raises(Unauthorized):
        await accounts.resume(signed.token or "")
    events = await accounts.admin_events_after(0)
    assert [e.kind for e in events] == ["user_suspended"]
    await accounts.set_suspended("dave", False)
    assert (await accounts.login("dave", "a long secret")).token


async def test_lock_expires(db: Database) -> None:
    clock = FakeClock()
    limits = LimitsConfig(login_free_failures=1, login_lock_after=3, login_lock_seconds=60, login_max_delay_seconds=1)
    accounts = Accounts(db, limits, clock)
    await accounts.add_user("erin", "a long secret")
    from shared.errors import RateLimited

    for _ in range(3):
        with pytest.raises(Unauthorized):
            await accounts.login("erin", "nope")
        clock.now += 2  # past the slow-down delay
    with pytest.raises(RateLimited, match="locked"):
        await accounts.login("erin", "a long secret")
    clock.now += 61
    assert (await accounts.login("erin", "a long secret")).token


async def test_old_admin_events_are_pruned_but_the_newest_is_kept(db: Database) -> None:
    # Each sign-out now writes an admin event; a day later every relay has applied it. The newest
    # stays, so SQLite never numbers a new event below what relays have already seen.
    clock = FakeClock()
    accounts = Accounts(db, LimitsConfig(), clock)
    await accounts.add_user("fay", "a long secret")
    for _ in range(3):
        signed = await accounts.login("fay", "a long secret")
        await accounts.logout(signed.session.id, signed.user.id)
    newest = await accounts.last_admin_event_id()
    clock.now += 2 * 86400
    await accounts.prune_admin_events()
    assert [e.id for e in await accounts.admin_events_after(0)] == [newest]
    signed = await accounts.login("fay", "a long secret")
    await accounts.logout(signed.session.id, signed.user.id)
    assert await accounts.last_admin_event_id() > newest
