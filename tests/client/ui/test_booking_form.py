"""The booking dialog as a person fills it (issue #19 item 10): every problem said at once, the
repeat count in words, time zones by name, and a date picker whose weekday header can be read."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableView
from test_booking import open_booking_dialog
from ui_helpers import sign_in

from shared.links import parse_link
from tests.relay.test_hosting_live import add_room


def test_booking_form_says_everything_at_once_in_plain_words(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    sign_in(window, relay, drive)
    add_room(relay)
    dialog = open_booking_dialog(window, drive, qtbot)

    # Time zones by readable names; the zone id is the data.
    labels = [dialog.timezone.itemText(i) for i in range(dialog.timezone.count())]
    assert "UTC" in labels and not any(label.startswith("Etc/") for label in labels)
    paris = dialog.timezone.findData("Europe/Paris")
    assert dialog.timezone.itemText(paris).startswith("Paris — ") and "(UTC+0" in dialog.timezone.itemText(paris)
    dialog.timezone.setCurrentIndex(paris)
    assert dialog.zone() == "Europe/Paris"

    # The repeat count in words (no "1 time(s), weekly").
    dialog.weekly.setValue(1)
    assert dialog.weekly.text() == "Does not repeat"
    dialog.weekly.setValue(3)
    assert dialog.weekly.text() == "3 meetings, one a week"

    # Every problem at once.
    dialog.title_edit.setText("")
    dialog.timezone.setEditText("Nowhere/Special")
    dialog.end.setDateTime(dialog.start.dateTime().addSecs(-600))
    drive.call(lambda: qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton))
    said = dialog.error_label.text()
    assert dialog.error_label.isVisible()
    for sentence in ("Give the meeting a title.", "Nowhere/Special is not a time zone.", "must end after it starts"):
        assert sentence in said, said

    # The date picker's weekday header: light text on a dark row, not white on white.
    calendar = dialog.start.calendarWidget()
    calendar.resize(320, 240)
    calendar.show()
    drive.settle(0.1)
    table = calendar.findChild(QTableView)
    header = table.visualRect(table.model().index(0, 1))
    image = table.viewport().grab(header).toImage()
    light = sum(
        QColor(image.pixel(x, y)).lightness() > 200 for x in range(image.width()) for y in range(image.height())
    )
    assert light < image.width() * image.height() * 0.5, "the weekday header is light on light"
    calendar.hide()
    drive.call(dialog.reject)


def test_a_meeting_is_scheduled_without_any_room(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    sign_in(window, relay, drive)
    dialog = open_booking_dialog(window, drive, qtbot)
    assert dialog.room.itemText(0) == "No room (just the meeting)" and dialog.room.currentIndex() == 0
    dialog.title_edit.setText("Coffee chat")
    start = QDateTime.fromSecsSinceEpoch((int(time.time() // 3600) + 50) * 3600)
    dialog.start.setDateTime(start)
    dialog.end.setDateTime(start.addSecs(1800))
    drive.call(lambda: qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.home.upcoming.count() == 1, what="the booking in the upcoming list")
    (booking,) = window.meeting_ui.service.bookings.values()
    assert booking.title == "Coffee chat" and booking.room_name == ""
    assert not dialog.error_label.isVisible()
    window.home.upcoming.list.setCurrentRow(0)
    text = drive.call(window.meeting_ui.upcoming_actions.copy_invitation)
    assert "Room:" not in text and parse_link(booking.link).https in text


def test_invitees_are_chosen_as_people_by_name(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    sign_in(window, relay, drive)
    stem = relay.add_user().replace("_", "")[-6:]
    colleague = relay.add_user(display=f"Zora {stem} Quill")
    dialog = open_booking_dialog(window, drive, qtbot)
    picker = dialog.people
    picker.query.setText(f"zora {stem}")
    drive.call(picker.search_now)
    drive.until(lambda: picker.results.count() == 1, what="the colleague found by name")
    drive.call(lambda: qtbot.keyClick(picker.query, Qt.Key.Key_Return))  # Enter takes the first
    invited = dialog.invitees
    assert [invited.item(i).text() for i in range(invited.count())] == [f"Zora {stem} Quill"]  # shown by name
    assert dialog.values()["invitees"] == [colleague]  # sent as the account
    invited.setCurrentRow(0)
    drive.call(lambda: qtbot.keyClick(invited, Qt.Key.Key_Delete))
    assert invited.count() == 0
    drive.call(dialog.reject)
