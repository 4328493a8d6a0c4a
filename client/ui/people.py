"""Finding colleagues to invite in the booking dialog: type part of a name, pick from what the
relay found (Parley accounts and the company directory), and the user name joins the invitees."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from client.ui import tasks
from client.ui.error_text import error_sentence
from shared.protocol import messages as m

# Searches start after this many characters (the relay has its own minimum, which it explains).
MIN_CHARS = 2
# Typing pauses this long before a search is sent, so a fast typist sends one request, not ten.
PAUSE_MS = 300

Search = Callable[[str], Coroutine[Any, Any, m.PeopleFound]]


class Invitees(QListWidget):
    """The people invited, by name (the user name is kept as the item's data and tooltip);
    Delete removes the chosen one."""

    def __init__(self, usernames: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Invited people"))
        self.setMaximumHeight(96)
        for username in usernames:
            self.add_person(username, username)

    def add_person(self, username: str, shown: str) -> bool:
        if username in self.names():
            return False
        item = QListWidgetItem(shown)
        item.setData(Qt.ItemDataRole.UserRole, username)
        item.setToolTip(username)
        self.addItem(item)
        return True

    def names(self) -> list[str]:
        return [str(self.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.count())]

    def text(self) -> str:
        return ", ".join(self.names())

    def remove_current(self) -> None:
        row = self.currentRow()
        if row >= 0:
            self.takeItem(row)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_current()
            return
        super().keyPressEvent(event)


class PeoplePicker(QWidget):
    """A search field and its results; double-click or Enter adds the person to ``invitees``."""

    def __init__(self, search: Search, invitees: Invitees, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self.invitees = invitees
        self.query = QLineEdit()
        self.query.setObjectName("peopleSearch")
        self.query.setAccessibleName(self.tr("Find a colleague"))
        self.query.setPlaceholderText(self.tr("Find a colleague by name"))
        self.results = QListWidget()
        self.results.setAccessibleName(self.tr("Colleagues found"))
        self.results.setMaximumHeight(120)
        self.results.hide()
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.query)
        layout.addWidget(self.results)
        layout.addWidget(self.hint)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PAUSE_MS)
        self._timer.timeout.connect(self.search_now)
        self.query.textChanged.connect(lambda _text: self._timer.start())
        self.query.returnPressed.connect(self._enter)
        self.results.itemActivated.connect(self.add)
        self.results.itemDoubleClicked.connect(self.add)
        self._asked = ""

    def search_now(self) -> None:
        text = self.query.text().strip()
        if len(text) < MIN_CHARS:
            self._asked = ""
            self.results.clear()
            self.results.hide()
            if text:  # an emptied field keeps what was said last ("… is invited.")
                self._say(self.tr("Type at least {0} characters of a name.").format(MIN_CHARS))
            return
        self._asked = text
        tasks.start(self._search(text), on_done=lambda found: self._found(text, found), on_error=self._failed)

    def _found(self, text: str, found: m.PeopleFound) -> None:
        if text != self._asked:
            return  # an older answer arriving after a newer question
        self.results.clear()
        for person in found.people:
            item = QListWidgetItem(f"{person.display_name} ({person.username})")
            item.setData(Qt.ItemDataRole.UserRole, person.username)
            item.setData(Qt.ItemDataRole.UserRole + 1, person.display_name or person.username)
            self.results.addItem(item)
        self.results.setVisible(bool(found.people))
        if found.people:
            self.results.setCurrentRow(0)
        self._say(found.note or ("" if found.people else self.tr("Nobody found for “{0}”.").format(text)))

    def _failed(self, error: BaseException) -> None:
        self.results.hide()
        self._say(error_sentence(error))

    def _enter(self) -> None:
        item = self.results.currentItem()
        if item is not None and self.results.isVisible():
            self.add(item)
        else:
            self.search_now()

    def add(self, item: QListWidgetItem) -> None:
        username, shown = str(item.data(Qt.ItemDataRole.UserRole)), item.text()
        self.invitees.add_person(username, str(item.data(Qt.ItemDataRole.UserRole + 1) or username))
        self.query.clear()
        self.results.clear()
        self.results.hide()
        self._say(self.tr("{0} is invited.").format(shown))

    def _say(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))
