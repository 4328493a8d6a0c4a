"""Enter presses the focused button, as Space does (the user guide promises both): Qt alone
presses only a dialog's default button on Enter, and a tool button never."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class EnterPresses(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.key() not in _ENTER or event.modifiers() not in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            return False
        if not isinstance(watched, QAbstractButton) or not watched.hasFocus() or not watched.isEnabled():
            return False
        if event.isAutoRepeat():
            return True
        watched.animateClick()
        return True


_filter: list[EnterPresses] = []


def install_enter_presses(app: QApplication) -> None:
    """Once per application."""
    if not _filter:
        _filter.append(EnterPresses(app))
        app.installEventFilter(_filter[0])
