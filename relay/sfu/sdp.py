"""What the relay checks in an SDP before it hands it to aiortc. Pure functions."""

from __future__ import annotations

import re

from shared.errors import BadRequest, Forbidden

_FINGERPRINT = re.compile(r"^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$", re.MULTILINE)
_MEDIA = re.compile(r"^m=(\w+) ", re.MULTILINE)

MAX_SDP_BYTES = 64 * 1024


def normalize_fingerprint(value: str) -> str:
    """``"sha-256 AB:CD:.."`` or ``"abcd.."`` -> ``"sha-256 ABCD.."`` for comparison."""
    parts = value.strip().split()
    algorithm, digest = (parts[0].lower(), parts[1]) if len(parts) == 2 else ("sha-256", value.strip())
    return f"{algorithm} {digest.replace(':', '').upper()}"


def sdp_fingerprints(sdp: str) -> set[str]:
    return {normalize_fingerprint(f"{alg} {digest}") for alg, digest in _FINGERPRINT.findall(sdp)}


def check_fingerprint(sdp: str, claimed: str) -> None:
    """Refuse an SDP whose DTLS fingerprints are missing or differ from the one sent alongside it."""
    found = sdp_fingerprints(sdp)
    if not claimed or not found or found != {normalize_fingerprint(claimed)}:
        raise Forbidden("The DTLS fingerprint in the SDP does not match the one sent over the signed-in connection.")


def media_kinds(sdp: str) -> list[str]:
    """The kinds of the SDP's m-lines, in order (``audio``, ``video``, ``application``)."""
    return _MEDIA.findall(sdp)


def check_size(sdp: str) -> None:
    if len(sdp) > MAX_SDP_BYTES:
        raise BadRequest("The SDP is too large.")
