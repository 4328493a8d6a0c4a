"""The meeting around the call screen as a person uses it (issue #19), against a real relay on
loopback with engine participants on the same loop: shortcuts pressed twice, one raise hand seen
by another participant, the host's lock and lobby state, the lobby knock, join and leave notices,
unread chat, and Leave or end for everyone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Qt
from test_call import join_through_ui, use_synthetic_media
from ui_helpers import meeting_link, sign_in

from client.engine import events as ev
from client.engine.call import ParleyClient
from client.engine.chat import ChatService
from client.engine.meetings import MeetingDesk


def click(drive: Any, qtbot: Any, button: Any) -> None:
    drive.call(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))


CTRL = Qt.KeyboardModifier.ControlModifier


def press(drive: Any, qtbot: Any, window: Any, key: Qt.Key, shift: bool = False) -> None:
    modifiers = Qt.KeyboardModifier.ControlModifier
    if shift:
        modifiers |= Qt.KeyboardModifier.ShiftModifier
    drive.call(lambda: qtbot.keyClick(window.call, key, modifiers))


@contextmanager
def person(relay: Any, drive: Any, display: str) -> Iterator[ParleyClient]:
    """Someone else, signed in with the engine (no window), closed at the end."""
    name = relay.add_user(display=display)
    client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    drive.run(client.connect())
    drive.run(client.sign_in(name, "correct horse", remember=False))
    try:
        yield client
    finally:
        drive.run(client.close())


def my_hand_at_relay(window: Any) -> bool:
    state = window.meeting_ui.service.state
    return state is not None and window.ctx.session.participant_id in state.hands


def row_text(window: Any, participant_id: str) -> str:
    model = window.call.model
    return str(model.data(model.index(model.find(participant_id)), Qt.ItemDataRole.DisplayRole))


def test_shortcuts_work_every_time(window: Any, relay: Any, drive: Any, qtbot: Any, monkeypatch: Any) -> None:
    """Ctrl+D, Ctrl+E, Ctrl+Shift+S and Ctrl+Shift+H pressed twice each: on, then off again
    (setText() used to replace each button's shortcut with its label's mnemonic)."""
    import client.ui.call as call_module

    monkeypatch.setenv("DISPLAY", ":0")  # the synthetic session "shares" without a screen
    monkeypatch.setattr(call_module, "list_devices", lambda: {"monitors": [{"width": 1280, "height": 800}]})
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    join_through_ui(window, meeting_link(relay, me), drive, qtbot)
    call, media = window.call, window.ctx.media
    drive.until(lambda: media.session is not None, what="media started")
    window.activateWindow()

    for _ in range(2):
        press(drive, qtbot, window, Qt.Key.Key_D)
        drive.until(lambda: call.mic_button.isChecked() and media.session.muted["mic"], what="muted")
        press(drive, qtbot, window, Qt.Key.Key_D)
        drive.until(lambda: not call.mic_button.isChecked() and not media.session.muted["mic"], what="unmuted")
    assert call.mic_button.text() == "Mute"

    for _ in range(2):
        press(drive, qtbot, window, Qt.Key.Key_E)
        drive.until(lambda: call.camera_button.isChecked() and media.muted["camera"], what="video stopped")
        press(drive, qtbot, window, Qt.Key.Key_E)
        drive.until(lambda: not call.camera_button.isChecked() and not media.muted["camera"], what="video again")

    mini = window.stage_ui.mini  # while sharing the main window is minimised and this one is on top
    for _ in range(2):
        press(drive, qtbot, window, Qt.Key.Key_S, shift=True)
        drive.until(lambda: media.sharing and call.share_button.isChecked() and mini.isVisible(), what="sharing")
        drive.call(lambda: qtbot.keyClick(mini, Qt.Key.Key_S, CTRL | Qt.KeyboardModifier.ShiftModifier))
        drive.until(lambda: not media.sharing and not call.share_button.isChecked(), what="sharing stopped")
        drive.until(lambda: not mini.isVisible() and not window.isMinimized(), what="the main window back")
        drive.until(window.isActiveWindow, what="the main window active again")

    for _ in range(2):
        press(drive, qtbot, window, Qt.Key.Key_H, shift=True)
        drive.until(lambda: my_hand_at_relay(window), what="hand raised at the relay")
        assert call.hand_button.isChecked() and call.hand_button.text() == "Lower hand"
        press(drive, qtbot, window, Qt.Key.Key_H, shift=True)
        drive.until(lambda: not my_hand_at_relay(window), what="hand lowered at the relay")
        assert not call.hand_button.isChecked() and call.hand_button.text() == "Raise hand"
    call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_hand_raised_from_the_bar_is_seen_by_others(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    """One raise hand: the bar's button reaches the relay like the panel's, and both show the
    relay's answer; a hand raised elsewhere shows on our screen."""
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    link = meeting_link(relay, me, "Hands")
    meeting_id = link.rsplit("/", 1)[1]
    join_through_ui(window, link, drive, qtbot)
    call = window.call
    panel_hand = window.meeting_ui.controls.hand_button
    mine = window.ctx.session.participant_id
    with person(relay, drive, "Bea") as bea:
        bea_id = drive.run(bea.join(meeting_id)).participant_id
        drive.until(lambda: call.model.get(bea_id) is not None, what="Bea in the list")

        click(drive, qtbot, call.hand_button)
        drive.until(lambda: bea.participants[mine].hand_raised_at > 0, what="Bea sees our hand")
        drive.until(lambda: panel_hand.isChecked(), what="the panel's button agrees")
        assert call.model.get(mine).hand_raised and call.grid.tile(mine).hand_raised

        click(drive, qtbot, panel_hand)  # lowered from the panel: the bar follows
        drive.until(lambda: bea.participants[mine].hand_raised_at == 0, what="Bea sees it lowered")
        drive.until(lambda: not call.hand_button.isChecked(), what="the bar's button follows")

        drive.run(MeetingDesk(bea).raise_hand(True))
        drive.until(lambda: call.model.get(bea_id).hand_raised, what="Bea's hand on our screen")
        assert "hand raised" in row_text(window, bea_id)
    call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_host_sees_lock_lobby_cohost_and_header(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    link = meeting_link(relay, me, "State")
    meeting_id = link.rsplit("/", 1)[1]
    join_through_ui(window, link, drive, qtbot)
    call, ui = window.call, window.in_call
    controls = window.meeting_ui.controls
    drive.until(lambda: ui.elapsed.text().startswith("00:"), what="time in the call")
    with person(relay, drive, "Cy") as cy:
        cy_id = drive.run(cy.join(meeting_id)).participant_id
        drive.until(lambda: "2" in ui.count.text(), what="two people in the header")
        assert ui.count.accessibleName() == "2 people in the meeting"

        call.toggle_participants()
        click(drive, qtbot, controls.lock_button)
        drive.until(lambda: controls.lock_button.isChecked() and ui.lock.isVisible(), what="locked shown")
        assert controls.lock_button.text() == "Locked" and "unlock" in controls.lock_button.toolTip()
        click(drive, qtbot, controls.lock_button)
        drive.until(lambda: not controls.lock_button.isChecked() and not ui.lock.isVisible(), what="unlocked")
        assert controls.lock_button.text() == "Lock"

        click(drive, qtbot, controls.lobby_button)
        drive.until(lambda: controls.lobby_button.text() == "Lobby on", what="lobby on, as the relay says")
        assert controls.lobby_button.isChecked()

        view = call.participants_panel.view
        view.setCurrentIndex(call.model.index(call.model.find(cy_id)))
        click(drive, qtbot, controls.person_buttons["make_cohost"])
        drive.until(lambda: "co-host" in row_text(window, cy_id), what="co-host in the row")
    call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_knock_toast_admits_with_the_panel_closed(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    link = meeting_link(relay, me, "Knock")
    meeting_id = link.rsplit("/", 1)[1]
    join_through_ui(window, link, drive, qtbot)
    call, ui = window.call, window.in_call
    drive.run(MeetingDesk(window.ctx.session.client).host_action("lobby_on"))
    assert not call.side.isVisible()
    with person(relay, drive, "Dana") as dana:
        joining = asyncio.ensure_future(dana.join(meeting_id, lobby_timeout=30))
        drive.until(lambda: ui.toast.isVisible(), what="the knock toast")
        assert ui.toast.text.text() == "Dana is waiting in the lobby." and ui.toast.knocks == 1
        assert ui.waiting_badge.isVisible() and ui.waiting_badge.text() == "1"
        assert "1 waiting" in call.participants_button.accessibleDescription()
        click(drive, qtbot, call.participants_button)  # the panel lists Dana: no toast meanwhile
        assert not ui.toast.isVisible() and window.meeting_ui.lobby.list.count() == 1
        click(drive, qtbot, call.participants_button)
        assert ui.toast.isVisible()
        click(drive, qtbot, ui.toast.admit_button)
        joined = drive.run(joining)
        drive.until(lambda: call.model.get(joined.participant_id) is not None, what="Dana in the call")
        drive.until(lambda: not ui.toast.isVisible() and not ui.waiting_badge.isVisible(), what="toast gone")
    call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_notices_and_unread_chat(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    link = meeting_link(relay, me, "Notices")
    meeting_id = link.rsplit("/", 1)[1]
    join_through_ui(window, link, drive, qtbot)
    call, ui = window.call, window.in_call
    with person(relay, drive, "Eve") as eve:
        drive.run(eve.join(meeting_id))
        drive.until(lambda: "Eve joined." in ui.notice.shown, what="join notice")
        assert ui.notice.isVisible() and ui.notice.text() == "Eve joined."
        chat = ChatService(eve)
        drive.run(chat.start())
        drive.until(lambda: window.chat_files.chat is not None, what="our chat started")
        drive.run(chat.send("Hello"))
        drive.run(chat.send("Anyone?"))
        drive.until(lambda: ui.chat_badge.text() == "2" and ui.chat_badge.isVisible(), what="two unread")
        assert call.chat_button.accessibleDescription() == "2 unread messages"
        click(drive, qtbot, call.chat_button)
        assert not ui.chat_badge.isVisible() and call.chat_panel.entries[-1][2] == "Anyone?"
        drive.run(chat.send("Seen now"))  # read as it comes: no badge
        drive.until(lambda: call.chat_panel.entries[-1][2] == "Seen now")
        assert not ui.chat_badge.isVisible()
        left = asyncio.ensure_future(
            window.ctx.session.client.wait_for(lambda e: isinstance(e, ev.ParticipantDeparted), 10)
        )
        drive.run(eve.leave())
        drive.run(left)
        drive.until(lambda: "Eve left." in ui.notice.shown, what="leave notice")
    call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_join_notices_are_quiet_in_big_meetings(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    from client.ui.models import ParticipantRow
    from client.ui.notices import QUIET_ABOVE

    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    link = meeting_link(relay, me, "Town hall")
    join_through_ui(window, link, drive, qtbot)
    ui = window.in_call
    for i in range(QUIET_ABOVE):  # as if ten more were here (rows only: the relay is not asked)
        window.call.model.upsert(ParticipantRow(participant_id=f"x{i}", name=f"Person {i}"))
    with person(relay, drive, "Fay") as fay:
        fay_id = drive.run(fay.join(link.rsplit("/", 1)[1])).participant_id
        drive.until(lambda: window.call.model.get(fay_id) is not None, what="Fay in the list")
        assert "Fay joined." not in ui.notice.shown
    window.call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_organiser_leaves_rejoins_as_host_and_ends_for_everyone(
    window: Any, relay: Any, drive: Any, qtbot: Any
) -> None:
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    link = meeting_link(relay, me, "Weekly")
    meeting_id = link.rsplit("/", 1)[1]
    join_through_ui(window, link, drive, qtbot)
    call, ui = window.call, window.in_call
    with person(relay, drive, "Gus") as gus:
        gus_id = drive.run(gus.join(meeting_id)).participant_id
        drive.until(lambda: call.model.get(gus_id) is not None, what="Gus in the list")
        started = drive.until(lambda: ui.started_at, what="the meeting's start from the relay")

        click(drive, qtbot, call.leave_button)  # the host chooses
        drive.until(lambda: ui.leave_menu.isVisible(), what="Leave or end")
        assert [a.text() for a in ui.leave_menu.actions()] == ["Leave meeting", "End meeting for everyone"]
        drive.call(ui.leave_action.trigger)
        drive.until(lambda: window.stack.currentWidget() is window.home, what="home after leaving")
        drive.until(lambda: gus.participants[gus_id].role == "host", what="Gus holds the meeting")

        join_through_ui(window, link, drive, qtbot)  # back: host again
        mine = window.ctx.session.participant_id
        drive.until(lambda: call.model.get(mine) is not None and call.model.get(mine).role == "host", what="host")
        drive.until(lambda: gus.participants[gus_id].role == "participant", what="Gus a participant again")
        # The header's time counts from the meeting's start, not from our coming back.
        drive.until(lambda: ui.started_at == started, what="the same start")
        assert ui.elapsed.text().startswith("00:")

        ended = asyncio.ensure_future(gus.wait_for(lambda e: isinstance(e, ev.MeetingLeft) and e.reason == "ended"))
        press(drive, qtbot, window, Qt.Key.Key_L, shift=True)
        drive.until(lambda: ui.leave_menu.isVisible(), what="Leave or end, from the keyboard")
        drive.call(ui.end_action.trigger)
        drive.run(ended)
        drive.until(lambda: window.stack.currentWidget() is window.home, what="home after ending")
