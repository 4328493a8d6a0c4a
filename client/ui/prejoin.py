"""Pre-join: camera preview, microphone level, speaker test, device pickers, join muted / camera off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.engine.media.audio_processing import choice_from_settings
from client.ui import tasks
from client.ui.context import AppContext
from client.ui.error_text import error_sentence
from client.ui.media import device_id, device_label, list_devices
from client.ui.meeting_info import https_link, parley_link
from client.ui.preview import NONE, SYNTHETIC, DevicePreview
from client.ui.resources import icon
from client.ui.signin import accessible
from client.ui.video_grid import VideoTile
from shared.errors import NotFound
from shared.links import MeetingLink


@dataclass
class JoinOptions:
    link: MeetingLink
    title: str
    camera: str
    mic: str
    speaker: str
    camera_on: bool
    mic_on: bool


def fill_devices(combo: QComboBox, devices: list[object], synthetic: str | None, none_text: str, chosen: str) -> None:
    combo.clear()
    for device in devices:
        combo.addItem(device_label(device), device_id(device))
    if synthetic:
        combo.addItem(synthetic, SYNTHETIC)
    combo.addItem(none_text, NONE)
    index = combo.findData(chosen) if chosen else -1
    combo.setCurrentIndex(index if index >= 0 else 0)


def fill_speakers(combo: QComboBox, devices: list[object], chosen: str) -> None:
    """The same list in Settings and on pre-join: System default (""), the devices, No speaker."""
    combo.clear()
    combo.addItem(QCoreApplication.translate("Devices", "System default"), "")
    for device in devices:
        combo.addItem(device_label(device), device_id(device))
    combo.addItem(QCoreApplication.translate("Devices", "No speaker"), NONE)
    index = combo.findData(chosen) if chosen else 0
    combo.setCurrentIndex(index if index >= 0 else 0)


class PreJoinView(QWidget):
    join_requested = Signal(object)  # JoinOptions
    cancelled = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("preJoinView")
        self.link: MeetingLink | None = None
        self.meeting_title = ""
        self.preview = DevicePreview(self)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 20, 28, 20)
        self.title = QLabel()
        self.title.setObjectName("title")
        outer.addWidget(self.title)
        subtitle = QLabel(self.tr("Check your camera and microphone before you join."))
        subtitle.setObjectName("subtitle")
        outer.addWidget(subtitle)
        # The meeting's link (an instant meeting is shared from here), Copy link and Meeting info
        # (client/ui/meeting_info.py connects the buttons).
        link_row = QHBoxLayout()
        self.link_label = QLabel()
        self.link_label.setObjectName("hint")
        self.link_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        accessible(self.link_label, self.tr("Meeting link"))
        self.copy_link_button = QPushButton(icon("link"), self.tr("Copy link"))
        accessible(self.copy_link_button, self.tr("Copy link"), self.tr("Copy the meeting's link to the clipboard"))
        self.info_button = QPushButton(self.tr("Meeting info"))
        accessible(self.info_button, self.tr("Meeting info"), self.tr("Title, host, link and invitation"))
        link_row.addWidget(self.link_label, 1)
        link_row.addWidget(self.copy_link_button)
        link_row.addWidget(self.info_button)
        outer.addLayout(link_row)
        self.title_for: Callable[[MeetingLink], str] = lambda link: ""  # a booked meeting's title

        body = QHBoxLayout()
        body.setSpacing(20)
        outer.addLayout(body, 1)

        left = QVBoxLayout()
        self.tile = VideoTile("self", "camera", self.tr("You"))
        self.tile.setMinimumSize(400, 225)
        self.tile.setAccessibleName(self.tr("Camera preview"))
        left.addWidget(self.tile, 1)
        level_row = QHBoxLayout()
        level_label = QLabel(self.tr("Microphone level"))
        self.level = QProgressBar()
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        accessible(self.level, self.tr("Microphone level"), self.tr("Speak: the bar moves when Parley hears you"))
        level_row.addWidget(level_label)
        level_row.addWidget(self.level, 1)
        left.addLayout(level_row)
        body.addLayout(left, 3)

        panel = QFrame()
        panel.setObjectName("card")
        form_box = QVBoxLayout(panel)
        form = QFormLayout()
        self.camera_combo = QComboBox()
        accessible(self.camera_combo, self.tr("Camera"))
        self.mic_combo = QComboBox()
        accessible(self.mic_combo, self.tr("Microphone"))
        self.speaker_combo = QComboBox()
        accessible(self.speaker_combo, self.tr("Speaker"))
        form.addRow(self.tr("&Camera"), self.camera_combo)
        form.addRow(self.tr("&Microphone"), self.mic_combo)
        form.addRow(self.tr("S&peaker"), self.speaker_combo)
        form_box.addLayout(form)
        self.test_sound_button = QPushButton(icon("speaker"), self.tr("Play test sound"))
        accessible(self.test_sound_button, self.tr("Play test sound"), self.tr("Play a short chime on the speaker"))
        self.test_sound_button.clicked.connect(self._play_test_sound)
        form_box.addWidget(self.test_sound_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self.muted_box = QCheckBox(self.tr("Join with my microphone muted"))
        accessible(self.muted_box, self.tr("Join with my microphone muted"))
        self.camera_off_box = QCheckBox(self.tr("Join with my camera off"))
        accessible(self.camera_off_box, self.tr("Join with my camera off"))
        form_box.addWidget(self.muted_box)
        form_box.addWidget(self.camera_off_box)
        self.problems = QLabel()
        self.problems.setObjectName("notice")
        self.problems.setWordWrap(True)
        self.problems.hide()
        form_box.addWidget(self.problems)
        form_box.addStretch(1)
        buttons = QHBoxLayout()
        self.cancel_button = QPushButton(self.tr("Back"))
        accessible(self.cancel_button, self.tr("Back to the home screen"), self.tr("Back to the home screen (Esc)"))
        self.cancel_button.clicked.connect(self.cancel)
        self.join_button = QPushButton(self.tr("Join now"))
        self.join_button.setObjectName("primary")
        accessible(self.join_button, self.tr("Join now"), self.tr("Join the meeting (Enter)"))
        self.join_button.clicked.connect(self.join)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.join_button)
        form_box.addLayout(buttons)
        body.addWidget(panel, 2)

        self._problems: dict[str, str] = {}
        self.preview.frame_ready.connect(self._show_frame)
        self.preview.level_changed.connect(lambda v: self.level.setValue(int(v * 100)))
        self.preview.problem.connect(self.report_problem)
        self.camera_combo.currentIndexChanged.connect(self._camera_changed)
        self.mic_combo.currentIndexChanged.connect(self._mic_changed)
        self.camera_off_box.toggled.connect(self._camera_changed)

    def prepare(self, link: MeetingLink, title: str) -> None:
        title = title or self.title_for(link)
        self.link, self.meeting_title = link, title
        self.title.setText(title or self.tr("Ready to join?"))
        if not title:  # a link alone: ask the server for the meeting's title

            def titled(info: object) -> None:
                found = str(getattr(info, "title", "") or "")
                if found and self.link == link and not self.meeting_title:
                    self.meeting_title = found
                    self.title.setText(found)

            def unknown(exc: BaseException) -> None:
                if isinstance(exc, NotFound) and self.link == link:  # ended, or a wrong link: say so now
                    self.report_problem("meeting", error_sentence(exc))

            tasks.start(self.ctx.session.describe(link), on_done=titled, on_error=unknown)
        self.link_label.setText(https_link(link))
        self.link_label.setToolTip(parley_link(link))
        self._problems.clear()
        self._show_problems()
        devices = list_devices()
        settings = self.ctx.settings
        for combo in (self.camera_combo, self.mic_combo):
            combo.blockSignals(True)
        fill_devices(
            self.camera_combo,
            devices["cameras"],
            self.tr("Test camera (synthetic)"),
            self.tr("No camera"),
            settings.camera_device,
        )
        fill_devices(
            self.mic_combo,
            devices["microphones"],
            self.tr("Test microphone (synthetic)"),
            self.tr("No microphone"),
            settings.microphone_device,
        )
        fill_speakers(self.speaker_combo, devices["speakers"], settings.speaker_device)
        for combo in (self.camera_combo, self.mic_combo):
            combo.blockSignals(False)
        if not devices["cameras"]:
            self.report_problem("camera", self.tr("No camera was found; the test camera is used instead."))
        if not devices["microphones"]:
            self.report_problem("microphone", self.tr("No microphone was found; a test tone is used instead."))
        self.test_sound_button.setEnabled(bool(devices["speakers"]))
        if not devices["speakers"]:
            self.test_sound_button.setToolTip(self.tr("No speaker was found."))
        self._camera_changed()
        self._mic_changed()

    def report_problem(self, kind: str, sentence: str) -> None:
        self._problems[kind] = sentence
        self._show_problems()

    def _show_problems(self) -> None:
        text = "\n".join(self._problems.values())
        self.problems.setText(text)
        self.problems.setVisible(bool(text))

    def _show_frame(self, image: QImage) -> None:
        self.tile.set_image(image)

    def _camera_changed(self) -> None:
        device = self.camera_combo.currentData() or NONE
        if self.camera_off_box.isChecked() or device == NONE:
            self.preview.stop_camera()
            self.tile.set_state(camera_muted=True)
            return
        self.tile.camera_muted = False
        self.preview.start_camera(device)

    def _mic_changed(self) -> None:
        processing = choice_from_settings(self.ctx.settings)  # the level meter shows the processed sound
        self.preview.start_microphone(self.mic_combo.currentData() or NONE, processing)

    def _play_test_sound(self) -> None:
        device = self.speaker_combo.currentData() or ""
        if device != NONE:
            self.preview.play_test_sound(device)

    def options(self) -> JoinOptions:
        camera = self.camera_combo.currentData() or NONE
        mic = self.mic_combo.currentData() or NONE
        assert self.link is not None, "prepare() comes first"
        return JoinOptions(
            link=self.link,
            title=self.meeting_title,
            camera=camera,
            mic=mic,
            speaker=self.speaker_combo.currentData() or "",
            camera_on=not self.camera_off_box.isChecked() and camera != NONE,
            mic_on=not self.muted_box.isChecked() and mic != NONE,
        )

    def join(self) -> None:
        self.preview.stop()
        self.join_requested.emit(self.options())

    def cancel(self) -> None:
        self.preview.stop()
        self.cancelled.emit()

    def hideEvent(self, event: object) -> None:  # type: ignore[override]
        self.preview.stop()
        super().hideEvent(event)  # type: ignore[arg-type]
