"""The call screen's chat and files panels against a real relay, with an engine participant (Bob)
on the same loop: chat to everyone and privately, file offers with the key fingerprint, accept,
decline, progress, cancel, open folder."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from test_call import join_through_ui
from ui_helpers import sign_in

from client.engine import events as ev
from client.engine.chat import ChatService
from shared.e2e import key_fingerprint
from tests.client.files_helpers import file_participant, final, random_file, sha256, wait_keys
from tests.media_fixtures import SMALL, leave, start_media_relay


@pytest.fixture(scope="module")
def files_ui_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    relay = start_media_relay(tmp_path_factory.mktemp("chat-files-ui"))
    yield relay
    relay.stop()


def use_light_media(window: Any) -> None:
    from client.engine.media.session import MediaSession

    def factory(client: Any, **_ignored: Any) -> Any:
        return MediaSession(client, camera="none", mic="synthetic", **SMALL)

    window.ctx.media.session_factory = factory


def click(drive: Any, qtbot: Any, button: Any) -> None:
    drive.call(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))


def test_chat_and_files_panels(window: Any, files_ui_relay: Any, drive: Any, qtbot: Any, tmp_path: Path) -> None:
    relay = files_ui_relay
    use_light_media(window)
    window.ctx.settings.downloads_dir = str(tmp_path / "app-downloads")
    me = sign_in(window, relay, drive, relay.add_user(display="Ann"))
    meeting = relay.create_meeting(me)
    join_through_ui(window, f"parley://{relay.server}/m/{meeting}", drive, qtbot)
    call = window.call
    controller = call.chat_files
    drive.until(lambda: controller.files is not None, timeout=30, what="file service started")

    bob_name = relay.add_user(display="Bob")
    bob_client, bob_session, bob_files = drive.run(
        file_participant(relay, bob_name, meeting, download_dir=tmp_path / "bob-downloads"), timeout=40
    )
    bob_chat = ChatService(bob_client)
    drive.run(bob_chat.start())
    bob_id = bob_client.participant_id
    try:
        drive.run(wait_keys(controller.files, 1))
        drive.run(wait_keys(bob_files, 1))

        # --- chat: to everyone, then privately, both ways -------------------------------------
        call.toggle_chat()
        chat = call.chat_panel
        assert chat.edit.isEnabled()
        drive.until(lambda: chat.to.findData(bob_id) >= 0, what="Bob in the recipient list")
        chat.edit.setText("Hello everyone")
        heard = asyncio.ensure_future(bob_client.wait_for(lambda e: isinstance(e, ev.ChatMessageReceived), 20))
        click(drive, qtbot, chat.send_button)
        got = drive.run(heard).message
        assert got.text == "Hello everyone" and got.from_name == "Ann" and not got.to_participant_id
        # Our own line appears when the relay's echo comes back, which may be after Bob heard it.
        drive.until(lambda: chat.entries[-1][1:] == ("You", "Hello everyone"))

        chat.to.setCurrentIndex(chat.to.findData(bob_id))
        chat.edit.setText("Just for you")
        heard = asyncio.ensure_future(
            bob_client.wait_for(lambda e: isinstance(e, ev.ChatMessageReceived) and e.message.to_participant_id, 20)
        )
        click(drive, qtbot, chat.send_button)
        assert drive.run(heard).message.text == "Just for you"
        drive.until(lambda: chat.entries[-1][1:] == ("You to Bob (privately)", "Just for you"))
        drive.run(bob_chat.send("Private answer", to=window.ctx.session.participant_id))
        drive.until(lambda: chat.entries[-1][1:] == ("Bob (privately)", "Private answer"))

        # --- a file offered by Bob: the dialog shows his key's fingerprint; accept; open folder -
        call.toggle_files()
        panel = call.files_panel
        assert panel.send_button.isEnabled()
        assert panel.own_key.text().endswith(key_fingerprint(controller.files.keypair.public_bytes))
        offered = tmp_path / "agenda.pdf"
        digest = random_file(offered, 700_000)
        first = asyncio.ensure_future(bob_client.wait_for(lambda e: final(e, "outgoing"), 40))
        drive.run(bob_files.send_file(offered))
        dialog = drive.until(lambda: next(iter(controller.dialogs.values()), None), what="offer dialog")
        assert "Bob offers you agenda.pdf" in dialog.text.text()
        assert key_fingerprint(bob_files.keypair.public_bytes) in dialog.fingerprint.text()
        row = next(r for r in panel.rows.values() if r.direction == "incoming")
        assert row.accept_button.isVisible() and row.decline_button.isVisible()
        click(drive, qtbot, dialog.accept_button)
        drive.until(lambda: row.open_button.isVisible(), timeout=30, what="file complete")
        assert row.progress.value() == 1000 and not controller.dialogs
        saved = Path(row.path)
        assert saved.parent == tmp_path / "app-downloads" and sha256(saved) == digest
        opened: list[Path] = []
        controller.open_folder = opened.append
        click(drive, qtbot, row.open_button)
        assert opened == [tmp_path / "app-downloads"]

        assert drive.run(first).state == "complete"  # Bob heard it arrived

        # --- a second offer, declined from the panel's row --------------------------------------
        sent = asyncio.ensure_future(bob_client.wait_for(lambda e: final(e, "outgoing"), 20))
        drive.run(bob_files.send_file(offered))
        row = drive.until(
            lambda: next((r for r in panel.rows.values() if r.accept_button.isVisible()), None), what="second offer"
        )
        click(drive, qtbot, row.decline_button)
        assert drive.run(sent).state == "declined"
        drive.until(lambda: not controller.dialogs, what="dialog closed")

        # --- a file to Bob privately: progress with speed and time left, then cancel -----------
        big = tmp_path / "video.bin"
        random_file(big, 30_000_000)
        cancelled = asyncio.ensure_future(
            bob_client.wait_for(lambda e: final(e, "incoming", ("cancelled", "complete")), 60)
        )
        panel.to.setCurrentIndex(panel.to.findData(bob_id))
        drive.call(lambda: panel.send_requested.emit(str(big), panel.to.recipient() or ""))
        row = drive.until(
            lambda: next(
                (r for r in panel.rows.values() if r.direction == "outgoing" and "left" in r.status.text()), None
            ),
            timeout=30,
            what="progress with time left",
        )
        assert "/s" in row.status.text() and "video.bin to Bob" in row.title.text()
        click(drive, qtbot, row.cancel_button)
        assert drive.run(cancelled).state == "cancelled"
        drive.until(lambda: not row.cancel_button.isVisible(), what="cancel button gone")
        assert not list((tmp_path / "bob-downloads").glob("video*"))
        assert not list((tmp_path / "bob-downloads").glob(".*parley-part"))
    finally:
        bob_chat.close()
        drive.run(bob_files.stop())
        drive.run(leave(bob_client, bob_session))
    window.call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home after leaving")
    assert not call.chat_panel.edit.isEnabled() and not call.files_panel.send_button.isEnabled()


def test_transfer_row_shows_why_a_transfer_waits(qapp: Any) -> None:
    """A transfer that waits (the server restarted) says so instead of a speed it does not have."""
    from client.engine import events as ev
    from client.ui.panels import FilesPanel

    panel = FilesPanel()

    def changed(**kw: Any) -> ev.FileTransferChanged:
        fields: dict[str, Any] = {
            "transfer_id": "ab" * 16,
            "direction": "incoming",
            "name": "plan.pdf",
            "size": 4_000_000,
            "peer": "Ann",
            "state": "transferring",
            "done_bytes": 1_000_000,
            "speed": 500_000.0,
            "seconds_left": 6.0,
            "path": "",
            "message": "",
        }
        fields.update(kw)
        return ev.FileTransferChanged(**fields)

    row = panel.show_transfer(changed())
    assert "/s" in row.status.text() and "left" in row.status.text()
    waiting = "Reconnected to the server; waiting for Ann to go on."
    panel.show_transfer(changed(message=waiting, speed=0.0, seconds_left=None))
    assert row.status.text().startswith(waiting) and "1.0 MB of 4.0 MB" in row.status.text(), row.status.text()
    assert row.cancel_button.isVisibleTo(row) and row.progress.isVisibleTo(row)

    # Shown in a narrow panel, the row is as tall as its wrapped sentence needs: nothing cut off.
    panel.resize(340, 420)
    panel.show()
    for _ in range(3):
        qapp.processEvents()
    assert row.status.height() >= row.status.heightForWidth(row.status.width()) > row.status.fontMetrics().height()
    assert row.cancel_button.geometry().bottom() < row.height()
    assert row.width() <= panel.files.viewport().width()  # no sideways scrolling
    panel.close()
