"""Company-directory sign-in: how long a sign-in takes and how many the relay completes per second
when people sign in with their directory password (a morning rush), and how long a people search
takes; prints JSON.

A private OpenLDAP (tests/slapd.py, ldaps with a test CA) and a relay with ``auth.mode = "ldap"``
on loopback. Each sign-in is a real one: a new websocket, the relay's throttle, the user search as
the service account, a bind as the person, the account update, a new session.

    .venv/bin/python bench/directory_signin.py [--people 40] [--concurrency 1,8,20]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client.engine.call import ParleyClient  # noqa: E402
from client.engine.credentials import TokenStore  # noqa: E402
from client.engine.meetings import MeetingDesk  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.relay.directory.test_signin_live import directory_config  # noqa: E402
from tests.slapd import Slapd  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def sign_in(relay: RunningRelay, folder: Path, name: str) -> tuple[float, ParleyClient]:
    client = ParleyClient(
        relay.server, fingerprint=relay.fingerprint, token_store=TokenStore(folder / f"{name}.json", use_keyring=False)
    )
    started = time.perf_counter()
    await client.connect()
    await client.sign_in(name, f"{name} directory pw", remember=False)
    return time.perf_counter() - started, client


async def rush(relay: RunningRelay, folder: Path, names: list[str], concurrency: int) -> dict[str, float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    clients: list[ParleyClient] = []

    async def one(name: str) -> None:
        async with gate:
            seconds, client = await sign_in(relay, folder, name)
            latencies.append(seconds)
            clients.append(client)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in names))
    wall = time.perf_counter() - started
    for client in clients:
        await client.close()
    return {
        "concurrency": concurrency,
        "sign_ins": len(latencies),
        "sign_ins_per_s": round(len(latencies) / wall, 1),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p95": round(percentile(latencies, 95) * 1000, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--concurrency", default="1,8,20")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    slapd = Slapd(folder / "slapd").start()
    relay_dir = folder / "relay"
    relay_dir.mkdir()
    config = directory_config(slapd, folder / "secret").replace('mode = "both"', 'mode = "ldap"')
    relay = RunningRelay(relay_dir / "data", config).start()
    try:
        names = [f"bench{i}" for i in range(args.people)]
        for name in names:
            slapd.add_person(name, f"{name} directory pw", display=f"Bench Person {name}")
        runs = []
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            runs.append(await rush(relay, folder, names, concurrency))
        _seconds, client = await sign_in(relay, folder, names[0])
        desk = MeetingDesk(client)
        searches = []
        for i in range(15):
            started = time.perf_counter()
            await desk.find_people(f"bench{i % 10}")
            searches.append(time.perf_counter() - started)
        await client.close()
    finally:
        relay.stop()
        slapd.stop()
    print(
        json.dumps(
            {
                "benchmark": "directory_signin",
                "people": args.people,
                "runs": runs,
                "people_search_ms_p50": round(statistics.median(searches) * 1000, 1),
                "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
