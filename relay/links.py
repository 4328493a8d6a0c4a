"""This relay's join links, built with the same `MeetingLink` type the client parses them with."""

from __future__ import annotations

from shared.links import MeetingLink


class Links:
    """The public host name from the configuration and the port the relay really listens on
    (known only once it serves: port 0 picks a free one)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def meeting(self, meeting_id: str) -> str:
        return str(MeetingLink(self.host, self.port, meeting_id))
