"""Meeting info: the meeting's title, host and links, "Copy link" and "Copy invitation", in the call's
header and on the pre-join screen (where an instant meeting's link is shown before anyone joins).

`install_meeting_info(window)` adds the buttons with no change to the screens' own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.ui.dates import long_date_time
from client.ui.resources import icon
from shared.links import MeetingLink


def https_link(link: MeetingLink) -> str:
    """The same meeting as an https link, which mail and chat programs make clickable."""
    return link.https


def parley_link(link: MeetingLink) -> str:
    host = f"[{link.host}]" if ":" in link.host else link.host
    return f"parley://{host}:{link.port}/m/{link.meeting_id}"


def format_when(starts_at: float) -> str:
    """A time in the language of the app (QLocale's default follows the language setting)."""
    return long_date_time(starts_at)


@dataclass
class MeetingFacts:
    """What the dialog shows: ``host`` and ``starts_at`` are empty/0 when not known."""

    link: MeetingLink
    title: str = ""
    host: str = ""
    starts_at: float = 0.0


def invitation_text(facts: MeetingFacts) -> str:
    """A short invitation to paste into mail or chat: title, time if booked, both links."""
    lines = [
        QCoreApplication.translate("MeetingInfo", "You are invited to a Parley meeting: {0}").format(
            facts.title or facts.link.meeting_id
        )
    ]
    if facts.starts_at:
        lines.append(QCoreApplication.translate("MeetingInfo", "When: {0}").format(format_when(facts.starts_at)))
    if facts.host:
        lines.append(QCoreApplication.translate("MeetingInfo", "Host: {0}").format(facts.host))
    lines.append("")
    lines.append(QCoreApplication.translate("MeetingInfo", "Join: {0}").format(https_link(facts.link)))
    lines.append(
        QCoreApplication.translate("MeetingInfo", "Or open in the Parley app: {0}").format(parley_link(facts.link))
    )
    return "\n".join(lines)


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class MeetingInfoDialog(QDialog):
    """Title, host, the https and parley:// links, Copy link and Copy invitation."""

    def __init__(self, facts: MeetingFacts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facts = facts
        self.setObjectName("meetingInfo")
        self.setWindowTitle(self.tr("Meeting info"))
        self.setAccessibleName(self.tr("Meeting info"))
        self.setMinimumWidth(560)  # the links on one line each
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        rows = [
            ("title", self.tr("Title"), facts.title or facts.link.meeting_id),
            ("host", self.tr("Host"), facts.host),
            ("when", self.tr("When"), format_when(facts.starts_at) if facts.starts_at else ""),
            ("https", self.tr("Link"), https_link(facts.link)),
            ("parley", self.tr("App link"), parley_link(facts.link)),
        ]
        for key, name, value in rows:
            if not value:
                continue
            label = QLabel(value)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            label.setAccessibleName(name)
            self.fields[key] = label
            form.addRow(name, label)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.copy_link_button = QPushButton(icon("link"), self.tr("Copy link"))
        self.copy_link_button.setToolTip(self.tr("Copy the https link to the clipboard"))
        self.copy_link_button.clicked.connect(self.copy_link)
        self.copy_invitation_button = QPushButton(self.tr("Copy invitation"))
        self.copy_invitation_button.setToolTip(self.tr("Copy a short invitation with both links"))
        self.copy_invitation_button.clicked.connect(self.copy_invitation)
        buttons.addWidget(self.copy_link_button)
        buttons.addWidget(self.copy_invitation_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.copied = QLabel()
        self.copied.setObjectName("hint")
        layout.addWidget(self.copied)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def copy_link(self) -> None:
        copy_text(https_link(self.facts.link))
        self.copied.setText(self.tr("Link copied."))

    def copy_invitation(self) -> None:
        copy_text(invitation_text(self.facts))
        self.copied.setText(self.tr("Invitation copied."))


def _layout_holding(root: QLayout, widget: QWidget) -> QLayout | None:
    if root.indexOf(widget) >= 0:
        return root
    for index in range(root.count()):
        child = root.itemAt(index).layout()
        if child is not None:
            found = _layout_holding(child, widget)
            if found is not None:
                return found
    return None


class MeetingInfoUi:
    """The Meeting info buttons in the call's header and on pre-join, and the link on pre-join."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.dialog: MeetingInfoDialog | None = None
        call, prejoin = window.call, window.prejoin
        prejoin.title_for = self.title_for

        self.call_button = QPushButton(icon("link"), QCoreApplication.translate("MeetingInfo", "Meeting info"))
        self.call_button.setObjectName("meetingInfoButton")
        self.call_button.setAccessibleName(self.call_button.text())
        self.call_button.setToolTip(QCoreApplication.translate("MeetingInfo", "Title, host, link and invitation"))
        self.call_button.clicked.connect(self.show_for_call)
        header = _layout_holding(call.layout(), call.title)
        if header is not None:
            header.insertWidget(header.indexOf(call.title) + 1, self.call_button)

        prejoin.info_button.clicked.connect(self.show_for_prejoin)
        prejoin.copy_link_button.clicked.connect(self.copy_prejoin_link)

    # --- facts ---------------------------------------------------------------------------

    def _booking(self, meeting_id: str) -> Any:
        ui = getattr(self.window, "meeting_ui", None)
        return ui.service.bookings.get(meeting_id) if ui is not None else None

    def title_for(self, link: MeetingLink) -> str:
        """A booked meeting's title for a link that came without one."""
        booking = self._booking(link.meeting_id)
        return str(booking.title) if booking is not None else ""

    def facts_for(self, link: MeetingLink, title: str) -> MeetingFacts:
        session = self.window.ctx.session
        facts = MeetingFacts(link=link, title=title)
        if link.meeting_id in self.window.home.created_meetings and session.user is not None:
            facts.host = session.user.display_name  # an instant meeting of ours
        booking = self._booking(link.meeting_id)
        if booking is not None:
            facts.title = facts.title or booking.title
            facts.host = booking.host_display_name or booking.host_username
            facts.starts_at = booking.starts_at
        meeting = session.meeting
        if meeting is not None and meeting.meeting_id == link.meeting_id:
            facts.title = meeting.title or facts.title
            user = session.user
            if user is not None and user.user_id == meeting.host_user_id:
                facts.host = user.display_name
            for person in session.participants():
                if person.user_id == meeting.host_user_id:
                    facts.host = person.display_name
        return facts

    def call_facts(self) -> MeetingFacts | None:
        options = self.window.call.options
        if options is None:
            return None
        return self.facts_for(options.link, self.window.call.title.text())

    def prejoin_facts(self) -> MeetingFacts | None:
        prejoin = self.window.prejoin
        if prejoin.link is None:
            return None
        facts = self.facts_for(prejoin.link, prejoin.meeting_title)
        return facts

    # --- actions -------------------------------------------------------------------------

    def _open(self, facts: MeetingFacts | None) -> MeetingInfoDialog | None:
        if facts is None:
            return None
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = MeetingInfoDialog(facts, self.window)
        self.dialog.open()
        return self.dialog

    def show_for_call(self) -> MeetingInfoDialog | None:
        return self._open(self.call_facts())

    def show_for_prejoin(self) -> MeetingInfoDialog | None:
        return self._open(self.prejoin_facts())

    def copy_prejoin_link(self) -> None:
        facts = self.prejoin_facts()
        if facts is not None:
            copy_text(https_link(facts.link))


def install_meeting_info(window: Any) -> MeetingInfoUi:
    return MeetingInfoUi(window)
