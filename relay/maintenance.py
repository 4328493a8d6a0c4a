"""Maintenance windows as people meet them: announced on sign-in and whenever they change, and,
while one is under way, no new meeting starts (meetings in progress go on until the relay stops).

Administrators schedule windows with ``parley-relay maintenance`` (relay/admin_cli.py) through
`MaintenanceWindows`, which writes them to the database; the serving relay's `Maintenance` reads
them every second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy import select

from relay.background import Background
from relay.config import Config
from relay.peer import Peer, Peers, send_soon
from relay.rooms import Rooms
from relay.store.db import Database
from relay.store.models import AuditEntry, MaintenanceWindow
from relay.times import finite, local_text
from shared.errors import BadRequest, NotFound, Unavailable
from shared.protocol import messages as m

log = logging.getLogger("parley.relay.maintenance")

POLL_SECONDS = 1.0


class MaintenanceWindows:
    """The windows as stored, with the rules for announcing them (administrators, CLI)."""

    def __init__(self, db: Database, config: Config, rooms: Rooms, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.config = config
        self.rooms = rooms
        self.clock = clock

    async def schedule(
        self, starts_at: float, minutes: float, message: str, *, emergency: bool = False, actor: str = "admin"
    ) -> tuple[MaintenanceWindow, list[m.BookingInfo]]:
        """Announce a window. Returns it and the bookings it overlaps (to warn about)."""
        now = self.clock()
        notice = self.config.limits.maintenance_notice_hours
        message = (message or "").strip()
        if not message:
            raise BadRequest("Say what the maintenance is for (--message); people will see it.")
        if not finite(minutes) or minutes <= 0:
            raise BadRequest("Maintenance must last at least one minute.")
        if minutes > 7 * 24 * 60:
            raise BadRequest("Maintenance may last at most a week; schedule several windows.")
        if starts_at < now - 60:
            raise BadRequest("That start is in the past.")
        if starts_at < now + notice * 3600 and not emergency:
            raise BadRequest(
                f"Maintenance must be announced at least {notice:g} hours ahead; this starts in "
                f"{(starts_at - now) / 3600:.1f} hours. Use --emergency if it cannot wait "
                "(it is recorded in the audit log)."
            )
        ends_at = starts_at + minutes * 60
        async with self.db.sessions() as s, s.begin():
            window = MaintenanceWindow(
                starts_at=starts_at,
                ends_at=ends_at,
                message=message,
                emergency=emergency,
                created_by=actor,
                created_at=now,
            )
            s.add(window)
            await s.flush()
            s.add(
                AuditEntry(
                    at=now,
                    actor=actor,
                    action="maintenance.emergency" if emergency else "maintenance.schedule",
                    target=str(window.id),
                    detail={"starts_at": starts_at, "ends_at": ends_at, "emergency": emergency},
                )
            )
        return window, await self.rooms.bookings_between(starts_at, ends_at)

    async def list(self, include_past: bool = False) -> list[MaintenanceWindow]:
        async with self.db.sessions() as s:
            query = select(MaintenanceWindow).where(MaintenanceWindow.cancelled_at.is_(None))
            if not include_past:
                query = query.where(MaintenanceWindow.ends_at > self.clock())
            return list(await s.scalars(query.order_by(MaintenanceWindow.starts_at)))

    async def cancel(self, window_id: int, actor: str = "admin") -> None:
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            window = await s.get(MaintenanceWindow, window_id)
            if window is None or window.cancelled_at is not None:
                raise NotFound(f"There is no maintenance window {window_id}.")
            window.cancelled_at = now
            s.add(AuditEntry(at=now, actor=actor, action="maintenance.cancel", target=str(window_id)))


def maintenance_info(window: MaintenanceWindow) -> m.MaintenanceInfo:
    return m.MaintenanceInfo(
        window_id=window.id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        message=window.message,
        emergency=window.emergency,
    )


class Maintenance:
    def __init__(
        self, windows: MaintenanceWindows, peers: Peers, clock: Callable[[], float], background: Background
    ) -> None:
        self.store = windows
        self.peers = peers
        self.clock = clock
        self.background = background
        self.windows: list[m.MaintenanceInfo] = []
        self.active: m.MaintenanceInfo | None = None

    async def start(self) -> None:
        """Read the windows once, then keep watching them."""
        try:
            await self.poll()
        except Exception:
            log.exception("reading maintenance windows failed")
        self.background.spawn(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.poll()
            except Exception:
                log.exception("reading maintenance windows failed")

    async def poll(self) -> None:
        infos = [maintenance_info(w) for w in await self.store.list()]
        now = self.clock()
        active = next((w for w in infos if w.starts_at <= now < w.ends_at), None)
        changed = infos != self.windows
        self.windows = infos
        if active is not None and (self.active is None or self.active.window_id != active.window_id):
            self.active = active
            self._tell_everyone(
                m.MaintenanceAnnounced(
                    windows=infos,
                    message=f"Maintenance has started: {active.message}. No new meetings can start until "
                    f"{local_text(active.ends_at)}; meetings in progress may be interrupted.",
                    started=True,
                )
            )
            log.info("maintenance window %s started; new meetings are refused", active.window_id)
        elif changed:
            if active is None:
                self.active = None
            self._tell_everyone(m.MaintenanceAnnounced(windows=infos, message=self._upcoming_sentence()))

    def _tell_everyone(self, event: m.Event) -> None:
        for peer in self.peers.signed_in():
            peer.send_event(event)

    def _upcoming_sentence(self) -> str:
        if not self.windows:
            return ""
        w = self.windows[0]
        return f"Maintenance from {local_text(w.starts_at)} to {local_text(w.ends_at)}: {w.message}"

    # --- what other parts ask -------------------------------------------------------------------

    def check_can_start(self) -> None:
        """Refuse a new meeting while a window is under way."""
        if self.active is not None:
            window = self.active
            raise Unavailable(
                f"The server is in maintenance until {local_text(window.ends_at)} ({window.message}); "
                "no new meetings can start until then."
            )

    def signed_in(self, peer: Peer) -> None:
        """Someone signed in: tell them what is planned (after the sign-in reply)."""
        if self.windows:
            send_soon(peer, m.MaintenanceAnnounced(windows=list(self.windows), message=self._upcoming_sentence()))

    def warnings(self, booking: m.BookingInfo) -> list[str]:
        """Sentences for a booking made close to planned maintenance."""
        warnings = []
        for window in self.windows:
            for start, end in booking.occurrences:
                if window.starts_at - 3600 < end and start < window.ends_at + 3600:
                    warnings.append(
                        "Maintenance is planned close to this meeting, from "
                        f"{local_text(window.starts_at, booking.timezone)} to "
                        f"{local_text(window.ends_at, booking.timezone)}: {window.message}"
                    )
                    break
        return warnings

    async def list(self, peer: Peer, req: m.ListMaintenance) -> m.Reply:
        windows = await self.store.list()
        return m.MaintenanceList(id=req.id, windows=[maintenance_info(w) for w in windows])
