"""The app with the real media engine (client/engine/media/session.py) on a real relay: a headless
participant's video is painted in its tile, the other side sees our mute, and a screen shared from
an Xvfb display arrives at another participant; the connection-quality indicator reads real stats."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from test_call import join_through_ui, remote_tile
from ui_helpers import headless, sign_in, xvfb

from tests.media_fixtures import SMALL, frames, join, start_media_relay


@pytest.fixture(scope="module")
def media_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    relay = start_media_relay(tmp_path_factory.mktemp("media-relay"))
    yield relay
    relay.stop()


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private X server to share from (the tests' Qt itself stays offscreen)."""
    with xvfb("1600x900x24") as name:
        monkeypatch.setenv("DISPLAY", name)
        yield name


def use_real_media(window: Any) -> None:
    from client.engine.media.session import MediaSession

    window.ctx.media.session_factory = partial(MediaSession, **SMALL)


def test_real_call_frames_mute_and_screen(window: Any, media_relay: Any, drive: Any, qtbot: Any, display: str) -> None:
    use_real_media(window)
    me = sign_in(window, media_relay, drive)
    guest, watcher = media_relay.add_user(), media_relay.add_user()
    meeting_id = media_relay.create_meeting(me, "Design review")
    link = f"parley://{media_relay.server}/m/{meeting_id}"
    join_through_ui(window, link, drive, qtbot)
    drive.until(lambda: window.ctx.media.active, timeout=20, what="media started")
    with headless(media_relay, link, guest):
        tile = drive.until(lambda: remote_tile(window, guest), timeout=30, what="guest tile")
        drive.until(lambda: tile.frames_painted >= 5, timeout=30, what="guest video painted")
        assert not tile.image.isNull() and tile.image.width() <= tile.width() * tile.devicePixelRatioF() + 1

        client, session = drive.run(join(media_relay, watcher, meeting_id, camera="none", mic="none"))
        try:
            mine = window.ctx.session.participant_id
            window.call.mic_button.click()  # mute
            drive.until(
                lambda: client.participants.get(mine) and client.participants[mine].muted.get("mic"),
                timeout=15,
                what="the other side to see us muted",
            )
            window.call.share_button.click()  # one monitor on the Xvfb display: shared at once
            drive.until(lambda: window.call.share_button.isChecked(), timeout=15, what="sharing")
            drive.until(lambda: frames(session, mine, "screen") >= 3, timeout=20, what="our screen at the other side")
            assert not window.call.error_banner.isVisible(), window.call.error_label.text()
            # Connection quality from real statistics: the relay's receiver reports give a round trip.
            drive.until(lambda: window.ctx.media.stats().get("rtt_ms") is not None, timeout=10, what="round trip")
            assert 0.0 <= window.ctx.media.stats()["packet_loss"] <= 1.0
            window.call.refresh_quality()
            assert window.call.quality_level == "good", window.call.quality.accessibleName()
            window.call.share_button.click()  # stop sharing
            drive.until(lambda: not window.ctx.media.sharing, timeout=10, what="sharing stopped")
        finally:
            drive.run(session.stop())
            drive.run(client.close())
    window.call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home, timeout=20, what="home after leaving")
