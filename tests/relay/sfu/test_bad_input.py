"""Bad media input is refused or contained, and everyone else's media keeps flowing."""

from __future__ import annotations

import asyncio
import fractions
import os
from collections.abc import AsyncIterator
from typing import Any

import av
import pytest
from aiortc import MediaStreamTrack, RTCSessionDescription
from aiortc.rtcrtpsender import RTCRtpSender

from client.engine import peer
from client.engine.media.sources import SyntheticVideoTrack, ToneAudioTrack
from shared.errors import BadRequest, Forbidden, LimitExceeded
from shared.protocol import messages as m
from shared.webrtc.egress import send_rtp
from shared.webrtc.peerconnection import transceiver_codecs
from shared.webrtc.sender import on_keyframe_request
from tests.conftest import RunningRelay
from tests.media_fixtures import frames, join, leave, start_media_relay, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def media_relay(tmp_path_factory: pytest.TempPathFactory) -> Any:
    relay = start_media_relay(tmp_path_factory.mktemp("sfu"), "pli_per_second = 2.0\n")
    yield relay
    relay.stop()


@pytest.fixture
async def call(media_relay: RunningRelay) -> AsyncIterator[Any]:
    """Alice publishes, Bob subscribes; the bad actor is Mallory, in the same meeting."""
    names = [media_relay.add_user() for _ in range(3)]
    meeting = media_relay.create_meeting(names[0])
    a = await join(media_relay, names[0], meeting, mic="none")
    b = await join(media_relay, names[1], meeting, camera="none", mic="none")
    from client.engine.call import ParleyClient

    mallory = ParleyClient(media_relay.server, fingerprint=media_relay.fingerprint)
    await mallory.connect()
    await mallory.sign_in(names[2], "correct horse", remember=False)
    await mallory.join(meeting)
    await wait_until(lambda: frames(b[1], a[0].participant_id, "camera") > 0, 20, "bob to see alice")
    yield a, b, mallory
    await mallory.leave()
    await mallory.close()
    await leave(*a)
    await leave(*b)


async def offer(tracks: list[Any], video_codecs: list[Any] | None = None) -> Any:
    pc = peer.new_peer_connection()
    for track in tracks:
        transceiver = pc.addTransceiver(track, direction="sendonly")
        if track.kind == "video":
            transceiver.setCodecPreferences(video_codecs or peer.video_codec_preferences())
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def still_flowing(bob: Any, alice_id: str) -> None:
    before = frames(bob, alice_id, "camera")
    await wait_until(lambda: frames(bob, alice_id, "camera") > before + 5, 10, "alice's video to keep flowing")


async def test_wrong_fingerprint_is_refused(call: Any) -> None:
    (a_client, _), (_, bob), mallory = call
    pc = await offer([ToneAudioTrack()])
    other = peer.new_peer_connection()
    other.addTransceiver("audio")
    await other.setLocalDescription(await other.createOffer())
    wrong = peer.sdp_fingerprint(other.localDescription.sdp)
    with pytest.raises(Forbidden):
        await mallory.request(
            m.PublishOffer(id=0, sdp=pc.localDescription.sdp, fingerprint=wrong, sources={"0": "mic"})
        )
    with pytest.raises(Forbidden):
        await mallory.request(m.PublishOffer(id=0, sdp=pc.localDescription.sdp, fingerprint="", sources={"0": "mic"}))
    await still_flowing(bob, a_client.participant_id)
    await pc.close()
    await other.close()


async def test_too_many_tracks_are_refused(call: Any) -> None:
    (a_client, _), (_, bob), mallory = call
    pc = await offer([ToneAudioTrack(), ToneAudioTrack(), SyntheticVideoTrack(64, 64), SyntheticVideoTrack(64, 64)])
    sdp = pc.localDescription.sdp
    with pytest.raises(LimitExceeded):
        await mallory.request(m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp)))
    await still_flowing(bob, a_client.participant_id)
    await pc.close()


async def test_codec_the_meeting_does_not_use_is_refused(call: Any) -> None:
    (a_client, _), (_, bob), mallory = call
    h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    pc = await offer([SyntheticVideoTrack(64, 64)], h264)
    sdp = pc.localDescription.sdp
    with pytest.raises(BadRequest, match="VP8"):
        await mallory.request(
            m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources={"0": "camera"})
        )
    await still_flowing(bob, a_client.participant_id)
    await pc.close()


async def test_garbage_sdp_and_stale_answers_are_refused(call: Any) -> None:
    (a_client, _), (_, bob), mallory = call
    with pytest.raises((BadRequest, Forbidden)):
        await mallory.request(m.PublishOffer(id=0, sdp="v=0\r\nnonsense", fingerprint="sha-256 00"))
    with pytest.raises((BadRequest, Forbidden)):
        await mallory.request(m.SubscribeAnswer(id=0, sdp="v=0", revision=99, fingerprint=""))
    with pytest.raises(BadRequest):
        await mallory.request(
            m.SubscribeAnswer(id=0, sdp="a=fingerprint:sha-256 AA\r\n", revision=99, fingerprint="AA")
        )
    await still_flowing(bob, a_client.participant_id)


async def _publish(mallory: Any, pc: Any, sources: dict[str, str]) -> None:
    sdp = pc.localDescription.sdp
    reply = await mallory.request(m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources=sources))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))
    await wait_until(lambda: pc.connectionState == "connected", 10, "mallory's publish connection")


async def test_garbage_rtp_is_contained(call: Any) -> None:
    (a_client, _), (_, bob), mallory = call
    pc = await offer([SyntheticVideoTrack(64, 64, 5)])
    await _publish(mallory, pc, {"0": "camera"})
    transport = pc.getTransceivers()[0].sender.transport
    pt = transceiver_codecs(pc.getTransceivers()[0])[0].payloadType
    junk = [os.urandom(n) for n in (0, 1, 11, 12, 40, 1200)]
    junk += [bytes([0x80, pt]) + os.urandom(10) + os.urandom(30) for _ in range(50)]  # right PT, junk payload
    junk += [bytes([0x90, pt]) + os.urandom(10) + bytes([0xBE, 0xDE, 0xFF, 0xFF]) for _ in range(10)]  # bad ext
    for data in junk:
        try:
            await send_rtp(transport, data)
        except Exception:
            pass  # aiortc itself refuses some of it before SRTP
    await still_flowing(bob, a_client.participant_id)
    await pc.close()


class DeltaOnlyTrack(MediaStreamTrack):
    """A VP8 publisher that never sends a keyframe (every frame has the interframe bit set)."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def recv(self) -> av.Packet:
        await asyncio.sleep(1 / 15)
        self.count += 1
        packet = av.Packet(bytes([0x01]) + os.urandom(300))
        packet.pts = self.count * 6000
        packet.time_base = fractions.Fraction(1, 90000)
        return packet


async def test_publisher_without_keyframes_gets_rate_limited_plis(call: Any) -> None:
    (a_client, _), (_, bob), mallory = call
    track = DeltaOnlyTrack()
    pc = await offer([track])
    sender = pc.getTransceivers()[0].sender
    plis: list[float] = []
    on_keyframe_request(sender, lambda: plis.append(asyncio.get_running_loop().time()))
    await _publish(mallory, pc, {"0": "camera"})
    await wait_until(lambda: any(i.participant_id == mallory.participant_id for i in bob.remote.values()), 10, "slot")
    await wait_until(lambda: len(plis) >= 3, 10, "the relay to ask for keyframes")
    assert frames(bob, mallory.participant_id, "camera") == 0  # nothing undecodable was forwarded
    span = plis[-1] - plis[0]
    assert len(plis) <= 2 + span * 2.0 * 1.5, f"PLIs not rate-limited: {len(plis)} in {span:.1f}s"
    await still_flowing(bob, a_client.participant_id)
    await pc.close()


async def test_subscriber_that_never_answers_is_cut_off(call: Any, media_relay: RunningRelay) -> None:
    (a_client, _), (_, bob), mallory = call
    from tests.media_fixtures import metric

    before = metric(media_relay, "parley_media_peer_connections")
    # Mallory asks for media and then ignores every offer.
    await mallory.request(m.Subscribe(id=0))
    await still_flowing(bob, a_client.participant_id)
    # Alice's publish and Bob's subscribe connections stay; Mallory's unanswered one goes.
    await wait_until(lambda: metric(media_relay, "parley_media_peer_connections") == before + 1, 5, "the offer")
    await wait_until(lambda: metric(media_relay, "parley_media_peer_connections") == before, 15, "the cut-off")
    await still_flowing(bob, a_client.participant_id)
