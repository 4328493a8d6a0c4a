"""What the SFU does to live media, seen from the participants: mute, loss repair (NACK/RTX on both
hops), REMB per published stream, H.264 forwarding, audio without prefetch, and media stopped
with the relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci, unpack_remb_fci

from shared.protocol import messages as m
from shared.webrtc import receiver as receivers
from shared.webrtc import sender as senders
from shared.webrtc.ice import udp_protocols
from shared.webrtc.peerconnection import transceiver_codecs
from tests.conftest import RunningRelay
from tests.media_fixtures import frames, join, leave, metric, start_media_relay, wait_until

pytestmark = pytest.mark.slow

MAX_KBPS, MIN_KBPS = 900, 100


@pytest.fixture(scope="module")
def media_relay(tmp_path_factory: pytest.TempPathFactory) -> Any:
    relay = start_media_relay(
        tmp_path_factory.mktemp("sfu-behaviour"), f"max_video_kbps = {MAX_KBPS}\nmin_video_kbps = {MIN_KBPS}\n"
    )
    yield relay
    relay.stop()


@pytest.fixture
async def call(media_relay: RunningRelay) -> AsyncIterator[tuple[Any, Any]]:
    """Alice publishes mic, camera and screen; Bob publishes nothing and receives."""
    names = [media_relay.add_user() for _ in range(2)]
    meeting = media_relay.create_meeting(names[0])
    alice = await join(media_relay, names[0], meeting, screen=True, screen_monitor=0)
    bob = await join(media_relay, names[1], meeting, camera="none", mic="none")
    a_id = alice[0].participant_id
    await wait_until(
        lambda: all(frames(bob[1], a_id, s) > 2 for s in ("mic", "camera", "screen")), 20, "bob to decode alice"
    )
    yield alice, bob
    await leave(*alice)
    await leave(*bob)


def _protocols(pc: Any) -> list[Any]:
    return udp_protocols(pc.getTransceivers()[0].receiver.transport.transport)


def _payload_types(pc: Any, rtx: bool) -> set[int]:
    found = set()
    for transceiver in pc.getTransceivers():
        for codec in transceiver_codecs(transceiver):
            if codec.mimeType.lower().startswith("video/") and codec.mimeType.lower().endswith("/rtx") == rtx:
                found.add(codec.payloadType)
    return found


def _is_rtp(data: bytes) -> bool:
    return len(data) > 12 and 127 < data[0] < 192 and not 191 < data[1] < 224


class Lossy:
    """Drops every ``every``-th media packet of ``pts`` and counts RTX packets, on one ICE path."""

    def __init__(self, pts: set[int], rtx_pts: set[int], every: int) -> None:
        self.pts, self.rtx_pts, self.every = pts, rtx_pts, every
        self.seen = self.dropped = self.rtx = 0

    def drop(self, data: bytes) -> bool:
        if not _is_rtp(data):
            return False
        pt = data[1] & 0x7F
        if pt in self.rtx_pts:
            self.rtx += 1
            return False
        if pt not in self.pts:
            return False
        self.seen += 1
        if self.seen % self.every == 0:
            self.dropped += 1
            return True
        return False

    def on_receive(self, pc: Any) -> None:
        for protocol in _protocols(pc):
            original = protocol.datagram_received

            def received(data: bytes, addr: Any, original: Callable[..., None] = original) -> None:
                if not self.drop(data):
                    original(data, addr)

            protocol.datagram_received = received

    def on_send(self, pc: Any) -> None:
        for protocol in _protocols(pc):
            original = protocol.send_data

            async def send(data: bytes, addr: Any, original: Callable[..., Any] = original) -> None:
                if not self.drop(data):
                    await original(data, addr)

            protocol.send_data = send


async def test_muted_source_is_not_forwarded_and_unmute_resumes(call: Any) -> None:
    (a_client, _alice), (_, bob) = call
    a_id = a_client.participant_id
    # The relay's mute, not the publisher's: Alice keeps sending real frames.
    await a_client.request(m.SetMuted(id=0, source="camera", muted=True))
    mic = frames(bob, a_id, "mic")
    await wait_until(lambda: frames(bob, a_id, "mic") > mic + 10, 10, "audio to go on")  # in-flight video lands
    stopped = frames(bob, a_id, "camera")
    mic = frames(bob, a_id, "mic")
    await wait_until(lambda: frames(bob, a_id, "mic") > mic + 50, 10, "a second of audio")
    assert frames(bob, a_id, "camera") == stopped, "the muted camera was still forwarded"
    assert frames(bob, a_id, "screen") > 0
    await a_client.request(m.SetMuted(id=0, source="camera", muted=False))
    await wait_until(lambda: frames(bob, a_id, "camera") > stopped + 5, 10, "the camera to come back")


async def test_nack_and_rtx_repair_loss_on_both_hops(call: Any, media_relay: RunningRelay) -> None:
    (a_client, alice), (_, bob) = call
    a_id = a_client.participant_id
    upstream = Lossy(_payload_types(alice.publish_pc, rtx=False), _payload_types(alice.publish_pc, rtx=True), 12)
    downstream = Lossy(_payload_types(bob.subscribe_pc, rtx=False), _payload_types(bob.subscribe_pc, rtx=True), 12)
    assert upstream.pts and upstream.rtx_pts and downstream.rtx_pts
    upstream.on_send(alice.publish_pc)
    downstream.on_receive(bob.subscribe_pc)
    camera = bob.stats_by_track[(a_id, "camera")]
    start_frames, start_freezes = camera.frames, camera.freezes
    await wait_until(lambda: upstream.dropped >= 10 and downstream.dropped >= 10, 20, "packets to be lost")
    # Alice's sender retransmitted what the relay NACKed, and the relay retransmitted from its
    # own history what Bob NACKed, both as RTX.
    await wait_until(lambda: upstream.rtx >= 5 and downstream.rtx >= 5, 10, "retransmissions")
    # Each loss is repaired about once: RTX that the receiver could not route would be NACKed again
    # and again (aiortc routes unknown SSRCs by payload type, shared by every video m-line).
    assert upstream.rtx <= 3 * upstream.dropped + 5 and downstream.rtx <= 3 * downstream.dropped + 5
    before = camera.frames
    await wait_until(lambda: camera.frames >= before + 30, 10, "video to keep decoding under loss")
    assert camera.frames - start_frames > 40
    assert camera.freezes - start_freezes <= 1, "loss was not repaired: the video froze"
    # The relay's loss gauge reads its receivers' statistics: the upstream drops show there.
    assert metric(media_relay, "parley_media_loss_ratio") > 0


async def test_remb_reaches_the_publisher_per_stream(call: Any) -> None:
    (a_client, alice), (_, bob) = call
    a_id = a_client.participant_id
    remb: dict[str, list[int]] = {"camera": [], "screen": []}
    for source in ("camera", "screen"):
        sender = alice._transceivers[source].sender
        original = senders.rtcp_handler(sender)

        async def handle(packet: Any, source: str = source, original: Any = original) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                remb[source].append(unpack_remb_fci(packet.fci)[0])
            await original(packet)

        senders.set_rtcp_handler(sender, handle)
    await wait_until(lambda: remb["camera"] and remb["screen"], 5, "REMB at the publisher")
    for values in remb.values():
        assert all(MIN_KBPS * 1000 <= v <= MAX_KBPS * 1000 for v in values), values
    # Bob reports what he can take of each stream (his own estimators off, so they do not
    # override): each published stream gets its own budget, so camera + screen is not starved.
    wanted = {"camera": 300_000, "screen": 700_000}
    reporters = []
    for source, bitrate in wanted.items():
        mid = next(mid for mid, info in bob.remote.items() if (info.participant_id, info.source) == (a_id, source))
        receiver = next(t.receiver for t in bob.subscribe_pc.getTransceivers() if t.mid == mid)
        receivers.disable_remb_estimator(receiver)
        ssrc = next(iter(receivers.remote_streams(receiver)))
        fci = pack_remb_fci(bitrate, [ssrc])
        reporters.append((receiver, RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=fci)))

    def budgets_arrived() -> bool:
        return all(remb[s] and remb[s][-1] == b for s, b in wanted.items())

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not budgets_arrived():
        assert loop.time() < deadline, f"REMB at the publisher: {remb}"
        for receiver, packet in reporters:
            await receivers.send_rtcp(receiver, packet)
        await asyncio.sleep(0.2)
    # The publisher's encoder follows it.
    encoder = senders.encoder(alice._transceivers["camera"].sender)
    assert encoder is not None and encoder.target_bitrate == 300_000


async def test_audio_is_played_without_prefetch(call: Any) -> None:
    (a_client, _), (_, bob) = call
    audio = [t.receiver for t in bob.subscribe_pc.getTransceivers() if t.kind == "audio"]
    assert audio
    for receiver in audio:
        assert receivers.jitter_buffer_prefetch(receiver) == 0
    assert frames(bob, a_client.participant_id, "mic") > 0


async def test_h264_meeting_is_forwarded(tmp_path: Path) -> None:
    relay = start_media_relay(tmp_path, 'codec = "h264"\n')
    try:
        names = [relay.add_user() for _ in range(2)]
        meeting = relay.create_meeting(names[0])
        alice = await join(relay, names[0], meeting, mic="none")
        bob = await join(relay, names[1], meeting, mic="none")
        a_id, b_id = alice[0].participant_id, bob[0].participant_id
        await wait_until(
            lambda: frames(bob[1], a_id, "camera") > 10 and frames(alice[1], b_id, "camera") > 10, 30, "H.264 frames"
        )
        for transceiver in alice[1].publish_pc.getTransceivers():
            if transceiver.kind == "video":
                assert {c.mimeType for c in transceiver_codecs(transceiver)} <= {"video/H264", "video/rtx"}
        stats = bob[1].stats_by_track[(a_id, "camera")]
        assert (stats.width, stats.height) == (320, 240)
        await leave(*alice)
        await leave(*bob)
    finally:
        relay.stop()


async def test_stopping_the_relay_closes_media_connections(tmp_path: Path) -> None:
    """SIGTERM: the relay closes every peer connection (DTLS close), so participants see the end
    at once instead of after ~30 s of failed ICE consent checks."""
    from client.engine import peer
    from client.engine.call import ParleyClient
    from client.engine.media.sources import SyntheticVideoTrack
    from tests.relay.sfu.test_bad_input import _publish, offer

    relay = start_media_relay(tmp_path)
    name = relay.add_user()
    meeting = relay.create_meeting(name)
    client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    await client.connect()
    await client.sign_in(name, "correct horse", remember=False)
    await client.join(meeting)
    pc = await offer([SyntheticVideoTrack(64, 64, 5)])
    await _publish(client, pc, {"0": "camera"})
    assert pc.connectionState == "connected"
    code = await asyncio.to_thread(relay.stop)
    assert code == 0
    await wait_until(lambda: pc.connectionState == "closed", 5, "the relay's DTLS close")
    await pc.close()
    await client.close()
    assert peer.sdp_fingerprint(pc.localDescription.sdp)


def test_relay_remb_takes_the_lowest_fresh_subscriber_estimate() -> None:
    import time
    from types import SimpleNamespace

    from relay.config import MediaConfig
    from relay.sfu.handlers import REMB_FRESH, MediaRelay

    media = object.__new__(MediaRelay)
    media.config = MediaConfig(max_video_kbps=MAX_KBPS, min_video_kbps=MIN_KBPS)
    now = time.monotonic()
    fresh = SimpleNamespace(remb_bps=300_000, remb_at=now)
    stale = SimpleNamespace(remb_bps=200_000, remb_at=now - REMB_FRESH - 1)  # that subscriber left or went quiet
    assert media.remb_for(SimpleNamespace(slots=[fresh, stale])) == 300_000  # type: ignore[arg-type]
    assert media.remb_for(SimpleNamespace(slots=[stale])) == MAX_KBPS * 1000  # type: ignore[arg-type]
    assert media.remb_for(SimpleNamespace(slots=[])) == MAX_KBPS * 1000  # type: ignore[arg-type]
    low = SimpleNamespace(remb_bps=10_000, remb_at=now)
    assert media.remb_for(SimpleNamespace(slots=[low])) == MIN_KBPS * 1000  # type: ignore[arg-type]
