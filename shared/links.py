"""Meeting links: ``parley://HOST:PORT/m/MEETING_ID`` (also accepted as ``https://HOST:PORT/m/ID``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.limits import MAX_MEETING_ID_LENGTH

DEFAULT_PORT = 8443
_MEETING_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_MEETING_ID_LENGTH}}}")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\]")


class BadLink(ValueError):
    """Raised with a sentence saying what is wrong with a link."""


@dataclass(frozen=True)
class MeetingLink:
    host: str
    port: int
    meeting_id: str

    def __str__(self) -> str:
        return f"parley://{self.host}:{self.port}/m/{self.meeting_id}"

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def https(self) -> str:
        """The same meeting as an https link, which mail, chat and calendar programs make clickable
        (``parse_link`` takes it back)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}/m/{self.meeting_id}"


def parse_link(text: str) -> MeetingLink:
    """Parse a meeting link; raises BadLink with a sentence for anything else."""
    text = (text or "").strip()
    if len(text) > 512:
        raise BadLink("That link is too long to be a Parley meeting link.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise BadLink(f"{text!r} is not a meeting link: the port is not a number from 1 to 65535.") from None
    if parts.scheme not in ("parley", "https"):
        raise BadLink(f"{text!r} is not a meeting link: it should start with parley://")
    netloc_host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if not netloc_host or not _HOST.fullmatch(netloc_host):
        raise BadLink(f"{text!r} is not a meeting link: the server name is missing or invalid.")
    path = parts.path.strip("/").split("/")
    if len(path) != 2 or path[0] != "m" or not _MEETING_ID.fullmatch(path[1]):
        raise BadLink(f"{text!r} is not a meeting link: it should end with /m/ and the meeting id.")
    return MeetingLink(netloc_host.strip("[]") if ":" in netloc_host else netloc_host, port or DEFAULT_PORT, path[1])


def parse_server(text: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``wss://host:port`` or a meeting link -> (host, port)."""
    text = (text or "").strip()
    if "://" not in text:
        text = "wss://" + text
    try:
        parts = urlsplit(text)
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise BadLink(f"{text!r} is not a server address: the port is not a number from 1 to 65535.") from None
    host = parts.hostname or ""
    if not host or not _HOST.fullmatch(host if ":" not in host else f"[{host}]"):
        raise BadLink("The server address is missing or invalid.")
    return host, port
