"""Personal accounts: argon2id passwords, session tokens stored as hashes, sign-in throttling.

Used both by the serving relay and by the ``parley-relay user`` commands. Password hashing is slow
on purpose, so it runs in a worker thread and never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from relay.config import LimitsConfig
from relay.store.db import Database
from relay.store.models import AdminEvent, AuditEntry, LoginThrottle, Session, User
from shared.errors import BadRequest, Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from shared.limits import MAX_DISPLAY_NAME_LENGTH, MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_hasher = PasswordHasher()  # argon2id, the library's recommended parameters
# Verifying against this keeps an unknown user name as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("parley-dummy-password")

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session
    token: str | None  # only set right after a password login


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_id() -> str:
    return secrets.token_hex(16)


def validate_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > MAX_USERNAME_LENGTH or not _USERNAME.fullmatch(name):
        raise BadRequest(
            "A user name is 1-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadRequest(f"A password may have at most {MAX_PASSWORD_LENGTH} characters.")


class PasswordCheck(Protocol):
    """Who checks a sign-in's password: the account it is right for, or None (a failure)."""

    async def check_password(self, name: str, password: str) -> User | None: ...


class Accounts:
    """Users, their sessions, and the throttle on failed sign-ins."""

    def __init__(self, db: Database, limits: LimitsConfig, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.limits = limits
        self.clock = clock
        # Local passwords, unless the company directory takes over (relay.directory.signin, set
        # in relay.app); the throttle around it stays here either way.
        self.password_check: PasswordCheck = self

    # --- administration (CLI) -------------------------------------------------------------

    async def add_user(self, username: str, password: str, display_name: str = "", actor: str = "admin") -> User:
        name = validate_username(username)
        validate_password(password)
        display = (display_name or name).strip()[:MAX_DISPLAY_NAME_LENGTH]
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            if await s.scalar(select(User).where(User.username == name)):
                raise Conflict(f"The user {name} already exists.")
            user = User(
                id=new_id(),
                username=name,
                display_name=display,
                password_hash=password_hash,
                suspended=False,
                created_at=now,
                updated_at=now,
            )
            s.add(user)
            s.add(AuditEntry(at=now, actor=actor, action="user.add", target=name, detail={}))
        return user

    async def get_user(self, username: str) -> User:
        name = username.strip().lower()
        async with self.db.sessions() as s:
            user = await s.scalar(select(User).where(User.username == name))
        if user is None:
            raise NotFound(f"There is no user {name}.")
        return user

    async def list_users(self) -> list[User]:
        async with self.db.sessions() as s:
            return list(await s.scalars(select(User).order_by(User.username)))

    async def set_suspended(self, username: str, suspended: bool, actor: str = "admin") -> User:
        user = await self.get_user(username)
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            await s.execute(update(User).where(User.id == user.id).values(suspended=suspended, updated_at=now))
            if suspended:
                await s.execute(
                    update(Session)
                    .where(Session.user_id == user.id, Session.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                s.add(AdminEvent(at=now, kind="user_suspended", user_id=user.id))
            s.add(
                AuditEntry(
                    at=now, actor=actor, action="user.suspend" if suspended else "user.resume", target=user.username
                )
            )
        user.suspended = suspended
        return user

    async def reset_password(self, username: str, password: str, actor: str = "admin") -> None:
        validate_password(password)
        user = await self.get_user(username)
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            await s.execute(update(User).where(User.id == user.id).values(password_hash=password_hash, updated_at=now))
            # A new password ends every sign-in made with the old one.
            await s.execute(
                update(Session).where(Session.user_id == user.id, Session.revoked_at.is_(None)).values(revoked_at=now)
            )
            s.add(AdminEvent(at=now, kind="user_sessions_revoked", user_id=user.id))
            s.add(AuditEntry(at=now, actor=actor, action="user.reset_password", target=user.username))

    # --- sign-in ----------------------------------------------------------------------------

    async def _throttle_rows(self, keys: list[str]) -> dict[str, LoginThrottle]:
        async with self.db.sessions() as s:
            rows = await s.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
            return {r.key: r for r in rows}

    def _check_throttle(self, rows: dict[str, LoginThrottle], now: float) -> None:
        for row in rows.values():
            if row.locked_until > now:
                wait = row.locked_until - now
                what = "This account" if row.key.startswith("user:") else "Sign-in from this address"
                raise RateLimited(
                    f"{what} is locked after too many failed sign-ins. Try again in {_minutes(wait)}.",
                    retry_after=wait,
                )
        for row in rows.values():
            if row.next_attempt_at > now:
                wait = row.next_attempt_at - now
                raise RateLimited(
                    f"Too many failed sign-ins. Wait {wait:.0f} seconds before trying again.", retry_after=wait
                )

    async def _record_failure(self, keys: list[str], now: float) -> None:
        lim = self.limits
        async with self.db.sessions() as s, s.begin():
            for key in keys:
                row = await s.get(LoginThrottle, key)
                if row is None:
                    row = LoginThrottle(
                        key=key, failures=0, window_started_at=now, next_attempt_at=0.0, locked_until=0.0
                    )
                    s.add(row)
                if now - row.window_started_at > lim.login_window_seconds:
                    row.failures, row.window_started_at = 0, now
                row.failures += 1
                per_account = key.startswith("user:")
                free = lim.login_free_failures if per_account else lim.login_address_free_failures
                extra = row.failures - free
                if extra > 0:
                    row.next_attempt_at = now + min(lim.login_max_delay_seconds, 0.5 * 2 ** (extra - 1))
                lock_after = lim.login_lock_after if per_account else lim.login_address_lock_after
                if row.failures >= lock_after:
                    row.locked_until = now + lim.login_lock_seconds
                    s.add(AuditEntry(at=now, actor="relay", action="login.locked", target=key))

    async def _clear_failures(self, key: str) -> None:
        async with self.db.sessions() as s, s.begin():
            row = await s.get(LoginThrottle, key)
            if row is not None:
                await s.delete(row)

    async def login(self, username: str, password: str, *, address: str = "", client: str = "") -> SignedIn:
        """Check a password and open a session. Raises Unauthorized, Forbidden or RateLimited."""
        name = username.strip().lower()[:MAX_USERNAME_LENGTH]
        now = self.clock()
        keys = [f"user:{name}"] + ([f"addr:{address}"] if address else [])
        self._check_throttle(await self._throttle_rows(keys), now)
        user = await self.password_check.check_password(name, password[:MAX_PASSWORD_LENGTH])
        if user is None:
            await self._record_failure(keys, self.clock())
            raise Unauthorized("Wrong user name or password.")
        if user.suspended:
            raise Forbidden("This account is suspended. Ask your administrator to resume it.")
        await self._clear_failures(f"user:{name}")
        token = secrets.token_urlsafe(32)
        session = Session(
            id=new_id(),
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + self.limits.session_ttl_hours * 3600,
            last_seen_at=now,
            revoked_at=None,
            address=address[:64],
            client=client[:120],
        )
        async with self.db.sessions() as s, s.begin():
            s.add(session)
        return SignedIn(user=user, session=session, token=token)

    async def check_password(self, name: str, password: str) -> User | None:
        """The local account ``name`` if ``password`` is its password (as slow when there is none)."""
        async with self.db.sessions() as s:
            user = await s.scalar(select(User).where(User.username == name))
        stored = user.password_hash if user is not None else _DUMMY_HASH
        ok = await asyncio.to_thread(_verify, stored, password)
        return user if user is not None and ok else None

    async def resume(self, token: str, *, address: str = "") -> SignedIn:
        """Sign in with a token from an earlier login."""
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            session = await s.scalar(select(Session).where(Session.token_hash == hash_token(token)))
            if session is None or session.revoked_at is not None:
                raise Unauthorized("This sign-in has ended. Sign in again with your password.")
            if session.expires_at <= now:
                raise Unauthorized("This sign-in has expired. Sign in again with your password.")
            user = await s.get(User, session.user_id)
            if user is None or user.suspended:
                raise Forbidden("This account is suspended. Ask your administrator to resume it.")
            session.last_seen_at = now
            if address:
                session.address = address[:64]
        return SignedIn(user=user, session=session, token=None)

    async def check_session(self, session_id: str) -> bool:
        """Whether a session is still valid (not revoked, not expired, user not suspended)."""
        now = self.clock()
        async with self.db.sessions() as s:
            session = await s.get(Session, session_id)
            if session is None or session.revoked_at is not None or session.expires_at <= now:
                return False
            user = await s.get(User, session.user_id)
            return user is not None and not user.suspended

    async def list_sessions(self, user_id: str) -> list[Session]:
        now = self.clock()
        async with self.db.sessions() as s:
            rows = await s.scalars(
                select(Session)
                .where(Session.user_id == user_id, Session.revoked_at.is_(None), Session.expires_at > now)
                .order_by(Session.created_at)
            )
            return list(rows)

    async def revoke_session(self, user_id: str | None, session_id: str, actor: str = "user") -> None:
        """Revoke one session. With ``user_id`` set, only that user's own sessions are found."""
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            session = await s.get(Session, session_id)
            if session is None or (user_id is not None and session.user_id != user_id) or session.revoked_at:
                raise NotFound("There is no such active session.")
            session.revoked_at = now
            s.add(AdminEvent(at=now, kind="session_revoked", user_id=session.user_id, session_id=session_id))
            s.add(AuditEntry(at=now, actor=actor, action="session.revoke", target=session_id))

    async def logout(self, session_id: str) -> None:
        async with self.db.sessions() as s, s.begin():
            await s.execute(
                update(Session)
                .where(Session.id == session_id, Session.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    async def admin_events_after(self, last_id: int) -> list[AdminEvent]:
        async with self.db.sessions() as s:
            return list(await s.scalars(select(AdminEvent).where(AdminEvent.id > last_id).order_by(AdminEvent.id)))

    async def last_admin_event_id(self) -> int:
        async with self.db.sessions() as s:
            rows = list(await s.scalars(select(AdminEvent.id).order_by(AdminEvent.id.desc()).limit(1)))
            return rows[0] if rows else 0


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
