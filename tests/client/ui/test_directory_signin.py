"""The desktop app with a relay that signs people in with the company directory (a real OpenLDAP
server, tests/slapd.py): sign in with the directory password, find a colleague who never used
Parley when booking, and join a meeting."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from test_booking import call, fill, open_booking_dialog
from test_call import join_through_ui, use_synthetic_media
from ui_helpers import meeting_link

from tests.conftest import RunningRelay, unique_name
from tests.relay.directory.test_signin_live import directory_config
from tests.relay.test_hosting_live import add_room
from tests.slapd import HOSTS_GROUP, USERS_GROUP, Slapd


@pytest.fixture(scope="module")
def ldap_relay(slapd: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    folder = tmp_path_factory.mktemp("ldap-ui-relay")
    running = RunningRelay(folder / "data", directory_config(slapd, folder / "ldap-secret")).start()
    yield running
    running.stop()


def sign_in_as(window: Any, relay: RunningRelay, drive: Any, name: str, password: str) -> None:
    window.ctx.trust(relay.server, relay.fingerprint)
    view = window.sign_in
    view.server_edit.setText(relay.server)
    view.username_edit.setText(name)
    view.password_edit.setText(password)
    view.submit()


def test_directory_user_signs_in_invites_a_directory_colleague_and_joins(
    window: Any, slapd: Slapd, ldap_relay: RunningRelay, drive: Any, qtbot: Any
) -> None:
    stem = unique_name("ui")
    me, colleague = f"{stem}me", f"{stem}mate"
    slapd.add_person(me, "my directory pw", display=f"Mia {stem}", groups=(USERS_GROUP, HOSTS_GROUP))
    slapd.add_person(colleague, "mate's directory pw", display=f"Matt {stem} Mate")

    sign_in_as(window, ldap_relay, drive, me, "wrong")
    drive.until(lambda: window.sign_in.error_label.isVisible() and window.sign_in.sign_in_button.isEnabled())
    assert window.sign_in.error_label.text() == "Wrong user name or password."
    sign_in_as(window, ldap_relay, drive, me, "my directory pw")
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home screen")
    assert me in window.home.server_label.text()

    room = add_room(ldap_relay)
    dialog = open_booking_dialog(window, drive, qtbot)
    fill(dialog, room, "Directory planning", (int(time.time() // 3600) + 30) * 3600.0)
    picker = dialog.people
    qtbot.keyClicks(picker.query, "m")
    call(drive, picker.search_now)
    assert "at least 2 characters" in picker.hint.text()
    picker.query.setText(f"matt {stem}")
    call(drive, picker.search_now)
    drive.until(lambda: picker.results.count() == 1, what="the colleague from the directory")
    assert picker.results.item(0).text() == f"Matt {stem} Mate ({colleague})"
    call(drive, lambda: picker.add(picker.results.item(0)))
    assert dialog.invitees.text() == colleague
    assert picker.hint.text() == f"Matt {stem} Mate ({colleague}) is invited."
    call(drive, lambda: qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton))
    ui = window.meeting_ui
    drive.until(lambda: ui.service.bookings, what="the booking")
    (booking,) = ui.service.bookings.values()
    assert booking.invitees == [colleague]

    use_synthetic_media(window)
    join_through_ui(window, meeting_link(ldap_relay, me, "Directory call"), drive, qtbot)
    assert window.call.title.text() == "Directory call"
