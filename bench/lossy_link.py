"""Lossy link: how long video and audio pause at 5% loss and 80 ms delay each way (issue #16
item 5); prints JSON.

Alice and Bob (320x240@15 synthetic camera, a tone) call through a relay on loopback; Bob's
media goes through `tests.impair.LossyLink` (user-space forwarders: loss, delay, 1% reordering)
as in tests/test_lossy_link.py. Each round measures ``--seconds`` of call: the longest pause
between decoded camera frames each way, the longest hole in decoded audio (sound that never
came, in media time) and the longest wait between decoded audio frames, and how many audio
frames were rebuilt from Opus FEC or concealed.

    .venv/bin/python bench/lossy_link.py [--rounds 3] [--seconds 10] [--loss 0.05] [--delay 0.08]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client.engine.media.opus import REPAIRED  # noqa: E402
from tests.impair import LossyLink  # noqa: E402
from tests.media_fixtures import SMALL, frames, join, leave, start_media_relay  # noqa: E402
from tests.test_lossy_link import Arrivals, impair  # noqa: E402


async def one_round(seconds: float, loss: float, delay: float, seed: int) -> dict[str, Any]:
    from client.engine.call import ParleyClient
    from client.engine.media.session import MediaSession

    with tempfile.TemporaryDirectory() as tmp:
        relay = start_media_relay(Path(tmp))
        link = LossyLink(loss=loss, delay=delay, reorder=0.01, seed=seed)
        try:
            relay.add_user("alice")
            relay.add_user("bob")
            meeting = relay.create_meeting("alice", "Bad wifi")
            a_client, alice = await join(relay, "alice", meeting)
            b_client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
            await b_client.connect()
            await b_client.sign_in("bob", "correct horse", remember=False)
            await b_client.join(meeting)
            bob = MediaSession(b_client, **SMALL)
            impair(b_client, bob, link)
            a_seen, b_seen = Arrivals(alice), Arrivals(bob)
            await bob.start()
            a_id, b_id = a_client.participant_id, b_client.participant_id
            deadline = time.monotonic() + 30
            while not all(frames(s, p, "camera") >= 5 for s, p in ((alice, b_id), (bob, a_id))):
                if time.monotonic() > deadline:
                    raise RuntimeError("no media through the lossy link")
                await asyncio.sleep(0.05)
            repaired = dict(REPAIRED)
            start = time.monotonic()
            await asyncio.sleep(seconds)  # a measuring window, not a wait for something
            end = time.monotonic()
            audio = [a_seen.audio_gaps(b_id, start, end), b_seen.audio_gaps(a_id, start, end)]
            result = {
                "dropped": round(link.dropped_fraction(), 3),
                "video_gap_s": [
                    round(a_seen.longest_gap((b_id, "camera"), start, end), 3),
                    round(b_seen.longest_gap((a_id, "camera"), start, end), 3),
                ],
                "audio_hole_s": [round(hole, 3) for hole, _ in audio],
                "audio_wait_s": [round(wait, 3) for _, wait in audio],
                "audio_frames_fec": REPAIRED["fec"] - repaired["fec"],
                "audio_frames_concealed": REPAIRED["concealed"] - repaired["concealed"],
            }
            await leave(b_client, bob)
            await leave(a_client, alice)
            return result
        finally:
            link.close()
            relay.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--loss", type=float, default=0.05)
    parser.add_argument("--delay", type=float, default=0.08)
    args = parser.parse_args()
    rounds = [await one_round(args.seconds, args.loss, args.delay, seed) for seed in range(1, args.rounds + 1)]
    video = [g for r in rounds for g in r["video_gap_s"]]
    holes = [g for r in rounds for g in r["audio_hole_s"]]
    waits = [g for r in rounds for g in r["audio_wait_s"]]
    print(
        json.dumps(
            {
                "benchmark": "lossy_link",
                "loss": args.loss,
                "delay_s": args.delay,
                "rounds": rounds,
                "video_gap_max_s": max(video),
                "audio_hole_max_s": max(holes),
                "audio_wait_max_s": max(waits),
                "targets": {"video_gap_s": 0.5, "audio_gap_s": 0.1},
                "load": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
