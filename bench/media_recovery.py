"""Media recovery: how soon a dead publish or subscribe connection is noticed, rebuilt, and carries
frames again (issue #14 item 1); prints JSON.

Alice and Bob (synthetic camera and microphone) are in a call through a relay on loopback. Each
round kills one connection in one of four ways: Bob's subscribe connection or Alice's publish
connection, closed by the client, or cut off by dropping all its packets. Measured from the kill:
``detected_s`` (the engine's `MediaInterrupted`), ``rebuilt_s`` (`MediaRestarted`: the new
connection is up) and ``media_s`` (Bob decodes a new video frame of Alice's). For the closed
cases ``rebuilt_s - detected_s`` is the rebuild itself; the dropped cases add the silence the
watchdog waits for (client/engine/media/watchdog.py: 2.5 s subscribe, 3 s publish).

    .venv/bin/python bench/media_recovery.py [--rounds 3] [--size 320x240] [--fps 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client.engine import events as ev  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.media_fixtures import MEDIA_CONFIG, drop, frames, join, leave  # noqa: E402

CASES = ("subscribe-closed", "publish-closed", "subscribe-dropped", "publish-dropped")


async def wait_for(predicate: Any, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.01)
    return time.monotonic()


async def one_round(case: str, alice: Any, bob: Any, a_id: str, events: list[tuple[float, Any]]) -> dict[str, Any]:
    connection, how = case.split("-")
    session = bob if connection == "subscribe" else alice
    pc = session.subscribe_pc if connection == "subscribe" else session.publish_pc
    seen = len(events)
    before = frames(bob, a_id, "camera")
    start = time.monotonic()
    if how == "closed":
        await pc.close()
    else:
        drop(pc, lambda data: True)

    def event(kind: type[Any]) -> float | None:
        for at, e in events[seen:]:
            if isinstance(e, kind) and e.connection == connection:
                return at
        return None

    await wait_for(lambda: event(ev.MediaRestarted) is not None)
    rebuilt, detected = event(ev.MediaRestarted), event(ev.MediaInterrupted)
    # New video after the rebuild: frames decoded since then, not those still in flight.
    floor = max(before, frames(bob, a_id, "camera"))
    media = await wait_for(lambda: frames(bob, a_id, "camera") > floor)
    assert rebuilt is not None and detected is not None
    return {"case": case, "detected_s": detected - start, "rebuilt_s": rebuilt - start, "media_s": media - start}


async def main(rounds: int, size: tuple[int, int], fps: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        relay = RunningRelay(Path(tmp) / "data", config_text=MEDIA_CONFIG).start()
        try:
            names = [relay.add_user() for _ in range(2)]
            meeting = relay.create_meeting(names[0])
            media = {"video_size": size, "fps": fps}
            a_client, alice = await join(relay, names[0], meeting, **media)
            b_client, bob = await join(relay, names[1], meeting, **media)
            a_id = a_client.participant_id
            events: list[tuple[float, Any]] = []
            for client in (a_client, b_client):
                client.add_listener(lambda e: events.append((time.monotonic(), e)))
            await wait_for(lambda: frames(bob, a_id, "camera") > 10)
            results = []
            for _ in range(rounds):
                for case in CASES:
                    results.append(await one_round(case, alice, bob, a_id, events))
                    await asyncio.sleep(1.0)  # settle: keyframes, estimators
            await leave(a_client, alice)
            await leave(b_client, bob)
        finally:
            relay.stop()
    summary: dict[str, Any] = {}
    for case in CASES:
        rows = [r for r in results if r["case"] == case]
        summary[case] = {
            key: {
                "median": round(statistics.median(r[key] for r in rows), 3),
                "max": round(max(r[key] for r in rows), 3),
            }
            for key in ("detected_s", "rebuilt_s", "media_s")
        }
        summary[case]["rebuild_only_s_max"] = round(max(r["rebuilt_s"] - r["detected_s"] for r in rows), 3)
    return {
        "bench": "media_recovery",
        "rounds": rounds,
        "video": f"{size[0]}x{size[1]}@{fps:g}",
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "cases": summary,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--fps", type=float, default=15.0)
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    print(json.dumps(asyncio.run(main(args.rounds, (w, h), args.fps)), indent=2))
