"""Who may create and book meetings: everyone with a local account, and directory accounts in
the host groups (``[auth.ldap.groups] host``). Read from the database on each such request, so a
change the directory sync makes applies at once to people already signed in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import select

from relay.peer import Peer, user_of
from relay.store.db import Database
from relay.store.models import User
from shared.errors import Forbidden
from shared.protocol import messages as m

R = TypeVar("R", bound=m.Request)


class HostingGuard:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def require_host(self, peer: Peer) -> None:
        user = user_of(peer)
        async with self.db.sessions() as s:
            may_host = await s.scalar(select(User.may_host).where(User.id == user.id))
        if not may_host:
            raise Forbidden(
                "Your account may join meetings but not create or book them. Ask your IT department if "
                "you need to host."
            )

    def hosts_only(self, handler: Callable[[Peer, R], Awaitable[m.Reply]]) -> Callable[[Peer, R], Awaitable[m.Reply]]:
        async def guarded(peer: Peer, req: R) -> m.Reply:
            await self.require_host(peer)
            return await handler(peer, req)

        return guarded
