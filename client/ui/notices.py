"""What the call tells a person without their asking (issue #19): a count on a control button
(`Badge`: people waiting in the lobby, unread chat messages, files offered), the lobby knock
(`KnockToast`, with Admit and Deny, for hosts and co-hosts even with the participants panel
closed), and one-line notices such as "Ana joined" (`NoticeLine`, quiet in big meetings).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractButton, QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from client.ui.resources import icon
from shared.protocol import messages as m

# Join and leave notices stop when a meeting has more people than this (they would never stop).
QUIET_ABOVE = 10
# A notice stays this long (a later one replaces it).
NOTICE_MS = 6000


class Badge(QLabel):
    """A small count in the top-right corner of ``button``; hidden at zero. The button's
    accessible description says the count too (screen readers do not see the badge)."""

    def __init__(self, button: QAbstractButton, describe: Callable[[int], str]) -> None:
        super().__init__(button)
        self.setObjectName("badge")
        self.button = button
        self.describe = describe
        self.count = 0
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        button.installEventFilter(self)
        self.set_count(0)

    def set_count(self, count: int) -> None:
        self.count = max(0, count)
        self.setText(str(self.count) if self.count < 100 else "99+")
        self.button.setAccessibleDescription(self.describe(self.count) if self.count else "")
        self.adjustSize()
        self.setMinimumWidth(self.height())
        self._place()
        self.setVisible(self.count > 0)

    def add(self, n: int = 1) -> None:
        self.set_count(self.count + n)

    def _place(self) -> None:
        self.move(max(0, self.button.width() - self.width() - 2), 2)
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.button and event.type() == QEvent.Type.Resize:
            self._place()
        return False


class IconText(QWidget):
    """An icon from resources/icons and a short text, as one label of the call's header."""

    def __init__(self, icon_name: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(4)
        self.icon = QLabel()
        self.icon.setPixmap(icon(icon_name).pixmap(16, 16))
        self.label = QLabel(text)
        layout.addWidget(self.icon)
        layout.addWidget(self.label)

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:
        self.label.setText(text)


class KnockToast(QFrame):
    """Someone knocks: "Dana is waiting in the lobby." with Admit and Deny (the first waiting),
    and "See all" opening the participants panel when several wait."""

    decided = Signal(str, bool)  # user id, admitted
    see_all = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.setAccessibleName(self.tr("Waiting in the lobby"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.admit_button = QPushButton(self.tr("Admit"))
        self.deny_button = QPushButton(self.tr("Deny"))
        self.all_button = QPushButton(self.tr("See all"))
        self.close_button = QPushButton(self.tr("Dismiss"))
        layout.addWidget(self.text, 1)
        for button in (self.admit_button, self.deny_button, self.all_button, self.close_button):
            layout.addWidget(button)
        self.user_id = ""
        self.dismissed: set[str] = set()
        self.knocks = 0  # new arrivals announced with the system's alert sound
        self._known: set[str] = set()
        self.admit_button.clicked.connect(lambda: self._decide(True))
        self.deny_button.clicked.connect(lambda: self._decide(False))
        self.all_button.clicked.connect(self.see_all.emit)
        self.close_button.clicked.connect(self._dismiss)
        self.hide()

    def arrivals(self, waiting: list[m.LobbyEntry]) -> None:
        """The lobby changed: someone new knocks is also heard (the system's alert sound), so it
        is noticed with the window in the background or the panel open."""
        now = {w.user_id for w in waiting}
        if now - self._known:
            self.knocks += 1
            QApplication.beep()
        self._known = now

    def show_waiting(self, waiting: list[m.LobbyEntry]) -> None:
        """The lobby as the relay says it is now; shown unless all of them were dismissed."""
        fresh = [w for w in waiting if w.user_id not in self.dismissed]
        self.dismissed &= {w.user_id for w in waiting}
        if not fresh:
            self.user_id = ""
            self.hide()
            return
        first = fresh[0]
        self.user_id = first.user_id
        if len(waiting) == 1:
            text = self.tr("{0} is waiting in the lobby.").format(first.display_name)
        else:
            text = self.tr("{0} and {1} more are waiting in the lobby.").format(first.display_name, len(waiting) - 1)
        self.text.setText(text)
        self.admit_button.setAccessibleName(self.tr("Admit {0}").format(first.display_name))
        self.deny_button.setAccessibleName(self.tr("Deny {0}").format(first.display_name))
        self.all_button.setVisible(len(waiting) > 1)
        self.show()

    def _decide(self, admitted: bool) -> None:
        if self.user_id:
            self.decided.emit(self.user_id, admitted)

    def _dismiss(self) -> None:
        if self.user_id:
            self.dismissed.add(self.user_id)
        self.hide()


class NoticeLine(QLabel):
    """One short notice at a time ("Ana joined."), gone after a few seconds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callNotice")
        self.setAccessibleName(self.tr("Notice"))
        self.setWordWrap(True)
        self.shown: list[str] = []  # every notice said in this call, for the tests and a later log
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(NOTICE_MS)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def say(self, text: str) -> None:
        self.shown.append(text)
        self.setText(text)
        self.show()
        self._timer.start()

    def clear(self) -> None:
        self.shown = []
        self._timer.stop()
        self.hide()
