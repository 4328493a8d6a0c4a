"""Relay fan-out: N all-camera participants through one relay on loopback; prints JSON.

Load clients publish pre-encoded 720p VP8 (encoded once up front, so the generator only packetizes)
and count what they receive without decoding. The relay runs as its own process; its CPU time is
read from /proc, forwarded packets from /metrics.

    .venv/bin/python bench/relay_fanout.py [--sizes 4,6,8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import numpy as np  # noqa: E402
from aiortc import MediaStreamTrack, RTCSessionDescription  # noqa: E402

from client.engine import peer  # noqa: E402
from client.engine.media.sources import SyntheticVideoTrack  # noqa: E402
from shared.protocol import messages as m  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.media_fixtures import MEDIA_CONFIG, metric  # noqa: E402

FPS = 30


async def encode_clip(seconds: float = 2.0, kbps: int = 1500) -> list[bytes]:
    """720p VP8 frames of the synthetic pattern, the first a keyframe."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 1280, 720, "yuv420p"
    codec.bit_rate = kbps * 1000
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    source = SyntheticVideoTrack(1280, 720, FPS)
    frames: list[bytes] = []

    async def grab() -> list[Any]:
        source._pace = lambda: _count(source)  # type: ignore[method-assign]
        return [await source.recv() for _ in range(int(seconds * FPS))]

    async def _count(track: Any) -> int:
        track._count += 1
        return int(track._count)

    for i, frame in enumerate(await grab()):
        frame.pts = i
        frame.time_base = codec.time_base
        for packet in codec.encode(frame):
            frames.append(bytes(packet))
    for packet in codec.encode(None):
        frames.append(bytes(packet))
    return frames


class PreEncodedTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, clip: list[bytes]) -> None:
        super().__init__()
        self.clip = clip
        self.count = 0
        self.start = time.monotonic()

    async def recv(self) -> av.Packet:
        self.count += 1
        wait = self.start + self.count / FPS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        packet = av.Packet(self.clip[self.count % len(self.clip)])
        packet.pts = self.count * (90000 // FPS)
        packet.time_base = fractions.Fraction(1, 90000)
        return packet


class LoadClient:
    """Publishes the clip, subscribes, and counts received packets without decoding them."""

    def __init__(self, relay: RunningRelay, name: str, clip: list[bytes]) -> None:
        from client.engine.call import ParleyClient

        self.client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
        self.name, self.clip = name, clip
        self.received = 0
        self.pub: Any = None
        self.sub: Any = None
        self.offers: asyncio.Queue[m.SubscribeOffer] = asyncio.Queue()

    async def start(self, meeting: str) -> None:
        await self.client.connect()
        await self.client.sign_in(self.name, "correct horse", remember=False)
        await self.client.join(meeting)
        self.client.push_handlers.append(lambda e: isinstance(e, m.SubscribeOffer) and self.offers.put_nowait(e))
        self.task = asyncio.create_task(self._answer_loop())
        await self.client.request(m.Subscribe(id=0))
        self.pub = peer.new_peer_connection()
        t = self.pub.addTransceiver(PreEncodedTrack(self.clip), direction="sendonly")
        t.setCodecPreferences(peer.video_codec_preferences())
        await self.pub.setLocalDescription(await self.pub.createOffer())
        sdp = self.pub.localDescription.sdp
        reply = await self.client.request(
            m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources={"0": "camera"})
        )
        await self.pub.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))  # type: ignore[union-attr]

    async def _answer_loop(self) -> None:
        while True:
            offer = await self.offers.get()
            if self.sub is None:
                self.sub = peer.new_peer_connection()
            await self.sub.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            for t in self.sub.getTransceivers():
                if not getattr(t.receiver, "_counted", False):
                    t.receiver._counted = True
                    t.receiver._handle_rtp_packet = self._count
            await self.sub.setLocalDescription(await self.sub.createAnswer())
            sdp = self.sub.localDescription.sdp
            await self.client.request(
                m.SubscribeAnswer(id=0, sdp=sdp, revision=offer.revision, fingerprint=peer.sdp_fingerprint(sdp))
            )

    async def _count(self, packet: Any, arrival_time_ms: int) -> None:
        self.received += 1

    async def stop(self) -> None:
        self.task.cancel()
        for pc in (self.pub, self.sub):
            if pc is not None:
                await pc.close()
        await self.client.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def forwarded(relay: RunningRelay) -> float:
    return metric(relay, 'parley_forwarded_packets_total{kind="video"}') + metric(
        relay, 'parley_forwarded_packets_total{kind="audio"}'
    )


async def run_size(relay: RunningRelay, clip: list[bytes], n: int, seconds: float) -> dict[str, Any]:
    names = [relay.add_user() for _ in range(n)]
    meeting = relay.create_meeting(names[0])
    clients = [LoadClient(relay, name, clip) for name in names]
    for client in clients:
        await client.start(meeting)
    await asyncio.sleep(4)  # connect and settle before measuring
    assert relay.proc is not None
    cpu0, fwd0, t0 = cpu_seconds(relay.proc.pid), forwarded(relay), time.monotonic()
    rx0 = sum(c.received for c in clients)
    await asyncio.sleep(seconds)
    cpu1, fwd1, t1 = cpu_seconds(relay.proc.pid), forwarded(relay), time.monotonic()
    rx1 = sum(c.received for c in clients)
    await asyncio.sleep(0.5)
    for client in clients:
        await client.stop()
    packets = fwd1 - fwd0
    elapsed = t1 - t0
    return {
        "participants": n,
        "forwarded_packets_per_s": round(packets / elapsed, 1),
        "relay_cpu_percent_of_core": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "relay_cpu_us_per_packet": round((cpu1 - cpu0) * 1e6 / packets, 2) if packets else None,
        "loss_percent": round(100 * max(0.0, 1 - (rx1 - rx0) / packets), 2) if packets else None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="4,6,8")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    clip = await encode_clip()
    packets_per_frame = float(np.mean([max(1, -(-len(f) // 1200)) for f in clip]))
    relay = RunningRelay(Path(tempfile.mkdtemp()) / "data", config_text=MEDIA_CONFIG).start()
    peer.use_host_addresses(["127.0.0.1"])
    try:
        results = [await run_size(relay, clip, int(n), args.seconds) for n in args.sizes.split(",")]
    finally:
        relay.stop()
    # CPU = fixed (timers, RTCP, ICE consent) + per-packet: fit a line; the slope is the cost of
    # one more forwarded packet, which is what bounds the meeting size.
    xs = np.array([r["forwarded_packets_per_s"] for r in results])
    ys = np.array([r["relay_cpu_percent_of_core"] / 100 for r in results])
    slope, fixed = np.polyfit(xs, ys, 1) if len(results) > 1 else (ys[0] / xs[0], 0.0)
    per_packet = round(float(slope) * 1e6, 2)
    per_stream = packets_per_frame * FPS  # packets/s of one 720p camera
    largest = 0
    for n in range(2, 200):
        load = n * (n - 1) * per_stream * per_packet / 1e6  # cores
        if load > 1.0:
            break
        largest = n
    half_core = max((n for n in range(2, 200) if n * (n - 1) * per_stream * per_packet / 1e6 <= 0.5), default=0)
    print(
        json.dumps(
            {
                "benchmark": "relay_fanout",
                "clip_kbps": round(sum(len(f) for f in clip) * 8 / (len(clip) / FPS) / 1000),
                "packets_per_camera_per_s": round(per_stream, 1),
                "runs": results,
                "relay_cpu_us_per_forwarded_packet_marginal": per_packet,
                "relay_cpu_fixed_percent_of_core": round(float(fixed) * 100, 1),
                "largest_all_camera_720p_meeting_one_core_extrapolated": largest,
                "largest_all_camera_720p_meeting_half_core_extrapolated": half_core,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
