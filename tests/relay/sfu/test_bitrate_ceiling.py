"""A publisher's bitrate is enforced, not only advised (issue #15 item 4), against a live relay.

Mallory publishes a camera that ignores REMB and sends ~10 Mbit/s. Over the stream's ceiling the
relay drops packets and asks her for a keyframe; still over it after ``ceiling_cutoff_seconds`` it
cuts the stream off and tells her in a sentence, while Alice's video keeps reaching Bob. Apart from
that, each subscriber has an egress budget: video over it is dropped for that subscriber alone, and
the publisher is not cut off for it."""

from __future__ import annotations

import asyncio
import fractions
import os
from typing import Any

import av
import pytest
from aiortc import MediaStreamTrack, RTCSessionDescription

from client.engine import events as ev
from client.engine import peer
from shared.protocol import messages as m
from shared.webrtc.sender import on_keyframe_request
from tests.media_fixtures import frames, join, leave, metric, start_media_relay, wait_until

pytestmark = pytest.mark.slow


class FatTrack(MediaStreamTrack):
    """A VP8 "camera" that sends ``size``-byte keyframes 30 times a second, whatever REMB says."""

    kind = "video"

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.count = 0

    async def recv(self) -> av.Packet:
        await asyncio.sleep(1 / 30)
        self.count += 1
        packet = av.Packet(bytes([0x00]) + os.urandom(self.size))  # bit 0 clear: a keyframe
        packet.pts = self.count * 3000
        packet.time_base = fractions.Fraction(1, 90000)
        return packet


async def _mallory(relay: Any, name: str, meeting: str, size: int) -> tuple[Any, Any, list[float]]:
    from client.engine.call import ParleyClient

    client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    await client.connect()
    await client.sign_in(name, "correct horse", remember=False)
    await client.join(meeting)
    pc = peer.new_peer_connection()
    transceiver = pc.addTransceiver(FatTrack(size), direction="sendonly")
    transceiver.setCodecPreferences(peer.video_codec_preferences())
    plis: list[float] = []
    on_keyframe_request(transceiver.sender, lambda: plis.append(asyncio.get_running_loop().time()))
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    reply = await client.request(
        m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources={"0": "camera"})
    )
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))
    return client, pc, plis


async def test_publisher_over_its_ceiling_is_dropped_then_cut_off_with_a_sentence(tmp_path: Any) -> None:
    config = "max_video_kbps = 600\nvideo_ceiling_kbps = 800\nceiling_cutoff_seconds = 2.0\n"
    relay = start_media_relay(tmp_path, config)
    try:
        names = [relay.add_user(display=d) for d in ("Alice", "Bob", "Mallory")]
        meeting = relay.create_meeting(names[0])
        alice = await join(relay, names[0], meeting, mic="none")
        bob = await join(relay, names[1], meeting, camera="none", mic="none")
        await wait_until(lambda: frames(bob[1], alice[0].participant_id, "camera") > 0, 20, "Bob to see Alice")
        tracks_before = metric(relay, "parley_media_tracks")
        mallory, pc, plis = await _mallory(relay, names[2], meeting, 40_000)  # ~10 Mbit/s
        try:
            told = await mallory.wait_for(lambda e: isinstance(e, ev.MediaFailed), timeout=40)
            assert "stopped forwarding your camera" in told.message and "800 kbit/s" in told.message
            assert metric(relay, 'parley_media_dropped_packets_total{reason="ceiling"}') > 0
            assert plis, "the relay did not ask the publisher for a keyframe after dropping"
            await wait_until(
                lambda: metric(relay, "parley_media_tracks") == tracks_before, 10, "Mallory's stream to go"
            )
            before = frames(bob[1], alice[0].participant_id, "camera")
            await wait_until(
                lambda: frames(bob[1], alice[0].participant_id, "camera") > before + 5, 15, "Alice's video to go on"
            )
        finally:
            await pc.close()
            await mallory.close()
            await leave(*bob)
            await leave(*alice)
    finally:
        relay.stop()
    assert "over its ceiling of 800 kbit/s" in relay.log


async def test_subscriber_egress_budget_drops_video_for_that_subscriber_only(tmp_path: Any) -> None:
    relay = start_media_relay(tmp_path, "video_ceiling_kbps = 20000\nsubscriber_egress_kbps = 400\n")
    try:
        names = [relay.add_user(display=d) for d in ("Bob", "Mallory")]
        meeting = relay.create_meeting(names[0])
        bob = await join(relay, names[0], meeting, camera="none", mic="none")
        mallory, pc, _ = await _mallory(relay, names[1], meeting, 8_000)  # ~2 Mbit/s, under the ceiling
        try:
            await wait_until(
                lambda: metric(relay, 'parley_media_dropped_packets_total{reason="egress"}') > 0,
                30,
                "video over Bob's egress budget to be dropped",
            )
            assert metric(relay, 'parley_media_dropped_packets_total{reason="ceiling"}') == 0
            assert metric(relay, "parley_media_tracks") == 1  # Mallory is not cut off for Bob's budget
        finally:
            await pc.close()
            await mallory.close()
            await leave(*bob)
    finally:
        relay.stop()
