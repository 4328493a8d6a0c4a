"""Each meeting's chat sequence numbers: 1, 2, 3, ... unique and without gaps, also when several
people send at the same moment and across relay restarts.

Clients keep one copy of each message by ``(meeting_id, seq)`` and show messages in ``seq`` order,
so two messages with one number means one of them vanishes for every reader, and a number handed
out again after a restart makes a new message vanish for people who saw the old one. So:

- one meeting's numbers are handed out one at a time (an `asyncio.Lock` per meeting), and the
  caller stores and delivers its message before the next number is taken, so everyone receives the
  meeting's messages in the order of their numbers;
- the last number is written to ``chat_counters`` (an increment in the database, so it holds for
  several relay nodes too) before the message goes out; it is a counter, never content, and is
  kept whether or not chat retention is on;
- a message that fails after taking its number (its write to the history failed) gives the
  number back, so no gap appears.

When the counter cannot be written (a full disk) and chat is not being kept, chat goes on with the
number counted in memory (logged): losing the message would be worse than a number that a restart
during the outage might hand out again. With retention on, the message's own write would fail too,
so the error goes to the sender.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from relay.store.db import Database
from relay.store.models import ChatCounter

log = logging.getLogger("parley.relay.chat")


class ChatNumbers:
    """Hands out chat sequence numbers per meeting (see the module docstring)."""

    def __init__(self, db: Database, *, must_store: bool) -> None:
        self.db = db
        self.must_store = must_store  # retention on: a number that cannot be stored fails the message
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, int] = {}  # what this relay last handed out, per meeting

    @asynccontextmanager
    async def take(self, meeting_id: str) -> AsyncIterator[int]:
        """The meeting's next number; nobody else takes one until the block ends. If the block
        raises, the number is given back."""
        lock = self._locks.setdefault(meeting_id, asyncio.Lock())
        async with lock:
            seq, stored = await self._next(meeting_id)
            try:
                yield seq
            except BaseException:
                await self._give_back(meeting_id, seq, stored)
                raise
            self._last[meeting_id] = seq

    def forget(self, meeting_id: str) -> None:
        """Nobody is in the meeting any more: drop what is held in memory (the counter stays stored)."""
        lock = self._locks.get(meeting_id)
        if lock is not None and not lock.locked():
            del self._locks[meeting_id]
            self._last.pop(meeting_id, None)

    async def _next(self, meeting_id: str) -> tuple[int, bool]:
        try:
            return await self._increment(meeting_id), True
        except OperationalError:
            if self.must_store:
                raise
            log.warning("could not store a chat number (is the disk full?); counting in memory")
        last = self._last.get(meeting_id)
        if last is None:
            async with self.db.sessions() as s:
                last = (await s.scalar(select(ChatCounter.last_seq).where(ChatCounter.meeting_id == meeting_id))) or 0
        return last + 1, False

    async def _increment(self, meeting_id: str) -> int:
        # Never below what this relay handed out while it could not store (counted in memory).
        floor = self._last.get(meeting_id, 0) + 1
        following = case((ChatCounter.last_seq + 1 > floor, ChatCounter.last_seq + 1), else_=floor)
        insert = postgresql_insert if self.db.url.startswith("postgresql") else sqlite_insert
        statement = (
            insert(ChatCounter)
            .values(meeting_id=meeting_id, last_seq=floor)
            .on_conflict_do_update(index_elements=[ChatCounter.meeting_id], set_={"last_seq": following})
            .returning(ChatCounter.last_seq)
        )
        async with self.db.sessions() as s, s.begin():
            return int((await s.execute(statement)).scalar_one())

    async def _give_back(self, meeting_id: str, seq: int, stored: bool) -> None:
        if not stored:
            return
        try:
            async with self.db.sessions() as s, s.begin():
                await s.execute(
                    update(ChatCounter)
                    .where(ChatCounter.meeting_id == meeting_id, ChatCounter.last_seq == seq)
                    .values(last_seq=seq - 1)
                )
        except OperationalError:
            log.warning("could not give back chat number %d; the meeting's numbers have a gap", seq)
