"""The Parley accounts that mirror directory entries: created or linked on first sign-in, kept
up to date (name, e-mail, permissions), suspended when the directory disables or removes the
person (every relay then ends their sessions: an admin event, as for ``user suspend``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update

from relay.accounts import new_id, validate_username
from relay.directory.client import DirectoryEntry
from relay.directory.mapping import Permissions
from relay.store.db import Database
from relay.store.models import AdminEvent, AuditEntry, Session, User
from shared.errors import BadRequest
from shared.limits import MAX_DISPLAY_NAME_LENGTH

log = logging.getLogger("parley.relay.directory")

SOURCE = "directory"
# No password hash matches this: a directory account signs in through the directory only.
NO_LOCAL_PASSWORD = "!directory"
# The admin event that ends a directory-disabled person's sessions on every relay.
DISABLED_EVENT = "user_directory_disabled"


class DirectoryAccounts:
    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock

    async def by_name(self, username: str) -> User | None:
        async with self.db.sessions() as s:
            return await s.scalar(select(User).where(User.username == username.strip().lower()))

    async def linked(self) -> list[User]:
        async with self.db.sessions() as s:
            return list(await s.scalars(select(User).where(User.source == SOURCE).order_by(User.username)))

    async def link(self, entry: DirectoryEntry, perms: Permissions) -> User:
        """The Parley account for ``entry``: created, or linked (a local account of the same name
        becomes a directory account), or brought up to date; lifted if the directory suspended it."""
        try:
            name = validate_username(entry.username)
        except BadRequest:
            log.warning("a directory user name cannot be a Parley user name; sign-in refused")
            raise
        display = (entry.display_name or name).strip()[:MAX_DISPLAY_NAME_LENGTH]
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            user = await s.scalar(select(User).where(User.username == name))
            if user is None:
                user = User(
                    id=new_id(),
                    username=name,
                    password_hash=NO_LOCAL_PASSWORD,
                    suspended=False,
                    created_at=now,
                    source=SOURCE,
                    suspended_by="",
                )
                s.add(user)
                s.add(AuditEntry(at=now, actor="directory", action="directory.account_created", target=name))
            elif user.source != SOURCE:
                user.source, user.password_hash = SOURCE, NO_LOCAL_PASSWORD
                s.add(AuditEntry(at=now, actor="directory", action="directory.account_linked", target=name))
            if user.suspended and user.suspended_by == SOURCE:
                user.suspended, user.suspended_by = False, ""
                s.add(AuditEntry(at=now, actor="directory", action="directory.account_enabled", target=name))
            user.display_name, user.email = display, entry.email[:254]
            if (user.may_host, user.is_admin) != (perms.may_host, perms.is_admin):
                s.add(
                    AuditEntry(
                        at=now,
                        actor="directory",
                        action="directory.permissions",
                        target=name,
                        detail={"may_host": perms.may_host, "is_admin": perms.is_admin},
                    )
                )
            user.may_host, user.is_admin = perms.may_host, perms.is_admin
            user.updated_at = now
        return user

    async def disable(self, user: User, why: str) -> bool:
        """Suspend a directory account and end its sessions everywhere; False when it already was."""
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            current = await s.get(User, user.id)
            if current is None or current.suspended:
                return False
            current.suspended, current.suspended_by, current.updated_at = True, SOURCE, now
            await s.execute(
                update(Session).where(Session.user_id == user.id, Session.revoked_at.is_(None)).values(revoked_at=now)
            )
            s.add(AdminEvent(at=now, kind=DISABLED_EVENT, user_id=user.id))
            s.add(
                AuditEntry(
                    at=now,
                    actor="directory",
                    action="directory.account_disabled",
                    target=user.username,
                    detail={"why": why},
                )
            )
        log.info("directory account %s suspended: %s", user.username, why)
        return True
