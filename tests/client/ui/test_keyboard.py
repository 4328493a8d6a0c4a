"""Keyboard use (issue #19 item 9): a visible focus ring on checked (red) controls and on Leave,
Enter presses the focused button, and video tiles are reached with Tab and named for readers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget

from shared.protocol import messages as m

RING = QColor("#ffd24a")


def ring_pixels(widget: QWidget) -> int:
    image = widget.grab().toImage()
    count = 0
    for x in range(image.width()):
        for y in (1, 2, image.height() // 2):
            colour = QColor(image.pixel(x, y))
            count += (
                abs(colour.red() - RING.red()) + abs(colour.green() - RING.green()) + abs(colour.blue() - RING.blue())
                < 40
            )
    for y in range(image.height()):
        colour = QColor(image.pixel(1, y))
        count += abs(colour.red() - RING.red()) + abs(colour.green() - RING.green()) < 30
    return count


def focus(widget: QWidget, drive: Any) -> None:
    widget.window().activateWindow()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    drive.settle(0.05)
    assert QApplication.focusWidget() is widget


def test_focus_ring_on_checked_controls_and_leave(window: Any, drive: Any) -> None:
    window.show_view(window.call)
    bar = window.call.controls
    bar.mic_button.setChecked(True)  # muted: the red "checked" style
    drive.settle(0.05)
    for button in (bar.mic_button, bar.leave_button):
        focus(bar.settings_button, drive)
        without = ring_pixels(button)
        focus(button, drive)
        assert ring_pixels(button) > without + 20, button.text()


def test_enter_presses_the_focused_button(window: Any, drive: Any, qtbot: Any) -> None:
    window.show_view(window.call)
    bar = window.call.controls
    focus(bar.chat_button, drive)
    drive.call(lambda: qtbot.keyClick(bar.chat_button, Qt.Key.Key_Return))
    drive.until(lambda: window.call.side.isVisible(), what="the chat panel")
    assert window.call.side.currentWidget() is window.call.chat_panel
    window.show_view(window.home)
    focus(window.home.settings_button, drive)
    drive.call(
        lambda: qtbot.keyClick(window.home.settings_button, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    )
    drive.until(lambda: window.settings_dialog is not None, what="settings opened with Enter")
    drive.call(window.settings_dialog.reject)


def test_tiles_are_reached_with_tab_and_named(window: Any, drive: Any, qtbot: Any) -> None:
    session, call = window.ctx.session, window.call
    window.show_view(call)
    for pid, name in (("p1", "Ann"), ("p2", "Bob")):
        session.participant_joined.emit(m.ParticipantInfo(participant_id=pid, user_id=pid, display_name=name))
    call.model.update("p2", mic_muted=True)
    session.participant_updated.emit(
        m.ParticipantInfo(participant_id="p2", user_id="p2", display_name="Bob", muted={"mic": True})
    )
    first, second = call.grid.tile("p1"), call.grid.tile("p2")
    assert first.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert second.accessibleName() == "Bob, muted"
    focus(first, drive)
    without = first.grab().toImage()
    drive.call(lambda: qtbot.keyClick(first, Qt.Key.Key_Tab))
    assert QApplication.focusWidget() is second  # Tab goes from tile to tile
    assert first.grab().toImage() != without  # the ring moved away from the first tile
