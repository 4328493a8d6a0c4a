"""What people see when media stalls (issue #14 item 1), in English and Simplified Chinese: the app
on a real relay, its subscribe connection closed under a live call. The tile of the person whose
video stopped says "Video paused — reconnecting…" over its last picture, the quality indicator
says the video is paused (not "Connection: good"), and both clear by themselves once the engine
rebuilt the connection and frames arrive again; no error banner, no technical text."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from test_call import join_through_ui, remote_tile
from test_real_media import use_real_media
from ui_helpers import headless, sign_in

from client.ui.i18n import install_translator
from tests.media_fixtures import start_media_relay

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def media_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    relay = start_media_relay(tmp_path_factory.mktemp("stall-relay"))
    yield relay
    relay.stop()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_stalled_tile_says_so_until_media_is_back(
    window: Any, media_relay: Any, drive: Any, qtbot: Any, language: str
) -> None:
    assert install_translator(QApplication.instance(), language) == language
    try:
        use_real_media(window)
        me = sign_in(window, media_relay, drive)
        guest = media_relay.add_user()
        meeting_id = media_relay.create_meeting(me, "Stall drill")
        link = f"parley://{media_relay.server}/m/{meeting_id}"
        join_through_ui(window, link, drive, qtbot)
        drive.until(lambda: window.ctx.media.active, timeout=20, what="media started")
        with headless(media_relay, link, guest):
            tile = drive.until(lambda: remote_tile(window, guest), timeout=30, what="guest tile")
            drive.until(lambda: tile.frames_painted >= 5, timeout=30, what="guest video painted")
            session = window.ctx.media.session
            drive.until(lambda: session.watchdog.fps((tile.participant_id, "camera")) > 0, 10, "frames per second")
            window.call.refresh_quality()
            assert window.call.quality_level in ("good", "fair")
            assert re.search(r"\d+", window.call.quality.toolTip())  # frames per second per tile

            # The subscribe connection dies under the call.
            old = session.subscribe_pc
            drive.run(old.close())
            drive.until(lambda: tile.stalled, timeout=10, what="the tile to say its video paused")
            window.call.refresh_quality()
            paused = window.call.quality.accessibleName()
            assert window.call.quality_level == "stalled", paused
            assert tile.paused_text() in tile.accessibleName()
            for text in (paused, tile.paused_text()):
                assert bool(CJK.search(text)) == (language == "zh_CN"), text
                assert "closed" not in text and "signaling" not in text
            if language == "en":
                assert tile.paused_text() == "Video paused — reconnecting…"
            assert not tile.grab().isNull()  # paints the label over the last picture

            # Back by itself: frames again, the label and the paused indicator gone, no banner.
            painted = tile.frames_painted
            drive.until(lambda: not tile.stalled and tile.frames_painted > painted + 5, 30, "video back")
            assert session.subscribe_pc is not old
            window.call.refresh_quality()
            assert window.call.quality_level != "stalled", window.call.quality.accessibleName()
            assert not window.call.error_banner.isVisible(), window.call.error_label.text()
        window.call.leave()
        drive.until(lambda: window.stack.currentWidget() is window.home, timeout=20, what="home after leaving")
    finally:
        install_translator(QApplication.instance(), "en")  # the QApplication is shared by every test
        drive.run(asyncio.sleep(0))
