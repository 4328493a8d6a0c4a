"""Faults during a call: the server disappears (a banner while the engine reconnects, gone once it
is back) and the camera stops delivering (a sentence, the call goes on)."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_call import join_through_ui, use_synthetic_media
from ui_helpers import meeting_link, sign_in

from tests.conftest import RunningRelay


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_relay(tmp_path: Path) -> Iterator[RunningRelay]:
    """A relay on a fixed port, so it can be killed and started again at the same address."""
    relay = RunningRelay(tmp_path / "data", "[backup]\ninterval_hours = 0\n", port=free_port()).start()
    yield relay
    relay.stop()


def test_reconnect_banner_while_server_is_gone(window: Any, own_relay: RunningRelay, drive: Any, qtbot: Any) -> None:
    use_synthetic_media(window)
    me = sign_in(window, own_relay, drive)
    join_through_ui(window, meeting_link(own_relay, me, "Outage drill"), drive, qtbot)
    call = window.call
    assert not call.banner.isVisible()

    own_relay.stop(signal.SIGKILL)
    drive.until(lambda: call.banner.isVisible(), timeout=20, what="reconnect banner")
    assert "Reconnecting" in call.banner_label.text()
    assert call.quality_level == "poor" and "lost" in call.quality.accessibleName()
    assert window.stack.currentWidget() is call  # still in the call, controls usable

    own_relay.start()
    drive.until(lambda: not call.banner.isVisible(), timeout=40, what="banner gone after reconnecting")
    assert window.stack.currentWidget() is call
    drive.until(lambda: window.ctx.session.meeting is not None, timeout=10, what="back in the meeting")
    call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home, timeout=20, what="home after leaving")
