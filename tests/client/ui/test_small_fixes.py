"""The smaller things of issue #19 item 11, each as a person meets it."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QCheckBox
from test_settings_walkthrough import open_dialog
from ui_helpers import sign_in

from client.engine.files import default_downloads_dir
from client.engine.recording import default_recordings_dir
from client.ui.models import ParticipantRow
from shared.links import MeetingLink
from shared.protocol import messages as m


def test_failed_sign_in_puts_the_cursor_in_the_password_field(window: Any, relay: Any, drive: Any) -> None:
    name = relay.add_user()
    window.ctx.trust(relay.server, relay.fingerprint)
    view = window.sign_in
    window.activateWindow()
    view.server_edit.setText(relay.server)
    view.username_edit.setText(name)
    view.password_edit.setText("wrong horse")
    drive.call(view.submit)
    drive.until(lambda: view.error_label.isVisible(), what="the refusal")
    assert view.password_edit.isEnabled()
    assert QApplication.focusWidget() is view.password_edit
    assert view.password_edit.selectedText() == "wrong horse"  # typing replaces it


def white_pixels(box: QCheckBox) -> int:
    image = box.grab().toImage()
    count = 0
    for x in range(min(image.width(), 30)):
        for y in range(image.height()):
            colour = QColor(image.pixel(x, y))
            count += colour.red() > 230 and colour.green() > 230 and colour.blue() > 230
    return count


def test_a_checked_box_shows_a_tick(qloop: Any, qtbot: Any) -> None:
    box = QCheckBox("")
    qtbot.addWidget(box)
    box.resize(40, 30)
    box.show()
    unticked = white_pixels(box)
    box.setChecked(True)
    ticked = white_pixels(box)
    assert ticked > unticked + 10, (unticked, ticked)  # a white tick on the blue box


def test_participant_rows_wrap_instead_of_being_cut(window: Any, drive: Any) -> None:
    call = window.call
    long_name = "Maximiliane Oberhollenzer-Wittgenstein from Procurement"
    call.model.upsert(ParticipantRow("p1", long_name, role="host", mic_muted=True, hand_raised=True))
    window.show_view(call)
    call.toggle_participants()
    drive.settle(0.2)
    view = call.participants_panel.view
    assert view.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways
    rect = view.visualRect(call.model.index(0))
    assert rect.width() <= view.viewport().width()
    text = call.model.data(call.model.index(0))
    assert view.fontMetrics().horizontalAdvance(text) > rect.width()  # too long for one line...
    assert rect.height() >= 2 * view.fontMetrics().height()  # ...so it wraps, all of it shown


def test_host_buttons_wait_for_someone_chosen(window: Any, drive: Any) -> None:
    controls = window.meeting_ui.controls
    assert all(not b.isEnabled() for b in controls.person_buttons.values())
    window.call.model.upsert(ParticipantRow("p1", "Bob"))
    view = window.call.participants_panel.view
    view.setCurrentIndex(window.call.model.index(0))
    assert all(b.isEnabled() for b in controls.person_buttons.values())
    window.call.model.remove("p1")
    assert all(not b.isEnabled() for b in controls.person_buttons.values())


def test_settings_show_default_folders_and_the_same_speaker_choice(window: Any, drive: Any) -> None:
    dialog = open_dialog(window, drive)
    assert dialog.recordings.text() == "" and dialog.recordings.placeholderText() == str(default_recordings_dir())
    assert dialog.downloads.placeholderText() == str(default_downloads_dir())
    assert dialog.speaker.itemText(0) == "System default" and dialog.speaker.itemData(0) == ""
    drive.call(dialog.reject)
    window.prejoin.prepare(MeetingLink("relay.example", 8443, "abc123"), "")
    speaker = window.prejoin.speaker_combo
    assert speaker.itemText(0) == "System default" and speaker.currentIndex() == 0
    assert [speaker.itemText(i) for i in range(speaker.count())][-1] == "No speaker"
    # Pre-join without a known title is not titled with the raw meeting id.
    assert "abc123" not in window.prejoin.title.text()
    window.prejoin.preview.stop()


def person(pid: str, name: str) -> m.ParticipantInfo:
    return m.ParticipantInfo(participant_id=pid, user_id=f"u-{name}", display_name=name)


def test_grid_order_and_files_recipient_survive_a_reconnect(window: Any, drive: Any) -> None:
    session, call = window.ctx.session, window.call
    for info in (person("p1", "Ann"), person("p2", "Bob"), person("p3", "Cy")):
        session.participant_joined.emit(info)
    before = [call.grid.tiles[k].name for k in call.grid.order]
    assert before == ["Ann", "Bob", "Cy"]
    files_to = call.files_panel.to
    files_to.set_people([("p1", "Ann"), ("p2", "Bob"), ("p3", "Cy")])
    files_to.setCurrentIndex(files_to.findData("p2"))
    # A reconnect: the seats are taken down, and come back in the server's order (Bob on a new seat).
    session.participants_reset.emit()
    files_to.set_people([])
    assert files_to.recipient() is None
    for info in (person("p3", "Cy"), person("p9", "Bob"), person("p1", "Ann")):
        session.participant_joined.emit(info)
    files_to.set_people([("p3", "Cy"), ("p9", "Bob"), ("p1", "Ann")])
    assert [call.grid.tiles[k].name for k in call.grid.order] == before
    assert files_to.recipient() == "p9"


def test_pre_join_of_a_link_shows_the_meeting_title(window: Any, relay: Any, drive: Any) -> None:
    me = sign_in(window, relay, drive)
    meeting_id = relay.create_meeting(me, "Weekly sync")
    window.open_link(window.ctx.session.link_to(meeting_id))
    drive.until(lambda: window.prejoin.title.text() == "Weekly sync", what="the title from the server")
    assert window.prejoin.options().title == "Weekly sync"
    window.show_view(window.home)
    window.open_link(window.ctx.session.link_to("noSuchMeeting1"))
    drive.until(lambda: "no such meeting" in window.prejoin.problems.text(), what="the unknown meeting said")
    assert window.prejoin.title.text() == "Ready to join?"
    window.prejoin.preview.stop()
