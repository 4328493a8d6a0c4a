"""Meeting info (issue #19 item 2): the link of an instant meeting shown on pre-join, and in the call
the title, host, both links, Copy link and Copy invitation; what is copied parses back to the meeting."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from test_call import use_synthetic_media
from ui_helpers import sign_in

from shared.links import parse_link


def test_instant_meeting_link_copied_and_parsed_back(window: Any, relay: Any, drive: Any, qtbot: Any) -> None:
    use_synthetic_media(window)
    me = sign_in(window, relay, drive, relay.add_user(display="Ada Lovelace"))
    assert me
    home, prejoin = window.home, window.prejoin
    drive.call(lambda: qtbot.mouseClick(home.instant_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.stack.currentWidget() is prejoin, what="pre-join")
    meeting_id = prejoin.link.meeting_id
    # Pre-join is titled with the meeting's title, and shows its link.
    assert prejoin.title.text() == "Ada Lovelace's meeting"
    assert meeting_id not in prejoin.title.text()
    assert parse_link(prejoin.link_label.text()) == prejoin.link
    assert prejoin.link_label.text().startswith("https://")

    QGuiApplication.clipboard().clear()
    drive.call(lambda: qtbot.mouseClick(prejoin.copy_link_button, Qt.MouseButton.LeftButton))
    assert parse_link(QGuiApplication.clipboard().text()) == prejoin.link

    drive.call(lambda: qtbot.mouseClick(prejoin.info_button, Qt.MouseButton.LeftButton))
    dialog = window.meeting_info.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.fields["host"].text() == "Ada Lovelace"
    dialog.close()

    drive.call(lambda: qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.stack.currentWidget() is window.call and window.ctx.session.meeting, what="in call")
    button = window.meeting_info.call_button
    assert button.isVisibleTo(window.call)
    drive.call(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    dialog = window.meeting_info.dialog
    assert dialog.fields["title"].text() == "Ada Lovelace's meeting"
    assert dialog.fields["host"].text() == "Ada Lovelace"
    assert dialog.fields["https"].text().startswith("https://")
    assert dialog.fields["parley"].text().startswith("parley://")

    QGuiApplication.clipboard().clear()
    drive.call(lambda: qtbot.mouseClick(dialog.copy_link_button, Qt.MouseButton.LeftButton))
    copied = parse_link(QGuiApplication.clipboard().text())
    assert copied.meeting_id == meeting_id
    assert copied == window.ctx.session.link_to(meeting_id)

    drive.call(lambda: qtbot.mouseClick(dialog.copy_invitation_button, Qt.MouseButton.LeftButton))
    invitation = QGuiApplication.clipboard().text()
    assert "Ada Lovelace's meeting" in invitation
    links = [parse_link(word) for word in invitation.split() if "://" in word]
    assert {str(link) for link in links} == {str(copied)}
    assert {word.split("://")[0] for word in invitation.split() if "://" in word} == {"https", "parley"}
    dialog.close()
    drive.call(lambda: qtbot.mouseClick(window.call.leave_button, Qt.MouseButton.LeftButton))
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home after leaving")
