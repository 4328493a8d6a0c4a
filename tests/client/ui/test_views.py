"""Views, reactions and the mini window, driven as people would, with a real relay on loopback.

One app window (synthetic media) with engine clients as the other people, or two app windows when
what one person does must show on another person's screen (spotlight, reactions).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from ui_helpers import meeting_link, sign_in

from client.engine.call import ParleyClient
from client.engine.media.fakes import SyntheticMediaSession
from client.ui.reactions import EMOJI
from shared.links import parse_link
from shared.protocol import messages as m


def use_synthetic_media(window: Any, talking: Callable[[], list[str]] | None = None) -> None:
    window.ctx.media.session_factory = partial(
        SyntheticMediaSession, width=320, height=180, fps=10, participants=talking
    )


def join_through_ui(window: Any, link: str, drive: Any, qtbot: Any) -> None:
    window.open_link(parse_link(link))
    drive.until(lambda: window.stack.currentWidget() is window.prejoin, what="pre-join screen")
    drive.call(lambda: qtbot.mouseClick(window.prejoin.join_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.stack.currentWidget() is window.call and window.ctx.session.meeting, what="in call")


def person(relay: Any, drive: Any, name: str, link: str) -> ParleyClient:
    client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    drive.run(client.connect())
    drive.run(client.sign_in(name, "correct horse", remember=False))
    drive.run(client.join(link.rsplit("/", 1)[1]))
    return client


def right_click(drive: Any, widget: Any, pos: QPoint | None = None) -> QMenu:
    """The context menu a right click opens (on a tile, or a row of a list's viewport)."""
    pos = pos or widget.rect().center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, widget.mapToGlobal(pos))
    drive.call(lambda: QApplication.sendEvent(widget, event))
    return menu_of(widget)


def menu_of(widget: Any) -> QMenu:
    win = widget.window()
    menu = win.stage_ui.views.menu
    assert menu is not None and menu.isVisible()
    return menu


def choose(drive: Any, menu: QMenu, text: str) -> None:
    actions = {a.text(): a for a in menu.actions()}
    assert text in actions, f"{text!r} not in {list(actions)}"
    drive.call(lambda: (actions[text].trigger(), menu.hide()))


def large(window: Any) -> tuple[str, str] | None:
    """The tile painted large: bigger than every other tile shown."""
    grid = window.call.grid
    shown = [t for t in grid.tiles.values() if t.isVisible()]
    if len(shown) < 2:
        return None
    biggest = max(shown, key=lambda t: t.width() * t.height())
    if all(t.width() * t.height() < biggest.width() * biggest.height() for t in shown if t is not biggest):
        key: tuple[str, str] = biggest.key
        return key
    return None


def tile_of(window: Any, participant_id: str) -> Any:
    return window.call.grid.tile(participant_id)


@pytest.fixture
def other_window(make_ctx: Callable[..., Any], qtbot: Any, qloop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    from client.ui.main_window import MainWindow

    win = MainWindow(make_ctx())
    win.resize(1024, 640)
    win.show()
    yield win
    win.prejoin.preview.stop()
    try:
        qloop.run_until_complete(asyncio.wait_for(win.ctx.media.stop(), 10))
        qloop.run_until_complete(asyncio.wait_for(win.ctx.session.close(), 10))
    except Exception:
        pass
    win.hide()
    win.deleteLater()


def test_pin_speaker_view_hiding_and_full_screen(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    talking: list[str] = []
    use_synthetic_media(window, lambda: list(talking))
    me = sign_in(window, relay, drive)
    bob_name, carol_name = relay.add_user(display="Bob"), relay.add_user(display="Carol")
    link = meeting_link(relay, me, "Views")
    join_through_ui(window, link, drive, qtbot)
    bob, carol = person(relay, drive, bob_name, link), person(relay, drive, carol_name, link)
    call, views = window.call, window.stage_ui.views
    try:
        mine, bob_id, carol_id = window.ctx.session.participant_id, bob.participant_id, carol.participant_id
        drive.until(lambda: tile_of(window, bob_id) and tile_of(window, carol_id), what="three tiles")
        drive.settle(0.2)
        assert large(window) is None, "gallery view paints every tile the same size"

        # Pin Carol from her tile's context menu: she is painted large; unpin: gallery again.
        choose(drive, right_click(drive, tile_of(window, carol_id)), "Pin for me")
        drive.until(lambda: large(window) == (carol_id, "camera"), what="Carol pinned large")
        choose(drive, right_click(drive, tile_of(window, carol_id)), "Unpin")
        drive.until(lambda: large(window) is None, what="gallery after unpinning")

        # Speaker view: whoever spoke last is painted large.
        drive.call(lambda: views.speaker_action.trigger())
        talking[:] = [bob_id]
        drive.until(lambda: large(window) == (bob_id, "camera"), what="Bob speaking, large")
        talking[:] = [carol_id]
        drive.until(lambda: large(window) == (carol_id, "camera"), what="Carol speaking, large")
        talking[:] = []
        drive.call(lambda: views.gallery_action.trigger())
        drive.until(lambda: large(window) is None, what="gallery view again")

        # Hide self view; hide people without video (Bob stops his camera).
        drive.call(lambda: views.hide_self_action.trigger())
        drive.until(lambda: not tile_of(window, mine).isVisible(), what="self view hidden")
        drive.call(lambda: views.hide_self_action.trigger())
        drive.until(lambda: tile_of(window, mine).isVisible(), what="self view back")
        drive.call(lambda: views.hide_no_video_action.trigger())
        assert tile_of(window, bob_id).isVisible()
        drive.run(bob.request(m.SetMuted(id=0, source="camera", muted=True)))
        drive.until(lambda: not tile_of(window, bob_id).isVisible(), what="Bob without video hidden")
        assert tile_of(window, carol_id).isVisible()
        drive.call(lambda: views.hide_no_video_action.trigger())
        drive.until(lambda: tile_of(window, bob_id).isVisible(), what="Bob shown again")

        # Full screen: F11 and Esc; double-click a tile, and again.
        drive.call(lambda: qtbot.keyClick(call, Qt.Key.Key_F11))
        drive.until(lambda: window.isFullScreen(), what="full screen from F11")
        drive.call(lambda: qtbot.keyClick(call, Qt.Key.Key_Escape))
        drive.until(lambda: not window.isFullScreen(), what="Esc leaves full screen")
        drive.call(lambda: qtbot.mouseDClick(tile_of(window, carol_id), Qt.MouseButton.LeftButton))
        drive.until(lambda: window.isFullScreen(), what="full screen from a double-click")
        drive.call(lambda: qtbot.mouseDClick(tile_of(window, carol_id), Qt.MouseButton.LeftButton))
        drive.until(lambda: not window.isFullScreen(), what="a second double-click leaves it")

        # Host actions from a participant row's context menu: mute Carol.
        drive.call(call.toggle_participants)
        view = call.participants_panel.view
        row = [r.participant_id for r in call.model.rows].index(carol_id)
        pos = view.visualRect(call.model.index(row)).center()
        menu = right_click(drive, view.viewport(), pos)
        assert "Make co-host" in [a.text() for a in menu.actions()]
        choose(drive, menu, "Mute")
        drive.until(lambda: carol.participants[carol_id].muted.get("mic"), what="Carol muted by the host")
        # From the keyboard (Menu key, Shift+F10: no pointer over a row): the selected row's menu.
        below = QPoint(4, view.viewport().height() - 2)
        assert not view.indexAt(below).isValid()
        event = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, below, view.viewport().mapToGlobal(below))
        drive.call(lambda: QApplication.sendEvent(view.viewport(), event))
        assert "Pin for me" in [a.text() for a in menu_of(view).actions()]
        drive.call(menu_of(view).hide)
    finally:
        drive.run(bob.close())
        drive.run(carol.close())
    window.call.leave()
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home after leaving")


def test_host_spotlight_and_reactions_show_on_another_persons_screen(
    other_window: Any, window: Any, relay: Any, drive: Any, qtbot: Any
) -> None:
    # other_window first: it is torn down after `window` (whose teardown runs the loop, which
    # deletes the windows pytest-qt closed).
    host, guest = window, other_window
    for win in (host, guest):
        use_synthetic_media(win, lambda: [])
    me = sign_in(host, relay, drive)
    sign_in(guest, relay, drive)
    carol_name = relay.add_user(display="Carol")
    link = meeting_link(relay, me, "Spotlight")
    join_through_ui(host, link, drive, qtbot)
    join_through_ui(guest, link, drive, qtbot)
    carol = person(relay, drive, carol_name, link)
    try:
        host_id, guest_id, carol_id = (
            host.ctx.session.participant_id,
            guest.ctx.session.participant_id,
            carol.participant_id,
        )
        for win in (host, guest):
            drive.until(lambda w=win: all(tile_of(w, p) for p in (host_id, guest_id, carol_id)), what="three tiles")
        assert large(guest) is None

        # The guest is no host: their menu has pin but no spotlight and no host actions.
        guest_menu = right_click(drive, tile_of(guest, carol_id))
        assert [a.text() for a in guest_menu.actions() if a.text()] == ["Pin for me"]
        drive.call(guest_menu.hide)

        # The host spotlights Carol: she is painted large on the guest's screen, then not.
        choose(drive, right_click(drive, tile_of(host, carol_id)), "Spotlight for everyone")
        drive.until(lambda: large(guest) == (carol_id, "camera"), what="Carol spotlit at the guest's")
        assert large(host) == (carol_id, "camera")
        choose(drive, right_click(drive, tile_of(host, carol_id)), "Remove spotlight")
        drive.until(lambda: large(guest) is None, what="spotlight ended at the guest's")

        # The guest reacts from the bar's React menu: the host sees it on the guest's tile.
        reactions = guest.stage_ui.reactions
        clap = next(a for a in reactions.menu.actions() if a.data() == "clap")
        assert "Clap" in clap.text()
        drive.call(clap.trigger)
        drive.until(lambda: EMOJI["clap"] in tile_of(host, guest_id).reaction, what="the clap at the host's")
        drive.until(lambda: EMOJI["clap"] in tile_of(guest, guest_id).reaction, what="the clap on one's own tile")
        assert "Clap" in tile_of(host, guest_id).reaction and "Clap" in tile_of(host, guest_id).toolTip()
        drive.until(lambda: tile_of(host, guest_id).reaction == "", timeout=15, what="the reaction to go")
        # Too many at once: the relay refuses, and the guest reads why.
        for _ in range(20):
            drive.call(clap.trigger)
        drive.until(lambda: guest.call.error_banner.isVisible(), what="the refusal")
        assert "Too many reactions" in guest.call.error_label.text()
    finally:
        drive.run(carol.close())
    for win in (guest, host):
        win.call.leave()
        drive.until(lambda w=win: w.stack.currentWidget() is w.home, what="home after leaving")


def test_mini_window_while_sharing(window: Any, relay: Any, drive: Any, qtbot: Any, monkeypatch: Any) -> None:
    import client.ui.call

    monkeypatch.setenv("DISPLAY", ":99")  # the synthetic media shares nothing real
    monkeypatch.setattr(client.ui.call, "list_devices", lambda: {"monitors": [{"width": 1280, "height": 720}]})
    use_synthetic_media(window, lambda: [])
    me = sign_in(window, relay, drive)
    bob_name = relay.add_user(display="Bob")
    link = meeting_link(relay, me, "Sharing")
    join_through_ui(window, link, drive, qtbot)
    bob = person(relay, drive, bob_name, link)
    mini = window.stage_ui.mini
    try:
        drive.until(lambda: tile_of(window, bob.participant_id), what="Bob's tile")
        assert not mini.isVisible()
        drive.call(lambda: qtbot.mouseClick(window.call.share_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: mini.isVisible(), what="the mini window")
        assert mini.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
        drive.until(lambda: window.isMinimized(), what="the main window out of the way")
        assert mini.tile.name == "Bob"  # the other person, until someone speaks
        # Mute from the mini window.
        drive.call(lambda: qtbot.mouseClick(mini.mute_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: window.call.mic_button.isChecked(), what="muted from the mini window")
        assert mini.mute_button.text() == "Unmute"
        # Stop sharing from it: it goes, the main window comes back.
        drive.call(lambda: qtbot.mouseClick(mini.stop_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: not mini.isVisible(), what="the mini window gone")
        drive.until(lambda: not window.isMinimized(), what="the main window back")
        assert not window.ctx.media.sharing
        # Closing the small window brings the main one back; sharing goes on.
        drive.call(lambda: qtbot.mouseClick(window.call.share_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: mini.isVisible() and window.isMinimized(), what="the mini window again")
        drive.call(mini.close)
        drive.until(lambda: not window.isMinimized(), what="the main window back after closing it")
        assert window.ctx.media.sharing
        drive.call(lambda: qtbot.mouseClick(window.call.share_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: not window.ctx.media.sharing, what="sharing stopped from the bar")
        # Share again and leave from the mini window.
        drive.call(lambda: qtbot.mouseClick(window.call.share_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: mini.isVisible(), what="the mini window again")
        drive.call(lambda: qtbot.mouseClick(mini.leave_button, Qt.MouseButton.LeftButton))
        drive.until(lambda: window.stack.currentWidget() is window.home, what="home after leaving")
        drive.until(lambda: not mini.isVisible(), what="the mini window gone after leaving")
    finally:
        drive.run(bob.close())


def test_views_reactions_and_mini_window_speak_chinese(make_ctx: Callable[..., Any], qtbot: Any) -> None:
    import re

    from client.ui.error_text import error_sentence
    from client.ui.i18n import install_translator
    from client.ui.main_window import MainWindow
    from client.ui.reactions import reaction_name
    from shared.errors import RateLimited

    cjk = re.compile(r"[\u4e00-\u9fff]")
    app = QApplication.instance()
    assert app is not None
    assert install_translator(app, "zh_CN") == "zh_CN"
    try:
        win = MainWindow(make_ctx())
        qtbot.addWidget(win)
        stage = win.stage_ui
        views = stage.views
        texts = [views.button.text(), *(a.text() for a in views.view_menu.actions() if a.text())]
        texts += [stage.reactions.button.text(), *(reaction_name(k) for k in EMOJI)]
        texts += [stage.mini.stop_button.text(), stage.mini.leave_button.text(), stage.mini.mute_button.text()]
        texts += [a.text() for a in views.menu_for("someone", "camera").actions() if a.text()]
        texts.append(error_sentence(RateLimited("Too many reactions at once. Wait a moment.", retry_after=1)))
        for text in texts:
            assert cjk.search(text), text
    finally:
        install_translator(app, "en")


def test_what_takes_the_stage_first(qtbot: Any) -> None:
    """Pinned (here) before spotlit (by the host) before a shared screen before speaker view."""
    from client.ui.video_grid import VideoGrid

    grid = VideoGrid()
    qtbot.addWidget(grid)
    grid.resize(1200, 700)
    for pid in ("me", "ann", "ben"):
        grid.add_tile(pid, "camera", pid)
    assert grid.stage_key is None  # gallery
    grid.mode, grid.speaker = "speaker", "ben"
    assert grid.stage_key == ("ben", "camera")
    grid.add_tile("ann", "screen", "ann")
    assert grid.stage_key == ("ann", "screen")
    grid.spotlight = "me"
    assert grid.stage_key == ("me", "camera")
    grid.pinned = ("ben", "camera")
    assert grid.stage_key == ("ben", "camera")
    grid.remove_tile("ben", "camera")  # a pin of someone who left no longer counts
    assert grid.stage_key == ("me", "camera")
    grid.hidden = {("me", "camera")}
    grid.relayout()
    assert grid.tile("me").isVisibleTo(grid)  # hidden, but on the stage it stays shown
