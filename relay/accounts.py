"""Personal accounts: argon2id passwords, session tokens stored as hashes, sign-in throttling.

Used both by the serving relay and by the ``parley-relay user`` commands. Password hashing is slow
on purpose, so it runs in a worker thread and never stalls the event loop; at sign-in, on the
bounded executor of relay.signin_limits.
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
from sqlalchemy import delete, func, select, update

from relay.config import LimitsConfig
from relay.ops.metrics import RelayMetrics
from relay.signin_limits import SignInLimits, account_key, address_key, pair_key
from relay.store.db import Database
from relay.store.models import AdminEvent, AuditEntry, Session, User
from shared.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from shared.limits import MAX_DISPLAY_NAME_LENGTH, MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH
from shared.text import clean_line

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

    def __init__(
        self,
        db: Database,
        limits: LimitsConfig,
        clock: Callable[[], float] = time.time,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self.db = db
        self.limits = limits
        self.clock = clock
        self.signin = SignInLimits(db, limits, clock, metrics)
        # Local passwords, unless the company directory takes over (relay.directory.signin, set
        # in relay.app); the limits around it stay here either way.
        self.password_check: PasswordCheck = self

    # --- administration (CLI) -------------------------------------------------------------

    async def add_user(self, username: str, password: str, display_name: str = "", actor: str = "admin") -> User:
        name = validate_username(username)
        validate_password(password)
        display = (clean_line(display_name) or name)[:MAX_DISPLAY_NAME_LENGTH]
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

    async def _usual_address(self, user_id: str, address: str, now: float) -> bool:
        """Whether the owner signed in from ``address`` within ``login_usual_address_days``."""
        if not address or self.limits.login_usual_address_days <= 0:
            return False
        since = now - self.limits.login_usual_address_days * 86400
        async with self.db.sessions() as s:
            found = await s.scalar(
                select(Session.id)
                .where(Session.user_id == user_id, Session.address == address[:64], Session.last_seen_at >= since)
                .limit(1)
            )
        return found is not None

    async def login(self, username: str, password: str, *, address: str = "", client: str = "") -> SignedIn:
        """Check a password and open a session. Raises Unauthorized, Forbidden or RateLimited.

        The failure is counted before the password is checked (relay.signin_limits). From the
        owner's usual address an account has a counter of its own, so neither guesses from
        elsewhere nor a locked office address shut its owner out (a soft lock, issue #15 item 8).
        """
        name = username.strip().lower()[:MAX_USERNAME_LENGTH]
        limits = self.limits
        self.signin.check_pace(address)
        async with self.signin.hashing_slot():
            async with self.db.sessions() as s:
                known = await s.scalar(select(User).where(User.username == name))
            now = self.clock()
            if known is not None and await self._usual_address(known.id, address, now):
                keys = [pair_key(name, address[:64], limits)]
            else:
                keys = [account_key(name, limits)] + ([address_key(address[:64], limits)] if address else [])
            await self.signin.reserve(keys)
            user = await self.password_check.check_password(name, password[:MAX_PASSWORD_LENGTH])
        if user is None:
            raise Unauthorized("Wrong user name or password.")
        await self.signin.give_back(keys)
        self.signin.refund_pace(address)
        if user.suspended:
            raise Forbidden("This account is suspended. Ask your administrator to resume it.")
        now = self.clock()
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
        ok = await self.signin.run_hash(lambda: _verify(stored, password))
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

    async def logout(self, session_id: str, user_id: str | None = None) -> None:
        """End a session; other relays (and this one's other connections) hear it as an admin event."""
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            await s.execute(
                update(Session).where(Session.id == session_id, Session.revoked_at.is_(None)).values(revoked_at=now)
            )
            s.add(AdminEvent(at=now, kind="session_logged_out", user_id=user_id, session_id=session_id))

    async def admin_events_after(self, last_id: int) -> list[AdminEvent]:
        async with self.db.sessions() as s:
            return list(await s.scalars(select(AdminEvent).where(AdminEvent.id > last_id).order_by(AdminEvent.id)))

    async def prune_admin_events(self, keep_seconds: float = 86400.0) -> None:
        """Forget admin events older than a day: every serving relay applied them long ago (each
        sign-out writes one, so the table would grow for good)."""
        async with self.db.sessions() as s, s.begin():
            # The newest stays: SQLite numbers the next row after the highest one left, and the
            # relays poll for ids above the last they saw.
            newest = select(func.max(AdminEvent.id)).scalar_subquery()
            await s.execute(
                delete(AdminEvent).where(AdminEvent.at < self.clock() - keep_seconds, AdminEvent.id < newest)
            )

    async def last_admin_event_id(self) -> int:
        async with self.db.sessions() as s:
            rows = list(await s.scalars(select(AdminEvent.id).order_by(AdminEvent.id.desc()).limit(1)))
            return rows[0] if rows else 0


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
