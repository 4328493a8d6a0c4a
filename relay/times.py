"""Times as people read them: IANA time zones, local wall-clock text, weekly repetition, lengths.

Times are UTC seconds everywhere else in the relay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import BadRequest


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or BadRequest in a sentence."""
    try:
        if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"{name!r} is not a time zone this server knows (use names like Europe/Paris).") from None


def local_text(ts: float, tz: str = "UTC") -> str:
    """``2026-12-01 14:00 Europe/Paris`` for people."""
    try:
        tzinfo = zone(tz)
    except BadRequest:
        tzinfo, tz = ZoneInfo("UTC"), "UTC"
    return f"{datetime.fromtimestamp(ts, tzinfo):%Y-%m-%d %H:%M} {tz}"


def weekly_occurrences(starts_at: float, ends_at: float, count: int, tz: str) -> list[tuple[float, float]]:
    """Each weekly occurrence at the same local wall-clock time (so it follows daylight saving)."""
    tzinfo = zone(tz)
    first = datetime.fromtimestamp(starts_at, tzinfo)
    length = ends_at - starts_at
    out = []
    for week in range(count):
        local = (first.replace(tzinfo=None) + timedelta(weeks=week)).replace(tzinfo=tzinfo)
        start = local.timestamp()
        out.append((start, start + length))
    return out


def length_text(minutes: float) -> str:
    """``2 hours``, ``90 minutes``, ``30 seconds``."""
    if minutes >= 60 and minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if minutes >= 1:
        return f"{minutes:g} minutes"
    return f"{minutes * 60:g} seconds"


def finite(value: float) -> bool:
    """A real time or length (not NaN, not infinite, not absurdly far)."""
    return isinstance(value, (int, float)) and value == value and abs(value) < 1e12
