"""Certificate fingerprints as people read them: SHA-256, upper-case hex pairs joined by colons."""

from __future__ import annotations

import hashlib
import re

_HEX = re.compile(r"[0-9a-f]{64}")


def fingerprint_of_der(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate, e.g. ``AB:CD:...`` (32 pairs)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def normalize_fingerprint(text: str) -> str:
    """Accept ``SHA256:ab:cd…``, ``abcd…`` or ``AB:CD…`` and return the canonical form.

    Raises ValueError with a sentence when the text is not a SHA-256 fingerprint.
    """
    cleaned = text.strip().lower()
    if cleaned.startswith("sha256:"):
        cleaned = cleaned[len("sha256:") :]
    cleaned = cleaned.replace(":", "").replace(" ", "")
    if not _HEX.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a SHA-256 fingerprint (64 hex digits, colons optional).")
    upper = cleaned.upper()
    return ":".join(upper[i : i + 2] for i in range(0, 64, 2))
