"""The settings' sound group: noise suppression, echo cancellation, automatic gain, original sound.

"Original sound" sends the microphone as it is (music), so while it is ticked the other three
are shown but cannot be changed. Fields set by policy are read-only (the dialog's ``field``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from client.engine.settings import NOISE_SUPPRESSION_LEVELS, ClientSettings

FieldMarker = Callable[[str, QWidget, str], QWidget]  # (setting name, widget, label) -> the widget


class SoundSettings(QGroupBox):
    def __init__(self, settings: ClientSettings, field: FieldMarker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Sound"))
        self.setObjectName("soundSettings")
        self._settings = settings
        form = QFormLayout(self)
        self.noise = QComboBox()
        names = {
            "off": self.tr("Off"),
            "standard": self.tr("Standard"),
            "high": self.tr("High (noisy places)"),
        }
        for value in NOISE_SUPPRESSION_LEVELS:
            self.noise.addItem(names[value], value)
        self.noise.setCurrentIndex(max(0, self.noise.findData(settings.noise_suppression)))
        self.echo = QCheckBox(self.tr("Cancel the echo of my speakers"))
        self.echo.setChecked(settings.echo_cancellation)
        self.gain = QCheckBox(self.tr("Adjust my microphone volume automatically"))
        self.gain.setChecked(settings.auto_gain_control)
        self.original = QCheckBox(self.tr("Original sound (for music: no processing at all)"))
        self.original.setChecked(settings.original_sound)
        form.addRow(self.tr("&Noise suppression"), field("noise_suppression", self.noise, self.tr("Noise suppression")))
        form.addRow(field("echo_cancellation", self.echo, self.tr("Echo cancellation")))
        form.addRow(field("auto_gain_control", self.gain, self.tr("Automatic gain")))
        form.addRow(field("original_sound", self.original, self.tr("Original sound")))
        hint = QLabel(self.tr("Use original sound with headphones: nothing then removes the echo of your speakers."))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        form.addRow(hint)
        self.original.toggled.connect(self._original_toggled)
        self._original_toggled(self.original.isChecked())

    def _original_toggled(self, original: bool) -> None:
        for name, widget in (
            ("noise_suppression", self.noise),
            ("echo_cancellation", self.echo),
            ("auto_gain_control", self.gain),
        ):
            widget.setEnabled(not original and not self._settings.is_locked(name))

    def values(self) -> dict[str, object]:
        """The chosen values by setting name (the dialog skips the locked ones)."""
        return {
            "noise_suppression": self.noise.currentData() or "standard",
            "echo_cancellation": self.echo.isChecked(),
            "auto_gain_control": self.gain.isChecked(),
            "original_sound": self.original.isChecked(),
        }
