"""Floods beside a live two-person call (issue #15): what each attack costs the relay and the call.

A relay on loopback with its default limits; Alice and Bob in a call (synthetic camera and mic,
each decoding the other). Then, one at a time, each flood for ``--seconds``, with a quiet phase
before them as the baseline:

- ``idle``: 2,000 idle TLS websockets from one address (never signing in);
- ``logins``: 24 unknown-user logins always in flight, from rotating loopback addresses;
- ``publisher``: a third participant publishing ~50 Mbit/s of VP8 that ignores REMB;
- ``requests``: one socket sending 10,000 requests a second, evenly paced;
- ``datachannel``: a third participant pushing junk through its data channel as fast as it can.

For each phase: the relay's CPU (% of one core) and RSS, the call's video frame rate, freezes
(gaps over 500 ms) and p95 glass-to-glass latency, /healthz's slowest answer, and what the flood
achieved (accepted, refused, closed...). Prints JSON.

    .venv/bin/python bench/abuse.py [--seconds 8] [--floods idle,logins,...] [--size 640x360] [--fps 30]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import fractions
import functools
import json
import logging
import multiprocessing
import os
import ssl
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
from aiortc import MediaStreamTrack, RTCSessionDescription  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402

from bench.soak_app import rss_mib  # noqa: E402
from client.engine import peer  # noqa: E402
from client.engine.call import ParleyClient  # noqa: E402
from relay.admission import raise_fd_limit  # noqa: E402
from shared.protocol import messages as m  # noqa: E402
from tests.abuse import address, connected, outcome, paced_flood  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.media_fixtures import MEDIA_CONFIG, join, leave, wait_until  # noqa: E402

Flood = Callable[[asyncio.Event], Awaitable[dict[str, Any]]]


def insecure() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# --- the relay process ----------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def probe_health(port: int, seconds: float) -> tuple[list[float], list[str]]:
    """Ask /healthz (a fresh TLS connection each time, as a load balancer does) every 250 ms for
    ``seconds``, from a process of its own (the call's process is busy coding video)."""
    samples: list[float] = []
    failures: list[str] = []

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await health_probe(port, stop, samples, failures)

    asyncio.run(main())
    return samples, failures


async def health_probe(port: int, stop: asyncio.Event, samples: list[float], failures: list[str]) -> None:
    context = insecure()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=context), 5)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: parley\r\nConnection: close\r\n\r\n")
            await writer.drain()
            status = await asyncio.wait_for(reader.readline(), 5)
            writer.close()
            samples.append((time.perf_counter() - started) * 1000)
            if b" 200 " not in status:
                failures.append(status.decode(errors="replace").strip())
        except Exception as exc:
            failures.append(type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


# --- the call -------------------------------------------------------------------------------


class Call:
    def __init__(self, alice: tuple[Any, Any], bob: tuple[Any, Any]) -> None:
        self.pairs = [(alice[1], bob[0].participant_id), (bob[1], alice[0].participant_id)]

    def snapshot(self) -> list[tuple[int, int, int, float]]:
        out = []
        for session, other in self.pairs:
            st = session.stats_by_track.get((other, "camera"))
            out.append((st.frames, st.freezes, len(st.latencies), time.monotonic()) if st else (0, 0, 0, 0.0))
        return out

    def since(self, before: list[tuple[int, int, int, float]]) -> dict[str, Any]:
        now = time.monotonic()
        fps, freezes, latencies = [], 0, []
        for (session, other), (frames, frz, lat, at) in zip(self.pairs, before, strict=True):
            st = session.stats_by_track.get((other, "camera"))
            if st is None:
                fps.append(0.0)
                continue
            fps.append((st.frames - frames) / max(0.001, now - at))
            freezes += st.freezes - frz
            latencies += st.latencies[lat:]
        latencies.sort()
        p95 = round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1) if latencies else None
        return {"fps_min": round(min(fps), 1), "freezes": freezes, "latency_ms_p95": p95}


# --- floods ---------------------------------------------------------------------------------


def idle_connections(port: int, count: int) -> Flood:
    async def flood(stop: asyncio.Event) -> dict[str, Any]:
        outcomes: Counter[str] = Counter()
        sockets: list[Any] = []
        gate = asyncio.Semaphore(64)
        context = insecure()

        async def one() -> None:
            async with gate:
                try:
                    ws = await connect(
                        f"wss://127.0.0.1:{port}/",
                        ssl=context,
                        open_timeout=10,
                        proxy=None,
                        local_addr=("127.0.9.1", 0),
                    )
                except InvalidStatus as exc:
                    outcomes[f"refused_{exc.response.status_code}"] += 1
                    return
                except Exception as exc:
                    outcomes[type(exc).__name__] += 1
                    return
                outcomes["accepted"] += 1
                sockets.append(ws)

        await asyncio.gather(*(one() for _ in range(count)))
        await stop.wait()
        closed = sum(1 for ws in sockets if ws.close_code is not None)
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        return {"attempted": count, **outcomes, "closed_by_relay": closed}

    return flood


def unknown_logins(port: int, fingerprint: str, in_flight: int) -> Flood:
    async def flood(stop: asyncio.Event) -> dict[str, Any]:
        outcomes: Counter[str] = Counter()
        counter = iter(range(10**9))

        async def worker() -> None:
            while not stop.is_set():
                n = next(counter)
                try:
                    client = await connected(port, fingerprint, address(n % 2000))
                except Exception as exc:
                    outcomes[outcome(exc)] += 1
                    continue
                try:
                    reply = await client.request(m.Login(id=0, username=f"ghost{n}", password="guess guess"))
                    outcomes[outcome(reply)] += 1
                except Exception as exc:
                    outcomes[outcome(exc)] += 1
                await client.close()

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        elapsed = time.monotonic() - started
        return {"in_flight": in_flight, **outcomes, "attempts_per_second": round(sum(outcomes.values()) / elapsed, 1)}

    return flood


class LoudVideoTrack(MediaStreamTrack):
    """VP8 'keyframes' of ~208 KB at 30 fps (~50 Mbit/s) whatever the relay asks (no encoder)."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.bytes = 0
        tag = (1000 << 5) | 0x10  # key frame, version 0, shown, first partition 1000 bytes
        header = tag.to_bytes(3, "little") + bytes([0x9D, 0x01, 0x2A]) + (1280).to_bytes(2, "little")
        header += (720).to_bytes(2, "little")
        self.payloads = [header + os.urandom(208_000) for _ in range(4)]
        self.started = time.monotonic()

    async def recv(self) -> av.Packet:
        self.count += 1
        due = self.started + self.count / 30
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        data = self.payloads[self.count % len(self.payloads)]
        self.bytes += len(data)
        packet = av.Packet(data)
        packet.pts = self.count * 3000
        packet.time_base = fractions.Fraction(1, 90000)
        return packet


def loud_publisher(relay: RunningRelay, name: str, meeting: str) -> Flood:
    async def flood(stop: asyncio.Event) -> dict[str, Any]:
        mallory = ParleyClient(relay.server, fingerprint=relay.fingerprint)
        await mallory.connect()
        await mallory.sign_in(name, "correct horse", remember=False)
        await mallory.join(meeting)
        track = LoudVideoTrack()
        pc = peer.new_peer_connection()
        transceiver = pc.addTransceiver(track, direction="sendonly")
        transceiver.setCodecPreferences(peer.video_codec_preferences())
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        before = forwarded_video_bytes(relay)
        started = time.monotonic()
        result: dict[str, Any] = {}
        try:
            reply = await mallory.request(
                m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources={"0": "camera"})
            )
            assert isinstance(reply, m.PublishAnswer)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))
            await stop.wait()
        except Exception as exc:
            result["error"] = outcome(exc)
        elapsed = time.monotonic() - started
        result["sent_mbit_s"] = round(track.bytes * 8 / elapsed / 1e6, 1)
        result["relay_video_out_mbit_s"] = round((forwarded_video_bytes(relay) - before) * 8 / elapsed / 1e6, 1)
        await pc.close()
        with contextlib.suppress(Exception):
            await mallory.leave()
        await mallory.close()
        return result

    return flood


def forwarded_video_bytes(relay: RunningRelay) -> float:
    _, body = relay.http_get("/metrics")
    for line in body.splitlines():
        if line.startswith('parley_forwarded_bytes_total{kind="video"}'):
            return float(line.split()[-1])
    return 0.0


def request_flood(port: int, fingerprint: str, per_second: float) -> Flood:
    async def flood(stop: asyncio.Event) -> dict[str, Any]:
        client = await connected(port, fingerprint, "127.0.9.2")
        closed_at: list[float] = []
        client.add_closed_listener(lambda _: closed_at.append(time.monotonic()))
        started = time.monotonic()
        sent = await paced_flood(client, per_second, 3600, stop)
        elapsed = (closed_at[0] if closed_at else time.monotonic()) - started
        await client.close()
        return {
            "target_per_second": per_second,
            "sent": sent,
            "sent_per_second": round(sent / elapsed),
            "closed_by_relay_after_s": round(elapsed, 2) if closed_at else None,
        }

    return flood


def datachannel_flood(relay: RunningRelay, name: str, meeting: str) -> Flood:
    async def flood(stop: asyncio.Event) -> dict[str, Any]:
        client, session = await join(relay, name, meeting, camera="none", mic="none")
        sent = 0
        started = time.monotonic()
        try:
            await wait_until(
                lambda: session.channel is not None and session.channel.readyState == "open", 15, "channel"
            )
            junk = os.urandom(16_000)
            while not stop.is_set() and session.channel.readyState == "open":
                if session.channel.bufferedAmount < 1_000_000:
                    session.channel.send(junk)
                    sent += len(junk)
                else:
                    await asyncio.sleep(0.002)
                if sent % (16_000 * 8) == 0:
                    await asyncio.sleep(0)
            state = session.channel.readyState
        finally:
            elapsed = time.monotonic() - started
            with contextlib.suppress(Exception):
                await leave(client, session)
        return {"sent_mbit_s": round(sent * 8 / elapsed / 1e6, 1), "channel_at_end": state}

    return flood


def run_flood(kind: str, port: int, fingerprint: str, names: list[str], meeting: str, seconds: float) -> dict[str, Any]:
    """One flood, in a process of its own so its work does not slow the measured call's clients."""
    raise_fd_limit()
    peer.use_host_addresses(["127.0.0.1"])
    logging.getLogger("parley").setLevel(logging.ERROR)  # thousands of "reply to unknown request"
    relay = RunningRelay(Path(tempfile.mkdtemp()))  # not started: the address of the running one
    relay.port, relay.fingerprint = port, fingerprint
    floods: dict[str, Flood] = {
        "idle": idle_connections(port, 2000),
        "logins": unknown_logins(port, fingerprint, 24),
        "publisher": loud_publisher(relay, names[0], meeting),
        "requests": request_flood(port, fingerprint, 10_000),
        "datachannel": datachannel_flood(relay, names[1], meeting),
    }

    async def main() -> dict[str, Any]:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        return await floods[kind](stop)

    return asyncio.run(main())


# --- phases ---------------------------------------------------------------------------------


async def phase(
    relay: RunningRelay,
    call: Call,
    seconds: float,
    flood: Callable[[], Awaitable[dict[str, Any]]] | None,
    probe_pool: concurrent.futures.Executor,
) -> dict[str, Any]:
    assert relay.proc is not None
    pid = relay.proc.pid
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    probe = loop.run_in_executor(probe_pool, probe_health, relay.port, seconds)
    cpu0, t0, call0 = cpu_seconds(pid), time.monotonic(), call.snapshot()
    running = asyncio.ensure_future(flood()) if flood is not None else None
    rss_peak = 0.0
    deadline = t0 + seconds
    while time.monotonic() < deadline:
        rss_peak = max(rss_peak, rss_mib(pid))
        await asyncio.sleep(0.5)
    stop.set()
    call_stats = call.since(call0)
    cpu = round((cpu_seconds(pid) - cpu0) / (time.monotonic() - t0) * 100, 1)
    result = await running if running is not None else {}
    health, health_failures = await probe
    health.sort()
    return {
        "relay_cpu_percent": cpu,
        "relay_rss_mb_peak": rss_peak,
        "call": call_stats,
        "healthz_ms_max": round(health[-1], 1) if health else None,
        "healthz_ms_p95": round(health[int(0.95 * (len(health) - 1))], 1) if health else None,
        "healthz_failures": health_failures[:5],
        "flood": result,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    parser.add_argument("--floods", default="idle,logins,publisher,requests,datachannel")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    raise_fd_limit()
    peer.use_host_addresses(["127.0.0.1"])
    relay = RunningRelay(Path(tempfile.mkdtemp()) / "data", config_text=MEDIA_CONFIG).start()
    phases: dict[str, Any] = {}
    try:
        names = [relay.add_user() for _ in range(4)]
        meeting = relay.create_meeting(names[0])
        media = {"video_size": (width, height), "fps": args.fps, "mic": "synthetic", "playback": False}
        alice = await join(relay, names[0], meeting, **media)
        bob = await join(relay, names[1], meeting, **media)
        call = Call(alice, bob)
        await wait_until(lambda: all(f > 30 for f, *_ in call.snapshot()), 30, "the call's video both ways")
        # A fresh process per flood: what one flood leaves behind (aiortc's threads) must not slow
        # the next one down.
        pool = concurrent.futures.ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1
        )
        loop = asyncio.get_running_loop()
        probes = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        await loop.run_in_executor(pool, os.getpid)  # the flood process is up before any phase
        await loop.run_in_executor(probes, os.getpid)

        def flood_of(kind: str) -> Callable[[], Awaitable[dict[str, Any]]]:
            work = functools.partial(run_flood, kind, relay.port, relay.fingerprint, names[2:], meeting, args.seconds)
            return lambda: loop.run_in_executor(pool, work)

        phases["baseline"] = await phase(relay, call, args.seconds, None, probes)
        for name in args.floods.split(","):
            phases[name] = await phase(relay, call, args.seconds, flood_of(name), probes)
            phases[f"after_{name}"] = await phase(relay, call, min(4.0, args.seconds), None, probes)
        pool.shutdown()
        probes.shutdown()
        for client, session in (alice, bob):
            await leave(client, session)
    finally:
        relay.stop()
    print(
        json.dumps(
            {
                "benchmark": "abuse",
                "call": f"two participants, {width}x{height}@{args.fps:g} VP8 + Opus, synthetic, loopback",
                "seconds_per_phase": args.seconds,
                "load_average": [round(v, 2) for v in os.getloadavg()],
                "phases": phases,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
