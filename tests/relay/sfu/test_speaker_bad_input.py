"""Bad input for the active-speaker ranking: a publisher that never sends the RFC 6464 audio level
and one that sends it malformed. The relay logs one line each, never a traceback, keeps that
publisher's connection and everyone's media flowing, and still ranks the others."""

from __future__ import annotations

import asyncio
import fractions
import struct
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc import MediaStreamTrack, RTCSessionDescription

from client.engine import events as ev
from client.engine import peer
from shared.protocol import messages as m
from shared.webrtc.egress import send_rtp
from shared.webrtc.peerconnection import transceiver_codecs
from shared.webrtc.sender import ssrcs
from tests.media_fixtures import frames, join, leave, start_media_relay, wait_until

pytestmark = pytest.mark.slow

OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms Opus frame of silence


class NoLevelTrack(MediaStreamTrack):
    """A microphone that hands aiortc pre-encoded Opus: aiortc then writes no audio level."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def recv(self) -> av.Packet:
        await asyncio.sleep(0.02)
        self.count += 1
        packet = av.Packet(OPUS_SILENCE)
        packet.pts = self.count * 960
        packet.time_base = fractions.Fraction(1, 48000)
        return packet


def malformed_level_packet(payload_type: int, seq: int, ssrc: int) -> bytes:
    """RTP whose audio-level element (id 2, as aiortc negotiates it) is 2 bytes instead of 1."""
    header = struct.pack("!BBHII", 0x90, payload_type, seq, seq * 960, ssrc)
    extension = bytes([0xBE, 0xDE, 0x00, 0x01, (2 << 4) | 1, 0x80, 0x80, 0x00])
    return header + extension + OPUS_SILENCE


async def test_missing_and_malformed_audio_levels_are_contained(tmp_path: Path) -> None:
    from client.engine.call import ParleyClient
    from client.engine.media.audio_processing import ProcessingChoice

    relay = start_media_relay(tmp_path)
    try:
        for name in ("alice", "bob", "mallory"):
            relay.add_user(name)
        meeting = relay.create_meeting("alice", "Bad levels")
        b_client, bob = await join(relay, "bob", meeting, camera="none", mic="none")
        seen: list[str | None] = []

        def note(event: ev.EngineEvent) -> None:
            if isinstance(event, ev.ActiveSpeakerChanged):
                seen.append(event.participant_id)

        b_client.add_listener(note)

        mallory = ParleyClient(relay.server, fingerprint=relay.fingerprint)
        await mallory.connect()
        await mallory.sign_in("mallory", "correct horse", remember=False)
        await mallory.join(meeting)
        pc = peer.new_peer_connection()
        transceiver = pc.addTransceiver(NoLevelTrack(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        reply: Any = await mallory.request(
            m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources={"0": "mic"})
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))
        m_id = mallory.participant_id
        assert m_id is not None
        await wait_until(lambda: frames(bob, m_id, "mic") > 0, 20, "mallory's audio at bob")
        await wait_until(lambda: "sends no audio level" in relay.log, 10, "the relay to notice the missing level")

        # Malformed audio levels on mallory's own SSRC: dropped, one line, her connection lives on.
        pt = transceiver_codecs(transceiver)[0].payloadType
        assert pt is not None
        ssrc = ssrcs(transceiver.sender)[0]
        for seq in range(30):
            await send_rtp(transceiver.sender.transport, malformed_level_packet(pt, 60000 + seq, ssrc))
        await wait_until(lambda: "malformed header extension" in relay.log, 10, "the relay to drop the bad packets")
        before = frames(bob, m_id, "mic")
        await wait_until(lambda: frames(bob, m_id, "mic") > before + 25, 10, "mallory's audio to keep flowing")

        # The others are still ranked: alice's tone makes her the speaker (mallory never is).
        a_client, alice = await join(relay, "alice", meeting, audio_processing=ProcessingChoice.off())
        await wait_until(lambda: b_client.active_speaker == a_client.participant_id, 10, "alice as the speaker")
        assert m_id not in seen
        log = relay.log
        assert log.count("sends no audio level") == 1
        assert log.count("malformed header extension") == 1
        assert "Traceback" not in log

        await pc.close()
        await mallory.leave()
        await mallory.close()
        await leave(a_client, alice)
        await leave(b_client, bob)
    finally:
        relay.stop()
