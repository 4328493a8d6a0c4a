"""Errors in the desktop app, in English and Simplified Chinese: a full disk, a refused port, a
certificate that is not the one trusted and a relay that died each read as their own translated
sentence, never technical text; the sign-in screen offers the technical text behind "Details"."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from client.engine import events as ev
from client.engine.call import ParleyClient
from client.engine.credentials import TokenStore
from client.ui.error_text import event_sentence
from client.ui.i18n import install_translator
from tests.conftest import RunningRelay
from tests.full_disk import full_tmpfs
from tests.test_reconnect import free_port

TECHNICAL = re.compile(r"Errno|Traceback|Connect call failed|OSError|SSL")
CJK = re.compile(r"[\u4e00-\u9fff]")


def fill(win: Any, server: str, user: str, password: str) -> None:
    view = win.sign_in
    view.server_edit.setText(server)
    view.username_edit.setText(user)
    view.password_edit.setText(password)


def sign_in_error(window: Any, drive: Any, server: str, user: str) -> str:
    view = window.sign_in
    view.error_label.clear()
    view.error_label.hide()
    fill(window, server, user, "correct horse")
    view.submit()
    drive.until(lambda: view.error_label.isVisible() and view.sign_in_button.isEnabled(), 30, "an error")
    return str(view.error_label.property("parleySentence") or view.error_label.text())


def dead_relay_sentence(tmp_path: Path, drive: Any) -> tuple[str, str]:
    """A relay dies under a signed-in client, which gives up reconnecting: the sentence it shows."""
    dying = RunningRelay(tmp_path / "dying", port=free_port()).start()
    client = ParleyClient(dying.server, fingerprint=dying.fingerprint, token_store=TokenStore(tmp_path / "d.json"))
    client.reconnector.give_up_after = 2.0
    try:
        name = dying.add_user()

        async def story() -> ev.EngineEvent:
            await client.connect()
            await client.sign_in(name, "correct horse", remember=False)
            gone = client.wait_for(lambda e: isinstance(e, ev.Disconnected), 30)
            dying.stop(signal.SIGKILL)
            return await gone

        event = drive.run(story(), timeout=40)
        return event_sentence(event), dying.server
    finally:
        drive.run(client.close())
        dying.stop()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_four_failures_four_translated_sentences(
    window: Any, relay: Any, drive: Any, tmp_path: Path, language: str
) -> None:
    assert install_translator(QApplication.instance(), language) == language
    try:
        sentences: dict[str, str] = {}
        # A port where nothing listens: its sentence, and the technical text behind "Details".
        refused_server = f"127.0.0.1:{free_port()}"
        window.ctx.trust(refused_server, "AB" * 32)
        sentences["refused"] = sign_in_error(window, drive, refused_server, "someone")
        label = window.sign_in.error_label
        assert 'href="#details"' in label.text()
        drive.call(lambda: label.linkActivated.emit("#details"))
        assert "Connect call failed" in label.text() or "111" in label.text()
        drive.call(lambda: label.linkActivated.emit("#hide"))
        assert "Connect call failed" not in label.text()

        # A certificate other than the one trusted for this server.
        window.ctx.trust(relay.server, "CD" * 32)
        sentences["certificate"] = sign_in_error(window, drive, relay.server, relay.add_user())

        # A full disk where the sign-in is remembered.
        window.ctx.trust(relay.server, relay.fingerprint)
        with full_tmpfs(tmp_path) as mount:
            window.ctx.session.token_store = TokenStore(mount / "parley" / "tokens.json", use_keyring=False)
            window.sign_in.remember_box.setChecked(True)
            sentences["disk"] = sign_in_error(window, drive, relay.server, relay.add_user())

        sentences["dead"], dead_server = dead_relay_sentence(tmp_path, drive)

        assert len(set(sentences.values())) == 4, sentences
        for what, text in sentences.items():
            assert text and not TECHNICAL.search(text), (what, text)
            assert bool(CJK.search(text)) == (language == "zh_CN"), (what, text)
        assert refused_server in sentences["refused"] and dead_server in sentences["dead"]
        assert str(mount / "parley" / "tokens.json") in sentences["disk"]
        if language == "en":
            assert "refused the connection" in sentences["refused"]
            assert "does not match the one you trusted" in sentences["certificate"]
            assert "disk is full" in sentences["disk"]
            assert "stopped answering" in sentences["dead"]
    finally:
        install_translator(QApplication.instance(), "en")  # the QApplication is shared by every test
        drive.run(asyncio.sleep(0))
