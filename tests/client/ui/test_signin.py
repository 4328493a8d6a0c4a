"""Sign-in against a real relay on loopback: certificate confirmation, errors, remembered sign-in."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt


def fill(win: Any, server: str, user: str, password: str) -> None:
    view = win.sign_in
    view.server_edit.setText(server)
    view.username_edit.setText(user)
    view.password_edit.setText(password)


def test_first_contact_shows_fingerprint_then_signs_in(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    name = relay.add_user()
    fill(window, relay.server, name, "correct horse")
    drive.call(lambda: qtbot.mouseClick(window.sign_in.sign_in_button, Qt.MouseButton.LeftButton))
    dialog = drive.until(lambda: window.sign_in.certificate_dialog, what="certificate dialog")
    assert relay.fingerprint.replace(":", "").lower() in dialog.fingerprint.replace(":", "").lower()
    dialog.accept()
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home screen")
    assert name in window.home.server_label.text()
    assert window.windowTitle() == "Parley"
    # The confirmation is remembered for this server.
    assert window.ctx.trusted_fingerprint(relay.server)


def test_declining_the_certificate_says_so(window: Any, relay: Any, drive: Any) -> None:
    fill(window, relay.server, "whoever", "pw")
    window.sign_in.submit()
    dialog = drive.until(lambda: window.sign_in.certificate_dialog)
    dialog.reject()
    drive.until(lambda: window.sign_in.error_label.isVisible())
    assert "not trusted" in window.sign_in.error_label.text()
    assert window.stack.currentWidget() is window.sign_in


def test_wrong_password_is_a_sentence(window: Any, relay: Any, drive: Any) -> None:
    name = relay.add_user()
    window.ctx.trust(relay.server, relay.fingerprint)
    fill(window, relay.server, name, "wrong password")
    window.sign_in.submit()
    drive.until(lambda: window.sign_in.error_label.isVisible() and window.sign_in.sign_in_button.isEnabled())
    assert window.sign_in.error_label.text() == "Wrong user name or password."


def test_unreachable_server_is_a_sentence(window: Any, drive: Any) -> None:
    fill(window, "127.0.0.1:9", "someone", "pw")
    window.sign_in.submit()
    drive.until(lambda: window.sign_in.error_label.isVisible(), timeout=30)
    text = window.sign_in.error_label.text()
    assert "127.0.0.1:9 refused the connection" in text  # the cause: nothing listens there
    assert "Traceback" not in text and "Errno" not in text


def test_suspended_account_is_a_sentence(window: Any, relay: Any, drive: Any) -> None:
    name = relay.add_user()
    relay.cli("user", "suspend", name)
    window.ctx.trust(relay.server, relay.fingerprint)
    fill(window, relay.server, name, "correct horse")
    window.sign_in.submit()
    drive.until(lambda: window.sign_in.error_label.isVisible())
    text = window.sign_in.error_label.text()
    assert "suspend" in text.lower()


def test_remembered_sign_in_resumes(make_ctx: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    from client.ui.main_window import MainWindow

    name = relay.add_user()
    first = MainWindow(make_ctx())
    qtbot.addWidget(first)
    first.ctx.trust(relay.server, relay.fingerprint)
    fill(first, relay.server, name, "correct horse")
    first.sign_in.submit()
    drive.until(lambda: first.stack.currentWidget() is first.home)

    # A new window with the same state file and token store signs in without a password.
    second_ctx = make_ctx()
    second_ctx.state = first.ctx.state
    second_ctx.session.token_store = first.ctx.session.token_store
    second = MainWindow(second_ctx)
    qtbot.addWidget(second)
    assert second.sign_in.username_edit.text() == name
    second.sign_in.try_resume()
    drive.until(lambda: second.stack.currentWidget() is second.home)


def test_policy_locked_server_is_read_only(make_ctx: Any, settings_dirs: Any, qtbot: Any) -> None:
    from client.ui.main_window import MainWindow

    (settings_dirs["policy_dir"] / "policy.toml").write_text('server_url = "meet.corp.example:8443"\n')
    win = MainWindow(make_ctx())
    qtbot.addWidget(win)
    assert win.sign_in.server_edit.text() == "meet.corp.example:8443"
    assert win.sign_in.server_edit.isReadOnly()
