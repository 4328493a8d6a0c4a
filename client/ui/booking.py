"""Bookings in the desktop app: the meetings service over the engine's `MeetingDesk`, the booking
dialog, and the actions under the home screen's upcoming list (book, edit, cancel, copy the
invitation, save an .ics). Times are entered and shown in local time; the relay stores UTC.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from PySide6.QtCore import QDateTime, QLocale, QObject, Qt, QTimeZone, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from client.engine import events as ev
from client.engine.meetings import MeetingDesk, booking_ics, invitation_text, local_zone_name
from client.ui import tasks
from client.ui.dates import day_and_time, time_of_day
from client.ui.lifetime import listen
from client.ui.people import Invitees, PeoplePicker
from client.ui.services import SessionService, error_sentence
from shared.protocol import messages as m


class MeetingsService(QObject):
    """Bookings, lobby, meeting state and maintenance as Qt signals; one per signed-in session."""

    upcoming_loaded = Signal(list)  # BookingInfo, soonest first
    lobby_changed = Signal(list)  # LobbyEntry
    state_changed = Signal(object)  # MeetingState
    ending_soon = Signal(str, float)  # sentence, ends_at (UTC seconds)
    maintenance_changed = Signal(list, str, bool)  # MaintenanceInfo, sentence, started
    asked = Signal(str, str)  # what ("unmute" | "start_video"), by whom
    lobby_waiting = Signal(str)  # sentence
    failed = Signal(str)  # sentence

    def __init__(self, session: SessionService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.desk: MeetingDesk | None = None
        self.bookings: dict[str, m.BookingInfo] = {}
        self.state: m.MeetingState | None = None
        session.signed_in.connect(self._signed_in)

    def _signed_in(self, _user: Any) -> None:
        client = self.session.client
        if client is None:
            return
        if self.desk is not None:
            self.desk.close()
            self.desk.client.remove_listener(self._listener)
        self.desk = MeetingDesk(client)
        self._listener = listen(client, self, self._on_event)
        tasks.start(self.refresh(), on_error=lambda exc: self.failed.emit(error_sentence(exc)))

    async def refresh(self) -> list[m.BookingInfo]:
        """Reload the upcoming list (also shown on the home screen) and announced maintenance."""
        desk = self.require()
        bookings = await desk.bookings()
        self.bookings = {b.meeting_id: b for b in bookings}
        self.upcoming_loaded.emit(bookings)
        self.session.upcoming_changed.emit(bookings)
        windows = await desk.upcoming_maintenance()
        if windows:
            self._maintenance(windows, "", False)
        return bookings

    def require(self) -> MeetingDesk:
        if self.desk is None:
            raise RuntimeError("not signed in")
        return self.desk

    def _maintenance(self, windows: list[m.MaintenanceInfo], message: str, started: bool) -> None:
        if not message and windows:
            w = windows[0]
            message = self.tr("Planned maintenance from {0} to {1}: {2}").format(
                day_and_time(w.starts_at), time_of_day(w.ends_at), w.message
            )
        if message:
            self.session.announcement_received.emit(message)
        self.maintenance_changed.emit(list(windows), message, started)

    def _on_event(self, event: Any) -> None:
        if isinstance(event, ev.LobbyQueueChanged):
            self.lobby_changed.emit(list(event.waiting))
        elif isinstance(event, ev.MeetingStateUpdated):
            self.state = event.state
            self.state_changed.emit(event.state)
        elif isinstance(event, ev.MeetingEndAnnounced):
            self.ending_soon.emit(event.message, event.ends_at)
        elif isinstance(event, ev.MaintenanceNotified):
            self._maintenance(list(event.windows), event.message, event.started)
        elif isinstance(event, ev.AskedByHost):
            self.asked.emit(event.what, event.by)
        elif isinstance(event, ev.HeldInLobby):
            self.lobby_waiting.emit(event.message)
        elif isinstance(event, ev.BookingsUpdated):
            if event.message:
                self.session.announcement_received.emit(event.message)
            tasks.start(self.refresh(), on_error=lambda exc: self.failed.emit(error_sentence(exc)))


def _qdatetime(ts: float, tz: str) -> QDateTime:
    local = datetime.fromtimestamp(ts, ZoneInfo(tz))
    value = QDateTime()
    value.setDate(value.date().fromString(local.strftime("%Y-%m-%d"), "yyyy-MM-dd"))
    value.setTime(value.time().fromString(local.strftime("%H:%M"), "HH:mm"))
    return value


def _timestamp(value: QDateTime, tz: str) -> float:
    d, t = value.date(), value.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=ZoneInfo(tz)).timestamp()


class BookingDialog(QDialog):
    """Book a room, or (given ``booking``) change a booking. Emits ``saved(BookingInfo)``."""

    saved = Signal(object)

    def __init__(
        self,
        service: MeetingsService,
        booking: m.BookingInfo | None = None,
        *,
        now: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.booking = booking
        self.setWindowTitle(self.tr("Change the booking") if booking else self.tr("Book a meeting"))
        self.setObjectName("bookingDialog")
        form = QFormLayout()
        self.room = QComboBox()
        self.room.setAccessibleName(self.tr("Room"))
        self.title_edit = QLineEdit(booking.title if booking else "")
        self.title_edit.setAccessibleName(self.tr("Title"))
        self.title_edit.setPlaceholderText(self.tr("What is the meeting about?"))
        self.timezone = QComboBox()
        self.timezone.setEditable(True)  # type to find a zone; the list says names, not "Etc/UTC"
        self.timezone.setAccessibleName(self.tr("Time zone"))
        local = booking.timezone if booking else local_zone_name()
        fill_zones(self.timezone, local)
        tz = local
        start = booking.starts_at if booking else _next_half_hour(now)
        end = booking.ends_at if booking else start + 1800
        self.start = QDateTimeEdit(_qdatetime(start, tz))
        self.end = QDateTimeEdit(_qdatetime(end, tz))
        for edit, name in ((self.start, self.tr("Start")), (self.end, self.tr("End"))):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setAccessibleName(name)
        self.invitees = Invitees(list(booking.invitees) if booking else [])  # people, by name
        self.weekly = QSpinBox()
        self.weekly.setRange(1, 52)
        self.weekly.setValue(booking.weekly_count if booking else 1)
        self.weekly.setAccessibleName(self.tr("Occurrences"))
        self.weekly.setSpecialValueText(self.tr("Does not repeat"))  # shown for 1
        self.weekly.setSuffix(self.tr(" meetings, one a week"))  # 2 and more: always plural
        form.addRow(self.tr("Room"), self.room)
        form.addRow(self.tr("Title"), self.title_edit)
        form.addRow(self.tr("Start"), self.start)
        form.addRow(self.tr("End"), self.end)
        form.addRow(self.tr("Time zone"), self.timezone)
        self.people = PeoplePicker(lambda query: service.require().find_people(query), self.invitees)
        form.addRow(self.tr("Invite"), self.people)
        invited = QHBoxLayout()
        invited.addWidget(self.invitees, 1)
        self.remove_invitee = QPushButton(self.tr("Remove"))
        self.remove_invitee.setToolTip(self.tr("Remove the chosen person from the invitees (Delete)"))
        self.remove_invitee.clicked.connect(self.invitees.remove_current)
        invited.addWidget(self.remove_invitee, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow(self.tr("Invitees"), invited)
        form.addRow(self.tr("Repeat"), self.weekly)
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(
            self.tr("Save") if booking else self.tr("Book"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("primary")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        tasks.start(service.require().rooms(), on_done=self._rooms, on_error=self._failed)

    def _rooms(self, rooms: list[m.RoomInfo]) -> None:
        self.room.clear()
        # Anyone can just schedule a meeting; a room is only needed to reserve one.
        self.room.addItem(self.tr("No room (just the meeting)"), "")
        for room in rooms:
            self.room.addItem(self.tr("{0} (up to {1})").format(room.name, room.capacity), room.room_id)
        if self.booking is not None and self.booking.room_name:
            self.room.setCurrentIndex(max(0, self.room.findData(self.booking.room_id)))

    def _failed(self, error: BaseException | str) -> None:
        self.error_label.setText(error if isinstance(error, str) else error_sentence(error))
        self.error_label.show()
        self.save_button.setEnabled(True)

    def zone(self) -> str:
        """The zone id of the chosen (or typed) time zone."""
        text = self.timezone.currentText().strip()
        index = self.timezone.findText(text)
        return str(self.timezone.itemData(index)) if index >= 0 else (text or "UTC")

    def problems(self) -> list[str]:
        """Everything wrong with the fields, all at once."""
        out = []
        if not self.title_edit.text().strip():
            out.append(self.tr("Give the meeting a title."))
        tz = self.zone()
        try:
            ZoneInfo(tz)
        except Exception:
            out.append(self.tr("{0} is not a time zone.").format(tz))
        if self.end.dateTime() <= self.start.dateTime():
            out.append(self.tr("The meeting must end after it starts."))
        return out

    def values(self) -> dict[str, Any]:
        tz = self.zone()
        return {
            "room": str(self.room.currentData() or ""),
            "title": self.title_edit.text().strip(),
            "starts_at": _timestamp(self.start.dateTime(), tz),
            "ends_at": _timestamp(self.end.dateTime(), tz),
            "timezone": tz,
            "invitees": self.invitees.names(),
            "weekly_count": self.weekly.value(),
        }

    def submit(self) -> None:
        problems = self.problems()
        if problems:
            self._failed("\n".join(problems))
            return
        values = self.values()
        self.save_button.setEnabled(False)
        desk = self.service.require()
        if self.booking is None:
            coro = desk.book(**values)
        else:
            coro = desk.edit(self.booking.booking_id, **values)
        tasks.start(coro, on_done=self._saved, on_error=self._failed)

    def _saved(self, reply: m.BookingSaved) -> None:
        self.saved.emit(reply.booking)
        if reply.warnings:
            QMessageBox.information(self, self.tr("Booked"), "\n\n".join(reply.warnings))
        tasks.start(self.service.refresh(), on_error=lambda exc: None)
        self.accept()


def zone_label(zone_id: str) -> str:
    """A readable name: "Berlin — Central European Time (UTC+01:00)", "UTC" for Etc/UTC."""
    if zone_id in ("UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"):
        return "UTC"
    zone = QTimeZone(zone_id.encode())
    if not zone.isValid():
        return zone_id
    now = QDateTime.currentDateTime()
    offset = zone.offsetFromUtc(now)
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    city = zone_id.rsplit("/", 1)[-1].replace("_", " ")
    name = zone.displayName(now, QTimeZone.NameType.LongName, QLocale())
    if not name or name.startswith(("UTC", "GMT")):
        return f"{city} (UTC{sign}{hours:02d}:{minutes:02d})"
    return f"{city} — {name} (UTC{sign}{hours:02d}:{minutes:02d})"


def fill_zones(combo: QComboBox, current: str) -> None:
    """Every zone by its readable name (the zone id is the item's data), ``current`` first."""
    zones = sorted(z for z in available_timezones() if z != current and not z.startswith(("Etc/", "SystemV/")))
    combo.clear()
    seen = set()
    for zone_id in [current, "UTC", *zones]:
        label = zone_label(zone_id)
        if label in seen:
            continue
        seen.add(label)
        combo.addItem(label, zone_id)
        combo.setItemData(combo.count() - 1, zone_id, Qt.ItemDataRole.ToolTipRole)
    combo.setCurrentIndex(0)


def _next_half_hour(now: float | None) -> float:
    import time

    now = time.time() if now is None else now
    return (int(now // 1800) + 1) * 1800.0


class UpcomingActions(QWidget):
    """Buttons under the upcoming list: book, and for the selected booking edit, cancel, copy the
    invitation, save an .ics."""

    def __init__(self, service: MeetingsService, list_widget: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.list = list_widget
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.book_button = QPushButton(self.tr("Book a meeting…"))
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.cancel_button = QPushButton(self.tr("Cancel booking"))
        self.copy_button = QPushButton(self.tr("Copy invitation"))
        self.ics_button = QPushButton(self.tr("Save .ics…"))
        for button in (self.book_button, self.edit_button, self.cancel_button, self.copy_button, self.ics_button):
            button.setAccessibleName(button.text().rstrip("…"))
            row.addWidget(button)
        row.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("hint")
        row.addWidget(self.status)
        self.book_button.clicked.connect(self.book)
        self.edit_button.clicked.connect(self.edit)
        self.cancel_button.clicked.connect(self.cancel)
        self.copy_button.clicked.connect(self.copy_invitation)
        self.ics_button.clicked.connect(self.save_ics)
        self.list.currentRowChanged.connect(lambda _row: self._update())
        service.upcoming_loaded.connect(lambda _b: self._update())
        self.dialog: BookingDialog | None = None
        self._update()

    def selected(self) -> m.BookingInfo | None:
        item = self.list.currentItem()
        if item is None:
            return None
        data = item.data(Qt.ItemDataRole.UserRole)
        meeting_id = data[0] if isinstance(data, (tuple, list)) else data
        return self.service.bookings.get(meeting_id)

    def _update(self) -> None:
        booking = self.selected()
        mine = (
            booking is not None
            and self.service.desk is not None
            and (
                self.service.desk.client.user is not None
                and booking.host_user_id == self.service.desk.client.user.user_id
            )
        )
        for button in (self.copy_button, self.ics_button):
            button.setEnabled(booking is not None)
        for button in (self.edit_button, self.cancel_button):
            button.setEnabled(bool(mine))

    def book(self) -> BookingDialog:
        self.dialog = BookingDialog(self.service, parent=self)
        self.dialog.saved.connect(lambda b: self.status.setText(self.tr("Booked: {0}").format(b.title)))
        self.dialog.open()
        return self.dialog

    def edit(self) -> BookingDialog | None:
        booking = self.selected()
        if booking is None:
            return None
        self.dialog = BookingDialog(self.service, booking, parent=self)
        self.dialog.open()
        return self.dialog

    def cancel(self) -> None:
        booking = self.selected()
        if booking is None:
            return

        def done(_: Any) -> None:
            self.status.setText(self.tr("Cancelled: {0}").format(booking.title))
            tasks.start(self.service.refresh(), on_error=lambda exc: None)

        tasks.start(
            self.service.require().cancel(booking.booking_id),
            on_done=done,
            on_error=lambda exc: self.status.setText(error_sentence(exc)),
        )

    def copy_invitation(self) -> str:
        booking = self.selected()
        if booking is None:
            return ""
        text = invitation_text(booking, local_zone_name())
        QGuiApplication.clipboard().setText(text)
        self.status.setText(self.tr("Invitation copied."))
        return text

    def save_ics(self, path: str | None = None) -> Path | None:
        booking = self.selected()
        if booking is None:
            return None
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save calendar file"), f"{booking.title}.ics", "*.ics")
        if not path:
            return None
        try:
            Path(path).write_bytes(booking_ics(booking))
        except OSError as exc:
            self.status.setText(self.tr("Could not save the file: {0}").format(exc.strerror or exc))
            return None
        self.status.setText(self.tr("Saved {0}").format(Path(path).name))
        return Path(path)
