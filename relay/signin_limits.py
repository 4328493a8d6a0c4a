"""Limits on signing in with a password: the failure throttle (stored), the per-address pace and the
bound on password hashing (in memory).

Every password attempt first *reserves* its failure in the database, in one transaction that also
checks the lock, and only then is the password checked; a success gives the reservation back. So
parallel guesses cannot all pass a check made before any of them was counted (issue #15 item 1),
on SQLite (one writer at a time) and on PostgreSQL (``SELECT ... FOR UPDATE`` on the rows) alike.

Argon2 runs in a small executor of its own with a bounded queue, so sign-in work can never take
every core (and the event loop that forwards media) however many logins arrive (item 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from relay.config import LimitsConfig
from relay.ops.metrics import RelayMetrics
from relay.ratelimit import TokenBucket
from relay.store.db import Database
from relay.store.models import AuditEntry, LoginThrottle
from shared.errors import RateLimited

log = logging.getLogger("parley.relay")

T = TypeVar("T")
LOAD = "load"  # RateLimited.reason for waits that are about the relay's load, not about guesses
# Per-address pace buckets kept in memory at most; full (idle) ones are dropped first.
MAX_ADDRESS_BUCKETS = 10_000
# Niceness added to the password-hashing threads.
HASH_NICENESS = 10


@dataclass(frozen=True)
class ThrottleKey:
    """One counter a sign-in attempt is charged to: an account, an address, or an account at its
    owner's usual address (``pair:``), with the limits that apply to it."""

    key: str
    free_failures: int
    lock_after: int

    @property
    def what(self) -> str:
        if self.key.startswith("addr:"):
            return "Sign-in from this address"
        return "This account"


def account_key(name: str, limits: LimitsConfig) -> ThrottleKey:
    return ThrottleKey(f"user:{name}", limits.login_free_failures, limits.login_lock_after)


def pair_key(name: str, address: str, limits: LimitsConfig) -> ThrottleKey:
    return ThrottleKey(f"pair:{name}@{address}", limits.login_free_failures, limits.login_lock_after)


def address_key(address: str, limits: LimitsConfig) -> ThrottleKey:
    return ThrottleKey(f"addr:{address}", limits.login_address_free_failures, limits.login_address_lock_after)


def hash_workers(limits: LimitsConfig) -> int:
    """Threads that may hash passwords at once: the setting, or half the cores (at least one)."""
    return limits.login_hash_workers or max(1, (os.cpu_count() or 2) // 2)


class SignInLimits:
    """The stored failure throttle, the per-address pace and the password-hashing bound."""

    def __init__(
        self, db: Database, limits: LimitsConfig, clock: Callable[[], float], metrics: RelayMetrics | None = None
    ) -> None:
        self.db = db
        self.metrics = metrics or RelayMetrics()
        self.limits = limits
        self.clock = clock
        self._workers = hash_workers(limits)
        self._executor: ThreadPoolExecutor | None = None
        self.hashing = 0  # attempts holding a hashing slot (running or queued)
        self._buckets: dict[str, TokenBucket] = {}
        # One throttle transaction at a time from this process: SQLite writers queue here instead
        # of spinning on its busy timeout (other processes and nodes still meet the row locks).
        self._write_lock = asyncio.Lock()

    # --- pace and hashing (memory) ------------------------------------------------------------

    def check_pace(self, address: str) -> None:
        """At most ``login_attempts_per_address_per_second`` password attempts from one address."""
        if not address or self.limits.login_attempts_per_address_per_second <= 0:
            return
        now = self.clock()
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= MAX_ADDRESS_BUCKETS:
                self._drop_idle_buckets(now)
            bucket = self._buckets[address] = TokenBucket(
                self.limits.login_attempts_per_address_per_second, self.limits.login_address_burst, now
            )
        if not bucket.take(now):
            wait = max(1.0, bucket.retry_after())
            self.metrics.rate_limited.labels("sign_in_pace").inc()
            raise RateLimited(
                f"Too many sign-ins from your network. Wait {_seconds(wait)} before trying again.",
                retry_after=wait,
                reason=LOAD,
            )

    def refund_pace(self, address: str) -> None:
        """A right password costs the address nothing: an office signing in at nine is not paced,
        only guessing is (the pace then bounds how many of its sign-ins are in flight at once)."""
        bucket = self._buckets.get(address)
        if bucket is not None:
            bucket.tokens = min(bucket.burst, bucket.tokens + 1.0)

    def _drop_idle_buckets(self, now: float) -> None:
        for address, bucket in list(self._buckets.items()):
            bucket.take(now, 0.0)
            if bucket.tokens >= bucket.burst:
                del self._buckets[address]
        while len(self._buckets) >= MAX_ADDRESS_BUCKETS:  # all busy: forget the oldest
            del self._buckets[next(iter(self._buckets))]

    @contextlib.asynccontextmanager
    async def hashing_slot(self) -> AsyncIterator[None]:
        """A place among the passwords being checked, or RateLimited when all are taken."""
        if self.hashing >= self._workers + self.limits.login_hash_queue:
            self.metrics.rate_limited.labels("sign_in_busy").inc()
            raise RateLimited(
                "The server is busy signing people in. Try again in a few seconds.", retry_after=2.0, reason=LOAD
            )
        self.hashing += 1
        try:
            yield
        finally:
            self.hashing -= 1

    async def run_hash(self, work: Callable[[], T]) -> T:
        """Run argon2 on the sign-in executor (``hash_workers`` threads), never on the loop."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="argon2", initializer=_lower_priority)
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # --- the stored throttle ------------------------------------------------------------------

    async def reserve(self, keys: list[ThrottleKey]) -> None:
        """Count one failure on every key before the password is checked, or raise RateLimited
        when one of them is locked or must wait. The check and the count are one transaction."""
        lim = self.limits
        now = self.clock()
        keys = sorted(keys, key=lambda k: k.key)  # one lock order everywhere: no deadlocks
        async with self._write_lock, self.db.sessions() as s, s.begin():
            insert = postgresql.insert if self.db.engine.dialect.name == "postgresql" else sqlite.insert
            for k in keys:
                # Writing first takes SQLite's write lock for the whole transaction.
                await s.execute(
                    insert(LoginThrottle)
                    .values(key=k.key, failures=0, window_started_at=now, next_attempt_at=0.0, locked_until=0.0)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
            found = await s.scalars(
                select(LoginThrottle).where(LoginThrottle.key.in_([k.key for k in keys])).with_for_update()
            )
            rows = {r.key: r for r in found}
            for k in keys:
                row = rows[k.key]
                if row.locked_until > now:
                    wait = row.locked_until - now
                    raise RateLimited(
                        f"{k.what} is locked after too many failed sign-ins. Try again in {_minutes(wait)}.",
                        retry_after=wait,
                    )
            for k in keys:
                row = rows[k.key]
                if row.next_attempt_at > now:
                    wait = row.next_attempt_at - now
                    raise RateLimited(
                        f"Too many failed sign-ins. Wait {_seconds(wait)} before trying again.",
                        retry_after=wait,
                    )
            for k in keys:
                row = rows[k.key]
                window_over = now - row.window_started_at > lim.login_window_seconds
                if window_over or 0 < row.locked_until <= now:
                    row.failures, row.window_started_at, row.locked_until, row.next_attempt_at = 0, now, 0.0, 0.0
                row.failures += 1
                extra = row.failures - k.free_failures
                if extra > 0:
                    row.next_attempt_at = now + min(lim.login_max_delay_seconds, 0.5 * 2 ** (extra - 1))
                if row.failures >= k.lock_after:
                    row.locked_until = now + lim.login_lock_seconds
                    s.add(AuditEntry(at=now, actor="relay", action="login.locked", target=k.key))

    async def give_back(self, keys: list[ThrottleKey]) -> None:
        """The password was right: clear the account's counter, take the failure back elsewhere."""
        keys = sorted(keys, key=lambda k: k.key)
        async with self._write_lock, self.db.sessions() as s, s.begin():
            for k in keys:
                if not k.key.startswith("addr:"):
                    await s.execute(delete(LoginThrottle).where(LoginThrottle.key == k.key))
                    continue
                row = await s.scalar(select(LoginThrottle).where(LoginThrottle.key == k.key).with_for_update())
                if row is None:
                    continue
                row.failures = max(0, row.failures - 1)
                if row.failures < k.lock_after:
                    row.locked_until = 0.0
                if row.failures <= k.free_failures:
                    row.next_attempt_at = 0.0

    async def prune(self) -> int:
        """Delete counters whose window, delay and lock are all over (unknown names included)."""
        now = self.clock()
        async with self._write_lock, self.db.sessions() as s, s.begin():
            result = await s.execute(
                delete(LoginThrottle).where(
                    LoginThrottle.window_started_at < now - self.limits.login_window_seconds,
                    LoginThrottle.locked_until <= now,
                    LoginThrottle.next_attempt_at <= now,
                )
            )
        removed = int(getattr(result, "rowcount", 0) or 0)
        if len(self._buckets) > MAX_ADDRESS_BUCKETS // 2:
            self._drop_idle_buckets(now)
        return removed


def _lower_priority() -> None:
    """Run this hashing thread at a lower CPU priority than the event loop (Linux schedules
    threads one by one), so when the cores are short, media and /healthz go first."""
    with contextlib.suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + HASH_NICENESS))


def _seconds(seconds: float) -> str:
    whole = max(1, round(seconds))
    return f"{whole} second{'s' if whole != 1 else ''}"


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
