"""The directory stays the truth: every ``sync_interval_seconds`` each directory account is looked
up again. Gone, disabled or no longer allowed: suspended, and every relay ends its sessions.
Still there: name, e-mail and permissions follow the directory, and an account the sync had
suspended is lifted. A directory that cannot be asked changes nothing (an outage must not sign
everyone out); the next round tries again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from relay.background import Background
from relay.directory.client import DirectoryClient, DirectoryError
from relay.directory.linked import DirectoryAccounts
from relay.directory.mapping import GroupMapping
from relay.ops.metrics import RelayMetrics

log = logging.getLogger("parley.relay.directory")

# Accounts looked up over one service connection.
BATCH = 50


@dataclass
class SyncReport:
    checked: int = 0
    disabled: list[str] = field(default_factory=list)
    updated: int = 0
    error: str = ""
    reason: str = ""


class DirectorySync:
    def __init__(
        self,
        directory: DirectoryClient,
        accounts: DirectoryAccounts,
        mapping: GroupMapping,
        interval: float,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.directory = directory
        self.accounts = accounts
        self.mapping = mapping
        self.interval = interval

    def start(self, background: Background) -> None:
        background.spawn(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                report = await self.run_once()
            except Exception:
                log.exception("directory sync failed")
                continue
            if report.error:
                if self.metrics is not None:
                    self.metrics.directory_errors.labels(report.reason).inc()
                log.warning("directory sync skipped: %s", report.error)
            elif report.disabled:
                log.info("directory sync: %d checked, suspended %s", report.checked, ", ".join(report.disabled))

    async def run_once(self) -> SyncReport:
        report = SyncReport()
        users = await self.accounts.linked()
        for start in range(0, len(users), BATCH):
            batch = users[start : start + BATCH]
            try:
                found = await self.directory.find_users([u.username for u in batch])
            except DirectoryError as exc:
                report.error, report.reason = exc.message, exc.reason
                return report
            for user in batch:
                report.checked += 1
                entry = found.get(user.username)
                why = ""
                if entry is None:
                    why = "no longer in the directory"
                elif entry.disabled:
                    why = "disabled in the directory"
                else:
                    perms = self.mapping.permissions(entry.groups)
                    if not perms.may_sign_in:
                        why = "not in a group allowed to sign in"
                    elif (
                        user.suspended_by == "directory"
                        or (user.may_host, user.is_admin) != (perms.may_host, perms.is_admin)
                        or user.display_name != (entry.display_name or user.username)
                    ):
                        await self.accounts.link(entry, perms)
                        report.updated += 1
                if why and not user.suspended and await self.accounts.disable(user, why):
                    report.disabled.append(user.username)
        return report
