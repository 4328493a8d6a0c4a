"""Side panels of the call: participants, chat, files. Each shows a sentence when it has nothing."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.ui.models import ParticipantListModel
from client.ui.signin import accessible


class ParticipantsPanel(QWidget):
    def __init__(self, model: ParticipantListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        layout.addWidget(self.heading)
        self.view = QListView()
        self.view.setModel(model)
        accessible(self.view, self.tr("Participants"))
        layout.addWidget(self.view, 1)
        self.model = model
        model.rowsInserted.connect(self._count)
        model.rowsRemoved.connect(self._count)
        model.modelReset.connect(self._count)
        self._count()

    def _count(self) -> None:
        self.heading.setText(self.tr("Participants ({0})").format(self.model.rowCount()))


class ChatPanel(QWidget):
    """Messages of the meeting. Sending needs the chat feature of the relay; until then it says so."""

    message_submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.available = False
        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("Chat"))
        heading.setObjectName("sectionTitle")
        layout.addWidget(heading)
        self.messages = QListWidget()
        self.messages.setWordWrap(True)
        accessible(self.messages, self.tr("Chat messages"))
        layout.addWidget(self.messages, 1)
        self.empty = QLabel(self.tr("No messages yet."))
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        row = QHBoxLayout()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.tr("Write a message"))
        accessible(self.edit, self.tr("Message"))
        self.send_button = QPushButton(self.tr("Send"))
        accessible(self.send_button, self.tr("Send the message"), self.tr("Send the message (Enter)"))
        self.edit.returnPressed.connect(self.submit)
        self.send_button.clicked.connect(self.submit)
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button)
        layout.addLayout(row)
        self.set_available(False)
        self.messages.hide()

    def set_available(self, available: bool) -> None:
        self.available = available
        self.edit.setEnabled(available)
        self.send_button.setEnabled(available)
        if not available and self.messages.count() == 0:
            self.empty.setText(self.tr("Chat is not available on this server yet."))

    def add_message(self, sender: str, text: str, when: str = "") -> None:
        stamp = when or datetime.now().strftime("%H:%M")
        self.messages.addItem(f"{stamp}  {sender}: {text}")
        self.messages.scrollToBottom()
        self.messages.show()
        self.empty.hide()

    def submit(self) -> None:
        text = self.edit.text().strip()
        if text and self.available:
            self.message_submitted.emit(text)
            self.edit.clear()


class FilesPanel(QWidget):
    """Files offered in the meeting (end-to-end encrypted transfer arrives with its own issue)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("Files"))
        heading.setObjectName("sectionTitle")
        layout.addWidget(heading)
        self.files = QListWidget()
        accessible(self.files, self.tr("Files shared in this meeting"))
        layout.addWidget(self.files, 1)
        self.files.hide()
        self.empty = QLabel(
            self.tr("No files have been shared in this meeting. File sharing is not available on this server yet.")
        )
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        layout.addStretch(1)

    def add_file(self, sender: str, name: str, size: int) -> None:
        self.files.addItem(self.tr("{0} from {1} ({2} KB)").format(name, sender, max(1, size // 1024)))
        self.files.show()
        self.empty.hide()
