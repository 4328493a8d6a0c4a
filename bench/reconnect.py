"""Reconnection: how soon media flows again after the relay comes back; prints JSON.

Two participants (synthetic camera and microphone) are in a call through a relay on a fixed
loopback port. Each round the relay is stopped (SIGKILL or SIGTERM, alternating), started again
on the same port, and the time from "relay listening again" to "each participant decodes new video
from the other" is measured. No manual step: the engine reconnects, resumes and rejoins by itself.

    .venv/bin/python bench/reconnect.py [--rounds 10] [--size 320x240] [--fps 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client.engine import peer  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.media_fixtures import MEDIA_CONFIG, join, leave  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--fps", type=float, default=15.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    peer.use_host_addresses(["127.0.0.1"])
    port = free_port()
    config = MEDIA_CONFIG + "[backup]\ninterval_hours = 0\n"
    relay = RunningRelay(Path(tempfile.mkdtemp()) / "data", config_text=config, port=port).start()
    media = {"video_size": (width, height), "fps": args.fps, "playback": False}
    samples: list[float] = []
    failures = 0
    try:
        names = [relay.add_user() for _ in range(2)]
        meeting = relay.create_meeting(names[0])
        people = [await join(relay, name, meeting, **media) for name in names]

        def video(i: int) -> int:
            # Every camera frame decoded from anyone, whatever seat id it came under.
            return sum(s.frames for k, s in people[i][1].stats_by_track.items() if k[1] == "camera")

        deadline = time.monotonic() + 30
        while min(video(0), video(1)) < 10 and time.monotonic() < deadline:  # noqa: ASYNC110 (polls counters)
            await asyncio.sleep(0.05)
        for round_no in range(args.rounds):
            sig = signal.SIGKILL if round_no % 2 == 0 else signal.SIGTERM
            relay.stop(sig)
            before = [video(0), video(1)]
            relay.start()
            back_at = time.monotonic()
            deadline = back_at + 30
            flowing = [False, False]
            while not all(flowing) and time.monotonic() < deadline:
                for i in (0, 1):
                    flowing[i] = flowing[i] or video(i) >= before[i] + 3
                await asyncio.sleep(0.02)
            if all(flowing):
                samples.append(time.monotonic() - back_at)
            else:
                failures += 1
                for i, (client, session) in enumerate(people):
                    print(
                        f"round {round_no} ({sig.name}): participant {i} flowing={flowing[i]} "
                        f"reconnects={client.reconnects} tracks={len(session.remote)} "
                        f"participants={len(client.participants)} before={before[i]} now={video(i)}",
                        file=sys.stderr,
                    )
        for client, session in people:
            await leave(client, session)
    finally:
        relay.stop()
    print(
        json.dumps(
            {
                "benchmark": "reconnect",
                "rounds": args.rounds,
                "failed_rounds": failures,
                "video": f"{width}x{height}@{args.fps:g}",
                "media_back_s_p50": round(statistics.median(samples), 3) if samples else None,
                "media_back_s_p95": round(percentile(samples, 95), 3) if samples else None,
                "media_back_s_max": round(max(samples), 3) if samples else None,
                "target_p95_s": 5.0,
                "samples_s": [round(s, 3) for s in samples],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
