"""The compact window shown while you share your screen: always on top, with the active speaker's
small video (or their name), Mute, Stop sharing and Leave. The main window steps aside (it is
minimised) while you share and comes back when sharing stops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from client.ui.call_controls import SHORTCUTS
from client.ui.video_grid import VideoTile

if TYPE_CHECKING:
    from client.ui.call import CallView


class MiniWindow(QWidget):
    def __init__(self, window: QMainWindow, call: CallView) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("miniWindow")
        self.main_window = window
        self.call = call
        self.setWindowTitle(self.tr("Sharing — Parley"))
        self._was_maximized = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.status = QLabel(self.tr("You are sharing your screen."))
        self.status.setObjectName("hint")
        layout.addWidget(self.status)
        self.tile = VideoTile("", "camera", "")
        self.tile.setFixedSize(240, 135)
        layout.addWidget(self.tile)
        row = QHBoxLayout()
        self.mute_button = QPushButton()
        self.stop_button = QPushButton(self.tr("Stop sharing"))
        self.stop_button.setObjectName("danger")
        self.leave_button = QPushButton(self.tr("Leave"))
        for button in (self.mute_button, self.stop_button, self.leave_button):
            button.setAccessibleName(button.text())
            row.addWidget(button)
        layout.addLayout(row)
        self.mute_button.clicked.connect(call.mic_button.click)
        self.stop_button.clicked.connect(call.share_clicked)
        self.leave_button.clicked.connect(call.leave)
        # The main window is minimised while sharing: its shortcuts work here too (QShortcut
        # objects, which setText() on the buttons cannot replace).
        for key, button in (("mic", self.mute_button), ("share", self.stop_button), ("leave", self.leave_button)):
            QShortcut(QKeySequence(SHORTCUTS[key]), self, activated=button.click)

        media, session = call.ctx.media, call.ctx.session
        # Bound methods, not lambdas: Qt drops the connections when this window is deleted.
        media.screen_share_changed.connect(self.sharing_changed)
        call.mic_button.toggled.connect(self._describe)
        media.frame_ready.connect(self._frame)
        media.audio_level_changed.connect(self._follow_speaker)
        session.meeting_left.connect(self._meeting_left)
        window.installEventFilter(self)  # the main window closing closes this one too
        self._describe()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.main_window and event.type() == QEvent.Type.Close:
            self.hide()
        return False

    def _meeting_left(self, *_: object) -> None:
        self.sharing_changed(False)

    def _describe(self, *_: object) -> None:
        text = self.tr("Unmute") if self.call.mic_button.isChecked() else self.tr("Mute")
        self.mute_button.setText(text)
        self.mute_button.setAccessibleName(text)

    def speaker(self) -> str:
        """The active speaker, else the first other person."""
        me = self.call.self_id
        current = self.call.speaker.current or self.call.grid.speaker
        if current and current != me and self.call.model.get(current) is not None:
            return current
        others = [row.participant_id for row in self.call.model.rows if row.participant_id != me]
        return others[0] if others else ""

    def _follow_speaker(self, *_: object) -> None:
        if not self.isVisible():
            return
        pid = self.speaker()
        row = self.call.model.get(pid)
        name = row.name if row is not None else self.tr("Nobody else is here yet")
        if pid != self.tile.participant_id or name != self.tile.name:
            self.tile.participant_id = pid
            self.tile.image = None
            camera_off, muted = bool(row and row.camera_muted), bool(row and row.mic_muted)
            self.tile.set_state(name=name, camera_muted=camera_off, mic_muted=muted)

    def _frame(self, participant_id: str, source: str, image: QImage) -> None:
        if self.isVisible() and source == "camera" and participant_id == self.tile.participant_id:
            self.tile.set_image(image)

    def sharing_changed(self, sharing: bool) -> None:
        if sharing and not self.isVisible():
            self._describe()
            self._follow_speaker()
            self.show()
            self._follow_speaker()
            self.raise_()
            self._was_maximized = self.main_window.isMaximized()
            self.main_window.showMinimized()
        elif not sharing and self.isVisible():
            self.hide()
            if self.main_window.isMinimized():
                if self._was_maximized:
                    self.main_window.showMaximized()
                else:
                    self.main_window.showNormal()
            self.main_window.raise_()
            self.main_window.activateWindow()  # back where the keyboard goes (its shortcuts work)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the small window brings the main one back; sharing goes on."""
        super().closeEvent(event)
        if self.main_window.isMinimized():
            self.main_window.showNormal()
