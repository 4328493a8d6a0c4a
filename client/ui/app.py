"""Starting the desktop app: one instance per user, style, translation, qasync loop, main window."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from client.ui.keyboard import install_enter_presses
from client.ui.resources import app_icon, style_sheet
from shared.links import MeetingLink

log = logging.getLogger("parley.ui")


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with Parley's name, icon, style sheet (tests reuse it)."""
    existing = QApplication.instance()
    if existing is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    else:
        app = existing  # type: ignore[assignment]
    app.setApplicationName("Parley")
    app.setApplicationDisplayName("Parley")
    app.setOrganizationName("Parley")
    app.setDesktopFileName("parley")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(style_sheet())
    install_enter_presses(app)  # Enter presses the focused button, as Space does
    return app


def main(link: MeetingLink | None = None) -> int:
    """Open the desktop app (with a meeting link when started from one). Returns the exit status."""
    from client.ui.context import AppContext
    from client.ui.i18n import install_translator
    from client.ui.loop import new_event_loop
    from client.ui.main_window import MainWindow
    from client.ui.single_instance import InstanceServer, send_to_running

    app = make_application()
    if send_to_running(str(link) if link else ""):
        log.info("handed the link to the running Parley")
        return 0

    ctx = AppContext.create()
    install_translator(app, ctx.settings.language)
    window = MainWindow(ctx)
    instance = InstanceServer()
    if not instance.listen():
        log.warning("could not listen for other launches: %s", instance.server.errorString())
    instance.message_received.connect(window.receive_link)

    loop = new_event_loop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    window.show()
    if link:
        window.open_link(link)
    window.sign_in.try_resume()
    with loop:
        loop.run_until_complete(closed.wait())
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.wait_for(window._shutdown(), 5))
    instance.close()
    return 0
