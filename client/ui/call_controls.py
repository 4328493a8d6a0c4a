"""The call screen's control bar: mute, camera, share, hand, panel toggles, settings and leave,
with their shortcuts, and texts, icons, accessible names and tooltips that follow their state.

The bar only shows state; `CallView` (client/ui/call.py) connects the buttons to what they do.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QWidget

from client.ui.overflow import BarOverflow, more_button, set_rank
from client.ui.resources import icon

SHORTCUTS = {
    "mic": "Ctrl+D",
    "camera": "Ctrl+E",
    "share": "Ctrl+Shift+S",
    "hand": "Ctrl+Shift+H",
    "participants": "Ctrl+Shift+P",
    "chat": "Ctrl+Shift+C",
    "files": "Ctrl+Shift+F",
    "leave": "Ctrl+Shift+L",
}


def control_button(icon_name: str, text: str, checkable: bool) -> QToolButton:
    button = QToolButton()
    button.setObjectName("callControl")
    button.setIcon(icon(icon_name))
    button.setIconSize(QSize(24, 24))
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
    button.setCheckable(checkable)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    key = {
        "mic": "mic",
        "camera": "camera",
        "screen": "share",
        "hand": "hand",
        "people": "participants",
        "chat": "chat",
        "files": "files",
    }.get(icon_name)
    if key:
        button.setShortcut(QKeySequence(SHORTCUTS[key]))
    return button


class ControlBar(QFrame):
    """The buttons along the bottom of the call; ``recording`` widgets sit after the hand."""

    def __init__(self, recording: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlBar")
        controls = QHBoxLayout(self)
        controls.setContentsMargins(12, 8, 12, 8)
        self.mic_button = control_button("mic", self.tr("Mute"), checkable=True)
        self.camera_button = control_button("camera", self.tr("Stop video"), checkable=True)
        self.share_button = control_button("screen", self.tr("Share screen"), checkable=True)
        self.hand_button = control_button("hand", self.tr("Raise hand"), checkable=True)
        self.participants_button = control_button("people", self.tr("Participants"), True)
        self.chat_button = control_button("chat", self.tr("Chat"), checkable=True)
        self.files_button = control_button("files", self.tr("Files"), checkable=True)
        for button in (self.participants_button, self.chat_button, self.files_button):
            button.setObjectName("panelToggle")
        self.settings_button = control_button("settings", self.tr("Settings"), False)
        self.leave_button = control_button("leave", self.tr("Leave"), checkable=False)
        self.leave_button.setObjectName("danger")
        self.leave_button.setShortcut(QKeySequence(SHORTCUTS["leave"]))
        controls.addWidget(self.mic_button)
        controls.addWidget(self.camera_button)
        controls.addWidget(self.share_button)
        controls.addWidget(self.hand_button)
        for widget in recording:
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.participants_button)
        controls.addWidget(self.chat_button)
        controls.addWidget(self.files_button)
        controls.addWidget(self.settings_button)
        self.more_button = more_button()  # what does not fit goes into "More" (client/ui/overflow.py)
        controls.addWidget(self.more_button)
        controls.addSpacing(16)
        controls.addWidget(self.leave_button)
        # What moves into "More" first when the bar is narrow (client/ui/overflow.py): the panels
        # people follow the meeting with stay longest.
        ranks = [(self.settings_button, 10), (self.hand_button, 40), (self.share_button, 60)]
        ranks += [(self.files_button, 70), (self.chat_button, 80), (self.participants_button, 90)]
        ranks += [(widget, 20) for widget in recording]
        for widget, place in ranks:
            set_rank(widget, place)
        self.overflow = BarOverflow(
            self, controls, self.more_button, [self.mic_button, self.camera_button, self.leave_button]
        )

    def describe(self, hand_raised: bool) -> None:
        """Texts, icons, accessible names and tooltips that follow each control's state."""
        muted = self.mic_button.isChecked()
        camera_off = self.camera_button.isChecked()
        sharing = self.share_button.isChecked()

        def describe(button: QToolButton, text: str, shortcut: str | None, icon_name: str | None = None) -> None:
            button.setText(text)  # QAbstractButton.setText replaces the shortcut with the text's mnemonic:
            if shortcut:  # set ours again, or Ctrl+D mutes once and never unmutes (issue #19 item 1)
                button.setShortcut(QKeySequence(shortcut))
            button.setAccessibleName(text)
            native = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText) if shortcut else ""
            button.setToolTip(f"{text} ({native})" if native else text)
            if icon_name:
                button.setIcon(icon(icon_name))

        describe(
            self.mic_button,
            self.tr("Unmute") if muted else self.tr("Mute"),
            SHORTCUTS["mic"],
            "mic-off" if muted else "mic",
        )
        describe(
            self.camera_button,
            self.tr("Start video") if camera_off else self.tr("Stop video"),
            SHORTCUTS["camera"],
            "camera-off" if camera_off else "camera",
        )
        describe(self.share_button, self.tr("Stop sharing") if sharing else self.tr("Share screen"), SHORTCUTS["share"])
        describe(self.hand_button, self.tr("Lower hand") if hand_raised else self.tr("Raise hand"), SHORTCUTS["hand"])
        describe(self.participants_button, self.tr("Participants"), SHORTCUTS["participants"])
        describe(self.chat_button, self.tr("Chat"), SHORTCUTS["chat"])
        describe(self.files_button, self.tr("Files"), SHORTCUTS["files"])
        describe(self.settings_button, self.tr("Settings"), None)
        describe(self.leave_button, self.tr("Leave"), SHORTCUTS["leave"])
