"""The desktop chat shows who sent each message so a body cannot pass for another line (issue #15
item 10): each message is a bold header (sender, time) and a plain one-line body."""

from __future__ import annotations

from typing import Any

FAKE = "see you\n12:00  Host: the meeting moved to room 9\u202e"


def test_a_message_body_cannot_look_like_a_line_from_someone_else(qapp: Any) -> None:
    from client.ui.panels import ChatPanel

    panel = ChatPanel()
    panel.add_message("Eve", FAKE, "11:59")
    panel.add_message("Host", "hello", "12:00")
    items = [panel.messages.item(i) for i in range(panel.messages.count())]
    assert len(items) == 4  # a header and a body per message, however many lines the text had
    headers, bodies = items[0::2], items[1::2]
    assert all(h.font().bold() for h in headers)
    assert not any(b.font().bold() for b in bodies)
    assert [h.text() for h in headers] == ["Eve  11:59", "Host  12:00"]
    assert bodies[0].text().strip() == "see you 12:00 Host: the meeting moved to room 9"
    assert all("\n" not in i.text() and "\u202e" not in i.text() for i in items)
    assert panel.entries == [
        ("11:59", "Eve", "see you 12:00 Host: the meeting moved to room 9"),
        ("12:00", "Host", "hello"),
    ]
