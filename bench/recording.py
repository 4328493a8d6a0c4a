"""Recording a 9-person 720p meeting: the recorder's CPU, its dropped frames, and whether the call
lost frames because of it; prints JSON.

Part 1, ``recorder``: the nine participants' decoded frames are fed to the recorder on the event
loop exactly as the media session's sinks would (30 fps camera frames at 1280x720, 20 ms audio
frames, nine people talking), so the figures are the recorder's own cost, not nine VP8 decoders'.
One participant shares a screen half way through, switching the layout from gallery to stage.
``recorder_cpu_cores`` is the worker thread's CPU time over the wall-clock time (target <= 1),
split into compositing, encoding and audio; ``realtime`` is the frames written over the frames due.

Part 2, ``call`` (skip with ``--no-call``): a real meeting through a relay on loopback. Eight
senders in another process publish pre-encoded 720p30 VP8 (so they cost little CPU), each exactly
``--call-seconds`` x 30 frames per phase and then nothing; the host (this process, a real
`MediaSession` with its own synthetic camera and microphone) decodes all eight. The same is done
twice, without and then with the host recording at ``--size``; once the senders are done and the
host's counters stop moving, ``call_frames_dropped`` = frames sent - frames the host's media
session decoded, per sender, for each phase. The host process's CPU (all threads) is given for
both phases and the recorder's own worker thread separately.

    .venv/bin/python bench/recording.py [--size 1280x720] [--fps 30] [--people 9] [--seconds 20]
        [--call-seconds 10] [--no-call]

The machine is shared: the 1-minute load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
from aiortc import MediaStreamTrack  # noqa: E402

from client.engine.media.sources import SyntheticVideoTrack, ToneAudioTrack  # noqa: E402
from client.engine.recorder import MeetingRecorder  # noqa: E402

CALL_FPS = 30


async def _frames(track: Any, count: int) -> list[Any]:
    track._start = time.monotonic() - 1000  # no pacing: generate ahead of time
    return [await track.recv() for _ in range(count)]


async def recorder_only(args: Any, width: int, height: int) -> dict[str, Any]:
    # Pre-rendered frames (a second's worth each), so producing them costs the benchmark nothing.
    cameras = [await _frames(SyntheticVideoTrack(1280, 720, 30.0, hue=i * 25), 30) for i in range(args.people)]
    screen = await _frames(SyntheticVideoTrack(1920, 1080, 15.0, hue=60), 15)
    tones = [await _frames(ToneAudioTrack(200.0 + 50 * i), 50) for i in range(args.people)]

    folder = Path(tempfile.mkdtemp())
    path = folder / "bench.mp4"
    recorder = MeetingRecorder(
        path, size=(width, height), fps=args.fps, min_free=0, reserve=0, yield_to_call=not args.normal_priority
    )
    recorder.set_roster([(f"p{i}", f"Participant {i + 1}", True) for i in range(args.people)])
    sink_times: list[float] = []
    lags: list[float] = []

    def sink(call: Any, *a: Any) -> None:
        t = time.perf_counter()
        call(*a)
        sink_times.append(time.perf_counter() - t)

    async def camera(i: int) -> None:
        n = 0
        start = time.monotonic()
        while (now := time.monotonic()) - start < args.seconds:
            # Fresh frame objects, as a decoder hands out, so every tile is rescaled each time.
            sink(recorder.video, f"p{i}", "camera", cameras[i][n % 30].reformat())
            n += 1
            lags.append(max(0.0, now - (start + (n - 1) / 30)))
            await asyncio.sleep(max(0.0, start + n / 30 - time.monotonic()))

    async def sharing() -> None:
        await asyncio.sleep(args.seconds / 2)
        n = 0
        start = time.monotonic()
        while time.monotonic() - start < args.seconds / 2:
            sink(recorder.video, "p0", "screen", screen[n % 15].reformat())
            n += 1
            await asyncio.sleep(max(0.0, start + n / 15 - time.monotonic()))

    async def microphone(i: int) -> None:
        n = 0
        start = time.monotonic()
        while time.monotonic() - start < args.seconds:
            sink(recorder.audio, f"p{i}", tones[i][n % 50])
            n += 1
            await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))

    recorder.start()
    people = range(args.people)
    await asyncio.gather(*(camera(i) for i in people), *(microphone(i) for i in people), sharing())
    await asyncio.get_running_loop().run_in_executor(None, recorder.stop)
    wall = (recorder.stopped_at or 0.0) - (recorder.started_at or 0.0)
    stats = recorder.stats
    lags.sort()
    frames = max(1, stats.frames)
    result = {
        "seconds": round(wall, 2),
        "recorder_cpu_cores": round(stats.cpu_seconds / wall, 3),
        "compose_cpu_ms_per_frame": round(1000 * stats.compose_cpu / frames, 2),
        "encode_cpu_ms_per_frame": round(1000 * stats.encode_cpu / frames, 2),
        "audio_cpu_ms_per_frame": round(1000 * stats.audio_cpu / frames, 2),
        "encode_wall_ms_per_frame": round(1000 * stats.encode_seconds / frames, 2),
        "frames_written": stats.frames,
        "frames_dropped": stats.dropped,
        "realtime": round(stats.frames / (wall * args.fps), 3),
        "sink_ms_max": round(1000 * max(sink_times), 3),
        "loop_lag_ms_p99": round(1000 * lags[int(0.99 * (len(lags) - 1))], 1),
        "file_mb_per_min": round(path.stat().st_size / 2**20 / wall * 60, 1),
    }
    path.unlink()
    return result


# --- part 2: a real call --------------------------------------------------------------------------


async def encode_clip(width: int, height: int, seconds: float = 2.0) -> list[bytes]:
    """VP8 frames of the synthetic pattern at ``width`` x ``height``, the first a keyframe."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = width * height * 3 // 2  # ~1.4 Mbit/s at 720p, as the call sends
    codec.framerate = fractions.Fraction(CALL_FPS, 1)
    codec.time_base = fractions.Fraction(1, CALL_FPS)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    source = SyntheticVideoTrack(width, height, CALL_FPS)
    source._start = time.monotonic() - 1000  # no pacing
    out: list[bytes] = []
    for i in range(int(seconds * CALL_FPS)):
        frame = await source.recv()
        frame.pts, frame.time_base = i, codec.time_base
        out += [bytes(p) for p in codec.encode(frame)]
    out += [bytes(p) for p in codec.encode(None)]
    return out


class ClipTrack(MediaStreamTrack):  # type: ignore[misc]
    """Pre-encoded VP8 at 30 fps, sent only when told: `go` allows ``count`` more frames."""

    kind = "video"

    def __init__(self, clip: list[bytes]) -> None:
        super().__init__()
        self.clip = clip
        self.sent = 0
        self.allowed = 0
        self.base = 0
        self.t0 = time.monotonic()
        self.more = asyncio.Event()

    def go(self, count: int) -> None:
        self.base, self.t0 = self.allowed, time.monotonic()
        self.allowed += count
        self.more.set()

    async def recv(self) -> av.Packet:
        while self.sent >= self.allowed:
            self.more.clear()
            await self.more.wait()
        wait = self.t0 + (self.sent - self.base) / CALL_FPS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        # Every phase is a whole number of clip loops, so each one starts on the keyframe.
        packet = av.Packet(self.clip[self.sent % len(self.clip)])
        packet.pts = self.sent * (90000 // CALL_FPS)
        packet.time_base = fractions.Fraction(1, 90000)
        self.sent += 1
        return packet


async def _senders(conn: Any, server: str, fingerprint: str, names: list[str], meeting: str, clip: list[bytes]) -> None:
    from aiortc import RTCSessionDescription

    from client.engine import peer
    from client.engine.call import ParleyClient
    from shared.protocol import messages as m

    peer.use_host_addresses(["127.0.0.1"])
    clients, tracks, pcs = [], [], []
    for name in names:
        client = ParleyClient(server, fingerprint=fingerprint)
        await client.connect()
        await client.sign_in(name, "correct horse", remember=False)
        await client.join(meeting)
        track = ClipTrack(clip)
        pc = peer.new_peer_connection()
        t = pc.addTransceiver(track, direction="sendonly")
        t.setCodecPreferences(peer.video_codec_preferences())
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        reply = await client.request(
            m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources={"0": "camera"})
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))  # type: ignore[union-attr]
        clients.append(client)
        tracks.append(track)
        pcs.append(pc)
    loop = asyncio.get_running_loop()
    conn.send("ready")
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "stop":
            break
        if isinstance(command, int):
            for track in tracks:
                track.go(command)
        conn.send({name: track.sent for name, track in zip(names, tracks, strict=True)})
    for pc in pcs:
        await pc.close()
    for client in clients:
        await client.close()
    conn.send("stopped")


def _sender_process(conn: Any, *args: Any) -> None:
    asyncio.run(_senders(conn, *args))


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def call(args: Any, width: int, height: int) -> dict[str, Any]:
    from client.engine import peer
    from client.engine.recording import RecordingService
    from tests.conftest import RunningRelay
    from tests.media_fixtures import MEDIA_CONFIG, join, leave, wait_until

    cw, ch = (int(v) for v in args.call_size.split("x"))
    clip = await encode_clip(cw, ch)
    # Whole clip loops per phase, so every phase starts on the clip's keyframe.
    per_phase = max(1, round(args.call_seconds * CALL_FPS / len(clip))) * len(clip)
    phases = [0]
    peer.use_host_addresses(["127.0.0.1"])
    relay = RunningRelay(Path(tempfile.mkdtemp()) / "data", config_text=MEDIA_CONFIG).start()
    proc: Any = None
    try:
        host_name = relay.add_user(display="Host")
        names = [relay.add_user(display=f"Sender {i + 1}") for i in range(args.people - 1)]
        display = {name: f"Sender {i + 1}" for i, name in enumerate(names)}
        meeting = relay.create_meeting(host_name, title="Recording bench")
        client, session = await join(
            relay, host_name, meeting, video_size=(cw, ch), fps=float(CALL_FPS), mic="synthetic", playback=False
        )
        ctx = multiprocessing.get_context("spawn")
        conn, child = ctx.Pipe()
        proc = ctx.Process(
            target=_sender_process, args=(child, relay.server, relay.fingerprint, names, meeting, clip), daemon=True
        )
        proc.start()
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, conn.recv) == "ready"

        def by_name() -> dict[str, int]:
            names_of = {p.participant_id: p.display_name for p in client.participants.values()}
            return {
                names_of.get(key[0], key[0]): st.frames
                for key, st in session.stats_by_track.items()
                if key[1] == "camera"
            }

        await wait_until(lambda: len(session.remote) >= len(names), 60, "the senders' tracks")

        async def phase(recording: bool) -> dict[str, Any]:
            phases[0] += 1
            # The phase's frames and one more: aiortc hands a frame on when the next one starts
            # arriving, so the extra frame releases the phase's last (and is counted next phase).
            target = phases[0] * (per_phase + 1)
            before = by_name()
            conn.send("count")
            sent_before: dict[str, int] = await loop.run_in_executor(None, conn.recv)
            service = None
            if recording:
                service = RecordingService(
                    client, session, folder=Path(tempfile.mkdtemp()), size=(width, height), fps=args.fps,
                    min_free=0, reserve=0,
                )  # fmt: skip
                await service.start()
                assert service.recorder is not None
                service.recorder.yield_to_call = not args.normal_priority
            cpu0, t0 = _process_cpu(), time.monotonic()
            conn.send(per_phase)
            await loop.run_in_executor(None, conn.recv)
            await asyncio.sleep(per_phase / CALL_FPS)
            conn.send(1)
            await loop.run_in_executor(None, conn.recv)
            # Drained: every sender done and the host's counters still for a second.
            sent: dict[str, int] = {}
            last: dict[str, int] = {}
            still_since = time.monotonic()
            while time.monotonic() - still_since < 1.0 and time.monotonic() - t0 < per_phase / CALL_FPS + 30:
                conn.send("count")
                sent = await loop.run_in_executor(None, conn.recv)
                now = by_name()
                if now != last or any(v < target for v in sent.values()):
                    last, still_since = now, time.monotonic()
                await asyncio.sleep(0.25)
            wall = time.monotonic() - t0
            cpu = _process_cpu() - cpu0
            stats: dict[str, Any] = {}
            if service is not None:
                path = await service.stop()
                stats = dict(service.last_stats)
                stats["seconds"] = round(service.last_wall_seconds, 2)
                stats["realtime"] = round(stats["frames"] / (service.last_wall_seconds * args.fps), 3)
                stats["recorder_cpu_cores"] = round(stats["worker_cpu_s"] / service.last_wall_seconds, 3)
                if path is not None:
                    path.unlink()
                service.close()
            # Frames due at the host in this phase: those sent whose successor was sent too.
            due = {n: (sent[n] - 1) - max(0, sent_before[n] - 1) for n in sent}
            received = {n: last.get(display[n], 0) - before.get(display[n], 0) for n in sent}
            dropped = {n: due[n] - received[n] for n in sent}
            return {
                "recording": recording,
                "frames_sent_per_sender": per_phase,
                "frames_due_per_sender": sorted(set(due.values())),
                "frames_decoded_by_host": sorted(received.values()),
                "call_frames_dropped": sum(max(0, d) for d in dropped.values()),
                "host_process_cpu_cores": round(cpu / wall, 3),
                "recorder": stats,
            }

        runs = []
        for _ in range(args.rounds):  # alternated, so a change in the machine's load hits both
            runs += [await phase(False), await phase(True)]
        conn.send("stop")
        await loop.run_in_executor(None, conn.recv)
        await leave(client, session)
    finally:
        if proc is not None and proc.is_alive():
            proc.kill()
        relay.stop()
    return {
        "senders": args.people - 1,
        "sender_video": f"{cw}x{ch} VP8 at {CALL_FPS} fps, pre-encoded",
        "host_camera": f"{cw}x{ch} at {CALL_FPS} fps, synthetic VP8",
        "recorder_thread_priority": "normal" if args.normal_priority else "lowered (nice +10)",
        "call_frames_dropped_without_recording": sum(r["call_frames_dropped"] for r in runs if not r["recording"]),
        "call_frames_dropped_with_recording": sum(r["call_frames_dropped"] for r in runs if r["recording"]),
        "phases": runs,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--people", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--call-seconds", type=float, default=10.0)
    parser.add_argument("--call-size", default="1280x720", help="the call's camera size (senders and host)")
    parser.add_argument("--no-call", action="store_true")
    parser.add_argument("--rounds", type=int, default=2, help="call phases without, then with recording")
    parser.add_argument("--normal-priority", action="store_true", help="do not lower the recorder's priority")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    result: dict[str, Any] = {
        "benchmark": "recording",
        "people": args.people,
        "size": f"{width}x{height}",
        "fps": args.fps,
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "recorder": await recorder_only(args, width, height),
    }
    if not args.no_call:
        result["call"] = await call(args, width, height)
    result["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
