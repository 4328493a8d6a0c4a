"""Redo the user guide's screenshots: the real app under Xvfb (1600x900) with a real call in progress.

    .venv/bin/python docs/screenshots/make_screenshots.py

Starts a relay on loopback, signs in through the sign-in screen (certificate confirmation
included), joins a meeting with headless participants sending synthetic media
(``parley join LINK --headless``, PARLEY_VIDEO=640x360@15), one of them sharing a synthetic
screen (PARLEY_SCREEN_MONITOR=0: sharing the Xvfb display would show our own window mirrored), with
a room booked so that Home lists an upcoming meeting, and saves each screen here as a PNG (under
300 KB). Then the sign-in screen in Simplified Chinese and the call at 150% scaling
(QT_SCALE_FACTOR=1.5, a 1280x720 window on a 1920x1080 screen, as on a laptop at 150%), each in a
fresh process (both are read at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "client" / "ui")]


def save(image: Any, name: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = image.toImage() if hasattr(image, "toImage") else image
    if image.width() > 1600:  # 150% scaling: keep the file small, the proportions are what matter
        image = image.scaledToWidth(1600, Qt.TransformationMode.SmoothTransformation)
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    path = HERE / f"{name}.png"
    image.save(str(path), "PNG", 9)
    if path.stat().st_size > 300_000:  # video-heavy screens: smaller, still readable
        small = image.scaledToWidth(1200, Qt.TransformationMode.SmoothTransformation)
        small = small.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.DiffuseDither)
        small.save(str(path), "PNG", 9)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


class Shots:
    def __init__(self, variant: str) -> None:
        from PySide6.QtWidgets import QApplication

        from client.ui.app import make_application
        from client.ui.i18n import install_translator
        from client.ui.loop import new_event_loop

        self.variant = variant
        self.app = make_application()
        if variant == "zh_CN":
            install_translator(self.app, "zh_CN")
        self.loop = new_event_loop(QApplication.instance())
        asyncio.set_event_loop(self.loop)
        self.tmp = Path(tempfile.mkdtemp(prefix="parley-shots-"))

    def until(self, predicate: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
        async def poll() -> Any:
            deadline = time.monotonic() + timeout
            while not (value := predicate()):
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out waiting for {what}")
                await asyncio.sleep(0.05)
            return value

        return self.loop.run_until_complete(poll())

    def settle(self, seconds: float = 0.6) -> None:
        self.loop.run_until_complete(asyncio.sleep(seconds))

    def screen(self, name: str) -> None:
        from PySide6.QtGui import QGuiApplication

        self.settle()
        save(QGuiApplication.primaryScreen().grabWindow(0), name)

    def steady(self, win: Any, seconds: float = 20) -> None:
        """Wait until the call reports a good connection (the first seconds under load say 'poor')."""
        from client.ui.call import quality_of

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and quality_of(win.ctx.media.stats()) != "good":
            self.settle(0.5)
        win.call.refresh_quality()

    def window(self) -> Any:
        from client.engine.credentials import TokenStore
        from client.ui.context import AppContext
        from client.ui.main_window import MainWindow

        dirs = {k: self.tmp / k for k in ("policy_dir", "machine_dir", "user_dir")}
        for folder in dirs.values():
            folder.mkdir(exist_ok=True)
        ctx = AppContext.create(dirs, state_file=self.tmp / "state.ini")  # type: ignore[arg-type]
        ctx.session.token_store = TokenStore(self.tmp / "tokens.json", use_keyring=False)
        win = MainWindow(ctx)
        win.move(0, 0)
        if self.variant == "scale150":  # logical pixels: 1920x1080 at 150%
            win.resize(1280, 720)
        else:
            win.resize(1600, 900)
        win.show()
        return win


def headless(relay: Any, link: str, name: str, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PARLEY_VIDEO": "640x360@15",
        "PARLEY_SCREEN_VIDEO": "1280x720@5",
        "PARLEY_SCREEN_MONITOR": "0",  # a synthetic screen, not the Xvfb display showing our window
        "PARLEY_PLAYBACK": "0",
        "PARLEY_ICE_ADDRESSES": "127.0.0.1",
    }
    env.pop("QT_SCALE_FACTOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "client.cli", "join", link, "--headless", "--user", name, "--password-stdin",
         "--server-fingerprint", relay.fingerprint, "--duration", "300", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write("correct horse\n")
    proc.stdin.close()
    return proc


def run_variant(variant: str) -> None:
    from test_call import remote_tile

    from shared.links import parse_link
    from tests.media_fixtures import start_media_relay
    from tests.relay.test_hosting_live import add_room

    shots = Shots(variant)
    (shots.tmp / "relay").mkdir()
    relay = start_media_relay(shots.tmp / "relay")
    procs: list[subprocess.Popen[str]] = []
    win = None
    try:
        me = relay.add_user("maria", display="Maria Lopez")
        guests = [relay.add_user(n, display=d) for n, d in (("chen", "Chen Wei"), ("amara", "Amara Okafor"))]
        sharer = relay.add_user("jonas", display="Jonas Berg")
        meeting_id = relay.create_meeting(me, "Quarterly planning")
        for title in ("Design review", "Release retrospective"):
            relay.create_meeting(me, title)
        link = f"parley://{relay.server}/m/{meeting_id}"
        room = add_room(relay) if variant == "main" else ""

        win = shots.window()
        view = win.sign_in
        view.server_edit.setText(relay.server)
        view.username_edit.setText(me)
        view.password_edit.setText("correct horse")
        shots.settle()
        if variant == "zh_CN":
            shots.screen("signin-zh_CN")
            return
        view.submit()
        shots.until(lambda: view.certificate_dialog and view.certificate_dialog.isVisible(), what="dialog")
        if variant == "main":
            # No window manager under Xvfb: the dialog would cover the sign-in card; put it below.
            dialog = view.certificate_dialog
            shots.settle()
            dialog.move((1600 - dialog.width()) // 2, 900 - dialog.height() - 24)
            shots.screen("signin-certificate")
        view.certificate_dialog.trust_button.click()
        shots.until(lambda: win.stack.currentWidget() is win.home, what="home")
        if variant == "main":
            service = win.meeting_ui.service
            start = (time.time() // 1800 + 2) * 1800  # on the half hour, about an hour from now
            shots.loop.run_until_complete(
                service.require().book(room, "Design review", start, start + 2700, "Europe/Paris", invitees=guests)
            )
            shots.loop.run_until_complete(service.refresh())
            shots.until(lambda: win.home.upcoming.count() > 0, what="upcoming meeting")
            shots.screen("home")
            booking = win.meeting_ui.upcoming_actions.book()
            shots.until(lambda: booking.room.count() > 1, what="rooms in the booking dialog")
            booking.title_edit.setText("Team lunch")
            shots.settle()
            save(booking.grab(), "booking")
            booking.reject()

        win.open_link(parse_link(link))
        shots.until(lambda: win.stack.currentWidget() is win.prejoin, what="pre-join")
        shots.until(lambda: win.prejoin.tile.frames_painted > 5, what="preview")
        if variant == "main":
            shots.screen("prejoin")

        procs += [headless(relay, link, g) for g in guests]
        win.prejoin.join_button.click()
        shots.until(lambda: win.stack.currentWidget() is win.call and win.ctx.media.active, what="in call")
        for g in ("Chen Wei", "Amara Okafor"):  # tiles are named by display name
            shots.until(lambda g=g: remote_tile(win, g) and remote_tile(win, g).frames_painted > 10, 60, g)
        shots.steady(win)
        shots.screen("call-grid" if variant == "main" else "call-grid-150")
        if variant != "main":
            return
        info = win.meeting_info.show_for_call()
        shots.settle()
        save(info.grab(), "meeting-info")
        info.close()

        # Speaker view (the last speaker large, the others in a strip) with a reaction on our tile.
        stage_ui = win.stage_ui
        stage_ui.views.set_mode("speaker")
        shots.until(lambda: win.call.grid.stage_key is not None, 30, "speaker view")
        stage_ui.reactions.send("celebrate")
        own = win.call.grid.tile(win.ctx.session.participant_id)
        shots.until(lambda: own.reaction, 30, "our reaction")
        shots.steady(win)
        shots.screen("call-speaker")
        stage_ui.views.set_mode("gallery")

        procs.append(headless(relay, link, sharer, "--screen"))
        shots.until(lambda: win.call.grid.stage_key is not None, 60, "stage layout")
        shots.until(lambda: win.call.grid.tiles[win.call.grid.stage_key].frames_painted > 5, 30, "shared screen")
        shots.steady(win)
        shots.screen("call-stage")
        for toggle, name in (
            (win.call.toggle_participants, "panel-participants"),
            (win.call.toggle_chat, "panel-chat"),
            (win.call.toggle_files, "panel-files"),
        ):
            toggle()
            shots.steady(win, 6)
            shots.screen(name)
        win.open_settings()
        shots.until(lambda: win.settings_dialog is not None and win.settings_dialog.isVisible(), what="settings")
        shots.settle()
        save(win.settings_dialog.grab(), "settings")  # the dialog alone: readable and small
        win.settings_dialog.reject()
    finally:
        if win is not None:
            with contextlib.suppress(Exception):
                shots.loop.run_until_complete(asyncio.wait_for(win._shutdown(), 10))
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        relay.stop()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1].startswith("--variant="):
        run_variant(sys.argv[1].split("=", 1)[1])
        sys.stdout.flush()
        os._exit(0)  # media threads and Qt teardown can hold a finished run at exit
    from ui_helpers import xvfb

    only = sys.argv[1:]  # variant names to redo; all by default
    for variant, screen, extra in (
        ("main", "1600x900x24", {}),
        ("zh_CN", "1600x900x24", {}),
        ("scale150", "1920x1080x24", {"QT_SCALE_FACTOR": "1.5"}),
    ):
        if only and variant not in only:
            continue
        with ExitStack() as stack:
            display = stack.enter_context(xvfb(screen))
            env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "PARLEY_NO_KEYRING": "1", **extra}
            subprocess.run([sys.executable, __file__, f"--variant={variant}"], env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
