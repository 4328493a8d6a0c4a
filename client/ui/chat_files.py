"""The call screen's chat and files panels, connected to the engine's `ChatService` and
`FileService`. Widgets live in client/ui/panels.py; this module only moves events and clicks.

Chat starts when the meeting is joined. Files need the publish connection's data channel, so they
start once the media session is up (`MediaService` emits ``mute_changed`` at the end of its start).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from client.engine import events as ev
from client.engine.call import ParleyClient
from client.engine.chat import ChatService
from client.engine.files import FileService
from client.ui import tasks
from client.ui.call import CallView
from client.ui.context import AppContext
from client.ui.error_text import error_sentence
from client.ui.lifetime import alive, listen
from client.ui.panels import ChatPanel, FilesPanel, OfferDialog
from shared.e2e import key_fingerprint
from shared.protocol import messages as m

log = logging.getLogger("parley.ui.chat_files")


class ChatFilesController(QObject):
    """Binds ``chat_panel`` and ``files_panel`` to the current meeting."""

    failed = Signal(str)  # a sentence for the call screen's error banner

    def __init__(
        self, ctx: AppContext, chat_panel: ChatPanel, files_panel: FilesPanel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.chat_panel, self.files_panel = chat_panel, files_panel
        self.client: ParleyClient | None = None
        self.chat: ChatService | None = None
        self.files: FileService | None = None
        self.dialogs: dict[str, OfferDialog] = {}
        # Tests and scripts may replace this (the real one asks the desktop to open the folder).
        self.open_folder = _open_folder
        session = ctx.session
        session.meeting_joined.connect(lambda _m: self.bind(session.client))
        session.meeting_left.connect(lambda _r, _s: tasks.start(self.stop()))
        session.participant_joined.connect(lambda _p: self._people())
        session.participant_updated.connect(lambda _p: self._people())
        session.participant_left.connect(lambda _p, _r: self._people())
        ctx.media.mute_changed.connect(lambda _s, _m: self._media_started())
        chat_panel.message_submitted.connect(self.send_message)
        files_panel.send_requested.connect(lambda path, to: self.send_file(Path(path), to or None))
        files_panel.accept_requested.connect(self.accept)
        files_panel.decline_requested.connect(self.decline)
        files_panel.cancel_requested.connect(self.cancel)
        files_panel.open_folder_requested.connect(lambda path: self.open_folder(Path(path).parent))

    # --- binding ---------------------------------------------------------------------------

    def bind(self, client: ParleyClient | None) -> None:
        if client is None or client is self.client:
            return
        self.client = client
        self._listener = listen(client, self, self._on_event)
        self.chat = ChatService(client)
        self.chat_panel.set_available(True)
        self._people()
        tasks.start(self.chat.start(), on_error=lambda exc: self.failed.emit(error_sentence(exc)))

    def _media_started(self) -> None:
        media = getattr(self.ctx.media, "session", None)
        if self.client is None or self.files is not None or media is None:
            return
        if not hasattr(media, "channel_listeners"):  # a media engine without data channels
            self.files_panel.set_available(False, self.tr("Files cannot be sent in this call."))
            return
        settings = getattr(self.ctx, "settings", None)
        folder = getattr(settings, "downloads_dir", "") or ""
        self.files = FileService(self.client, media, download_dir=Path(folder) if folder else None)
        self.files_panel.set_available(True)
        self.files_panel.set_own_fingerprint(key_fingerprint(self.files.keypair.public_bytes))
        tasks.start(self.files.start(), on_error=lambda exc: self.failed.emit(error_sentence(exc)))

    async def stop(self) -> None:
        """Leaving: stop transfers (partial downloads are removed) and chat."""
        files, self.files = self.files, None
        if files is not None:
            await files.stop()
        if self.chat is not None:
            self.chat.close()
            self.chat = None
        if self.client is not None:
            self.client.remove_listener(self._listener)
            self.client = None
        if not alive(self):  # the window went away while the transfers were stopping
            return
        for dialog in self.dialogs.values():
            dialog.close()
        self.dialogs.clear()
        self.chat_panel.set_available(False)
        self.files_panel.set_available(False)

    def _people(self) -> None:
        client = self.client
        if client is None:
            return
        me = client.participant_id
        people = [(pid, p.display_name) for pid, p in client.participants.items() if pid != me]
        self.chat_panel.to.set_people(people)
        self.files_panel.to.set_people(people)

    # --- chat ------------------------------------------------------------------------------

    def send_message(self, text: str) -> None:
        chat = self.chat
        if chat is None:
            return
        to = self.chat_panel.to.recipient()
        tasks.start(chat.send(text, to), on_error=lambda exc: self.failed.emit(error_sentence(exc)))

    def _show_message(self, message: m.ChatMessage, own: bool) -> None:
        when = datetime.fromtimestamp(message.sent_at).strftime("%H:%M")
        sender = self.tr("You") if own else message.from_name
        if message.to_participant_id:
            if own:
                sender = self.tr("You to {0} (privately)").format(message.to_name)
            else:
                sender = self.tr("{0} (privately)").format(sender)
        self.chat_panel.add_message(sender, message.text, when)

    # --- files -----------------------------------------------------------------------------

    def send_file(self, path: Path, to: str | None = None) -> None:
        files = self.files
        if files is None:
            self.failed.emit(self.tr("Files can be sent once the call's connection is up."))
            return
        tasks.start(
            files.send_file(path, [to] if to else None), on_error=lambda exc: self.failed.emit(error_sentence(exc))
        )

    def accept(self, transfer_id: str) -> None:
        self._close_dialog(transfer_id)
        if self.files is not None:
            tasks.start(self.files.accept(transfer_id), on_error=lambda exc: self.failed.emit(error_sentence(exc)))

    def decline(self, transfer_id: str) -> None:
        self._close_dialog(transfer_id)
        if self.files is not None:
            tasks.start(self.files.decline(transfer_id), on_error=lambda exc: self.failed.emit(error_sentence(exc)))

    def cancel(self, transfer_id: str) -> None:
        if self.files is not None:
            tasks.start(self.files.cancel(transfer_id), on_error=lambda exc: self.failed.emit(error_sentence(exc)))

    def _close_dialog(self, transfer_id: str) -> None:
        dialog = self.dialogs.pop(transfer_id, None)
        if dialog is not None:
            dialog.done(0)

    def _offer(self, event: ev.FileTransferChanged) -> None:
        files = self.files
        incoming = files.incoming.get(event.transfer_id) if files is not None else None
        if files is None or incoming is None or event.transfer_id in self.dialogs:
            return
        key = files.keys.get(incoming.sender_id)
        parent = self.files_panel.window() if self.files_panel.isVisible() else None
        dialog = OfferDialog(event.peer, event.name, event.size, key_fingerprint(key) if key else "", parent)
        dialog.accept_button.clicked.connect(lambda: self.accept(event.transfer_id))
        dialog.decline_button.clicked.connect(lambda: self.decline(event.transfer_id))
        self.dialogs[event.transfer_id] = dialog
        dialog.show()

    def _on_event(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.ChatMessageReceived):
            self._show_message(event.message, event.own)
        elif isinstance(event, ev.FileTransferChanged):
            self.files_panel.show_transfer(event)
            if event.direction == "incoming" and event.state == "offered":
                self._offer(event)
            elif event.transfer_id in self.dialogs and event.state != "offered":
                self._close_dialog(event.transfer_id)  # cancelled by the sender meanwhile


def _open_folder(folder: Path) -> None:
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        opener = {"darwin": "open", "win32": "explorer"}.get(sys.platform, "xdg-open")
        try:
            subprocess.Popen([opener, str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            log.info("could not open %s: %s", folder, exc)


class CallWindow(Protocol):
    """What `install_chat_files` needs of the main window (client/ui/main_window.py)."""

    ctx: AppContext
    call: CallView


def install_chat_files(window: CallWindow) -> ChatFilesController:
    """Connect the call screen's chat and files panels (called once by the main window)."""
    call = window.call
    controller = ChatFilesController(window.ctx, call.chat_panel, call.files_panel, call)
    controller.failed.connect(call.show_error)
    call.chat_files = controller
    return controller
