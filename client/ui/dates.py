"""Dates and times in the app's language (QLocale's default follows the language setting, see
client/ui/i18n.py), so a Chinese UI says 周五 where an English one says Fri."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QLocale, QTimeZone


def _moment(ts: float, tz: str | None) -> QDateTime:
    if tz:
        zone = QTimeZone(tz.encode())
        if zone.isValid():
            return QDateTime.fromSecsSinceEpoch(int(ts), zone)
    return QDateTime.fromSecsSinceEpoch(int(ts))


def day_and_time(ts: float, tz: str | None = None) -> str:
    """e.g. "Fri 2026-12-04 09:30" / "周五 2026-12-04 09:30"."""
    return QLocale().toString(_moment(ts, tz), "ddd yyyy-MM-dd HH:mm")


def time_of_day(ts: float, tz: str | None = None) -> str:
    return QLocale().toString(_moment(ts, tz), "HH:mm")


def long_date_time(ts: float, tz: str | None = None) -> str:
    """The locale's long form, e.g. "Friday, 4 December 2026 09:30:00 UTC"."""
    return QLocale().toString(_moment(ts, tz), QLocale.FormatType.LongFormat)
