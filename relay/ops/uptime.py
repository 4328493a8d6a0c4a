"""What the serving relay does for its operator: uptime heartbeats, listener self-checks,
scheduled backups, and the operational metrics (backup age, media loss, database write errors).

`Relay.start()` calls `start()` after the database is migrated and `Relay.stop()` calls `stop()`
before it closes, so a clean stop is written as one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import ssl
import time
from collections.abc import Callable

from prometheus_client import Counter, Gauge
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from relay.config import Config
from relay.lifecycle import Lifecycle
from relay.links import Links
from relay.ops import backup
from relay.ops.metrics import RelayMetrics
from relay.store.db import Database
from relay.store.models import ListenerFault, RelayRun
from shared.version import __version__

log = logging.getLogger("parley.relay.ops")

LISTENER_TIMEOUT = 5.0


def disk_full(error: BaseException) -> bool:
    """True when a database error means the disk (or quota) is full."""
    text = str(error).lower()
    return "full" in text or "no space" in text or "quota" in text


class Operations:
    """Heartbeats, listener health and scheduled backups of one serving relay."""

    def __init__(
        self,
        config: Config,
        db: Database,
        metrics: RelayMetrics,
        lifecycle: Lifecycle,
        links: Links,
        media_loss: Callable[[str], tuple[int, int]],
    ) -> None:
        self.config = config
        self.db = db
        self.lifecycle = lifecycle
        self.links = links
        self.media_loss = media_loss  # (lost, expected) packets from publishers of a kind
        self.run_id: int | None = None
        self.fault_id: int | None = None
        self.listener_ok = True
        self._task: asyncio.Task[None] | None = None
        self._backup_task: asyncio.Task[None] | None = None
        self._newest_backup: float | None = None
        self._probe_context: ssl.SSLContext | None = None
        # For /healthz: when a write last failed for a full disk, and when one last succeeded.
        self._disk_full_at = 0.0
        self._written_at = 0.0
        r = metrics.registry
        self.backup_age = Gauge(
            "parley_backup_age_seconds", "Seconds since the newest database backup (-1: none)", registry=r
        )
        self.backup_age.set_function(self._backup_age)
        self.backups = Counter("parley_backups", "Database backups taken by the schedule", ["result"], registry=r)
        self.db_write_errors = Counter(
            "parley_db_write_errors", "Database writes refused (e.g. disk full)", ["cause"], registry=r
        )
        self.listener_up = Gauge("parley_listener_up", "1 when the relay's own listener self-check passes", registry=r)
        self.listener_up.set(1)
        self.up_since = Gauge("parley_up_since_seconds", "When this relay run started (epoch seconds)", registry=r)
        lost = Gauge("parley_media_packets_lost", "Packets lost from publishers (RTCP counts)", ["kind"], registry=r)
        expected = Gauge("parley_media_packets_expected", "Packets publishers sent", ["kind"], registry=r)
        ratio = Gauge("parley_media_loss_ratio", "Lost / expected packets from publishers now", registry=r)
        for kind in ("audio", "video"):
            lost.labels(kind).set_function(self._loss_reader(kind, 0))
            expected.labels(kind).set_function(self._loss_reader(kind, 1))
        ratio.set_function(self._loss_ratio)

    # --- metrics ----------------------------------------------------------------------------

    def _backup_age(self) -> float:
        if self._newest_backup is None:
            self._newest_backup = backup.newest_backup_time(self.config)
        return -1.0 if self._newest_backup is None else max(0.0, time.time() - self._newest_backup)

    def _loss_reader(self, kind: str, index: int) -> Callable[[], float]:
        return lambda: self._loss(kind)[index]

    def _loss(self, kind: str) -> tuple[float, float]:
        lost, expected = self.media_loss(kind)
        return float(lost), float(expected)

    def _loss_ratio(self) -> float:
        lost = sum(self._loss(k)[0] for k in ("audio", "video"))
        expected = sum(self._loss(k)[1] for k in ("audio", "video"))
        return lost / expected if expected else 0.0

    def write_failed(self, error: BaseException) -> None:
        full = disk_full(error)
        self.db_write_errors.labels("disk_full" if full else "other").inc()
        if full:
            self._disk_full_at = time.monotonic()

    def problems(self) -> list[str]:
        """What keeps this relay from serving fully, for /healthz: ``disk_full`` when the data
        folder is below ``min_free_disk_mb`` or the last write failed for a full disk."""
        try:
            free = shutil.disk_usage(self.config.data_dir).free
        except OSError:
            free = None
        low = free is not None and free < self.config.ops.min_free_disk_mb * 1024 * 1024
        return ["disk_full"] if low or self._disk_full_at > self._written_at else []

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        now = time.time()
        self.up_since.set(now)
        try:
            async with self.db.sessions() as s, s.begin():
                run = RelayRun(
                    started_at=now,
                    last_beat_at=now,
                    stopped_at=None,
                    stop_reason="",
                    heartbeat_seconds=self.config.ops.heartbeat_seconds,
                    host=socket.gethostname()[:255],
                    version=__version__,
                )
                s.add(run)
                await s.flush()
                self.run_id = run.id
        except OperationalError as exc:
            self.write_failed(exc)
            log.error("could not record this run's start (%s); the availability report will miss it", _short(exc))
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._heartbeats())
        if self.config.backup.interval_hours > 0:
            self._backup_task = loop.create_task(self._scheduled_backups())

    async def stop(self) -> None:
        for task in (self._task, self._backup_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.run_id is None:
            return
        now = time.time()
        try:
            async with self.db.sessions() as s, s.begin():
                await s.execute(
                    update(RelayRun)
                    .where(RelayRun.id == self.run_id)
                    .values(stopped_at=now, last_beat_at=now, stop_reason="clean")
                )
                if self.fault_id is not None:
                    await s.execute(update(ListenerFault).where(ListenerFault.id == self.fault_id).values(ended_at=now))
        except OperationalError as exc:
            self.write_failed(exc)
            log.error("could not record the clean stop (%s)", _short(exc))

    # --- heartbeat and listener health ------------------------------------------------------

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.config.ops.heartbeat_seconds)
            await self.beat()

    async def beat(self) -> None:
        """One heartbeat: check the listener, write the time (and any fault change)."""
        ok, detail = (
            (True, "") if not self.lifecycle.accepting else await self.check_listener()
        )  # stopping: closed on purpose
        self.listener_up.set(1 if ok else 0)
        now = time.time()
        if self.run_id is None:
            return
        try:
            async with self.db.sessions() as s, s.begin():
                await s.execute(update(RelayRun).where(RelayRun.id == self.run_id).values(last_beat_at=now))
                self._written_at = time.monotonic()
                if not ok and self.fault_id is None:
                    fault = ListenerFault(run_id=self.run_id, started_at=now, ended_at=None, detail=detail[:200])
                    s.add(fault)
                    await s.flush()
                    self.fault_id = fault.id
                    log.error("the listener failed its self-check: %s", detail)
                elif ok and self.fault_id is not None:
                    await s.execute(update(ListenerFault).where(ListenerFault.id == self.fault_id).values(ended_at=now))
                    self.fault_id = None
                    log.info("the listener passes its self-check again")
        except OperationalError as exc:
            self.write_failed(exc)
            log.error("could not write the heartbeat (%s)", _short(exc))

    async def check_listener(self) -> tuple[bool, str]:
        """Connect to our own port over TLS and ask /healthz, as a client would."""
        host = self.config.server.host
        host = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
        port = self.links.port
        if self._probe_context is None:
            # Made once and without the system CA store (loading it cost ~50 ms of CPU per beat):
            # the probe checks that our own listener answers, not who it is.
            self._probe_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            self._probe_context.check_hostname = False
            self._probe_context.verify_mode = ssl.CERT_NONE
        context = self._probe_context
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), LISTENER_TIMEOUT)
            try:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: parley\r\nConnection: close\r\n\r\n")
                await writer.drain()
                status = await asyncio.wait_for(reader.readline(), LISTENER_TIMEOUT)
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            return False, f"{type(exc).__name__}: {exc}"
        if not status.startswith(b"HTTP/1.1 "):
            return False, "no HTTP answer"
        return True, ""

    # --- scheduled backups -----------------------------------------------------------------

    async def _scheduled_backups(self) -> None:
        interval = self.config.backup.interval_hours * 3600.0
        loop = asyncio.get_running_loop()
        while True:
            newest = await loop.run_in_executor(None, backup.newest_backup_time, self.config)
            self._newest_backup = newest
            due = (newest if newest is not None else time.time()) + interval
            await asyncio.sleep(max(1.0, due - time.time()))
            try:
                info = await loop.run_in_executor(None, lambda: backup.create_backup(self.config, scheduled=True))
                removed = await loop.run_in_executor(None, backup.prune, self.config)
            except Exception as exc:
                self.backups.labels("failed").inc()
                log.error("scheduled backup failed: %s", getattr(exc, "message", None) or _short(exc))
                await asyncio.sleep(min(interval, 600.0))
                continue
            self.backups.labels("ok").inc()
            self._newest_backup = info.created_at
            log.info("scheduled backup %s written (%d bytes); %d old ones removed", info.name, info.bytes, len(removed))


async def read_runs(db: Database, start: float, end: float) -> tuple[list[RelayRun], list[ListenerFault]]:
    """Runs and faults that may touch [start, end) (plus the run before, for the gap's cause)."""
    async with db.sessions() as s:
        runs = list(await s.scalars(select(RelayRun).where(RelayRun.started_at < end).order_by(RelayRun.started_at)))
        faults = list(await s.scalars(select(ListenerFault).where(ListenerFault.started_at < end)))
    return runs, faults


def _short(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.splitlines()[0][:200] if text else type(error).__name__
