"""The desktop app's booking dialog, upcoming list actions, lobby queue, host controls and banners,
against a real relay."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import icalendar
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QGuiApplication
from test_call import join_through_ui, use_synthetic_media
from ui_helpers import sign_in

from client.engine.call import ParleyClient
from client.engine.meetings import MeetingDesk
from shared.links import parse_link
from shared.protocol import messages as m
from tests.relay.test_hosting_live import add_room


def call(drive: Any, fn: Any) -> Any:
    """Run ``fn`` (a click) while the loop runs, so the tasks it starts have a running loop."""

    async def inside() -> Any:
        return fn()

    return drive.run(inside())


def open_booking_dialog(window: Any, drive: Any, qtbot: Any) -> Any:
    ui = window.meeting_ui
    drive.until(lambda: ui.service.desk is not None, what="meetings service")
    call(drive, lambda: qtbot.mouseClick(ui.upcoming_actions.book_button, Qt.MouseButton.LeftButton))
    dialog = ui.upcoming_actions.dialog
    drive.until(lambda: dialog.room.count() > 0, what="rooms in the dialog")
    return dialog


def fill(dialog: Any, room: str, title: str, start: float, minutes: int = 30) -> None:
    dialog.room.setCurrentIndex(dialog.room.findText(room, Qt.MatchFlag.MatchStartsWith))
    dialog.title_edit.setText(title)
    dialog.timezone.setCurrentText("Europe/Paris")
    begin = QDateTime.fromSecsSinceEpoch(int(start))
    dialog.start.setDateTime(begin)
    dialog.end.setDateTime(begin.addSecs(minutes * 60))


def test_booking_dialog_upcoming_list_invitation_and_ics(
    window: Any, relay: Any, drive: Any, qtbot: Any, tmp_path: Path
) -> None:
    sign_in(window, relay, drive)
    room = add_room(relay)
    ui = window.meeting_ui
    start = (int(time.time() // 3600) + 30) * 3600.0
    dialog = open_booking_dialog(window, drive, qtbot)
    fill(dialog, room, "Roadmap", start)
    call(drive, lambda: qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.home.upcoming.count() == 1, what="the booking in the upcoming list")
    assert "Roadmap" in window.home.upcoming.list.item(0).text()
    booking = next(iter(ui.service.bookings.values()))
    assert booking.timezone == "Europe/Paris" and booking.room_name == room

    window.home.upcoming.list.setCurrentRow(0)
    assert ui.upcoming_actions.edit_button.isEnabled() and ui.upcoming_actions.cancel_button.isEnabled()
    text = call(drive, ui.upcoming_actions.copy_invitation)
    assert booking.link in text and QGuiApplication.clipboard().text() == text
    saved = call(drive, lambda: ui.upcoming_actions.save_ics(str(tmp_path / "roadmap.ics")))
    (event,) = icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris" and str(event["URL"]) == parse_link(booking.link).https

    # The same slot again: the dialog stays open and names the conflict.
    dialog = open_booking_dialog(window, drive, qtbot)
    fill(dialog, room, "Clash", start + 600)
    call(drive, lambda: qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: dialog.error_label.isVisible(), what="the conflict sentence")
    assert "already booked" in dialog.error_label.text() and "Roadmap" in dialog.error_label.text()
    call(drive, dialog.reject)

    # Cancel from the list.
    window.home.upcoming.list.setCurrentRow(0)
    call(drive, lambda: qtbot.mouseClick(ui.upcoming_actions.cancel_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.home.upcoming.count() == 0, what="the cancelled booking to go")


def test_lobby_queue_host_controls_and_banners(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    guest_name = relay.add_user(display="Gina Guest")
    room = add_room(relay)
    ui = window.meeting_ui
    drive.until(lambda: ui.service.desk is not None, what="meetings service")
    saved = drive.run(ui.service.require().book(room, "Review", time.time() + 60, time.time() + 1800, "UTC"))
    join_through_ui(window, saved.booking.link, drive, qtbot)
    drive.until(lambda: not ui.controls.host_box.isHidden(), what="host controls for the host")
    assert ui.lobby.isHidden()

    guest = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    drive.run(guest.connect())
    drive.run(guest.sign_in(guest_name, "correct horse", remember=False))
    guest_desk = MeetingDesk(guest)
    join = drive.loop.create_task(guest.join(saved.booking.meeting_id))
    drive.until(lambda: not ui.lobby.isHidden() and ui.lobby.list.count() == 1, what="the guest in the lobby queue")
    assert ui.lobby.list.item(0).text() == "Gina Guest"
    call(drive, lambda: qtbot.mouseClick(ui.lobby.admit_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: join.done(), what="the guest admitted")
    assert isinstance(join.result(), m.MeetingJoined)
    drive.until(lambda: ui.lobby.isHidden(), what="the lobby queue to empty")

    # Mute the guest from the participants panel: the guest's own client sees the relay's decision.
    model = window.call.model
    drive.until(lambda: any(r.name == "Gina Guest" for r in model.rows), what="the guest in the list")
    row = next(i for i, r in enumerate(model.rows) if r.name == "Gina Guest")
    window.call.participants_panel.view.setCurrentIndex(model.index(row))
    call(drive, lambda: qtbot.mouseClick(ui.controls.person_buttons["mute"], Qt.MouseButton.LeftButton))
    drive.until(lambda: guest.participants[guest.participant_id].muted.get("mic"), what="the guest muted")

    # A raised hand shows up for the host.
    drive.run(guest_desk.raise_hand())
    drive.until(lambda: "Gina Guest" in ui.controls.status.text(), what="the raised hand")
    # Rename through the panel.
    call(drive, lambda: ui.controls.act_on_selected("rename", display_name="Gina G."))
    drive.until(lambda: guest.participants[guest.participant_id].display_name == "Gina G.", what="renamed")

    # Banners: the countdown and maintenance, as the relay's events arrive.
    ui.service.ending_soon.emit("This meeting ends in 1 minute.", time.time() + 60)
    assert not ui.countdown.isHidden() and re.search(r"ends in (0:5\d|1:00)", ui.countdown.text())
    window_info = m.MaintenanceInfo(
        window_id=1, starts_at=time.time() + 3 * 86400, ends_at=time.time() + 3 * 86400 + 3600, message="Upgrade"
    )
    ui.service.maintenance_changed.emit([window_info], "", False)
    assert not ui.maintenance.isHidden() and "Upgrade" in ui.maintenance.text()
    assert me  # the host stayed signed in throughout

    drive.run(guest.leave())
    drive.run(guest.close())


def test_invitation_appears_in_the_upcoming_list_without_signing_in_again(
    window: Any, relay: Any, drive: Any, qtbot: Any
) -> None:
    """Someone books a meeting and invites us while the app is open: it appears in the upcoming
    list by itself, with a line saying who invited us; cancelling takes it away again."""
    me = sign_in(window, relay, drive)
    drive.until(lambda: window.meeting_ui.service.desk is not None, what="meetings service")
    room = add_room(relay)
    host_name = relay.add_user(display="Olga Organiser")
    host = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    drive.run(host.connect())
    drive.run(host.sign_in(host_name, "correct horse", remember=False))
    try:
        assert window.home.upcoming.count() == 0
        start = (int(time.time() // 3600) + 40) * 3600.0
        saved = drive.run(MeetingDesk(host).book(room, "Quarterly plan", start, start + 1800, "UTC", [me]))
        drive.until(lambda: window.home.upcoming.count() == 1, what="the invitation in the upcoming list")
        texts = [window.home.announcements.list.item(i).text() for i in range(window.home.announcements.count())]
        assert any("Olga Organiser invited you to Quarterly plan." in t for t in texts), texts
        drive.run(MeetingDesk(host).cancel(saved.booking.booking_id))
        drive.until(lambda: window.home.upcoming.count() == 0, what="the cancelled meeting gone")
    finally:
        drive.run(host.close())
