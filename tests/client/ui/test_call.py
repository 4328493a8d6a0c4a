"""The call screen with a real relay and a headless participant; media from the synthetic session."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from ui_helpers import headless, meeting_link, sign_in

from client.engine.media.fakes import SyntheticMediaSession
from shared.links import parse_link


def use_synthetic_media(window: Any) -> None:
    window.ctx.media.session_factory = partial(SyntheticMediaSession, width=640, height=360, fps=30)


def join_through_ui(window: Any, link: str, drive: Any, qtbot: Any) -> None:
    window.open_link(parse_link(link))
    drive.until(lambda: window.stack.currentWidget() is window.prejoin, what="pre-join screen")
    drive.call(lambda: qtbot.mouseClick(window.prejoin.join_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.stack.currentWidget() is window.call and window.ctx.session.meeting, what="in call")


def remote_tile(window: Any, name: str) -> Any:
    for row in window.call.model.rows:
        if row.name == name:
            return window.call.grid.tile(row.participant_id)
    return None


def test_call_shows_headless_participant_with_frames(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    other = relay.add_user()
    link = meeting_link(relay, me, "Weekly sync")
    join_through_ui(window, link, drive, qtbot)
    assert window.call.title.text() == "Weekly sync"
    assert "Weekly sync" in window.windowTitle()
    with headless(relay, link, other):
        tile = drive.until(lambda: remote_tile(window, other), timeout=30, what="remote tile")
        drive.until(lambda: tile.frames_painted >= 10, what="frames painted")
        # Frames are converted to the tile's size, not painted at 640x360 into a smaller tile.
        assert tile.image.width() <= tile.width() * tile.devicePixelRatioF() + 1
        assert tile.image.height() <= tile.height() * tile.devicePixelRatioF() + 1
        assert window.call.model.rowCount() == 2
        # Self view receives the local camera.
        own = window.call.grid.tile(window.ctx.session.participant_id)
        drive.until(lambda: own.frames_painted >= 3, what="self view")

        # Mute from the keyboard shortcut.
        drive.call(lambda: qtbot.keyClick(window.call, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier))
        drive.until(lambda: window.call.mic_button.isChecked())
        assert own.mic_muted
        assert window.call.mic_button.accessibleName() == "Unmute"
        assert window.ctx.media.session.muted["mic"] is True
        # The active speaker is highlighted from the audio levels.
        drive.until(lambda: tile.speaking, what="speaker highlight")
    drive.until(lambda: remote_tile(window, other) is None, timeout=30, what="tile removed")
    drive.call(lambda: qtbot.mouseClick(window.call.leave_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home after leaving")


def test_call_works_without_media_engine(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise ImportError("no media engine")

    window.ctx.media.session_factory = missing
    me = sign_in(window, relay, drive)
    join_through_ui(window, meeting_link(relay, me), drive, qtbot)
    drive.until(lambda: window.call.error_banner.isVisible())
    assert "not available" in window.call.error_label.text()
    assert window.call.grid.tile(window.ctx.session.participant_id) is not None
    assert "no audio or video" in window.call.quality.accessibleName()
    window.call.toggle_participants()
    assert window.call.side.isVisible()
    assert window.call.participants_panel.heading.text() == "Participants (1)"
    window.call.toggle_chat()
    assert window.call.side.currentWidget() is window.call.chat_panel
    assert window.call.chat_panel.empty.text()
    window.call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_screen_share_without_display_is_a_sentence(
    window: Any, relay: Any, drive: Any, qtbot: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    use_synthetic_media(window)
    me = sign_in(window, relay, drive)
    join_through_ui(window, meeting_link(relay, me), drive, qtbot)
    window.call.share_button.click()
    drive.until(lambda: window.call.error_banner.isVisible())
    assert "no display" in window.call.error_label.text()
    assert not window.call.share_button.isChecked()
    window.call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home)


def test_bad_links_are_sentences(window: Any, relay: Any, drive: Any) -> None:
    sign_in(window, relay, drive)
    window.receive_link("parley://server/x/1")
    assert window.home.error_label.isVisible()
    assert "meeting link" in window.home.error_label.text()
    window.home.link_edit.setText("parley://elsewhere.example:8443/m/abc")
    window.home.join_link()
    assert "another" in window.home.error_label.text() or "elsewhere" in window.home.error_label.text()
    assert window.stack.currentWidget() is window.home


def test_instant_meeting_goes_to_prejoin(window: Any, relay: Any, drive: Any) -> None:
    sign_in(window, relay, drive)
    window.home.instant_button.click()
    drive.until(lambda: window.stack.currentWidget() is window.prejoin)
    assert "meeting" in window.prejoin.title.text()
    # No camera on this machine: the preview uses the test camera and says so.
    assert window.prejoin.problems.isVisible()
    drive.until(lambda: window.prejoin.tile.frames_painted > 0 or window.prejoin.tile.image is not None)
    window.prejoin.camera_off_box.setChecked(True)
    assert window.prejoin.options().camera_on is False
    window.prejoin.cancel()
    assert window.stack.currentWidget() is window.home


def test_link_before_sign_in_is_opened_after(window: Any, relay: Any, drive: Any) -> None:
    host = relay.add_user()
    link = parse_link(meeting_link(relay, host))
    window.open_link(link)
    assert window.pending_link == link
    assert window.sign_in.server_edit.text() == relay.server  # prefilled from the link
    window.ctx.trust(relay.server, relay.fingerprint)
    window.sign_in.username_edit.setText(relay.add_user())
    window.sign_in.password_edit.setText("correct horse")
    window.sign_in.submit()
    drive.until(lambda: window.stack.currentWidget() is window.prejoin, what="pre-join after sign-in")


def test_host_mute_shows_here_and_a_refused_unmute_stays_muted(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    """The host mutes everyone and forbids unmuting: our mic button shows it and our mic is muted
    here too; unmuting is refused with the relay's sentence and the button stays muted; once the
    host allows it, unmuting works."""
    from client.engine.call import ParleyClient
    from client.engine.meetings import MeetingDesk

    use_synthetic_media(window)
    host_name = relay.add_user(display="Hana Host")
    sign_in(window, relay, drive)
    link = meeting_link(relay, host_name, "Town hall")
    host = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    drive.run(host.connect())
    drive.run(host.sign_in(host_name, "correct horse", remember=False))
    drive.run(host.join(link.rsplit("/", 1)[1]))
    try:
        join_through_ui(window, link, drive, qtbot)
        media = window.ctx.media
        drive.until(lambda: media.session is not None and not window.call.mic_button.isChecked(), what="mic on")
        mine = window.ctx.session.participant_id
        drive.run(MeetingDesk(host).mute_all(allow_unmute=False))
        drive.until(lambda: window.call.mic_button.isChecked(), what="our mic shown muted")
        drive.until(lambda: media.session.muted["mic"] is True, what="our mic muted here")
        assert window.call.model.rows[[r.participant_id for r in window.call.model.rows].index(mine)].mic_muted

        drive.call(lambda: qtbot.mouseClick(window.call.mic_button, Qt.MouseButton.LeftButton))  # try to unmute
        drive.until(lambda: window.call.error_banner.isVisible(), what="the refusal")
        assert "does not allow unmuting" in window.call.error_label.text()
        drive.until(lambda: window.call.mic_button.isChecked(), what="the button back to muted")
        assert media.session.muted["mic"] is True and media.muted["mic"] is True
        assert host.participants[mine].muted.get("mic") is True

        drive.run(MeetingDesk(host).host_action("allow_unmute"))
        drive.call(lambda: qtbot.mouseClick(window.call.mic_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: host.participants[mine].muted.get("mic") is False, what="the host to see us unmuted")
        assert not window.call.mic_button.isChecked() and media.session.muted["mic"] is False
    finally:
        drive.run(host.close())
    drive.call(lambda: qtbot.mouseClick(window.call.leave_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home after leaving")
