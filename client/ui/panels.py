"""Side panels of the call: participants, chat, files. Each shows a sentence when it has nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.ui.models import ParticipantListModel
from client.ui.signin import accessible
from shared.text import clean_line


class ParticipantsPanel(QWidget):
    def __init__(self, model: ParticipantListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        layout.addWidget(self.heading)
        self.view = QListView()
        self.view.setModel(model)
        # Long names and marks wrap onto a second line instead of being cut or scrolled sideways.
        self.view.setWordWrap(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
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
        self.entries: list[tuple[str, str, str]] = []  # (time, sender, text) of each message shown
        accessible(self.messages, self.tr("Chat messages"))
        layout.addWidget(self.messages, 1)
        self.empty = QLabel(self.tr("No messages yet."))
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.to = RecipientBox(self.tr("Send the message to"))
        layout.addWidget(self.to)
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
        self.to.setEnabled(available)
        if self.messages.count() == 0:
            self.empty.setText(
                self.tr("No messages yet.") if available else self.tr("Chat starts once you are in a call.")
            )

    def add_message(self, sender: str, text: str, when: str = "") -> None:
        """One message: a bold header line (sender, time) the relay writes, then the body.

        A body is one line of plain text (control, bidi and zero-width characters and line breaks
        are removed here too, whatever the server did) in the normal weight, indented; it can
        never draw a bold header, so it cannot pass for a message from someone else.
        """
        stamp = when or datetime.now().strftime("%H:%M")
        sender, text = clean_line(sender) or "?", clean_line(text)
        header = QListWidgetItem(f"{sender}  {stamp}")
        bold = header.font()
        bold.setBold(True)
        header.setFont(bold)
        header.setFlags(Qt.ItemFlag.ItemIsEnabled)
        header.setData(Qt.ItemDataRole.AccessibleTextRole, self.tr("{0} at {1}").format(sender, stamp))
        body = QListWidgetItem(f"    {text}")
        body.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        body.setData(Qt.ItemDataRole.AccessibleTextRole, f"{sender}: {text}")
        body.setData(Qt.ItemDataRole.UserRole, sender)
        self.messages.addItem(header)
        self.messages.addItem(body)
        self.entries.append((stamp, sender, text))
        self.messages.scrollToBottom()
        self.messages.show()
        self.empty.hide()

    def submit(self) -> None:
        text = self.edit.text().strip()
        if text and self.available:
            self.message_submitted.emit(text)
            self.edit.clear()


class RecipientBox(QComboBox):
    """ "Everyone" or one participant; ``recipient()`` is None for everyone, else a participant id."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        accessible(self, name)
        self.addItem(self.tr("Everyone"), "")
        self.wanted: tuple[str, str] = ("", "")  # (participant id, name) the person last chose
        self.people: list[tuple[str, str]] = []
        self.currentIndexChanged.connect(self._chosen)  # not while set_people() refills the list

    def _chosen(self, index: int) -> None:
        pid = str(self.itemData(index) or "")
        self.wanted = (pid, dict(self.people).get(pid, ""))

    def set_people(self, people: list[tuple[str, str]]) -> None:
        """(participant id, name) of everyone else; keeps the person's choice while that person
        stays, and gets it back when they return (after a reconnect, with a new seat too)."""
        self.people = list(people)
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("Everyone"), "")
        for pid, name in people:
            self.addItem(self.tr("{0} (privately)").format(name), pid)
        pid, name = self.wanted
        index = self.findData(pid) if pid else 0
        if index < 0:
            same_name = [p for p, n in people if n == name]
            index = self.findData(same_name[0]) if len(same_name) == 1 else 0
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)

    def recipient(self) -> str | None:
        return str(self.currentData() or "") or None


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


ITEM_PADDING = 6  # QListWidget::item padding in resources/style/parley.qss


class TransferRow(QWidget):
    """One file transfer: what, with whom, progress, speed, time left, and what can be done."""

    def __init__(self, panel: FilesPanel, transfer_id: str, direction: str) -> None:
        super().__init__()
        self.transfer_id, self.direction = transfer_id, direction
        self.path = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("hint")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        buttons = QHBoxLayout()
        self.accept_button = QPushButton(self.tr("Accept"))
        self.decline_button = QPushButton(self.tr("Decline"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.open_button = QPushButton(self.tr("Open folder"))
        for button in (self.accept_button, self.decline_button, self.cancel_button, self.open_button):
            buttons.addWidget(button)
            button.hide()
        buttons.addStretch(1)
        self.accept_button.clicked.connect(lambda: panel.accept_requested.emit(self.transfer_id))
        self.decline_button.clicked.connect(lambda: panel.decline_requested.emit(self.transfer_id))
        self.cancel_button.clicked.connect(lambda: panel.cancel_requested.emit(self.transfer_id))
        self.open_button.clicked.connect(lambda: panel.open_folder_requested.emit(self.path))
        layout.addWidget(self.title)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def show_state(self, event: object) -> None:
        """Show a `client.engine.events.FileTransferChanged`."""
        e: Any = event
        incoming = e.direction == "incoming"
        what = self.tr("{0} from {1}") if incoming else self.tr("{0} to {1}")
        self.title.setText(what.format(e.name, e.peer) + f" ({_size(e.size)})")
        self.progress.setValue(int(1000 * e.done_bytes / e.size) if e.size else 0)
        accessible(self.accept_button, self.tr("Accept {0}").format(e.name))
        accessible(self.decline_button, self.tr("Decline {0}").format(e.name))
        accessible(self.cancel_button, self.tr("Cancel the transfer of {0}").format(e.name))
        accessible(self.open_button, self.tr("Open the folder of {0}").format(e.name))
        accessible(self.progress, self.tr("Progress of {0}").format(e.name))
        if e.state == "transferring":
            parts = [self.tr("{0} of {1}").format(_size(e.done_bytes), _size(e.size))]
            if e.speed > 0:
                parts.append(self.tr("{0}/s").format(_size(e.speed)))
            if e.seconds_left is not None:
                parts.append(self.tr("{0} left").format(_duration(e.seconds_left)))
            text = ", ".join(parts)
            if e.message:  # e.g. waiting for the other side after the server restarted
                text = f"{e.message} ({parts[0]})"
        elif e.state in ("offered", "waiting"):
            text = self.tr("Waiting for your answer.") if incoming else self.tr("Waiting for an answer.")
        else:
            text = e.message or {
                "complete": self.tr("Done."),
                "declined": self.tr("Declined."),
                "cancelled": self.tr("Cancelled."),
                "failed": self.tr("Failed."),
            }.get(e.state, e.state)
        self.status.setText(text)
        self.path = e.path
        self.accept_button.setVisible(incoming and e.state == "offered")
        self.decline_button.setVisible(incoming and e.state == "offered")
        self.cancel_button.setVisible(e.state in ("waiting", "transferring"))
        self.open_button.setVisible(incoming and e.state == "complete" and bool(e.path))
        self.progress.setVisible(e.state in ("transferring", "complete"))


class OfferDialog(QDialog):
    """Someone offers a file: accept or decline, with the key fingerprint to compare out of band."""

    def __init__(self, sender: str, name: str, size: int, fingerprint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offerDialog")
        self.setWindowTitle(self.tr("File offered"))
        layout = QVBoxLayout(self)
        self.text = QLabel(self.tr("{0} offers you {1} ({2}).").format(sender, name, _size(size)))
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        self.fingerprint = QLabel(
            self.tr(
                "{0}'s encryption key: {1}. It protects the file from the server only if it matches the one "
                "{0} sees as their own; compare it by phone or in person if the file is sensitive."
            ).format(sender, fingerprint or self.tr("unknown"))
        )
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setObjectName("hint")
        layout.addWidget(self.fingerprint)
        box = QDialogButtonBox()
        self.accept_button = box.addButton(self.tr("Accept"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.decline_button = box.addButton(self.tr("Decline"), QDialogButtonBox.ButtonRole.RejectRole)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)


class FilesPanel(QWidget):
    """Files sent and received in the meeting, end-to-end encrypted (client.engine.files)."""

    send_requested = Signal(str, str)  # path, participant id ("" = everyone)
    accept_requested = Signal(str)
    decline_requested = Signal(str)
    cancel_requested = Signal(str)
    open_folder_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.available = False
        self.rows: dict[str, TransferRow] = {}
        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("Files"))
        heading.setObjectName("sectionTitle")
        layout.addWidget(heading)
        self.own_key = QLabel()
        self.own_key.setObjectName("hint")
        self.own_key.setWordWrap(True)
        self.own_key.hide()
        layout.addWidget(self.own_key)
        self.to = RecipientBox(self.tr("Send the file to"))
        layout.addWidget(self.to)
        self.send_button = QPushButton(self.tr("Send a file…"))
        accessible(self.send_button, self.tr("Send a file"), self.tr("Choose a file to send, encrypted end to end"))
        self.send_button.clicked.connect(self.choose_file)
        layout.addWidget(self.send_button)
        self.files = QListWidget()
        accessible(self.files, self.tr("Files shared in this meeting"))
        self.files.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.files.setResizeMode(QListView.ResizeMode.Adjust)
        self.files.viewport().installEventFilter(self)  # rows follow the list's width
        layout.addWidget(self.files, 100)  # the list takes the height; the stretch below only when empty
        self.files.hide()
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        layout.addStretch(1)
        self.set_available(False)

    def set_available(self, available: bool, sentence: str = "") -> None:
        self.available = available
        self.send_button.setEnabled(available)
        self.to.setEnabled(available)
        if available:
            self.empty.setText(self.tr("No files have been shared yet. Files are encrypted end to end."))
        else:
            self.empty.setText(sentence or self.tr("Files can be sent once you are in a call."))

    def set_own_fingerprint(self, fingerprint: str) -> None:
        self.own_key.setText(self.tr("Your encryption key: {0}").format(fingerprint))
        self.own_key.setVisible(bool(fingerprint))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Send a file"))
        if path:
            self.send_requested.emit(path, self.to.recipient() or "")

    def show_transfer(self, event: object) -> TransferRow:
        """Add or update the row of a `FileTransferChanged` event."""
        e: Any = event
        row = self.rows.get(e.transfer_id)
        if row is None:
            row = self.rows[e.transfer_id] = TransferRow(self, e.transfer_id, e.direction)
            item = QListWidgetItem()
            self.files.insertItem(0, item)
            self.files.setItemWidget(item, row)
            self.files.show()
            self.empty.hide()
        row.show_state(e)
        self._fit_rows()
        QTimer.singleShot(0, self._fit_rows)  # again once Qt has polished and laid the row out
        return row

    def _fit_rows(self) -> None:
        """Give each row the height its wrapped text needs at the list's current width (a row's
        own size hint does not know the width, so long sentences were cut off)."""
        width = max(120, self.files.viewport().width())
        inner = width - 2 * ITEM_PADDING - 4  # what the row gets inside the item's padding
        for i in range(self.files.count()):
            item = self.files.item(i)
            row = self.files.itemWidget(item)
            if row is None:
                continue
            row.ensurePolished()  # the style sheet's fonts decide how many lines the text takes
            height = row.heightForWidth(inner) if row.hasHeightForWidth() else -1
            height = max(height, row.minimumSizeHint().height(), row.sizeHint().height() if height <= 0 else 0)
            hint = QSize(width, height + 2 * ITEM_PADDING)
            if item.sizeHint() != hint:
                item.setSizeHint(hint)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show) and watched is self.files.viewport():
            QTimer.singleShot(0, self._fit_rows)
        return super().eventFilter(watched, event)

    def add_file(self, sender: str, name: str, size: int) -> None:
        self.files.addItem(self.tr("{0} from {1} ({2} KB)").format(name, sender, max(1, size // 1024)))
        self.files.show()
        self.empty.hide()
