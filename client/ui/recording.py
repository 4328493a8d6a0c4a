"""The call screen's recording controls: the record button, the recording indicator, the notices.

Widgets only: the engine's `RecordingService` asks the relay, records and announces; this module
shows its state. Everyone sees the indicator while anyone records the meeting (late joiners too);
only the host (or a co-host the host allowed) gets the record button.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QToolButton, QWidget

from client.engine import events as ev
from client.engine.call import ParleyClient
from client.engine.recording import SIZES, RecordingService
from client.ui.context import AppContext
from client.ui.error_text import error_sentence
from client.ui.lifetime import listen

log = logging.getLogger("parley.ui.recording")

NOTICE_MS = 10000


class RecordingControls(QObject):
    """Owns ``button``, ``indicator``, ``notice`` and ``cohosts`` (placed by the call screen).

    ``cohosts`` is the host's switch that lets co-hosts record too; only the host sees it.
    """

    recording_changed = Signal(bool, str)  # the meeting is recorded, indicator text
    notice_posted = Signal(str)
    failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service: RecordingService | None = None
        self._client: ParleyClient | None = None
        self._task: asyncio.Future[None] | None = None
        self._refreshing = False
        self.button = QToolButton(parent)
        self.button.setObjectName("recordButton")
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.button.clicked.connect(self.toggle)
        self.indicator = QLabel(parent)
        self.indicator.setObjectName("recordingIndicator")
        self.indicator.setStyleSheet("color: white; background: #c62828; border-radius: 4px; padding: 2px 8px;")
        self.indicator.setAccessibleName(self.tr("Recording indicator"))
        self.indicator.hide()
        self.notice = QLabel(parent)
        self.notice.setObjectName("hint")
        self.notice.setAccessibleName(self.tr("Recording notice"))
        self.notice.hide()
        self.cohosts = QCheckBox(self.tr("Co-hosts may record"), parent)
        self.cohosts.setObjectName("cohostsMayRecord")
        self.cohosts.setToolTip(self.tr("Let co-hosts start and stop recording this meeting"))
        self.cohosts.setAccessibleName(self.cohosts.toolTip())
        self.cohosts.toggled.connect(self.allow_cohosts)
        self.cohosts.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.hide)
        self._refresh()
        session = ctx.session
        session.connected.connect(lambda _server: self.bind(session.client))
        session.participant_joined.connect(lambda _p: self._refresh())
        session.participant_updated.connect(lambda _p: self._refresh())
        session.meeting_joined.connect(lambda _m: self.bind(session.client))

    # --- engine ----------------------------------------------------------------------------

    def bind(self, client: ParleyClient | None) -> None:
        """Follow ``client`` (bound on connect, so a notice sent right after joining is seen)."""
        if client is None or client is self._client:
            return
        if self.service is not None:
            self.service.close()
            self._client.remove_listener(self._listener)
        self._client = client
        settings = getattr(self.ctx, "settings", None)
        folder = Path(settings.recordings_dir) if settings is not None and settings.recordings_dir else None
        quality = getattr(settings, "video_quality", "auto")
        self.service = RecordingService(client, folder=folder, size=SIZES.get(quality, SIZES["720p"]))
        self._listener = listen(client, self, self._on_event)
        self._refresh()

    def _on_event(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.RecordingStateChanged):
            if event.message:
                self.post(event.message)
            self._refresh()
        elif isinstance(event, ev.RecordingFinished):
            saved = self.tr("The recording was saved to {0}.").format(event.path)
            self.post(f"{event.message} {saved}".strip() if event.message else saved)
            self._refresh()
        elif isinstance(event, (ev.MeetingEntered, ev.MeetingLeft)):
            self._refresh()

    def post(self, sentence: str) -> None:
        self.notice.setText(sentence)
        self.notice.show()
        self._notice_timer.start(NOTICE_MS)
        self.notice_posted.emit(sentence)

    # --- the button ------------------------------------------------------------------------

    def _role(self) -> str:
        client = self._client
        if client is None:
            return "participant"
        me = client.participants.get(client.participant_id or "")
        return str(getattr(me, "role", "participant"))

    def may_record(self) -> bool:
        client = self._client
        if client is None or client.meeting is None or self.service is None:
            return False
        role = self._role()
        state = self.service.state
        return role == "host" or (role == "cohost" and state is not None and state.cohosts_allowed)

    def toggle(self) -> None:
        service = self.service
        if service is None:
            return
        if service.recording_here:
            self._task = asyncio.ensure_future(self._run(service.stop()))
        elif service.meeting_recorded:  # someone else records: the host (or co-host) may stop it
            self._task = asyncio.ensure_future(self._run(service.stop_meeting_recording()))
        else:
            media = getattr(self.ctx.media, "session", None)
            if media is None:
                self.failed.emit(self.tr("Recording needs the call's audio and video, which are not running."))
                self._refresh()
                return
            if service.media is not media:
                service.attach(media)
            self._task = asyncio.ensure_future(self._run(service.start()))

    def allow_cohosts(self, allowed: bool) -> None:
        """The host's switch was flipped: ask the relay (which tells everyone)."""
        service = self.service
        if service is None or self._refreshing:
            return
        state = service.state
        if state is not None and state.cohosts_allowed == allowed:
            return
        self._task = asyncio.ensure_future(self._run(service.allow_cohosts(allowed)))

    async def _run(self, work: Awaitable[object]) -> None:
        try:
            await work
        except Exception as exc:
            log.info("recording action failed: %s", exc)
            self.failed.emit(error_sentence(exc))
        self._refresh()

    def _refresh(self) -> None:
        service = self.service
        here = service is not None and service.recording_here
        stoppable = here or (service is not None and service.meeting_recorded)
        self.button.setVisible(self.may_record() or here)
        self.button.setChecked(stoppable)
        self.button.setText(self.tr("Stop recording") if stoppable else self.tr("Record"))
        self.button.setToolTip(
            self.tr("Stop recording this meeting") if stoppable else self.tr("Record this meeting on this computer")
        )
        self.button.setAccessibleName(self.button.toolTip())
        recorded = service is not None and service.meeting_recorded and self._client is not None
        recorded = recorded and self._client.meeting is not None
        text = ""
        if recorded and service is not None and service.state is not None:
            who = self.tr("you") if here else service.state.by_name
            text = self.tr("● REC  Recorded by {0}").format(who)
        self.indicator.setText(text)
        self.indicator.setToolTip(self.tr("This meeting is being recorded.") if recorded else "")
        self.indicator.setVisible(recorded)
        is_host = self._role() == "host" and self._client is not None and self._client.meeting is not None
        self._refreshing = True  # showing the relay's state is not the host flipping the switch
        try:
            self.cohosts.setChecked(bool(service is not None and service.state and service.state.cohosts_allowed))
        finally:
            self._refreshing = False
        self.cohosts.setVisible(is_host)
        self.recording_changed.emit(recorded, text)
