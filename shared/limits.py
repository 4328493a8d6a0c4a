"""Limits both sides agree on. The relay's configurable limits live in ``relay.config``."""

from __future__ import annotations

# Largest signalling frame the relay reads; SDP offers with three m-lines stay far below it.
DEFAULT_MAX_FRAME_BYTES = 64 * 1024

# A meeting id is a short url-safe token; anything longer is refused before it reaches the database.
MAX_MEETING_ID_LENGTH = 64
MAX_TITLE_LENGTH = 200
MAX_USERNAME_LENGTH = 64
MAX_DISPLAY_NAME_LENGTH = 80
MAX_PASSWORD_LENGTH = 1024
