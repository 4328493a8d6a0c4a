"""Settings: change devices, video quality, folders and language, save, reopen; policy fields read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox


def open_dialog(window: Any, drive: Any) -> Any:
    drive.call(window.open_settings)
    drive.until(lambda: window.settings_dialog is not None and window.settings_dialog.isVisible(), what="settings")
    return window.settings_dialog


def choose(combo: Any, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


def test_settings_walkthrough_keeps_values(window: Any, make_ctx: Any, drive: Any, qtbot: Any, tmp_path: Path) -> None:
    from client.ui.i18n import install_translator
    from client.ui.main_window import MainWindow
    from client.ui.prejoin import NONE

    recordings, downloads = tmp_path / "Recordings", tmp_path / "Downloads"
    dialog = open_dialog(window, drive)
    try:
        # Devices: no camera, no microphone, no speaker (always offered, even on a machine without any).
        choose(dialog.camera, NONE)
        choose(dialog.microphone, NONE)
        choose(dialog.speaker, NONE)
        choose(dialog.quality, "360p")
        dialog.tabs.setCurrentIndex(1)
        dialog.recordings.setText(str(recordings))
        dialog.downloads.setText(f"  {downloads}  ")  # stray spaces from a paste are trimmed
        dialog.tabs.setCurrentIndex(2)
        choose(dialog.language, "zh_CN")
        save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
        drive.call(lambda: qtbot.mouseClick(save, Qt.MouseButton.LeftButton))
        drive.until(lambda: window.settings_dialog is None, what="the dialog to close")
        # The language applies at once, said as news (not as a problem) in the new language.
        assert window.home.notice_label.text() and not window.home.notice_label.isHidden()
        assert window.home.error_label.isHidden()

        settings = window.ctx.settings
        assert (settings.camera_device, settings.microphone_device, settings.speaker_device) == (NONE, NONE, NONE)
        assert settings.video_quality == "360p"
        assert (settings.recordings_dir, settings.downloads_dir) == (str(recordings), str(downloads))
        assert settings.language == "zh_CN"

        # Reopened in the same app: the dialog shows what was saved.
        again = open_dialog(window, drive)
        assert again.camera.currentData() == NONE and again.speaker.currentData() == NONE
        assert again.quality.currentData() == "360p"
        assert again.recordings.text() == str(recordings) and again.downloads.text() == str(downloads)
        assert again.language.currentData() == "zh_CN"
        drive.call(again.reject)

        # A new start of the app reads the same values from disk.
        fresh = MainWindow(make_ctx())
        qtbot.addWidget(fresh)
        reread = open_dialog(fresh, drive)
        assert reread.microphone.currentData() == NONE
        assert reread.quality.currentData() == "360p"
        assert reread.downloads.text() == str(downloads)
        assert reread.language.currentData() == "zh_CN"
        drive.call(reread.reject)
    finally:
        install_translator(QApplication.instance(), "en")  # the QApplication is shared by every test


def test_policy_fields_are_read_only_and_kept(make_ctx: Any, settings_dirs: Any, drive: Any, qtbot: Any) -> None:
    from client.ui.main_window import MainWindow

    (settings_dirs["policy_dir"] / "policy.toml").write_text(
        'video_quality = "720p"\nrecordings_dir = "/srv/recordings"\nserver_url = "meet.corp.example:8443"\n'
    )
    window = MainWindow(make_ctx())
    qtbot.addWidget(window)
    dialog = open_dialog(window, drive)
    assert not dialog.quality.isEnabled() and dialog.quality.currentData() == "720p"
    assert dialog.recordings.isReadOnly() and dialog.recordings.text() == "/srv/recordings"
    assert dialog.server.isReadOnly()
    assert "administrator" in dialog.recordings.toolTip()
    browse = [b for b in dialog.findChildren(type(dialog.buttons.buttons()[0])) if b.text() == "Browse…"]
    assert len(browse) == 2 and not browse[0].isEnabled() and browse[1].isEnabled()
    # Free fields still change; locked ones keep the policy's value even if edited behind the UI's back.
    dialog.downloads.setText("/home/me/Downloads")
    dialog.recordings.setText("/tmp/elsewhere")
    drive.call(dialog.save)
    settings = window.ctx.settings
    assert settings.downloads_dir == "/home/me/Downloads"
    assert settings.recordings_dir == "/srv/recordings" and settings.video_quality == "720p"
    reread = make_ctx().settings
    assert reread.downloads_dir == "/home/me/Downloads" and reread.recordings_dir == "/srv/recordings"
