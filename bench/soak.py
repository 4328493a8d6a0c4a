"""Soak: the desktop app in a long 4-person call with a screen share, a recording and file transfers.

A relay on loopback; the desktop app under test (the real MainWindow, offscreen, with the real media
engine and synthetic camera and microphone) joins as the host, starts recording with its Record
button and accepts every file it is offered; three headless participants join with cameras: one
shares a screen, one sends a 20 MB file, and every ``--cycle`` minutes the sharer and the sender
leave and come back (a new share, a new transfer, new tiles), as a working day's meeting does.

Every ``--every`` seconds the app's RSS and CPU (all its threads) and the others' RSS are sampled.
The JSON gives the series, the app's RSS at the end of the warm-up and at the end, its growth after
warm-up and the slope per 10 minutes (least squares over the samples after warm-up), plus with
``--trace`` the Python allocations and object counts that grew most (tracemalloc, gc).

    .venv/bin/python bench/soak.py [--minutes 30] [--warmup 3] [--cycle 5] [--video 1280x720@30]

The machine is shared: the 1-minute load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.file_transfer import cpu_seconds  # noqa: E402
from bench.soak_app import rss_mib  # noqa: E402
from tests.conftest import RunningRelay  # noqa: E402
from tests.media_fixtures import MEDIA_CONFIG  # noqa: E402

PYTHON = sys.executable
PASSWORD = "correct horse\n"


def slope_per_10_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) in MiB per 10 minutes."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return None
    return round(sum((t - mx) * (v - my) for t, v in points) / var * 600, 1)


class Headless:
    """``parley join --headless`` as one of the others, restarted on demand."""

    def __init__(self, relay: RunningRelay, link: str, name: str, env: dict[str, str], *extra: str) -> None:
        self.relay, self.link, self.name, self.env, self.extra = relay, link, name, env, extra
        self.proc: subprocess.Popen[str] | None = None
        self.log = open(Path(tempfile.gettempdir()) / f"soak-{name}.log", "w")

    def start(self) -> None:
        cmd = [PYTHON, "-m", "client.cli", "join", self.link, "--headless", "--user", self.name]
        cmd += ["--password-stdin", "--server-fingerprint", self.relay.fingerprint, *self.extra]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT, text=True, env=self.env, cwd=ROOT
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(PASSWORD)
        self.proc.stdin.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rss(self) -> float | None:
        return rss_mib(self.proc.pid) if self.proc is not None and self.proc.poll() is None else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="minutes before the baseline is taken")
    parser.add_argument("--cycle", type=float, default=5.0, help="minutes between the others leaving and coming back")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--video", default="1280x720@30", help="the cameras: WIDTHxHEIGHT@FPS")
    parser.add_argument("--screen", default="1920x1080@15", help="the shared screen: WIDTHxHEIGHT@FPS")
    parser.add_argument("--trace", action="store_true", help="report what Python allocations grew (slower)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="parley-soak-"))
    relay = RunningRelay(work / "relay", config_text=MEDIA_CONFIG).start()
    names = [relay.add_user() for _ in range(4)]
    meeting = relay.create_meeting(names[0], "Soak")
    link = f"parley://{relay.server}/m/{meeting}"
    payload = work / "slides.bin"
    payload.write_bytes(os.urandom(20 << 20))
    env = dict(os.environ, PARLEY_VIDEO=args.video, PARLEY_SCREEN_VIDEO=args.screen, PARLEY_SCREEN_MONITOR="0")
    env["PARLEY_PLAYBACK"] = "0"
    child_env = dict(env, QT_QPA_PLATFORM="offscreen")
    app_cmd = [PYTHON, str(ROOT / "bench" / "soak_app.py"), "--server", relay.server, "--fingerprint"]
    app_cmd += [relay.fingerprint, "--user", names[0], "--link", link, "--video", args.video, "--work", str(work)]
    app_cmd += ["--trace"] if args.trace else []
    app = subprocess.Popen(app_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env, cwd=ROOT)
    assert app.stdin is not None and app.stdout is not None
    others = {
        "camera": Headless(relay, link, names[1], env),
        "sharer": Headless(relay, link, names[2], env, "--screen"),
        "sender": Headless(relay, link, names[3], env, "--send-file", str(payload)),
    }
    samples: list[dict[str, Any]] = []
    report: dict[str, Any] = {}
    try:
        ready = json.loads(app.stdout.readline())
        if not ready.get("in_call"):
            raise SystemExit(f"the app did not join: {ready}")
        for person in others.values():
            person.start()
        started = time.monotonic()
        cpu_before, cycles = cpu_seconds(app.pid), 0
        next_cycle = started + args.cycle * 60
        while (now := time.monotonic()) < started + args.minutes * 60:
            time.sleep(args.every)
            now = time.monotonic()
            if now >= next_cycle:
                for key in ("sharer", "sender"):
                    others[key].stop()
                    others[key].start()
                cycles, next_cycle = cycles + 1, next_cycle + args.cycle * 60
            cpu_now = cpu_seconds(app.pid)
            sample = {
                "t_s": round(now - started),
                "app_rss_mib": rss_mib(app.pid),
                "app_cpu_percent": round((cpu_now - cpu_before) / args.every * 100, 1),
                "relay_rss_mib": rss_mib(relay.proc.pid) if relay.proc else None,
                **{f"{key}_rss_mib": person.rss() for key, person in others.items()},
            }
            cpu_before = cpu_now
            samples.append(sample)
            print(json.dumps(sample), file=sys.stderr, flush=True)
        app.stdin.write("stop\n")
        app.stdin.flush()
        report = json.loads(app.stdout.readline() or "{}")
        app.wait(60)
    finally:
        for person in others.values():
            person.stop()
        if app.poll() is None:
            app.kill()
        relay.stop()

    warm = [s for s in samples if s["t_s"] >= args.warmup * 60]
    base = warm[0]["app_rss_mib"] if warm else None
    end = samples[-1]["app_rss_mib"] if samples else None
    result = {
        "benchmark": "soak",
        "minutes": args.minutes,
        "warmup_minutes": args.warmup,
        "video": args.video,
        "screen": args.screen,
        "leave_and_rejoin_cycles": cycles,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "app_rss_mib_after_warmup": base,
        "app_rss_mib_at_end": end,
        "app_rss_mib_max": max((s["app_rss_mib"] for s in samples), default=None),
        "app_rss_growth_after_warmup_mib": round(end - base, 1) if base is not None and end is not None else None,
        "app_rss_slope_mib_per_10_min": slope_per_10_min([(s["t_s"], s["app_rss_mib"]) for s in warm]),
        "app_cpu_percent_mean": round(sum(s["app_cpu_percent"] for s in samples) / len(samples), 1)
        if samples
        else None,
        "app": report,
        "samples": samples,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
