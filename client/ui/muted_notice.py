""" "You are muted", shown while the person speaks with the microphone muted (as Teams and Zoom
do). The voice activity comes from the processed microphone (MediaService.voice_activity), which
keeps listening while muted; nothing of it leaves this computer."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from client.ui.media import MediaService

HIDE_AFTER_MS = 1500  # after the voice stops, so the notice does not flicker between words


class MutedSpeechNotice(QLabel):
    def __init__(self, media: MediaService, mic_button: QAbstractButton, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mutedNotice")
        self.setText(self.tr("You are muted. Unmute (Ctrl+D) to speak."))
        self.setAccessibleName(self.tr("You are muted"))
        self._mic_button = mic_button  # checked = muted
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(HIDE_AFTER_MS)
        self._hide_timer.timeout.connect(self.hide)
        media.voice_activity.connect(self._voice)
        mic_button.toggled.connect(self._mute_toggled)
        self.hide()

    def _voice(self, level: float, speaking: bool) -> None:
        if speaking and self._mic_button.isChecked():
            self._hide_timer.stop()
            self.show()
        elif self.isVisible() and not self._hide_timer.isActive():
            self._hide_timer.start()

    def _mute_toggled(self, muted: bool) -> None:
        if not muted:
            self._hide_timer.stop()
            self.hide()
