"""Glass-to-glass latency and join-to-first-frame through a relay on loopback; prints JSON.

Two participants publish the synthetic camera (its frames carry their capture time); each
decodes the other's. Latency = decode time - capture time, p50/p95 over the run.

    .venv/bin/python bench/latency.py [--size 1280x720] [--fps 30] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client.engine import peer  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.media_fixtures import MEDIA_CONFIG, join, leave  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    peer.use_host_addresses(["127.0.0.1"])
    relay = RunningRelay(Path(tempfile.mkdtemp()) / "data", config_text=MEDIA_CONFIG).start()
    try:
        names = [relay.add_user() for _ in range(2)]
        meeting = relay.create_meeting(names[0])
        media = {"video_size": (width, height), "fps": args.fps, "mic": "synthetic", "playback": False}
        first = await join(relay, names[0], meeting, **media)
        started = time.monotonic()
        second = await join(relay, names[1], meeting, **media)
        await asyncio.wait_for(second[1].first_video.wait(), 10)
        join_to_first = second[1].first_frame_at - second[1].joined_at
        del started
        await asyncio.sleep(args.seconds)
        latencies = sorted(
            lat
            for _, s in (first, second)
            for st in s.stats_by_track.values()
            if st.kind == "video"
            for lat in st.latencies
        )
        reports = [r for _, s in (first, second) for r in s.stats()["remote_tracks"] if r["kind"] == "video"]
        for client, session in (first, second):
            await leave(client, session)
    finally:
        relay.stop()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    print(
        json.dumps(
            {
                "benchmark": "latency",
                "video": f"{width}x{height}@{args.fps:g} VP8, synthetic source, loopback",
                "samples": len(latencies),
                "glass_to_glass_ms_p50": pct(0.5),
                "glass_to_glass_ms_p95": pct(0.95),
                "join_to_first_frame_s": round(join_to_first, 3),
                "received": [{k: r[k] for k in ("fps", "bitrate_kbps", "freezes", "width", "height")} for r in reports],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
