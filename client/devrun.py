"""``make run``: a local relay, two demo accounts, and a real call.

With a display, the desktop app opens signed in as the first demo account and joins a meeting in
which headless participants with synthetic camera and tone are already talking. Without one,
three headless participants meet for a few seconds and their statistics are printed.

Everything lives in ``.parley-dev/`` (relay data, client settings and tokens), so it never touches
the real user's configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / ".parley-dev"
RELAY_DIR = DEV / "relay"
CLIENT_DIR = DEV / "client"
DEMO_USERS = [("alice", "Alice Example"), ("bob", "Bob Example"), ("carol", "Carol Example")]
DEMO_PASSWORD = "parley-demo"
PY = sys.executable


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def relay_cli(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "relay.cli", *args, "--data-dir", str(RELAY_DIR)],
        input=stdin,
        capture_output=True,
        text=True,
        check=check,
        cwd=ROOT,
    )


def start_relay() -> tuple[subprocess.Popen[str], int, str]:
    RELAY_DIR.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [PY, "-m", "relay.cli", "serve", "--data-dir", str(RELAY_DIR), "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    port, fingerprint = 0, ""
    for _ in range(5):
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("The relay did not start; see the messages above.")
        if line.startswith("listening on"):
            port = int(line.rsplit(":", 1)[1])
        if line.startswith("certificate SHA-256 fingerprint:"):
            fingerprint = line.split(":", 1)[1].strip()
            break
    say(f"relay listening on wss://127.0.0.1:{port} (certificate {fingerprint[:23]}…)")
    return proc, port, fingerprint


def ensure_accounts() -> None:
    existing = {u["username"] for u in json.loads(relay_cli("user", "list", "--json").stdout)}
    for name, display in DEMO_USERS:
        if name not in existing:
            relay_cli("user", "add", name, "--display-name", display, stdin=DEMO_PASSWORD + "\n")
    say(f"demo accounts: {', '.join(n for n, _ in DEMO_USERS)} (password: {DEMO_PASSWORD})")


def headless(
    link: str,
    user: str,
    fingerprint: str,
    duration: float,
    stats: Path | None = None,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    cmd = [
        PY,
        "-m",
        "client.cli",
        "join",
        link,
        "--headless",
        "--user",
        user,
        "--password-stdin",
        "--server-fingerprint",
        fingerprint,
        "--duration",
        str(duration),
        *(extra or []),
    ]
    if stats:
        cmd += ["--stats", str(stats)]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PARLEY_PLAYBACK": "0", **(env or {})}
    )
    assert proc.stdin is not None
    proc.stdin.write(DEMO_PASSWORD + "\n")
    proc.stdin.close()
    return proc


def client_env() -> dict[str, str]:
    CLIENT_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "XDG_CONFIG_HOME": str(CLIENT_DIR / "config"),
        "XDG_DATA_HOME": str(CLIENT_DIR / "data"),
        "PARLEY_TOKEN_FILE": str(CLIENT_DIR / "tokens.json"),
        "PARLEY_ICE_ADDRESSES": "127.0.0.1",
    }


def headless_demo(link: str, fingerprint: str) -> int:
    say("no display: three headless participants meet for 12 seconds with synthetic camera and tone")
    stats_dir = DEV / "stats"
    stats_dir.mkdir(parents=True, exist_ok=True)
    env = {**client_env(), "PARLEY_VIDEO": "640x360@15"}
    procs = []
    for i, (name, _) in enumerate(DEMO_USERS):
        procs.append(headless(link, name, fingerprint, 12 - 2 * i, stats_dir / f"{name}.json", env=env))
        time.sleep(2)
    codes = [p.wait(60) for p in procs]
    say("what each participant received:")
    for name, _ in DEMO_USERS:
        path = stats_dir / f"{name}.json"
        if not path.exists():
            print(f"  {name}: no statistics written")
            continue
        stats = json.loads(path.read_text())
        print(f"  {stats['participant']} (first frame {stats.get('join_to_first_frame_s')} s after joining):")
        for track in stats.get("remote_tracks", []):
            line = (
                f"    from {track['participant']:<14} {track['source']:<6} {track['kind']:<5}"
                f" {track['frames']:>5} frames"
            )
            if track["kind"] == "video":
                line += f"  {track['width']}x{track['height']} @ {track['fps']} fps"
            if track.get("latency_ms_p50") is not None:
                line += f"  latency p50 {track['latency_ms_p50']} ms"
            print(line)
    return 0 if all(c == 0 for c in codes) else 1


def desktop_demo(link: str, port: int, fingerprint: str) -> int:
    env = client_env()
    config_dir = Path(env["XDG_CONFIG_HOME"])
    (config_dir / "parley").mkdir(parents=True, exist_ok=True)
    server = f"127.0.0.1:{port}"
    (config_dir / "parley" / "settings.toml").write_text(
        f'server_url = "{server}"\nserver_fingerprint = "{fingerprint}"\n'
    )
    (config_dir / "Parley").mkdir(parents=True, exist_ok=True)
    (config_dir / "Parley" / "Parley.conf").write_text(f"[General]\nlast_username=alice\nlast_server={server}\n")
    # Sign alice in once so the app resumes with the remembered token.
    sign_in = subprocess.run(
        [
            PY,
            "-c",
            (
                "import asyncio,sys\n"
                "from client.engine.call import ParleyClient\n"
                "async def main():\n"
                f"    c = ParleyClient({server!r}, fingerprint={fingerprint!r})\n"
                "    await c.connect(); await c.sign_in('alice', sys.stdin.readline().strip()); await c.close()\n"
                "asyncio.run(main())\n"
            ),
        ],
        input=DEMO_PASSWORD + "\n",
        text=True,
        cwd=ROOT,
        env={**os.environ, **env, "PARLEY_NO_KEYRING": "1"},
    )
    if sign_in.returncode != 0:
        return 1
    others = [
        headless(link, name, fingerprint, 3600, env={**env, "PARLEY_VIDEO": "640x360@15"}) for name, _ in DEMO_USERS[1:]
    ]
    say(f"opening the desktop app signed in as alice; meeting link: {link}")
    say("close the window to stop the demo")
    try:
        app = subprocess.run(
            [PY, "-m", "client.cli", "join", link], cwd=ROOT, env={**os.environ, **env, "PARLEY_NO_KEYRING": "1"}
        )
        return app.returncode
    finally:
        for proc in others:
            proc.send_signal(signal.SIGTERM)
        for proc in others:
            proc.wait(15)


def main() -> int:
    if not shutil.which("ffprobe"):
        say("note: ffprobe is missing; recordings cannot be checked (make test installs it)")
    relay, port, fingerprint = start_relay()
    try:
        ensure_accounts()
        link = relay_cli("meeting", "create", "--host", "alice", "--title", "Parley demo").stdout.strip()
        say(f"meeting created: {link}")
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            return desktop_demo(link, port, fingerprint)
        return headless_demo(link, fingerprint)
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(20)
        say("relay stopped")


if __name__ == "__main__":
    sys.exit(main())
