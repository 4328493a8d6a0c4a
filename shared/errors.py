"""One exception tree with the stable error codes every Parley component speaks.

The codes are part of the protocol: clients branch on them, operators grep for them, so they never
change meaning and are never removed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    LIMIT_EXCEEDED = "limit_exceeded"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


class ParleyError(Exception):
    """An error with a stable code, a sentence for people, and machine-readable detail."""

    code: ErrorCode = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail: dict[str, Any] = dict(detail or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value}: {self.message!r})"


class BadRequest(ParleyError):
    code = ErrorCode.BAD_REQUEST


class Unauthorized(ParleyError):
    code = ErrorCode.UNAUTHORIZED


class Forbidden(ParleyError):
    code = ErrorCode.FORBIDDEN


class NotFound(ParleyError):
    code = ErrorCode.NOT_FOUND


class Conflict(ParleyError):
    code = ErrorCode.CONFLICT


class LimitExceeded(ParleyError):
    """A configured limit was hit; ``detail`` names it (``limit``) and its value (``value``)."""

    code = ErrorCode.LIMIT_EXCEEDED

    def __init__(self, limit: str, value: Any, message: str | None = None) -> None:
        super().__init__(
            message or f"The limit {limit} ({value}) has been reached.",
            detail={"limit": limit, "value": value},
        )


class RateLimited(ParleyError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float, reason: str = "") -> None:
        detail: dict[str, Any] = {"retry_after": round(retry_after, 3)}
        if reason:
            detail["reason"] = reason  # "load": the server asks to wait, not a refusal of guesses
        super().__init__(message, detail=detail)
        self.retry_after = retry_after
        self.reason = reason


class Unavailable(ParleyError):
    code = ErrorCode.UNAVAILABLE


_BY_CODE: dict[ErrorCode, type[ParleyError]] = {
    cls.code: cls for cls in (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unavailable)
}


def error_from_code(code: str, message: str, detail: dict[str, Any] | None = None) -> ParleyError:
    """Rebuild the exception a peer reported, so callers can ``except Unauthorized``."""
    try:
        parsed = ErrorCode(code)
    except ValueError:
        return ParleyError(message, detail=detail)
    detail = dict(detail or {})
    if parsed is ErrorCode.LIMIT_EXCEEDED:
        err: ParleyError = LimitExceeded(str(detail.get("limit", "?")), detail.get("value"), message)
        err.detail.update(detail)
        return err
    if parsed is ErrorCode.RATE_LIMITED:
        return RateLimited(
            message, retry_after=float(detail.get("retry_after", 1.0)), reason=str(detail.get("reason", ""))
        )
    return _BY_CODE[parsed](message, detail=detail)
