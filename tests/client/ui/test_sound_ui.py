"""The sound settings and "You are muted" in the desktop app (pytest-qt, a real relay, media from
the synthetic session, whose `speak` stands in for the processed microphone's voice activity)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from test_call import join_through_ui
from test_settings_walkthrough import choose, open_dialog
from ui_helpers import meeting_link, sign_in

from client.engine.media.audio_processing import ProcessingChoice
from client.engine.media.fakes import SyntheticMediaSession


def in_call(window: Any, relay: Any, drive: Any, qtbot: Any) -> SyntheticMediaSession:
    window.ctx.media.session_factory = partial(SyntheticMediaSession, width=320, height=180, fps=10)
    me = sign_in(window, relay, drive)
    join_through_ui(window, meeting_link(relay, me, "Sound"), drive, qtbot)
    session: SyntheticMediaSession = drive.until(lambda: window.ctx.media.session, what="media")
    return session


def test_speaking_while_muted_says_you_are_muted(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    session = in_call(window, relay, drive, qtbot)
    notice = window.call.muted_notice
    session.speak(True)  # speaking, not muted: nothing to say
    assert notice.isHidden()
    drive.call(lambda: qtbot.mouseClick(window.call.mic_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: session.muted["mic"], what="muted")
    session.speak(True)
    assert notice.isVisible() and "You are muted" in notice.text()
    session.speak(False)  # stays up a moment after the voice stops, then goes
    drive.until(lambda: notice.isHidden(), what="the notice to go after the voice stopped")
    session.speak(True)
    assert notice.isVisible()
    drive.call(lambda: qtbot.mouseClick(window.call.mic_button, Qt.MouseButton.LeftButton))  # unmute
    assert notice.isHidden()


def test_sound_settings_reach_the_engine_in_a_call(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    session = in_call(window, relay, drive, qtbot)
    assert session.audio_processing == ProcessingChoice()  # on by default
    dialog = open_dialog(window, drive)
    sound = dialog.sound
    assert sound.noise.isEnabled() and sound.echo.isEnabled() and sound.gain.isEnabled()
    choose(sound.noise, "high")
    sound.gain.setChecked(False)
    drive.call(dialog.save)
    assert session.audio_processing == ProcessingChoice(noise_suppression="high", auto_gain=False)
    again = open_dialog(window, drive)
    again.sound.original.setChecked(True)  # music: the other three cannot be changed meanwhile
    assert not again.sound.noise.isEnabled() and not again.sound.echo.isEnabled()
    drive.call(again.save)
    assert session.audio_processing.original_sound and not session.audio_processing.active
    assert window.ctx.settings.original_sound and window.ctx.settings.noise_suppression == "high"


def test_policy_fixes_the_sound_settings(
    make_ctx: Any, settings_dirs: dict[str, Path], relay: Any, drive: Any, qtbot: Any
) -> None:
    from client.ui.main_window import MainWindow

    (settings_dirs["policy_dir"] / "policy.toml").write_text(
        'noise_suppression = "high"\necho_cancellation = true\noriginal_sound = false\n'
    )
    (settings_dirs["user_dir"] / "settings.toml").write_text('noise_suppression = "off"\noriginal_sound = true\n')
    window = MainWindow(make_ctx())
    qtbot.addWidget(window)
    window.show()
    try:
        session = in_call(window, relay, drive, qtbot)
        # The engine got the policy's choice, not the user's own file.
        assert session.audio_processing == ProcessingChoice(noise_suppression="high")
        dialog = open_dialog(window, drive)
        sound = dialog.sound
        assert not sound.noise.isEnabled() and not sound.echo.isEnabled() and not sound.original.isEnabled()
        assert sound.gain.isEnabled()  # not set by policy
        assert "administrator" in sound.noise.toolTip()
        sound.original.setChecked(True)  # behind the UI's back: still kept as the policy says
        sound.gain.setChecked(False)
        drive.call(dialog.save)
        assert session.audio_processing == ProcessingChoice(noise_suppression="high", auto_gain=False)
    finally:
        window.prejoin.preview.stop()
        drive.run(window.ctx.media.stop())
        drive.run(window.ctx.session.close())


def test_the_sound_texts_are_translated(make_ctx: Any, qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication, QPushButton

    from client.engine.events import MediaFailed
    from client.engine.media.audio_processing import CLIPPING, UNAVAILABLE
    from client.ui.error_text import event_sentence
    from client.ui.i18n import install_translator
    from client.ui.muted_notice import MutedSpeechNotice
    from client.ui.sound_settings import SoundSettings

    ctx = make_ctx()
    install_translator(QApplication.instance(), "zh_CN")
    try:
        sound = SoundSettings(ctx.settings, lambda name, widget, label: widget)
        notice = MutedSpeechNotice(ctx.media, QPushButton())
        qtbot.addWidget(sound)
        qtbot.addWidget(notice)
        assert sound.title() == "声音" and sound.noise.itemText(1) == "标准"
        assert notice.text().startswith("您已静音")
        assert "失真" in event_sentence(MediaFailed(message=CLIPPING))
        assert "降噪" in event_sentence(MediaFailed(message=UNAVAILABLE))
    finally:
        install_translator(QApplication.instance(), "en")
