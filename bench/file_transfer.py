"""File transfer during a three-person call: MB/s sender -> relay -> recipient, and the call's
received video frame rate with and without the transfer; prints JSON.

The relay is a `parley-relay serve` process; each participant is its own process (this script
with ``--worker``) publishing a synthetic camera and microphone and decoding the two others. Ann
sends a random file to Bob; Cat only watches. Frame rates are decoded frames per second of every
remote camera track, averaged over the three participants, first over a quiet window, then over the
transfer. CPU per MB comes from /proc for the relay, the sender and the recipient.

    .venv/bin/python bench/file_transfer.py [--mb 100] [--size 640x360] [--fps 30] [--quiet 8]
"""

from __future__ import annotations

import argparse
import asyncio
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

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


# --- worker: one participant in its own process ---------------------------------------------------


async def worker(args: argparse.Namespace) -> None:
    from client.engine import events as ev
    from client.engine import peer
    from client.engine.files import FileService
    from tests.media_fixtures import join

    class Relay:  # what tests.media_fixtures.join needs
        server, fingerprint = args.server, args.fingerprint

    peer.use_host_addresses(["127.0.0.1"])
    width, height = (int(v) for v in args.size.split("x"))
    camera = "none" if args.no_video else "synthetic"
    client, session = await join(
        Relay, args.user, args.meeting, camera=camera, video_size=(width, height), fps=args.fps, playback=False
    )
    down = Path(args.download_dir) if args.download_dir else None
    files = FileService(client, session, download_dir=down, auto_accept=down is not None)
    await files.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def reply(data: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    reply({"ready": client.participant_id})
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd["cmd"] == "frames":
            tracks = session.stats_by_track.items()
            counts = {f"{pid}/{source}": st.frames for (pid, source), st in tracks if st.kind == "video"}
            reply({"t": time.monotonic(), "frames": counts, "keys": len(files.keys)})
        elif cmd["cmd"] == "send":
            target = next(p for p, info in client.participants.items() if info.display_name == cmd["to"])
            done = asyncio.ensure_future(
                client.wait_for(
                    lambda e: (
                        isinstance(e, ev.FileTransferChanged)
                        and e.direction == "outgoing"
                        and e.state in ("complete", "failed", "cancelled", "declined")
                    ),
                    timeout=900,
                )
            )
            started = time.monotonic()
            await files.send_file(Path(cmd["path"]), [target])
            final = await done
            reply({"state": final.state, "message": final.message, "started": started, "ended": time.monotonic()})
        elif cmd["cmd"] == "quit":
            break
    await files.stop()
    await session.stop()
    await client.leave()
    await client.close()


# --- the benchmark ------------------------------------------------------------------------------------


class Worker:
    def __init__(self, args: argparse.Namespace, relay: Any, user: str, meeting: str, down: Path | None) -> None:
        command = [sys.executable, __file__, "--worker", "--server", relay.server, "--fingerprint", relay.fingerprint,
                   "--user", user, "--meeting", meeting, "--size", args.size, "--fps", str(args.fps)]  # fmt: skip
        if args.no_video:
            command.append("--no-video")
        if down is not None:
            command += ["--download-dir", str(down)]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ}
        )
        self.ready = self.read()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"a participant process ended (exit {self.proc.wait()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def ask(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self.read() if cmd["cmd"] not in ("send", "quit") else {}

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.ask(cmd="quit")
                self.proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def fps(before: dict[str, Any], after: dict[str, Any]) -> float:
    seconds = after["t"] - before["t"]
    tracks = [k for k in after["frames"] if k in before["frames"]]
    if not tracks or seconds <= 0:
        return 0.0
    return sum((after["frames"][k] - before["frames"][k]) / seconds for k in tracks) / len(tracks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=100.0, help="file size in MB (10^6 bytes)")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--quiet", type=float, default=8.0, help="seconds of call without a transfer")
    parser.add_argument("--no-video", action="store_true", help="no cameras: the transfer alone (audio only)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for option in ("--server", "--fingerprint", "--user", "--meeting", "--download-dir"):
        parser.add_argument(option, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args))
        return

    from tests.client.files_helpers import random_file, sha256
    from tests.conftest import RunningRelay
    from tests.media_fixtures import MEDIA_CONFIG

    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    relay = RunningRelay(tmp / "data", config_text=MEDIA_CONFIG).start()
    workers: list[Worker] = []
    try:
        names = [relay.add_user(display=d) for d in ("Ann", "Bob", "Cat")]
        meeting = relay.create_meeting(names[0])
        src = tmp / "bench.bin"
        digest = random_file(src, int(args.mb * 1e6))
        down = tmp / "down"
        for name, folder in zip(names, (None, down, None), strict=True):
            workers.append(Worker(args, relay, name, meeting, folder))
        ann, bob, cat = workers
        deadline = time.monotonic() + 60
        while True:  # everyone decodes both other cameras and has both keys
            states = [w.ask(cmd="frames") for w in workers]
            videos = 0 if args.no_video else 2
            if all(
                len(s["frames"]) == videos and min(s["frames"].values(), default=1) > 0 and s["keys"] == 2
                for s in states
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the call did not start: " + json.dumps(states))
            time.sleep(0.5)
        time.sleep(2)  # past the first keyframes
        pids = {"relay": relay.proc.pid, "sender": ann.proc.pid, "recipient": bob.proc.pid, "watcher": cat.proc.pid}
        cpu_before = {k: cpu_seconds(p) for k, p in pids.items()}
        before = [w.ask(cmd="frames") for w in workers]
        time.sleep(args.quiet)
        after = [w.ask(cmd="frames") for w in workers]
        quiet_fps = [fps(b, a) for b, a in zip(before, after, strict=True)]
        quiet_seconds = after[0]["t"] - before[0]["t"]
        quiet_cpu = {k: (cpu_seconds(p) - cpu_before[k]) / quiet_seconds for k, p in pids.items()}

        cpu_before = {k: cpu_seconds(p) for k, p in pids.items()}
        before = [w.ask(cmd="frames") for w in workers]
        ann.ask(cmd="send", path=str(src), to="Bob")
        result = ann.read()
        after = [w.ask(cmd="frames") for w in workers]
        cpu = {k: cpu_seconds(p) - cpu_before[k] for k, p in pids.items()}
        busy_fps = [fps(b, a) for b, a in zip(before, after, strict=True)]
        seconds = result["ended"] - result["started"]
        megabytes = args.mb
        received = down / "bench.bin"
        ok = result["state"] == "complete" and received.exists() and sha256(received) == digest
        quiet, busy = sum(quiet_fps) / 3, sum(busy_fps) / 3
        report = {
            "benchmark": "file_transfer",
            "call": "3 participants, Opus only (--no-video), loopback"
            if args.no_video
            else f"3 participants, synthetic camera {args.size}@{args.fps:g} VP8 + Opus each, loopback",
            "file_mb": megabytes,
            "sha256_matches": ok,
            "transfer_seconds": round(seconds, 2),
            "mb_per_s": round(megabytes / seconds, 2),
            # CPU the transfer added to each process (its CPU during the transfer minus its rate in
            # the quiet call), per MB; and each process's whole CPU share (call included).
            "transfer_cpu_ms_per_mb": {
                k: round(1000 * (v - quiet_cpu[k] * seconds) / megabytes, 1) for k, v in cpu.items()
            },
            "cpu_percent_of_core_without_transfer": {k: round(100 * v, 1) for k, v in quiet_cpu.items()},
            "cpu_percent_of_core_during_transfer": {k: round(100 * v / seconds, 1) for k, v in cpu.items()},
            "video_fps_without_transfer": round(quiet, 2),
            "video_fps_during_transfer": round(busy, 2),
            "video_fps_change_percent": round(100 * (busy - quiet) / quiet, 1) if quiet else None,
            "per_participant_fps": {
                "without": [round(v, 2) for v in quiet_fps],
                "during": [round(v, 2) for v in busy_fps],
            },
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        }
        if not ok:
            report["error"] = result.get("message", "")
        print(json.dumps(report, indent=2))
    finally:
        for w in workers:
            w.stop()
        relay.stop()


if __name__ == "__main__":
    main()
