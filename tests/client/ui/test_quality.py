"""The quality indicator reads what arrives, not only loss and round trip (client/ui/quality.py)."""

from __future__ import annotations

from client.ui.quality import quality_of, tile_rates


def tile(fps: float, stalled: bool = False, source: str = "camera") -> dict[str, object]:
    return {"participant_id": "p1", "source": source, "kind": "video", "fps": fps, "stalled": stalled}


def test_frames_that_arrive_decide_as_much_as_loss_and_round_trip() -> None:
    clean = {"packet_loss": 0.0, "rtt_ms": 20.0}
    assert quality_of({**clean, "tiles": [tile(15.0)]}) == "good"
    assert quality_of({**clean, "tiles": [tile(1.0)]}) == "fair"  # frozen-looking video on a clean link
    assert quality_of({**clean, "tiles": [tile(0.0, stalled=True)]}) == "stalled"
    assert quality_of({**clean, "tiles": [tile(15.0)], "receiving": "reconnecting"}) == "stalled"
    assert quality_of({**clean, "tiles": [tile(15.0)], "sending": "reconnecting"}) == "stalled"
    assert quality_of({"packet_loss": 0.1, "rtt_ms": 20.0, "tiles": [tile(15.0)]}) == "poor"
    assert quality_of({}) == "unknown"


def test_tooltip_lines_give_frames_per_second_per_tile() -> None:
    stats = {"tiles": [tile(14.6), tile(5.0, source="screen"), {**tile(50.0), "kind": "audio"}]}
    lines = tile_rates(stats, lambda pid: "Alice", "{0}: {1}, {2} fps", {"camera": "camera", "screen": "screen"})
    assert lines == ["Alice: camera, 15 fps", "Alice: screen, 5 fps"]
