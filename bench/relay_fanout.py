"""Relay fan-out: N all-camera participants through one relay on loopback; prints JSON.

Load clients publish pre-encoded 720p VP8 (encoded once up front, so the generator only packetizes)
and count what they receive at the UDP socket, without SRTP or RTP processing: each subscribe
connection's ICE sockets pass DTLS and STUN on to aiortc and only count SRTP datagrams. The load
clients run on uvloop, split over ``--processes`` worker processes. The relay runs as its own
process; its CPU time (user + system, that process only) is read from /proc, forwarded packets
from /metrics.

    .venv/bin/python bench/relay_fanout.py [--sizes 4,8,12] [--seconds 10] [--processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import multiprocessing
import os
import socket
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
from shared.webrtc.ice import udp_protocols  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.media_fixtures import MEDIA_CONFIG, metric  # noqa: E402

FPS = 30
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


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


def count_srtp_at_socket(pc: Any, counter: list[int]) -> None:
    """Count SRTP (not SRTCP) datagrams arriving on ``pc``'s ICE sockets and drop them there; DTLS,
    STUN and SRTCP go on to aioice/aiortc as usual. Idempotent."""
    for protocol in udp_protocols(pc.getTransceivers()[0].receiver.transport.transport):
        if getattr(protocol, "_counting", False):
            continue
        sock = protocol.transport.get_extra_info("socket")
        with contextlib.suppress(OSError):  # 4 MiB, so a busy load process does not drop (root only)
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
        original = protocol.datagram_received

        def received(data: bytes, addr: Any, original: Any = original) -> None:
            if 127 < data[0] < 192 and not 191 < data[1] < 224:
                counter[0] += 1
                return
            original(data, addr)

        protocol.datagram_received = received
        protocol._counting = True


class LoadClient:
    """Publishes the clip, subscribes, and counts received packets without decrypting them."""

    def __init__(self, server: str, fingerprint: str, name: str, clip: list[bytes]) -> None:
        from client.engine.call import ParleyClient

        self.client = ParleyClient(server, fingerprint=fingerprint)
        self.name, self.clip = name, clip
        self.counter = [0]
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
            await self.sub.setLocalDescription(await self.sub.createAnswer())
            count_srtp_at_socket(self.sub, self.counter)
            sdp = self.sub.localDescription.sdp
            await self.client.request(
                m.SubscribeAnswer(id=0, sdp=sdp, revision=offer.revision, fingerprint=peer.sdp_fingerprint(sdp))
            )

    @property
    def received(self) -> int:
        return self.counter[0]

    async def stop(self) -> None:
        self.task.cancel()
        for pc in (self.pub, self.sub):
            if pc is not None:
                await pc.close()
        await self.client.close()


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of one process (not its children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def forwarded(relay: RunningRelay) -> float:
    return metric(relay, 'parley_forwarded_packets_total{kind="video"}') + metric(
        relay, 'parley_forwarded_packets_total{kind="audio"}'
    )


async def _worker(conn: Any, server: str, fingerprint: str, names: list[str], meeting: str, clip: list[bytes]) -> None:
    peer.use_host_addresses(["127.0.0.1"])
    clients = [LoadClient(server, fingerprint, name, clip) for name in names]
    for client in clients:
        await client.start(meeting)
    loop = asyncio.get_running_loop()
    conn.send("ready")
    while await loop.run_in_executor(None, conn.recv) != "stop":
        conn.send(sum(c.received for c in clients))
    for client in clients:
        await client.stop()
    conn.send("stopped")


def worker(conn: Any, *args: Any) -> None:
    """One load process: its share of the participants, on uvloop."""
    import uvloop

    uvloop.run(_worker(conn, *args))


async def run_size(relay: RunningRelay, clip: list[bytes], n: int, seconds: float, processes: int) -> dict[str, Any]:
    names = [relay.add_user() for _ in range(n)]
    meeting = relay.create_meeting(names[0])
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    for i in range(processes):
        mine = names[i::processes]
        if not mine:
            continue
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(child, relay.server, relay.fingerprint, mine, meeting, clip))
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    loop = asyncio.get_running_loop()

    async def ask(command: str) -> list[Any]:
        for pipe in pipes:
            pipe.send(command)
        return [await loop.run_in_executor(None, pipe.recv) for pipe in pipes]

    for pipe in pipes:
        assert await loop.run_in_executor(None, pipe.recv) == "ready"
    await asyncio.sleep(4)  # connect and settle before measuring
    assert relay.proc is not None
    (user0, sys0), fwd0, t0 = cpu_seconds(relay.proc.pid), forwarded(relay), time.monotonic()
    rx0 = sum(await ask("count"))
    await asyncio.sleep(seconds)
    (user1, sys1), fwd1, t1 = cpu_seconds(relay.proc.pid), forwarded(relay), time.monotonic()
    cpu0, cpu1 = user0 + sys0, user1 + sys1
    rx1 = sum(await ask("count"))
    await ask("stop")
    for proc in procs:
        proc.join(10)
    packets = fwd1 - fwd0
    elapsed = t1 - t0
    return {
        "participants": n,
        "forwarded_packets_per_s": round(packets / elapsed, 1),
        "relay_cpu_percent_of_core": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "relay_cpu_us_per_packet": round((cpu1 - cpu0) * 1e6 / packets, 2) if packets else None,
        "relay_system_cpu_us_per_packet": round((sys1 - sys0) * 1e6 / packets, 2) if packets else None,
        "loss_percent": round(100 * max(0.0, 1 - (rx1 - rx0) / packets), 2) if packets else None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="4,8,12")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    args = parser.parse_args()
    clip = await encode_clip()
    packets_per_frame = float(np.mean([max(1, -(-len(f) // 1200)) for f in clip]))
    relay = RunningRelay(Path(tempfile.mkdtemp()) / "data", config_text=MEDIA_CONFIG).start()
    peer.use_host_addresses(["127.0.0.1"])
    try:
        results = [await run_size(relay, clip, int(n), args.seconds, args.processes) for n in args.sizes.split(",")]
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
    # Measured: the largest size run with loss <= 1% and the relay below 90% of its one core.
    # Only runs whose load generator kept up (>= 90% of the nominal packet rate) count.
    for r in results:
        nominal = r["participants"] * (r["participants"] - 1) * per_stream
        r["offered_percent_of_nominal"] = round(100 * r["forwarded_packets_per_s"] / nominal, 1)
    held = [
        r["participants"]
        for r in results
        if r["loss_percent"] <= 1.0 and r["relay_cpu_percent_of_core"] < 90 and r["offered_percent_of_nominal"] >= 90
    ]
    print(
        json.dumps(
            {
                "benchmark": "relay_fanout",
                "load_average_1min_at_end": round(os.getloadavg()[0], 2),
                "clip_kbps": round(sum(len(f) for f in clip) * 8 / (len(clip) / FPS) / 1000),
                "packets_per_camera_per_s": round(per_stream, 1),
                "runs": results,
                "relay_cpu_us_per_forwarded_packet_marginal": per_packet,
                "relay_cpu_fixed_percent_of_core": round(float(fixed) * 100, 1),
                "largest_all_camera_720p_meeting_measured": max(held, default=0),
                "largest_all_camera_720p_meeting_one_core_extrapolated": largest,
                "largest_all_camera_720p_meeting_half_core_extrapolated": half_core,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
