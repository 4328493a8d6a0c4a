"""What the relay checks in an SDP before it hands it to aiortc. Pure functions."""

from __future__ import annotations

import re

from shared.errors import BadRequest, Forbidden

_FINGERPRINT = re.compile(r"^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$", re.MULTILINE)
_MEDIA = re.compile(r"^m=(\w+) ", re.MULTILINE)
_UFRAG = re.compile(r"^a=ice-ufrag:(\S+)\s*$", re.MULTILINE)

MAX_SDP_BYTES = 64 * 1024


def normalize_fingerprint(value: str) -> str:
    """``"sha-256 AB:CD:.."`` or ``"abcd.."`` -> ``"sha-256 ABCD.."`` for comparison."""
    parts = value.strip().split()
    algorithm, digest = (parts[0].lower(), parts[1]) if len(parts) == 2 else ("sha-256", value.strip())
    return f"{algorithm} {digest.replace(':', '').upper()}"


def sdp_fingerprints(sdp: str) -> set[str]:
    return {normalize_fingerprint(f"{alg} {digest}") for alg, digest in _FINGERPRINT.findall(sdp)}


def pin_fingerprint(sdp: str, claimed: str) -> str:
    """The SDP with only the DTLS fingerprint sent alongside it, or Forbidden.

    aiortc accepts a certificate that matches any listed fingerprint (it lists sha-256, -384 and
    -512), so every other line is removed: the DTLS handshake then succeeds only with the
    certificate the signed-in client vouched for.
    """
    wanted = normalize_fingerprint(claimed) if claimed else ""
    found = sdp_fingerprints(sdp)
    same_algorithm = {f for f in found if f.split()[0] == wanted.split(" ")[0]} if wanted else set()
    if not wanted or same_algorithm != {wanted}:
        raise Forbidden("The DTLS fingerprint in the SDP does not match the one sent over the signed-in connection.")
    kept = []
    for line in sdp.splitlines(keepends=True):
        match = _FINGERPRINT.match(line.rstrip("\r\n"))
        if match and normalize_fingerprint(f"{match.group(1)} {match.group(2)}") != wanted:
            continue
        kept.append(line)
    return "".join(kept)


def media_kinds(sdp: str) -> list[str]:
    """The kinds of the SDP's m-lines, in order (``audio``, ``video``, ``application``)."""
    return _MEDIA.findall(sdp)


def check_size(sdp: str) -> None:
    if len(sdp) > MAX_SDP_BYTES:
        raise BadRequest("The SDP is too large.")


def ice_ufrag(sdp: str) -> str:
    """The SDP's ICE username fragment ('' when there is none). aiortc has no ICE restart, so a
    new fragment always means a new connection on the other side."""
    found = _UFRAG.search(sdp)
    return found.group(1) if found else ""
