"""Qt services over the client engine: engine events in, Qt signals (past tense) out.

Widgets never hold a `ParleyClient` or a `MediaSession`; they connect to these signals and call
these methods. Everything here runs on the one thread that runs Qt and asyncio (qasync). Features
the engine does not offer yet (hands, chat, files, bookings, announcements) have their signals here
already, so the panels work today with an empty state and later issues only plug the engine in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from client.engine import events as ev
from client.engine.call import ParleyClient
from client.engine.credentials import TokenStore
from client.ui.error_text import error_sentence, event_sentence
from shared.errors import ParleyError, Unauthorized
from shared.links import MeetingLink
from shared.protocol import messages as m

log = logging.getLogger("parley.ui")

RECONNECT_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 10.0)


class SessionService(QObject):
    """The signed-in connection and the current meeting, as Qt signals."""

    connected = Signal(str)
    signed_in = Signal(object)  # UserInfo
    signed_out = Signal(str)  # sentence
    meeting_joined = Signal(object)  # MeetingInfo
    meeting_left = Signal(str, str)  # reason, sentence
    participant_joined = Signal(object)  # ParticipantInfo
    participant_updated = Signal(object)
    participant_left = Signal(object, str)
    participants_reset = Signal()
    announcement_received = Signal(str)
    connection_lost = Signal(str)
    reconnecting = Signal(str)
    reconnected = Signal()
    reconnect_failed = Signal(str)
    remote_track_added = Signal(str, str, str)  # participant_id, source, kind
    remote_track_removed = Signal(str, str)
    remote_track_stalled = Signal(str, str, bool)  # participant_id, source, stalled (False: resumed)
    media_failed = Signal(str)
    active_speaker_changed = Signal(str)  # participant_id, "" for nobody (the relay's ranking)
    # Later issues (participant management, chat/files, booking) emit these.
    hand_changed = Signal(str, bool)
    chat_received = Signal(str, str, str)  # participant name, text, time
    file_offered = Signal(str, str, int)  # sender, file name, size
    upcoming_changed = Signal(list)

    def __init__(self, token_store: TokenStore | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client: ParleyClient | None = None
        self.token_store = token_store
        self.remember = True
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closing = False
        self.client_factory: Callable[..., ParleyClient] = ParleyClient

    # --- state ---------------------------------------------------------------------------

    @property
    def user(self) -> m.UserInfo | None:
        return self.client.user if self.client else None

    @property
    def meeting(self) -> m.MeetingInfo | None:
        return self.client.meeting if self.client else None

    @property
    def participant_id(self) -> str | None:
        return self.client.participant_id if self.client else None

    @property
    def server(self) -> str:
        return self.client.server if self.client else ""

    def participants(self) -> list[m.ParticipantInfo]:
        return list(self.client.participants.values()) if self.client else []

    # --- sign-in -------------------------------------------------------------------------

    async def _fresh_client(self, server: str, fingerprint: str | None) -> ParleyClient:
        if self.client is not None:
            old, self.client = self.client, None
            old.remove_listener(self._on_event)
            with contextlib.suppress(Exception):
                await old.close()
        client = self.client_factory(server, fingerprint=fingerprint or None, token_store=self.token_store)
        client.add_listener(self._on_event)
        self.client = client
        await client.connect()
        return client

    async def sign_in(
        self, server: str, username: str, password: str, *, remember: bool = True, fingerprint: str | None = None
    ) -> m.UserInfo:
        """Connect to ``server`` and sign in; raises UntrustedCertificate, ServerUnreachable, Unauthorized..."""
        self._closing = False
        client = await self._fresh_client(server, fingerprint)
        self.remember = remember
        return await client.sign_in(username.strip(), password, remember=remember)

    async def resume(self, server: str, username: str, *, fingerprint: str | None = None) -> m.UserInfo | None:
        """Sign in with the remembered token; None when there is none."""
        self._closing = False
        client = await self._fresh_client(server, fingerprint)
        user = await client.resume(username)
        if user is None:
            return None
        self.remember = True
        return user

    async def sign_out(self) -> None:
        if self.client is None:
            return
        self._closing = True
        client = self.client
        with contextlib.suppress(Exception):
            await client.leave()
        with contextlib.suppress(Exception):
            await client.sign_out()
        with contextlib.suppress(Exception):
            await client.close()
        self.signed_out.emit("")

    async def close(self) -> None:
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.leave()
            with contextlib.suppress(Exception):
                await self.client.close()

    # --- meetings ------------------------------------------------------------------------

    async def start_instant_meeting(self, title: str) -> m.MeetingInfo:
        client = self._require_client()
        meeting = await client.create_meeting(title)
        return meeting

    async def describe(self, link: MeetingLink) -> m.MeetingInfo:
        return await self._require_client().describe_meeting(link.meeting_id)

    def check_link(self, link: MeetingLink) -> None:
        """Raise NotFound with a sentence when the link points to a server we are not signed in to."""
        self._require_client().check_link(link)

    def link_to(self, meeting_id: str) -> MeetingLink:
        """The link to ``meeting_id`` on the server we are signed in to."""
        return self._require_client().link_to(meeting_id)

    async def join(self, link: MeetingLink) -> m.MeetingInfo:
        client = self._require_client()
        if client.meeting is not None:
            await client.leave()
        reply = await client.join(link)
        return reply.meeting

    async def leave(self) -> None:
        if self.client is not None:
            await self.client.leave()

    async def end_meeting(self) -> None:
        await self._require_client().end_meeting()

    def _require_client(self) -> ParleyClient:
        if self.client is None or self.client.user is None:
            raise Unauthorized("Sign in first.")
        return self.client

    # --- engine events -> signals ----------------------------------------------------------

    def _on_event(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.Connected):
            self.connected.emit(event.server)
        elif isinstance(event, ev.SignedIn):
            self.signed_in.emit(event.user)
        elif isinstance(event, ev.SignedOut):
            self.signed_out.emit(event.message)
        elif isinstance(event, ev.MeetingEntered):
            self.participants_reset.emit()
            self.meeting_joined.emit(event.meeting)
        elif isinstance(event, ev.MeetingLeft):
            self.meeting_left.emit(event.reason, event.message)
        elif isinstance(event, ev.ParticipantChanged):
            if event.change in ("present", "joined"):
                self.participant_joined.emit(event.participant)
            else:
                self.participant_updated.emit(event.participant)
        elif isinstance(event, ev.ParticipantDeparted):
            self.participant_left.emit(event.participant, event.reason)
        elif isinstance(event, ev.ServerShutdownAnnounced):
            self.announcement_received.emit(event.message)
        elif isinstance(event, ev.Disconnected):
            self._on_disconnected(event_sentence(event))
        elif isinstance(event, ev.Reconnecting):  # the engine reconnects by itself (reconnect.py)
            self.reconnecting.emit(
                self.tr("The connection to the server was lost. Reconnecting (attempt {0})…").format(event.attempt)
            )
        elif isinstance(event, ev.Reconnected):
            self.reconnected.emit()
        elif isinstance(event, ev.RemoteTrackAdded):
            self.remote_track_added.emit(event.participant_id, event.source, event.kind)
        elif isinstance(event, ev.RemoteTrackRemoved):
            self.remote_track_removed.emit(event.participant_id, event.source)
        elif isinstance(event, (ev.RemoteTrackStalled, ev.RemoteTrackResumed)):
            self.remote_track_stalled.emit(event.participant_id, event.source, isinstance(event, ev.RemoteTrackStalled))
        elif isinstance(event, ev.MediaFailed):
            self.media_failed.emit(event_sentence(event))
        elif isinstance(event, ev.ActiveSpeakerChanged):
            self.active_speaker_changed.emit(event.participant_id or "")

    # --- reconnecting --------------------------------------------------------------------

    def _on_disconnected(self, message: str) -> None:
        if self._closing or self.client is None:
            return
        if getattr(self.client, "auto_reconnect", False) and self.client.user is not None:
            # The engine tried already (Reconnecting events) and gave up: say so, leave the call.
            self.reconnect_failed.emit(message)
            if self.client.meeting is not None:
                self.meeting_left.emit("disconnected", message)
            return
        self.connection_lost.emit(message)
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        client = self.client
        if client is None:
            return
        username = client.user.username if client.user else None
        meeting_id = client.meeting.meeting_id if client.meeting else None
        last_error = ""
        for attempt, delay in enumerate(RECONNECT_DELAYS, start=1):
            self.reconnecting.emit(
                self.tr("The connection to the server was lost. Reconnecting (attempt {0} of {1})…").format(
                    attempt, len(RECONNECT_DELAYS)
                )
            )
            await asyncio.sleep(delay)
            if self._closing:
                return
            try:
                with contextlib.suppress(Exception):
                    if client.signalling is not None:
                        await client.signalling.close()
                client.signalling = None
                await client.connect()
                if username is not None:
                    user = await client.resume(username)
                    if user is None:
                        self.reconnect_failed.emit(
                            self.tr("You were signed out while the connection was down. Sign in again.")
                        )
                        self.signed_out.emit(self.tr("Sign in again to continue."))
                        return
                if meeting_id is not None:
                    try:
                        await client.join(meeting_id)
                    except ParleyError as exc:
                        self.meeting_left.emit("ended", exc.message)
                self.reconnected.emit()
                return
            except (TimeoutError, ParleyError, OSError) as exc:
                last_error = error_sentence(exc)
                log.info("reconnect attempt %d failed: %s", attempt, last_error)
        self.reconnect_failed.emit(
            self.tr("Parley could not reconnect to the server: {0}").format(last_error or self.tr("no answer"))
        )
        if meeting_id is not None:
            self.meeting_left.emit("disconnected", self.tr("The connection to the server was lost."))


class PeriodicPoller(QObject):
    """Calls ``fn`` every ``interval_ms`` on the UI thread (stats, quality indicator)."""

    def __init__(self, fn: Callable[[], None], interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(fn)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
