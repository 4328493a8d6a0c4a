"""Settings: devices, sound processing, video quality, folders, language. Policy-set fields are
shown read-only."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from client.engine.files import default_downloads_dir
from client.engine.media.audio_processing import choice_from_settings
from client.engine.recording import default_recordings_dir
from client.engine.settings import VIDEO_QUALITIES
from client.ui.context import AppContext
from client.ui.i18n import LANGUAGES
from client.ui.media import list_devices
from client.ui.prejoin import fill_devices, fill_speakers
from client.ui.signin import accessible
from client.ui.sound_settings import SoundSettings


class SettingsDialog(QDialog):
    language_changed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings — Parley"))
        settings = ctx.settings
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        accessible(self.tabs, self.tr("Settings sections"))
        layout.addWidget(self.tabs)

        devices = list_devices()
        audio_video = QWidget()
        form = QFormLayout(audio_video)
        self.camera = QComboBox()
        self.microphone = QComboBox()
        self.speaker = QComboBox()
        fill_devices(
            self.camera,
            devices["cameras"],
            self.tr("Test camera (synthetic)"),
            self.tr("No camera"),
            settings.camera_device,
        )
        fill_devices(
            self.microphone,
            devices["microphones"],
            self.tr("Test microphone (synthetic)"),
            self.tr("No microphone"),
            settings.microphone_device,
        )
        fill_speakers(self.speaker, devices["speakers"], settings.speaker_device)
        self.quality = QComboBox()
        names = {
            "auto": self.tr("Automatic (adapts to the network)"),
            "360p": self.tr("Low (360p)"),
            "720p": self.tr("HD (720p)"),
            "1080p": self.tr("Full HD (1080p)"),
        }
        for value in VIDEO_QUALITIES:
            self.quality.addItem(names.get(value, value), value)
        self.quality.setCurrentIndex(max(0, self.quality.findData(settings.video_quality)))
        form.addRow(self.tr("&Camera"), self._field("camera_device", self.camera, self.tr("Camera")))
        form.addRow(self.tr("&Microphone"), self._field("microphone_device", self.microphone, self.tr("Microphone")))
        form.addRow(self.tr("S&peaker"), self._field("speaker_device", self.speaker, self.tr("Speaker")))
        form.addRow(self.tr("&Video quality"), self._field("video_quality", self.quality, self.tr("Video quality")))
        self.sound = SoundSettings(settings, self._field, self)
        form.addRow(self.sound)
        self.tabs.addTab(audio_video, self.tr("Audio and video"))

        folders = QWidget()
        folder_form = QFormLayout(folders)
        self.recordings = QLineEdit(settings.recordings_dir)
        self.downloads = QLineEdit(settings.downloads_dir)
        # An empty field means the default folder, which is shown (greyed) instead of nothing.
        self.recordings.setPlaceholderText(str(default_recordings_dir()))
        self.downloads.setPlaceholderText(str(default_downloads_dir()))
        folder_form.addRow(
            self.tr("&Recordings"), self._folder_row("recordings_dir", self.recordings, self.tr("Recordings folder"))
        )
        folder_form.addRow(
            self.tr("&Downloads"), self._folder_row("downloads_dir", self.downloads, self.tr("Downloads folder"))
        )
        self.tabs.addTab(folders, self.tr("Folders"))

        general = QWidget()
        general_form = QFormLayout(general)
        self.language = QComboBox()
        for code, name in LANGUAGES.items():
            self.language.addItem(self.tr(name) if code == "" else name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        general_form.addRow(self.tr("&Language"), self._field("language", self.language, self.tr("Language")))
        self.server = QLineEdit(settings.server_url)
        general_form.addRow(self.tr("&Server"), self._field("server_url", self.server, self.tr("Server address")))
        note = QLabel(self.tr("Fields with a dashed border are set by your administrator and cannot be changed."))
        note.setObjectName("hint")
        note.setWordWrap(True)
        general_form.addRow(note)
        self.tabs.addTab(general, self.tr("General"))

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        for button in self.buttons.buttons():
            accessible(button, button.text())
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(560, 380)

    def _field(self, name: str, widget: QWidget, label: str) -> QWidget:
        accessible(widget, label)
        if self.ctx.settings.is_locked(name):
            if isinstance(widget, QLineEdit):
                widget.setReadOnly(True)
            else:
                widget.setEnabled(False)
            widget.setToolTip(self.tr("{0}: set by your administrator.").format(label))
        return widget

    def _folder_row(self, name: str, edit: QLineEdit, label: str) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._field(name, edit, label), 1)
        browse = QPushButton(self.tr("Browse…"))
        accessible(browse, self.tr("Choose the {0}").format(label.lower()))
        browse.setEnabled(not self.ctx.settings.is_locked(name))
        browse.clicked.connect(lambda: self._browse(edit))
        row.addWidget(browse)
        return box

    def _browse(self, edit: QLineEdit) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder"), edit.text())
        if chosen:
            edit.setText(chosen)

    def save(self) -> None:
        settings = self.ctx.settings
        before = settings.language
        values = {
            "camera_device": self.camera.currentData() or "",
            "microphone_device": self.microphone.currentData() or "",
            "speaker_device": self.speaker.currentData() or "",
            "video_quality": self.quality.currentData() or "auto",
            "recordings_dir": self.recordings.text().strip(),
            "downloads_dir": self.downloads.text().strip(),
            "language": self.language.currentData() or "",
            "server_url": self.server.text().strip(),
            **self.sound.values(),
        }
        for name, value in values.items():
            if not settings.is_locked(name):
                setattr(settings, name, value)
        self.ctx.save_settings()
        self.ctx.media.set_audio_processing(choice_from_settings(settings))  # at once, in a call too
        if settings.language != before:
            self.language_changed.emit(settings.language)
        self.accept()
