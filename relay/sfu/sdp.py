"""What the relay checks in an SDP before it hands it to aiortc. Pure functions."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

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


# --- m-lines and ICE candidates ------------------------------------------------------------------

_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ ", re.IGNORECASE)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def check_media_lines(sdp: str, max_tracks: int) -> list[str]:
    """The SDP's audio/video kinds, or BadRequest for m-lines no Parley client sends (more than one
    data channel m-line, unknown kinds). Too many audio/video lines are the caller's LimitExceeded."""
    kinds = media_kinds(sdp)
    if kinds.count("application") > 1:
        raise BadRequest("An offer may carry one data channel m-line (m=application) at most.")
    unknown = {k for k in kinds if k not in ("audio", "video", "application")}
    if unknown:
        raise BadRequest(f"Unsupported m-line kind {sorted(unknown)[0][:32]!r} in the offer.")
    return [k for k in kinds if k != "application"]


def parse_networks(values: list[str]) -> list[Network]:
    """The admin's ``ice_allowed_networks``; a typo raises ValueError naming the value."""
    return [ipaddress.ip_network(v, strict=False) for v in values]


@dataclass
class CandidateScreen:
    """What `screen_candidates` kept and refused (for the log line and the metrics)."""

    kept: int = 0
    outside: int = 0  # an address family or range the admin does not allow, or never valid
    over_limit: int = 0  # beyond max_ice_candidates or max_ice_pairs


def _never_valid(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_multicast or address.is_unspecified or address.is_reserved or str(address) == "255.255.255.255"


def screen_candidates(
    sdp: str, allowed: list[Network], local: dict[int, int], max_candidates: int, max_pairs: int
) -> tuple[str, CandidateScreen]:
    """The SDP with only the ICE candidates the relay will check, and what was dropped.

    A client's candidates make the relay send STUN checks to them, so a hostile client could
    aim the relay at any address and port (RFC 8445 section 6.1.2.5 bounds the check list at
    100 pairs). Kept, in the order given (clients list their best first): candidates whose address
    is in an allowed network (mDNS ``.local`` names, resolved only on the local link, pass), as
    long as there are at most ``max_candidates`` of them and the pairs they make with the relay's
    own addresses of that IP version (``local``: version -> count) stay within ``max_pairs``.
    """
    screen = CandidateScreen()
    pairs = 0
    kept = []
    for line in sdp.splitlines(keepends=True):
        match = _CANDIDATE.match(line)
        if match is None:
            kept.append(line)
            continue
        host = match.group(1)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is None:  # an mDNS name: either IP version once resolved
            ok = host.lower().endswith(".local")
            cost = max([1, *local.values()])
        else:
            ok = not _never_valid(address) and any(address in net for net in allowed if net.version == address.version)
            cost = max(1, local.get(address.version, 0))
        if not ok:
            screen.outside += 1
            continue
        if screen.kept >= max_candidates or pairs + cost > max_pairs:
            screen.over_limit += 1
            continue
        pairs += cost
        screen.kept += 1
        kept.append(line)
    return "".join(kept), screen


def ice_ufrag(sdp: str) -> str:
    """The SDP's ICE username fragment ('' when there is none). aiortc has no ICE restart, so a
    new fragment always means a new connection on the other side."""
    found = _UFRAG.search(sdp)
    return found.group(1) if found else ""
