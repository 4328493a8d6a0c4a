"""Sign-in refusals people must understand: a locked account and a client too old (or new) for the relay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.conftest import RunningRelay

# Low limits so that two failed sign-ins lock the account (the delay between them stays short).
LOCKING = """
[limits]
login_free_failures = 1
login_max_delay_seconds = 0.2
login_lock_after = 2
login_lock_seconds = 600
"""


@pytest.fixture
def locking_relay(tmp_path: Path) -> Iterator[RunningRelay]:
    running = RunningRelay(tmp_path / "data", LOCKING).start()
    yield running
    running.stop()


def attempt(window: Any, drive: Any, qtbot: Any, server: str, user: str, password: str) -> str:
    view = window.sign_in
    view.server_edit.setText(server)
    view.username_edit.setText(user)
    view.password_edit.setText(password)
    view.error_label.hide()
    drive.call(lambda: qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: view.error_label.isVisible() and view.sign_in_button.isEnabled(), what="a sentence")
    return str(view.error_label.text())


# The relay comes first so that it stops after the window has closed its connection (else stop waits).
def test_locked_account_is_a_sentence(locking_relay: RunningRelay, window: Any, drive: Any, qtbot: Any) -> None:
    relay = locking_relay
    name = relay.add_user()
    window.ctx.trust(relay.server, relay.fingerprint)
    texts = []
    # Failures until the relay locks the account (it may first ask to wait between attempts).
    for _ in range(6):
        texts.append(attempt(window, drive, qtbot, relay.server, name, "wrong password"))
        if "locked" in texts[-1]:
            break
    else:
        raise AssertionError(f"the account was never locked: {texts}")
    assert texts[0] == "Wrong user name or password."
    # Now even the right password is refused, with a sentence saying why and for how long.
    text = attempt(window, drive, qtbot, relay.server, name, "correct horse")
    assert "This account is locked after too many failed sign-ins" in text
    assert "Try again in" in text and "Traceback" not in text
    assert window.stack.currentWidget() is window.sign_in


def test_version_mismatch_is_a_sentence(
    window: Any, relay: RunningRelay, drive: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.protocol import messages as m

    name = relay.add_user()
    window.ctx.trust(relay.server, relay.fingerprint)
    # This client speaks a protocol the relay (a separate process) does not.
    monkeypatch.setattr(m, "PROTOCOL_VERSION", m.PROTOCOL_VERSION + 1)
    text = attempt(window, drive, qtbot, relay.server, name, "correct horse")
    assert text.startswith("This version of Parley cannot talk to the server")
    assert f"the server speaks version {m.PROTOCOL_VERSION - 1}" in text
    assert window.stack.currentWidget() is window.sign_in
