"""Labels fit (issue #19 item 7): at 1024x640 and at 1280x800 with a side panel open, in English and
in Chinese, no button or label is drawn narrower than its text (Qt would cut it to "Sto…deo");
control-bar buttons that do not fit go into the "More" menu."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QToolButton, QWidget

from shared.links import MeetingLink


@pytest.fixture
def language_window(make_ctx: Any, qtbot: Any, qloop: Any, request: Any) -> Iterator[Any]:
    from client.ui.i18n import install_translator
    from client.ui.main_window import MainWindow

    language = request.param
    assert install_translator(QApplication.instance(), language) == language
    win = MainWindow(make_ctx())
    qtbot.addWidget(win)
    win.show()
    yield win
    win.prejoin.preview.stop()
    install_translator(QApplication.instance(), "en")


def cut_texts(root: QWidget) -> list[str]:
    """Every visible button or one-line label whose text is wider than the room it is given."""
    bad = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.width() <= 0:
            continue
        metrics = widget.fontMetrics()
        if isinstance(widget, QToolButton) and widget.text():
            need = metrics.horizontalAdvance(widget.text().replace("&", ""))
            room = widget.width() - 4
        elif isinstance(widget, QPushButton) and widget.text():
            need = metrics.horizontalAdvance(widget.text().replace("&", ""))
            if not widget.icon().isNull():
                need += widget.iconSize().width() + 4
            room = widget.width() - 8
        elif isinstance(widget, QLabel) and widget.text() and not widget.wordWrap() and "<" not in widget.text():
            need = max(metrics.horizontalAdvance(line.replace("&", "")) for line in widget.text().split("\n"))
            room = widget.width()
        else:
            continue
        if need > room:
            bad.append(f"{type(widget).__name__} {widget.text()!r}: needs {need}px, has {room}px")
    return bad


def show_call(window: Any, drive: Any, width: int, height: int, panel: str | None) -> None:
    window.resize(width, height)
    window.show_view(window.call)
    if panel is not None and not window.call.side.isVisible():
        getattr(window.call, f"toggle_{panel}")()
    drive.settle(0.2)


@pytest.mark.parametrize("language_window", ["en", "zh_CN"], indirect=True)
def test_labels_fit_at_1024x640_and_with_a_panel_open(language_window: Any, drive: Any) -> None:
    window = language_window
    window.meeting_ui.controls.host_box.show()  # as a host sees the participants panel
    window.call.recording.button.show()  # and the host's control bar: Record, Co-hosts may record
    window.call.recording.cohosts.show()
    for width, height, panel in ((1024, 640, None), (1024, 640, "participants"), (1280, 800, "chat")):
        show_call(window, drive, width, height, panel)
        assert window.width() == width
        assert cut_texts(window.call) == [], (width, height, panel)
        bar = window.call.controls
        for button in (bar.mic_button, bar.camera_button, bar.leave_button):
            assert button.isVisible()
        if width >= 1280:  # the panels people follow a meeting with stay; Settings goes first
            assert all(b.isVisible() for b in (bar.participants_button, bar.chat_button, bar.files_button))
    # In the narrowest window (the minimum size) some buttons moved into "More", which offers them.
    show_call(window, drive, 800, 560, "files")
    assert cut_texts(window.call) == []
    bar = window.call.controls
    assert bar.more_button.isVisible()
    assert bar.settings_button in bar.overflow.moved and bar.participants_button.isVisible()
    bar.overflow.menu.aboutToShow.emit()
    offered = [action.text() for action in bar.overflow.menu.actions()]
    assert offered and all(not button.isVisible() for button in bar.overflow.moved)
    # A button from the menu does what the button does.
    moved = bar.overflow.moved[-1]
    before = moved.isChecked()
    bar.overflow.menu.actions()[-1].trigger()
    if moved.isCheckable():
        assert moved.isChecked() != before
    # A wide window shows every button again and no "More".
    window.call.side.hide()
    show_call(window, drive, 1600, 900, None)
    assert not bar.more_button.isVisible()
    assert bar.overflow.moved == []

    for view in (window.home, window.sign_in):
        window.resize(1024, 640)
        window.show_view(view)
        drive.settle(0.2)
        assert cut_texts(view) == [], view.objectName()
    window.prejoin.prepare(MeetingLink("relay.example", 8443, "m1"), "Weekly sync")
    window.show_view(window.prejoin)
    drive.settle(0.2)
    assert cut_texts(window.prejoin) == []
