"""The main window: which screen is showing, and links arriving from the command line or a second launch."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from client.ui import tasks
from client.ui.call import CallView
from client.ui.chat_files import install_chat_files
from client.ui.context import AppContext
from client.ui.home import HomeView
from client.ui.host_controls import install_meeting_ui
from client.ui.i18n import current_language, install_translator
from client.ui.in_call import install_in_call
from client.ui.meeting_info import install_meeting_info
from client.ui.prejoin import JoinOptions, PreJoinView
from client.ui.resources import app_icon
from client.ui.retranslate import retranslate_widgets
from client.ui.settings_dialog import SettingsDialog
from client.ui.signin import SignInView
from client.ui.stage_ui import install_stage_ui
from shared.links import BadLink, MeetingLink, parse_link


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self.setMinimumSize(800, 560)
        self.pending_link: MeetingLink | None = None
        self.settings_dialog: SettingsDialog | None = None

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.sign_in = SignInView(ctx)
        self.home = HomeView(ctx)
        self.prejoin = PreJoinView(ctx)
        self.call = CallView(ctx)
        for view in (self.sign_in, self.home, self.prejoin, self.call):
            self.stack.addWidget(view)
        self.meeting_ui = install_meeting_ui(self)  # bookings, lobby, host controls, banners
        self.chat_files = install_chat_files(self)  # the call's chat and files panels
        self.in_call = install_in_call(self)  # one raise hand, header, knock, notices, badges, Leave
        self.meeting_info = install_meeting_info(self)  # title, host, links, copy invitation
        # Views, reactions, and the mini window while sharing.
        self.stage_ui = install_stage_ui(self, self.call, self.meeting_ui.controls)
        self.show_view(self.sign_in)

        ctx.session.signed_in.connect(self._signed_in)
        ctx.session.signed_out.connect(self._signed_out)
        self.home.meeting_chosen.connect(self._meeting_chosen)
        self.home.settings_requested.connect(self.open_settings)
        self.call.settings_requested.connect(self.open_settings)
        self.prejoin.join_requested.connect(self._join)
        self.prejoin.cancelled.connect(lambda: self.show_view(self.home))
        self.call.left_meeting.connect(self._left_meeting)
        self.call.title_changed.connect(lambda _t: self.show_view(self.stack.currentWidget()))
        ctx.session.meeting_left.connect(self._meeting_left_message)
        QShortcut(QKeySequence("Ctrl+,"), self, activated=self.open_settings)
        QShortcut(QKeySequence("Escape"), self.prejoin, activated=self.prejoin.cancel)

    # --- screens -------------------------------------------------------------------------

    def show_view(self, view: QWidget) -> None:
        self.stack.setCurrentWidget(view)
        titles = {
            self.sign_in: self.tr("Sign in — Parley"),
            self.home: self.tr("Parley"),
            self.prejoin: self.tr("Ready to join? — Parley"),
            self.call: self.tr("{0} — Parley").format(self.call.title.text() or self.tr("Meeting")),
        }
        self.setWindowTitle(titles.get(view, "Parley"))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)

    def _signed_in(self, user: Any) -> None:
        self.show_view(self.home)
        if self.pending_link is not None:
            link, self.pending_link = self.pending_link, None
            self.home.open_link(link)

    def _signed_out(self, message: str) -> None:
        self.show_view(self.sign_in)
        self.sign_in.show_error(message)

    def _meeting_chosen(self, link: MeetingLink, title: str) -> None:
        self.prejoin.prepare(link, title)
        self.show_view(self.prejoin)

    def _join(self, options: JoinOptions) -> None:
        self.call.enter(options)
        self.show_view(self.call)

    def _left_meeting(self) -> None:
        if self.ctx.session.user is not None:
            self.show_view(self.home)
            if self.call.error_banner.isVisible():
                self.home.show_error(self.call.error_label.text())

    def _meeting_left_message(self, reason: str, message: str) -> None:
        if reason != "left" and message:
            self.home.show_error(message)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.ctx, self)
        self.settings_dialog = dialog
        dialog.language_changed.connect(self._language_changed)
        dialog.finished.connect(lambda _r: setattr(self, "settings_dialog", None))
        dialog.open()

    def _language_changed(self, language: str) -> None:
        """Switch at once: every text on screen is said again in the new language."""
        old = current_language()
        app = QCoreApplication.instance()
        if app is None:
            return
        new = install_translator(app, language)
        retranslate_widgets(old, new)
        self.show_view(self.stack.currentWidget())  # the window title
        sentence = self.tr("Parley now uses the language you chose.")
        self.home.show_notice(sentence)
        if self.stack.currentWidget() is self.call:
            self.call.banner_label.setText(sentence)
            self.call.banner.show()
            QTimer.singleShot(8000, self.call.banner.hide)

    # --- links ---------------------------------------------------------------------------

    def receive_link(self, text: str) -> None:
        """What a second launch handed over (the OS starts ``parley LINK`` for a link): parsed here,
        once; "" only brings the window to the front."""
        self.raise_()
        self.activateWindow()
        if not text:
            return
        try:
            link = parse_link(text)
        except BadLink as exc:
            target = self.home if self.ctx.session.user is not None else self.sign_in
            target.show_error(str(exc))
            return
        self.open_link(link)

    def open_link(self, link: MeetingLink) -> None:
        """A meeting link from the command line or a second launch."""
        self.raise_()
        self.activateWindow()
        if self.ctx.session.user is None:
            self.pending_link = link
            if not self.sign_in.server_edit.isReadOnly() and not self.sign_in.server_edit.text():
                self.sign_in.server_edit.setText(link.server)
            return
        if self.stack.currentWidget() is self.call:
            self.call.show_error(self.tr("Leave this meeting before you join another one."))
            return
        self.show_view(self.home)
        self.home.open_link(link)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.prejoin.preview.stop()
        tasks.start(self._shutdown())
        super().closeEvent(event)

    async def _shutdown(self) -> None:
        await self.ctx.media.stop()
        await self.ctx.session.close()
