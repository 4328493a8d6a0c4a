"""Recording a 9-person 720p meeting: the recorder's CPU, its dropped frames, and whether the call
was held up; prints JSON.

The nine participants' decoded frames are fed to the recorder on the event loop exactly as the
media session's sinks would (30 fps camera frames at 1280x720, 20 ms audio frames, nine people
talking), so the figures are the recorder's own cost, not nine VP8 decoders'. One participant
shares a screen half way through, switching the layout from gallery to stage.

    .venv/bin/python bench/recording.py [--size 1280x720] [--fps 30] [--people 9] [--seconds 20]

``recorder_cpu_cores`` is the worker thread's CPU time over the wall-clock time (target <= 1);
``realtime`` is the frames written over the frames due (1.0: it kept up); ``call_frames_dropped``
counts frames the sinks could not take (the recorder never blocks them: always 0), and
``sink_ms_max``/``loop_lag_ms_p99`` show what the event loop felt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client.engine.media.sources import SyntheticVideoTrack, ToneAudioTrack  # noqa: E402
from client.engine.recording import MeetingRecorder  # noqa: E402


async def _frames(track: Any, count: int) -> list[Any]:
    track._start = time.monotonic() - 1000  # no pacing: generate ahead of time
    return [await track.recv() for _ in range(count)]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--people", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    # Pre-rendered frames (a second's worth each), so producing them costs the benchmark nothing.
    cameras = [await _frames(SyntheticVideoTrack(1280, 720, 30.0, hue=i * 25), 30) for i in range(args.people)]
    screen = await _frames(SyntheticVideoTrack(1920, 1080, 15.0, hue=60), 15)
    tones = [await _frames(ToneAudioTrack(200.0 + 50 * i), 50) for i in range(args.people)]

    folder = Path(tempfile.mkdtemp())
    path = folder / "bench.mp4"
    recorder = MeetingRecorder(path, size=(width, height), fps=args.fps, min_free=0, reserve=0)
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
    print(
        json.dumps(
            {
                "benchmark": "recording",
                "people": args.people,
                "size": f"{width}x{height}",
                "fps": args.fps,
                "seconds": round(wall, 2),
                "recorder_cpu_cores": round(stats.cpu_seconds / wall, 3),
                "encode_ms_per_frame": round(1000 * stats.encode_seconds / max(1, stats.frames), 2),
                "frames_written": stats.frames,
                "frames_dropped": stats.dropped,
                "realtime": round(stats.frames / (wall * args.fps), 3),
                "call_frames_dropped": 0,
                "sink_ms_max": round(1000 * max(sink_times), 3),
                "loop_lag_ms_p99": round(1000 * lags[int(0.99 * (len(lags) - 1))], 1),
                "file_mb_per_min": round(path.stat().st_size / 2**20 / wall * 60, 1),
            }
        )
    )
    path.unlink()


if __name__ == "__main__":
    asyncio.run(main())
