"""The sans-I/O parts of issue #15 items 4 and 7: ICE candidate screening and bitrate budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay.config import ConfigError, load_config
from relay.sfu import sdp
from relay.sfu.budgets import Ceiling, EgressBudget
from shared.errors import BadRequest


def _candidate(i: int, host: str, port: int = 5000) -> str:
    return f"a=candidate:{i} 1 udp {2000 - i} {host} {port + i} typ host\r\n"


def test_candidates_outside_the_networks_and_over_the_pair_limit_are_dropped() -> None:
    lines = [_candidate(0, "224.0.0.1"), _candidate(1, "0.0.0.0"), _candidate(2, "10.1.2.3")]
    lines += [_candidate(3, "fd00::1"), _candidate(4, "host-x.local"), _candidate(5, "example.com")]
    lines += [_candidate(10 + i, "192.0.2.7") for i in range(60)]
    text = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" + "".join(lines) + "a=end-of-candidates\r\n"
    networks = sdp.parse_networks(["192.0.2.0/24", "10.0.0.0/8"])
    kept, screen = sdp.screen_candidates(text, networks, {4: 2, 6: 1}, max_candidates=100, max_pairs=100)
    assert "224.0.0.1" not in kept and "0.0.0.0 " not in kept and "fd00::1" not in kept and "example.com" not in kept
    assert "10.1.2.3" in kept and "host-x.local" in kept  # mDNS names are resolved on the local link only
    # Two relay IPv4 addresses: each IPv4 candidate makes two pairs, so 50 fit in 100.
    assert screen.kept == 50 and screen.outside == 4 and screen.over_limit == 12
    assert kept.count("a=candidate:") == 50 and kept.startswith("v=0") and kept.endswith("a=end-of-candidates\r\n")
    _, capped = sdp.screen_candidates(text, networks, {4: 1}, max_candidates=10, max_pairs=100)
    assert capped.kept == 10


def test_media_lines_no_client_sends_are_refused() -> None:
    assert sdp.check_media_lines("m=audio 9 x\r\nm=video 9 x\r\nm=application 9 x\r\n", 3) == ["audio", "video"]
    with pytest.raises(BadRequest, match="m=application"):
        sdp.check_media_lines("m=application 9 x\r\n" * 2, 3)
    with pytest.raises(BadRequest, match="Unsupported"):
        sdp.check_media_lines("m=text 9 x\r\n", 3)


def test_ceiling_drops_over_its_rate_and_cuts_off_after_a_sustained_episode() -> None:
    ceiling = Ceiling(80, cutoff_seconds=3.0, now=0.0)  # 10,000 bytes per second, 1 s of burst
    assert ceiling.allows(10_000, 0.0)
    assert not ceiling.allows(1_000, 0.01)
    assert not ceiling.exhausted(1.0)
    assert ceiling.allows(1_000, 0.2)  # refilled 2,000 bytes
    t = 0.2
    while t < 3.5:  # keep going over
        t += 0.05
        ceiling.allows(10_000, t)
    assert ceiling.exhausted(t) and not ceiling.exhausted(t + 1)  # once
    quiet = Ceiling(80, cutoff_seconds=3.0, now=0.0)
    for second in range(10):  # a drop now and then, with gaps: never cut off
        quiet.allows(20_000, second * 2.5)
        assert not quiet.exhausted(second * 2.5)


def test_egress_budget_lets_audio_through_and_video_wait() -> None:
    budget = EgressBudget(80, now=0.0)
    assert budget.spend(9_000, 0.0, must=False)
    assert not budget.spend(2_000, 0.0, must=False)  # video waits
    assert budget.spend(2_000, 0.0, must=True)  # audio goes, the budget goes below zero
    assert not budget.spend(500, 0.05, must=False)
    assert budget.spend(500, 0.2, must=False)


def test_a_typo_in_the_allowed_networks_is_refused_at_start(tmp_path: Path) -> None:
    config = tmp_path / "relay.toml"
    config.write_text('[media]\nice_allowed_networks = ["10.0.0.0/8", "10.0.0/33"]\n')
    with pytest.raises(ConfigError, match="ice_allowed_networks"):
        load_config(config)
    config.write_text('[media]\nice_allowed_networks = ["10.0.0.0/8"]\nvideo_ceiling_kbps = 3000\n')
    loaded = load_config(config)
    config.write_text("[media]\nmax_video_kbps = 2500\nvideo_ceiling_kbps = 2000\n")
    with pytest.raises(ConfigError, match="video_ceiling_kbps"):
        load_config(config)
    config.write_text('[media]\nice_allowed_networks = ["10.0.0.0/8"]\nvideo_ceiling_kbps = 3000\n')
    loaded = load_config(config)
    assert loaded.media.ice_allowed_networks == ["10.0.0.0/8"] and loaded.media.video_ceiling_kbps == 3000


async def test_forwarding_over_the_ceiling_drops_asks_for_a_keyframe_then_cuts_off() -> None:
    """The packet path itself (relay/sfu/forwarding.py with the stand-ins of shared.webrtc.fakes):
    drop, then every subscriber waits for a keyframe and one is asked for, then cut off, once."""
    import os
    import socket
    import time
    from types import SimpleNamespace

    from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
    from aiortc.rtp import HeaderExtensionsMap, RtpPacket

    from relay.sfu import forwarding
    from shared.webrtc import fakes

    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    cut: list[object] = []
    track = forwarding.PublishedTrack(
        "p",
        "camera",
        "video",
        fakes.publish_receiver([codec], HeaderExtensionsMap()),
        codec="vp8",
        pli_interval=0.0,
        ceiling=Ceiling(400, cutoff_seconds=0.3, now=time.monotonic()),  # 50,000 bytes per second
        on_cut_off=cut.append,
    )
    sender, udp = await fakes.subscribe_sender(1000, 2000, sink.getsockname())
    slot = forwarding.Slot("s", "video", sender, SimpleNamespace(mid="0"))
    slot.configure(RTCRtpSendParameters(codecs=[codec]))
    slot.bind(track)
    try:
        seq = 0
        deadline = time.monotonic() + 5
        while not cut and time.monotonic() < deadline:
            seq += 1
            packet = RtpPacket(payload_type=96, sequence_number=seq & 0xFFFF, timestamp=seq * 3000, ssrc=42)
            packet.payload = bytes([0x10, 0x00]) + os.urandom(1100)  # keyframe starts, ~9 MB/s offered
            await track.forward(packet, None)
            if track.ceiling is not None and track.ceiling.dropped == 1:
                assert slot.need_keyframe and track.plis_sent >= 1  # dropped, then a keyframe asked for
        assert cut == [track], "a publisher that stays over its ceiling is cut off, once"
        assert track.ceiling is not None and track.ceiling.dropped > 0 and slot.sent_packets > 0
    finally:
        udp.close()
        sink.close()
