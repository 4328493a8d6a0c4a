"""The call's connection-quality indicator, from what the media engine reports: packet loss and
round-trip time, and what actually arrives (frames per second per tile, stalled tiles, a
connection being rebuilt; client/engine/media/watchdog.py). No widgets here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LOW_FPS = 3.0  # a live video tile delivering less than this looks frozen to people


def quality_of(stats: dict[str, Any]) -> str:
    """'good' | 'fair' | 'poor' | 'stalled' | 'unknown' from whatever the media engine reports."""
    tiles = [t for t in stats.get("tiles", []) if t.get("kind") == "video"]
    if any(t.get("stalled") for t in tiles) or "reconnecting" in (stats.get("receiving"), stats.get("sending")):
        return "stalled"
    loss = stats.get("packet_loss", stats.get("loss"))
    rtt = stats.get("rtt_ms", stats.get("round_trip_ms"))
    if loss is None and rtt is None and not tiles:
        return "unknown"
    loss = float(loss or 0.0)
    if loss > 1:  # percent rather than a fraction
        loss /= 100
    rtt = float(rtt or 0.0)
    if loss > 0.08 or rtt > 600:
        return "poor"
    if loss > 0.02 or rtt > 250 or any(float(t.get("fps", 0.0)) < LOW_FPS for t in tiles):
        return "fair"
    return "good"


def tile_rates(
    stats: dict[str, Any], name_of: Callable[[str], str], template: str, sources: dict[str, str]
) -> list[str]:
    """One line per video tile, e.g. "Alice: camera, 15 fps" (``template`` is the translated
    "{0}: {1}, {2} fps", ``sources`` the translated source names), for the indicator's tooltip."""
    lines = []
    for tile in stats.get("tiles", []):
        if tile.get("kind") == "video":
            fps = f"{float(tile.get('fps', 0.0)):.0f}"
            source = sources.get(str(tile["source"]), str(tile["source"]))
            lines.append(template.format(name_of(str(tile["participant_id"])), source, fps))
    return lines
