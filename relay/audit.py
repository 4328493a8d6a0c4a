"""The audit log: who did what to which meeting, seat or account (never content)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relay.background import Background
from relay.store.db import Database
from relay.store.models import AuditEntry


class Audit:
    def __init__(self, db: Database, clock: Callable[[], float], background: Background) -> None:
        self.db = db
        self.clock = clock
        self.background = background

    async def write(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        async with self.db.sessions() as s, s.begin():
            s.add(AuditEntry(at=self.clock(), actor=actor, action=action, target=target, detail=detail or {}))

    def soon(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        """Write the entry without making the caller wait for the database."""
        self.background.spawn(self.write(actor, action, target, detail))
