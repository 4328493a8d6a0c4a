"""Two shares (issue #19 item 8) in the app, against a real relay with real media: Share while Bob
shares asks "Bob is already sharing. Take over?"; taking over stops Bob's share and the stage
shows ours to him; when Bob shares again, ours stops and we are told who shares now."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from test_call import join_through_ui
from ui_helpers import sign_in

from tests.media_fixtures import SMALL, frames, join, leave, start_media_relay

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def share_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    relay = start_media_relay(tmp_path_factory.mktemp("share-ui"))
    yield relay
    relay.stop()


def test_share_takes_over_after_asking(
    window: Any, share_relay: Any, drive: Any, qtbot: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    import client.ui.call as call_module
    from client.engine.media.session import MediaSession

    relay = share_relay
    window.ctx.media.session_factory = lambda client, **_: MediaSession(client, camera="none", mic="synthetic", **SMALL)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(call_module, "list_devices", lambda: {"monitors": []})
    call, ui = window.call, window.in_call
    share = call.share
    monkeypatch.setattr(call, "share", lambda _monitor: share(0))  # a synthetic screen (monitor 0)

    me = sign_in(window, relay, drive, relay.add_user(display="Ann"))
    meeting = relay.create_meeting(me, "Review")
    bob_client, bob = drive.run(
        join(relay, relay.add_user(display="Bob"), meeting, camera="none", screen=True, screen_monitor=0), timeout=40
    )
    bob_id = bob_client.participant_id
    try:
        join_through_ui(window, f"parley://{relay.server}/m/{meeting}", drive, qtbot)
        drive.until(lambda: call.grid.tile(bob_id, "screen") is not None, timeout=30, what="Bob's share on stage")
        assert ui.share_guard.someone_sharing() == "Bob"

        drive.call(lambda: qtbot.mouseClick(call.share_button, Qt.MouseButton.LeftButton))
        question = drive.until(lambda: ui.share_guard.question, what="the question")
        assert question.isVisible() and question.text() == "Bob is already sharing. Take over? Their share stops."
        assert not window.ctx.media.sharing and not call.share_button.isChecked()
        drive.call(lambda: ui.share_guard.take_over_button.click())
        drive.until(lambda: window.ctx.media.sharing and call.share_button.isChecked(), what="sharing")
        drive.until(lambda: not bob.screen and "screen" not in bob.local_tracks, timeout=20, what="Bob's share off")
        drive.until(lambda: call.grid.tile(bob_id, "screen") is None, timeout=20, what="Bob's share off the stage")
        mine = window.ctx.session.participant_id
        drive.until(lambda: frames(bob, mine, "screen") > 2, timeout=30, what="Bob sees our share")

        # Bob shares again: ours stops, and we are told why.
        drive.run(bob.start_screen_share(0))
        drive.until(lambda: not window.ctx.media.sharing, timeout=20, what="our share stopped")
        assert not call.share_button.isChecked()
        drive.until(lambda: "Bob is sharing their screen now" in ui.notice.text(), what="the notice")
        drive.until(lambda: call.grid.tile(bob_id, "screen") is not None, timeout=30, what="Bob's share back")
        assert not call.error_banner.isVisible()
        call.leave()
        drive.until(lambda: window.stack.currentWidget() is window.home)
    finally:
        drive.run(leave(bob_client, bob), timeout=30)


def test_files_badge_counts_offers_while_the_panel_is_closed(
    window: Any, share_relay: Any, drive: Any, qtbot: Any, tmp_path: Path
) -> None:
    """Unread files: a number on Files for each file offered while the panel was closed; opening
    the panel clears it."""
    from client.engine.media.session import MediaSession
    from tests.client.files_helpers import file_participant, random_file, wait_keys

    relay = share_relay
    window.ctx.media.session_factory = lambda client, **_: MediaSession(client, camera="none", mic="synthetic", **SMALL)
    me = sign_in(window, relay, drive, relay.add_user(display="Ann"))
    meeting = relay.create_meeting(me, "Files")
    join_through_ui(window, f"parley://{relay.server}/m/{meeting}", drive, qtbot)
    call, ui, controller = window.call, window.in_call, window.chat_files
    drive.until(lambda: controller.files is not None, timeout=30, what="file service started")
    bob_client, bob_session, bob_files = drive.run(
        file_participant(relay, relay.add_user(display="Bob"), meeting), timeout=40
    )
    try:
        drive.run(wait_keys(controller.files, 1))
        drive.run(wait_keys(bob_files, 1))
        offered = tmp_path / "notes.txt"
        random_file(offered, 2000)
        drive.run(bob_files.send_file(offered))
        drive.until(lambda: ui.files_badge.isVisible() and ui.files_badge.text() == "1", what="one new file")
        assert call.files_button.accessibleDescription() == "1 new files"
        for dialog in list(controller.dialogs.values()):
            dialog.reject()
        drive.call(lambda: qtbot.mouseClick(call.files_button, Qt.MouseButton.LeftButton))
        assert call.side.currentWidget() is call.files_panel and not ui.files_badge.isVisible()
        call.leave()
        drive.until(lambda: window.stack.currentWidget() is window.home)
    finally:
        drive.run(bob_files.stop())
        drive.run(leave(bob_client, bob_session), timeout=30)
