"""Home: upcoming meetings, join by link, instant meeting, announcements from the server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.ui import tasks
from client.ui.context import AppContext
from client.ui.dates import day_and_time
from client.ui.resources import icon
from client.ui.services import error_sentence
from client.ui.signin import accessible
from shared.links import BadLink, MeetingLink, parse_link


def card(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(18, 14, 18, 14)
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    layout.addWidget(label)
    return frame, layout


class ListWithEmptyState(QWidget):
    """A list that shows a sentence instead of an empty box."""

    def __init__(self, name: str, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        accessible(self.list, name)
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        self._refresh()

    def add(self, text: str, data: Any = None, *, first: bool = False) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, data)
        item.setToolTip(text)
        if first:
            self.list.insertItem(0, item)
        else:
            self.list.addItem(item)
        self._refresh()

    def clear(self) -> None:
        self.list.clear()
        self._refresh()

    def count(self) -> int:
        return self.list.count()

    def _refresh(self) -> None:
        has = self.list.count() > 0
        self.list.setVisible(has)
        self.empty.setVisible(not has)


class HomeView(QWidget):
    """Emits ``meeting_chosen(link, title)`` (a `MeetingLink`) when the person wants to go to the
    pre-join screen."""

    meeting_chosen = Signal(object, str)
    settings_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("homeView")
        self.created_meetings: set[str] = set()  # instant meetings started here (we are the host)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 20, 28, 20)

        header = QHBoxLayout()
        self.greeting = QLabel()
        self.greeting.setObjectName("title")
        self.server_label = QLabel()
        self.server_label.setObjectName("subtitle")
        names = QVBoxLayout()
        names.addWidget(self.greeting)
        names.addWidget(self.server_label)
        header.addLayout(names, 1)
        self.settings_button = QPushButton(icon("settings"), self.tr("Settings"))
        accessible(self.settings_button, self.tr("Settings"), self.tr("Devices, folders and language (Ctrl+,)"))
        self.settings_button.clicked.connect(self.settings_requested)
        self.sign_out_button = QPushButton(self.tr("Sign out"))
        accessible(self.sign_out_button, self.tr("Sign out"), self.tr("Sign out and forget this sign-in"))
        self.sign_out_button.clicked.connect(self.sign_out)
        header.addWidget(self.settings_button)
        header.addWidget(self.sign_out_button)
        outer.addLayout(header)

        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        outer.addWidget(self.error_label)
        self.notice_label = QLabel()  # news that is not a problem (e.g. the language changed)
        self.notice_label.setObjectName("info")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()
        outer.addWidget(self.notice_label)

        columns = QHBoxLayout()
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(16)
        right = QVBoxLayout()
        right.setSpacing(16)
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        outer.addLayout(columns, 1)

        join_card, join_layout = card(self.tr("Join a meeting"))
        row = QHBoxLayout()
        self.link_edit = QLineEdit()
        self.link_edit.setPlaceholderText("parley://server:8443/m/…")
        accessible(self.link_edit, self.tr("Meeting link"), self.tr("Paste the meeting link you were sent"))
        self.link_edit.returnPressed.connect(self.join_link)
        self.join_button = QPushButton(icon("link"), self.tr("Join"))
        self.join_button.setObjectName("primary")
        accessible(self.join_button, self.tr("Join the meeting"), self.tr("Join the meeting at this link (Enter)"))
        self.join_button.clicked.connect(self.join_link)
        row.addWidget(self.link_edit, 1)
        row.addWidget(self.join_button)
        join_layout.addLayout(row)
        left.addWidget(join_card)

        instant_card, instant_layout = card(self.tr("Meet now"))
        hint = QLabel(self.tr("Start a meeting and share its link with the people you want to talk to."))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        instant_layout.addWidget(hint)
        self.instant_button = QPushButton(icon("plus"), self.tr("Start an instant meeting"))
        accessible(self.instant_button, self.tr("Start an instant meeting"))
        self.instant_button.clicked.connect(self.start_instant)
        instant_layout.addWidget(self.instant_button, alignment=Qt.AlignmentFlag.AlignLeft)
        left.addWidget(instant_card)

        upcoming_card, upcoming_layout = card(self.tr("Upcoming meetings"))
        self.upcoming = ListWithEmptyState(
            self.tr("Upcoming meetings"),
            self.tr("No upcoming meetings. Meetings booked for you will appear here."),
        )
        self.upcoming.list.itemActivated.connect(self._upcoming_activated)
        upcoming_layout.addWidget(self.upcoming, 1)
        left.addWidget(upcoming_card, 1)

        news_card, news_layout = card(self.tr("Announcements"))
        self.announcements = ListWithEmptyState(
            self.tr("Announcements"),
            self.tr("No announcements. Planned maintenance of your server will be announced here."),
        )
        news_layout.addWidget(self.announcements, 1)
        right.addWidget(news_card, 1)

        ctx.session.announcement_received.connect(self.add_announcement)
        ctx.session.upcoming_changed.connect(self.set_upcoming)
        ctx.session.signed_in.connect(self.show_user)

    def show_user(self, user: Any) -> None:
        self.greeting.setText(self.tr("Hello, {0}").format(user.display_name))
        self.server_label.setText(self.tr("Signed in to {0} as {1}").format(self.ctx.session.server, user.username))
        self.show_error("")

    def show_error(self, sentence: str) -> None:
        self.error_label.setText(sentence)
        self.error_label.setVisible(bool(sentence))

    def show_notice(self, sentence: str) -> None:
        self.notice_label.setText(sentence)
        self.notice_label.setVisible(bool(sentence))

    def add_announcement(self, message: str) -> None:
        stamp = datetime.now().strftime("%H:%M")
        self.announcements.add(f"{stamp}  {message}", first=True)

    def set_upcoming(self, meetings: list[Any]) -> None:
        self.upcoming.clear()
        for meeting in meetings:
            title = getattr(meeting, "title", "") or getattr(meeting, "meeting_id", "")
            when = getattr(meeting, "starts_at", None)
            text = f"{day_and_time(when)}  {title}" if when else title
            self.upcoming.add(text, (getattr(meeting, "meeting_id", ""), title))

    def _upcoming_activated(self, item: QListWidgetItem) -> None:
        meeting_id, title = item.data(Qt.ItemDataRole.UserRole)
        self.meeting_chosen.emit(self.ctx.session.link_to(meeting_id), title)

    def open_link(self, link: MeetingLink) -> bool:
        """Go to the pre-join screen for ``link``; False with a sentence on screen when it is not usable."""
        try:
            self.ctx.session.check_link(link)
        except Exception as exc:
            self.show_error(error_sentence(exc))
            return False
        self.show_error("")
        self.meeting_chosen.emit(link, "")
        return True

    def join_link(self) -> None:
        """The join-by-link field: what was pasted is parsed here, once."""
        text = self.link_edit.text().strip()
        if not text:
            self.show_error(self.tr("Paste a meeting link first."))
            return
        try:
            link = parse_link(text)
        except BadLink as exc:
            self.show_error(str(exc))
            return
        if self.open_link(link):
            self.link_edit.clear()

    def start_instant(self) -> None:
        user = self.ctx.session.user
        title = self.tr("{0}'s meeting").format(user.display_name if user else "")
        self.instant_button.setEnabled(False)

        async def create() -> tuple[MeetingLink, str]:
            meeting = await self.ctx.session.start_instant_meeting(title)
            self.created_meetings.add(meeting.meeting_id)
            return self.ctx.session.link_to(meeting.meeting_id), meeting.title

        def done(chosen: tuple[MeetingLink, str]) -> None:
            self.instant_button.setEnabled(True)
            self.meeting_chosen.emit(*chosen)

        def failed(exc: BaseException) -> None:
            self.instant_button.setEnabled(True)
            self.show_error(error_sentence(exc))

        tasks.start(create(), on_done=done, on_error=failed)

    def sign_out(self) -> None:
        tasks.start(self.ctx.session.sign_out(), on_error=lambda exc: self.show_error(error_sentence(exc)))
