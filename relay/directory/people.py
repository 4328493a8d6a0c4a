"""Finding colleagues to invite (``people.search``), from Parley's accounts and the company
directory, and making sure a colleague found in the directory can be invited before their first
sign-in (their account is created from the directory when a booking names them)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy import func, or_, select

from relay.config import LdapConfig
from relay.directory.client import DirectoryClient, DirectoryError
from relay.directory.linked import DirectoryAccounts
from relay.directory.mapping import GroupMapping
from relay.peer import Peer, user_of
from relay.ratelimit import TokenBucket
from relay.store.db import Database
from relay.store.models import User
from shared.errors import BadRequest, RateLimited
from shared.protocol import messages as m

log = logging.getLogger("parley.relay.directory")


class _Inviting(Protocol):
    @property
    def invitees(self) -> Sequence[str] | None: ...


R = TypeVar("R", bound=_Inviting)

# Searches one account may make: a person typing is far below this; a script harvesting the
# directory through Parley is held to it.
SEARCHES_PER_SECOND = 2.0
SEARCH_BURST = 20


class PeopleSearch:
    def __init__(
        self,
        db: Database,
        ldap: LdapConfig,
        directory: DirectoryClient | None,
        accounts: DirectoryAccounts,
        mapping: GroupMapping,
        clock: Callable[[], float],
    ) -> None:
        self.db = db
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self.min_chars = max(1, ldap.search_min_chars)
        self.limit = ldap.search_limit
        self.directory = directory
        self.accounts = accounts
        self.mapping = mapping

    async def search(self, peer: Peer, req: m.SearchPeople) -> m.Reply:
        me = user_of(peer)
        now = self.clock()
        bucket = self._buckets.setdefault(me.id, TokenBucket(SEARCHES_PER_SECOND, SEARCH_BURST, now))
        if not bucket.take(now):
            raise RateLimited(
                "You are searching faster than anyone types. Wait a moment.", retry_after=bucket.retry_after()
            )
        query = req.query.strip()[:100]
        if len(query) < self.min_chars:
            raise BadRequest(f"Type at least {self.min_chars} characters of a name to search.")
        limit = min(self.limit, req.limit) if req.limit > 0 else self.limit
        people = {p.username: p for p in await self._local(query, limit)}
        note = ""
        if self.directory is not None:
            try:
                for person in await self.directory.search_people(query, limit):
                    people.setdefault(person.username, m.PersonInfo(person.username, person.display_name))
            except DirectoryError as exc:
                log.warning("people search could not ask the directory: %s", exc.message)
                note = "The company directory is not answering, so only people who have used Parley are listed."
        people.pop(me.username, None)
        found = sorted(
            people.values(),
            key=lambda p: (not p.display_name.lower().startswith(query.lower()), p.display_name.lower()),
        )
        return m.PeopleFound(id=req.id, people=found[:limit], note=note)

    async def _local(self, query: str, limit: int) -> list[m.PersonInfo]:
        pattern = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        async with self.db.sessions() as s:
            rows = await s.scalars(
                select(User)
                .where(
                    User.suspended.is_(False),
                    or_(
                        User.username.like(f"{pattern}%", escape="\\"),
                        func.lower(User.display_name).like(f"%{pattern}%", escape="\\"),
                    ),
                )
                .order_by(User.display_name)
                .limit(limit)
            )
            return [m.PersonInfo(username=u.username, display_name=u.display_name) for u in rows]

    def creating_invitees(
        self, handler: Callable[[Peer, R], Awaitable[m.Reply]]
    ) -> Callable[[Peer, R], Awaitable[m.Reply]]:
        """``handler`` (booking, changing a booking) after invitees found only in the directory got
        their Parley account; names found nowhere are left for the booking rules to refuse."""

        async def with_accounts(peer: Peer, req: R) -> m.Reply:
            if self.directory is not None and req.invitees:
                await self._create_from_directory(list(req.invitees)[:500])
            return await handler(peer, req)

        return with_accounts

    async def _create_from_directory(self, names: list[str]) -> None:
        assert self.directory is not None
        missing = [n.strip().lower() for n in names if n.strip() and await self.accounts.by_name(n) is None]
        if not missing:
            return
        try:
            found = await self.directory.find_users(missing)
        except DirectoryError as exc:
            log.warning("invitees could not be looked up in the directory: %s", exc.message)
            return
        for entry in found.values():
            if entry is None or entry.disabled:
                continue
            perms = self.mapping.permissions(entry.groups)
            if perms.may_sign_in:
                try:
                    await self.accounts.link(entry, perms)
                except BadRequest:
                    continue
