"""Switching the language mid-session (issue #19 item 7): every text on screen is said again in the
new language (nothing left half in English), dates follow the language, and the app says so as
news, not in the error style."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from test_settings_walkthrough import choose, open_dialog
from ui_helpers import sign_in

from client.ui.dates import day_and_time


def switch(window: Any, drive: Any, qtbot: Any, language: str) -> None:
    dialog = open_dialog(window, drive)
    dialog.tabs.setCurrentIndex(2)
    choose(dialog.language, language)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    drive.call(lambda: qtbot.mouseClick(save, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.settings_dialog is None, what="the dialog to close")


def test_language_switch_retranslates_what_is_on_screen(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    from client.ui.i18n import install_translator

    name = sign_in(window, relay, drive, relay.add_user(display="Ada"))
    assert name
    home, call = window.home, window.call
    host = window.meeting_ui.controls
    try:
        assert home.greeting.text() == "Hello, Ada"
        switch(window, drive, qtbot, "zh_CN")
        assert home.greeting.text() == "你好\uff0cAda"  # a sentence with a value keeps the value
        assert home.instant_button.text() == "发起即时会议"
        assert call.mic_button.text() == "静音"
        assert call.files_panel.send_button.text() == "发送文件…"
        assert host.hand_button.text() == "举手"  # the participants panel's Raise hand
        assert call.files_panel.to.itemText(0) == "所有人"  # Everyone
        assert window.meeting_ui.upcoming_actions.book_button.text() == "预订会议…"
        assert "周" in day_and_time(1764892800)  # a Friday: the day name is Chinese
        assert not home.notice_label.isHidden() and home.notice_label.objectName() == "info"
        assert home.error_label.isHidden()

        switch(window, drive, qtbot, "en")
        assert home.greeting.text() == "Hello, Ada"
        assert home.instant_button.text() == "Start an instant meeting"
        assert call.files_panel.to.itemText(0) == "Everyone"
        assert host.hand_button.text() == "Raise hand"
        assert day_and_time(1764892800).startswith("Fri")
        assert home.notice_label.text() == "Parley now uses the language you chose."
    finally:
        install_translator(QApplication.instance(), "en")
