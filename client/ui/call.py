"""The call screen: video grid or stage, self view, controls, side panels, reconnect banner."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from client.engine.media.audio_processing import choice_from_settings
from client.ui import tasks
from client.ui.call_controls import ControlBar
from client.ui.context import AppContext
from client.ui.media import LOCAL, list_devices, screen_share_available
from client.ui.models import ActiveSpeaker, ParticipantListModel, row_from_info
from client.ui.muted_notice import MutedSpeechNotice
from client.ui.panels import ChatPanel, FilesPanel, ParticipantsPanel
from client.ui.prejoin import JoinOptions
from client.ui.quality import quality_of, tile_rates
from client.ui.recording import RecordingControls
from client.ui.services import error_sentence
from client.ui.video_grid import VideoGrid, VideoTile

log = logging.getLogger("parley.ui")


class CallView(QWidget):
    left_meeting = Signal()
    settings_requested = Signal()
    title_changed = Signal(str)
    hand_toggled = Signal(bool)  # raise or lower our hand (client/ui/in_call.py tells the relay)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("callView")
        self.model = ParticipantListModel(self)
        self.speaker = ActiveSpeaker()  # from decoded levels, until the relay ranks speakers
        self._relay_ranks_speakers = False
        self.in_call = False
        self.options: JoinOptions | None = None
        self.hand_raised = False
        self._relay_muted: dict[str, bool] = {}  # our sources as the relay last reported them

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        self.banner = QFrame()
        self.banner.setObjectName("banner")
        banner_layout = QHBoxLayout(self.banner)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.banner_label.setAccessibleName(self.tr("Connection status"))
        banner_layout.addWidget(self.banner_label, 1)
        self.banner.hide()
        outer.addWidget(self.banner)

        self.error_banner = QFrame()
        self.error_banner.setObjectName("errorBanner")
        error_layout = QHBoxLayout(self.error_banner)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Problem"))
        dismiss = QPushButton(self.tr("Dismiss"))
        dismiss.setAccessibleName(self.tr("Dismiss this message"))
        dismiss.setToolTip(self.tr("Dismiss this message"))
        dismiss.clicked.connect(self.error_banner.hide)
        error_layout.addWidget(self.error_label, 1)
        error_layout.addWidget(dismiss)
        self.error_banner.hide()
        outer.addWidget(self.error_banner)

        self.header = header = QHBoxLayout()  # client/ui/in_call.py adds the meeting's state
        header.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.sharing_label = QLabel(self.tr("You are sharing your screen."))
        self.sharing_label.setObjectName("hint")
        self.sharing_label.hide()
        self.quality = QLabel()
        self.quality.setObjectName("quality")
        header.addWidget(self.title, 1)
        header.addWidget(self.sharing_label)
        header.addWidget(self.quality)
        self.recording = RecordingControls(ctx, self)  # record button, indicator, notices
        self.recording.failed.connect(self.show_error)
        header.addWidget(self.recording.notice)
        header.addWidget(self.recording.indicator)
        outer.addLayout(header)

        middle = QHBoxLayout()
        middle.setSpacing(0)
        self.grid = VideoGrid()
        self.grid.tile_resized = self._tile_resized
        middle.addWidget(self.grid, 1)
        self.side = QStackedWidget()
        self.side.setObjectName("sidePanel")
        self.side.setFixedWidth(320)
        self.participants_panel = ParticipantsPanel(self.model)
        self.chat_panel = ChatPanel()
        self.files_panel = FilesPanel()
        for panel in (self.participants_panel, self.chat_panel, self.files_panel):
            self.side.addWidget(panel)
        self.side.hide()
        middle.addWidget(self.side)
        outer.addLayout(middle, 1)

        # The record button, and the host's switch letting co-hosts record, sit after the hand.
        self.controls = ControlBar([self.recording.button, self.recording.cohosts])
        bar = self.controls
        # The buttons by name, as the other screens' code and the tests know them.
        self.mic_button = bar.mic_button
        self.muted_notice = MutedSpeechNotice(ctx.media, self.mic_button)  # "You are muted"
        header.insertWidget(1, self.muted_notice)
        self.camera_button = bar.camera_button
        self.share_button = bar.share_button
        self.hand_button = bar.hand_button
        self.participants_button = bar.participants_button
        self.chat_button = bar.chat_button
        self.files_button = bar.files_button
        self.settings_button = bar.settings_button
        self.leave_button = bar.leave_button
        for button, slot in (
            (self.mic_button, self.toggle_mic),
            (self.camera_button, self.toggle_camera),
            (self.share_button, self.share_clicked),
            (self.hand_button, self.toggle_hand),
            (self.participants_button, self.toggle_participants),
            (self.chat_button, self.toggle_chat),
            (self.files_button, self.toggle_files),
            (self.settings_button, self.settings_requested.emit),
            (self.leave_button, self.leave),
        ):
            button.clicked.connect(slot)
        outer.addWidget(bar)
        self._describe_controls()

        self._quality_timer = QTimer(self)
        self._quality_timer.setInterval(2000)
        self._quality_timer.timeout.connect(self.refresh_quality)
        self._connection_state = "ok"

        session, media = ctx.session, ctx.media
        session.participants_reset.connect(self._reset_participants)
        session.participant_joined.connect(self._participant_present)
        session.participant_updated.connect(self._participant_present)
        session.participant_left.connect(self._participant_left)
        session.meeting_left.connect(self._meeting_left)
        session.reconnecting.connect(self._reconnecting)
        session.connection_lost.connect(self._reconnecting)
        session.reconnected.connect(self._reconnected)
        session.reconnect_failed.connect(self.show_error)
        session.remote_track_added.connect(self._track_added)
        session.remote_track_removed.connect(self._track_removed)
        session.remote_track_stalled.connect(self._track_stalled)
        session.media_failed.connect(self.show_error)
        session.hand_changed.connect(self._hand_changed)
        session.chat_received.connect(self.chat_panel.add_message)
        session.file_offered.connect(self.files_panel.add_file)
        media.frame_ready.connect(self._remote_frame)
        media.local_frame_ready.connect(self._local_frame)
        media.audio_level_changed.connect(self._audio_level)
        session.active_speaker_changed.connect(self._relay_speaker)
        media.media_failed.connect(self.show_error)
        media.mute_changed.connect(self._mute_changed)
        media.screen_share_changed.connect(self._sharing_changed)

    def _describe_controls(self) -> None:
        self.controls.describe(self.hand_raised)

    # --- entering and leaving ------------------------------------------------------------

    def enter(self, options: JoinOptions) -> None:
        """Join the meeting, then start audio and video (the call works even if media fails)."""
        self.options = options
        self.in_call = True
        self.title.setText(options.title or self.tr("Meeting {0}").format(options.link.meeting_id))
        self.error_banner.hide()
        self.banner.hide()
        self.mic_button.setChecked(not options.mic_on)
        self.camera_button.setChecked(not options.camera_on)
        self.share_button.setChecked(False)
        self.hand_raised = False
        self._relay_muted = {}
        self.hand_button.setChecked(False)
        self._describe_controls()
        self._connection_state = "ok"
        self.refresh_quality()
        self._quality_timer.start()

        async def run() -> None:
            meeting = await self.ctx.session.join(options.link)
            if meeting.title:
                self.title.setText(meeting.title)
                self.title_changed.emit(meeting.title)
            client = self.ctx.session.client
            await self.ctx.media.start(
                client,
                camera=options.camera,
                mic=options.mic,
                camera_on=options.camera_on,
                mic_on=options.mic_on,
                audio_processing=choice_from_settings(self.ctx.settings),
            )

        def failed(exc: BaseException) -> None:
            self.in_call = False
            self._quality_timer.stop()
            self.show_error(error_sentence(exc))
            self.left_meeting.emit()

        tasks.start(run(), on_error=failed)

    def leave(self) -> None:
        async def run() -> None:
            await self.ctx.media.stop()
            await self.ctx.session.leave()

        tasks.start(run(), on_error=lambda exc: self.show_error(error_sentence(exc)))

    def _meeting_left(self, reason: str, message: str) -> None:
        if not self.in_call:
            return
        self.in_call = False
        self._quality_timer.stop()
        tasks.start(self.ctx.media.stop())
        self._reset_participants()
        self.left_meeting.emit()

    def _reset_participants(self) -> None:
        self.model.clear()
        for key in list(self.grid.order):
            self.grid.remove_tile(*key)

    # --- participants --------------------------------------------------------------------

    @property
    def self_id(self) -> str | None:
        return self.ctx.session.participant_id

    def _participant_present(self, info: Any) -> None:
        row = row_from_info(info, self.self_id)
        if row.is_self:
            self._follow_host_mute(info)
            row.mic_muted = self.mic_button.isChecked()
            row.camera_muted = self.camera_button.isChecked()
            row.hand_raised = self.hand_raised
        self.model.upsert(row)
        name = self.tr("{0} (you)").format(row.name) if row.is_self else row.name
        tile = self.grid.add_tile(row.participant_id, "camera", name)
        tile.set_state(name=name, mic_muted=row.mic_muted, camera_muted=row.camera_muted, connected=row.connected)
        if row.camera_muted:
            tile.image = None
        for other in self.grid.tiles_of(row.participant_id):
            if other is not tile:
                other.set_state(name=row.name)

    def _participant_left(self, info: Any, reason: str) -> None:
        self.model.remove(info.participant_id)
        self.grid.remove_participant(info.participant_id)
        if self.ctx.media.converter is not None:
            for source in ("camera", "screen"):
                self.ctx.media.converter.forget((info.participant_id, source))

    def _track_added(self, participant_id: str, source: str, kind: str) -> None:
        if kind != "video" or source != "screen":
            return
        row = self.model.get(participant_id)
        self.grid.add_tile(participant_id, "screen", row.name if row else "")

    def _track_removed(self, participant_id: str, source: str) -> None:
        if source == "screen":
            self.grid.remove_tile(participant_id, "screen")

    def _name_of(self, participant_id: str) -> str:
        row = self.model.get(participant_id)
        return row.name if row is not None else participant_id

    def _track_stalled(self, participant_id: str, source: str, stalled: bool) -> None:
        tile = self.grid.tile(participant_id, source)
        if tile is not None:
            tile.set_state(stalled=stalled)  # "Video paused — reconnecting…" on the picture
        self.refresh_quality()

    def _hand_changed(self, participant_id: str, raised: bool) -> None:
        self.model.update(participant_id, hand_raised=raised)
        tile = self.grid.tile(participant_id)
        if tile is not None:
            tile.set_state(hand_raised=raised)
        if participant_id == self.self_id and raised != self.hand_raised:  # as the relay says
            self.hand_raised = raised
            self.hand_button.setChecked(raised)
            self._describe_controls()

    # --- media ---------------------------------------------------------------------------

    def _tile_resized(self, tile: VideoTile, width: int, height: int) -> None:
        owner = LOCAL if tile.participant_id == self.self_id else tile.participant_id
        self.ctx.media.set_target_size(owner, tile.source, width, height)

    def _remote_frame(self, participant_id: str, source: str, image: QImage) -> None:
        tile = self.grid.tile(participant_id, source)
        if tile is None and source == "screen" and self.model.get(participant_id):
            tile = self.grid.add_tile(participant_id, "screen", self.model.get(participant_id).name)  # type: ignore[union-attr]
        if tile is not None:
            tile.set_image(image)

    def _local_frame(self, source: str, image: QImage) -> None:
        if source != "camera" or self.self_id is None:
            return
        tile = self.grid.tile(self.self_id, "camera")
        if tile is not None:
            tile.set_image(image)

    def _audio_level(self, participant_id: str, level: float) -> None:
        if self._relay_ranks_speakers:
            return  # the relay says who speaks (_relay_speaker); decoded levels are a fallback
        before = self.speaker.current
        self._mark_speaker(before, self.speaker.feed(participant_id, level, time.monotonic()))

    def _relay_speaker(self, participant_id: str) -> None:
        """The relay's active speaker (every participant's, this one's too): its tile is marked."""
        self._relay_ranks_speakers = True
        before = self.speaker.current
        self.speaker.current = participant_id or None
        self._mark_speaker(before, self.speaker.current)

    def _mark_speaker(self, before: str | None, now_speaking: str | None) -> None:
        if now_speaking == before:
            return
        for pid, speaking in ((before, False), (now_speaking, True)):
            if pid is None:
                continue
            self.model.update(pid, speaking=speaking)
            tile = self.grid.tile(pid)
            if tile is not None:
                tile.set_state(speaking=speaking)

    def _follow_host_mute(self, info: Any) -> None:
        """The relay says one of our sources is muted that we had on: the host muted us (or all).
        Mute it here too, so the buttons tell the truth and nothing leaves this machine."""
        relay_muted = dict(getattr(info, "muted", {}) or {})
        for source, button in (("mic", self.mic_button), ("camera", self.camera_button)):
            was = self._relay_muted.get(source, False)
            now = bool(relay_muted.get(source, False))
            self._relay_muted[source] = now
            if now and not was and not button.isChecked():
                self._mute_changed(source, True)
                tasks.start(self.ctx.media.set_muted(source, True))

    def _mute_changed(self, source: str, muted: bool) -> None:
        button = self.mic_button if source == "mic" else self.camera_button
        button.setChecked(muted)
        self._describe_controls()
        if self.self_id is None:
            return
        field = "mic_muted" if source == "mic" else "camera_muted"
        self.model.update(self.self_id, **{field: muted})
        tile = self.grid.tile(self.self_id)
        if tile is not None:
            tile.set_state(**{field: muted})
            if source == "camera" and not muted:
                tile.camera_muted = False

    def _sharing_changed(self, sharing: bool) -> None:
        self.share_button.setChecked(sharing)
        self.sharing_label.setVisible(sharing)
        self._describe_controls()

    # --- controls ------------------------------------------------------------------------

    def toggle_mic(self) -> None:
        muted = self.mic_button.isChecked()
        self._mute_changed("mic", muted)
        tasks.start(self.ctx.media.set_muted("mic", muted), on_error=lambda e: self.show_error(error_sentence(e)))

    def toggle_camera(self) -> None:
        muted = self.camera_button.isChecked()
        self._mute_changed("camera", muted)
        tasks.start(self.ctx.media.set_muted("camera", muted), on_error=lambda e: self.show_error(error_sentence(e)))

    def share_clicked(self) -> None:
        if self.ctx.media.sharing:
            tasks.start(self.ctx.media.stop_screen_share())
            return
        self.share_button.setChecked(False)
        reason = screen_share_available()
        if reason:
            self.show_error(reason)
            return
        monitors = list_devices()["monitors"]
        if len(monitors) <= 1:
            self.share(1)
            return
        menu = QMenu(self)
        menu.setAccessibleName(self.tr("Choose a screen to share"))
        for index, monitor in enumerate(monitors, start=1):
            width = monitor.get("width", "?") if isinstance(monitor, dict) else "?"
            height = monitor.get("height", "?") if isinstance(monitor, dict) else "?"
            action = QAction(self.tr("Screen {0} ({1} x {2})").format(index, width, height), menu)
            action.triggered.connect(lambda _=False, i=index: self.share(i))
            menu.addAction(action)
        self.monitor_menu = menu
        menu.popup(self.share_button.mapToGlobal(self.share_button.rect().topLeft()))

    def share(self, monitor: int) -> None:
        tasks.start(self.ctx.media.start_screen_share(monitor), on_error=lambda e: self.show_error(error_sentence(e)))

    def toggle_hand(self) -> None:
        self.hand_raised = self.hand_button.isChecked()
        self._describe_controls()
        if self.self_id is not None:
            self.ctx.session.hand_changed.emit(self.self_id, self.hand_raised)
            self.hand_toggled.emit(self.hand_raised)

    def _toggle_panel(self, panel: QWidget, button: QToolButton) -> None:
        showing = self.side.isVisible() and self.side.currentWidget() is panel
        for other in (self.participants_button, self.chat_button, self.files_button):
            if other is not button:
                other.setChecked(False)
        if showing:
            self.side.hide()
            button.setChecked(False)
        else:
            self.side.setCurrentWidget(panel)
            self.side.show()
            button.setChecked(True)

    def toggle_participants(self) -> None:
        self._toggle_panel(self.participants_panel, self.participants_button)

    def toggle_chat(self) -> None:
        self._toggle_panel(self.chat_panel, self.chat_button)

    def toggle_files(self) -> None:
        self._toggle_panel(self.files_panel, self.files_button)

    # --- status --------------------------------------------------------------------------

    def show_error(self, sentence: str) -> None:
        self.error_label.setText(sentence)
        self.error_banner.setVisible(bool(sentence))

    def _reconnecting(self, sentence: str) -> None:
        self._connection_state = "lost"
        self.banner_label.setText(sentence)
        self.banner.show()
        self.refresh_quality()

    def _reconnected(self) -> None:
        self._connection_state = "ok"
        self.banner.hide()
        self.refresh_quality()

    def refresh_quality(self) -> None:
        rates: list[str] = []  # frames per second per tile, in the tooltip
        if self._connection_state == "lost":
            level, text = "poor", self.tr("Connection lost")
        elif not self.ctx.media.active:
            level, text = "unknown", self.tr("Connected, no audio or video")
        else:
            stats = self.ctx.media.stats()
            level = quality_of(stats)  # from loss, round trip, and the frames that arrive
            text = {
                "good": self.tr("Connection: good"),
                "fair": self.tr("Connection: fair"),
                "poor": self.tr("Connection: poor"),
                "stalled": self.tr("Connection: video paused, reconnecting…"),
                "unknown": self.tr("Connection: measuring…"),
            }[level]
            sources = {"camera": self.tr("camera"), "screen": self.tr("screen")}
            rates = tile_rates(stats, self._name_of, self.tr("{0}: {1}, {2} fps"), sources)
        colour = {"good": "#3ddc84", "fair": "#ffd24a", "poor": "#ff6b6b", "stalled": "#ff6b6b"}.get(level, "#b7bfcc")
        self.quality.setText(f"<span style='color:{colour}'>●</span> {text}")
        self.quality.setAccessibleName(text)
        self.quality.setToolTip("\n".join([text, *rates]))
        self.quality_level = level
