"""A private PulseAudio daemon with null sinks as sound devices (../shared/TESTING.md, "Audio").

Each participant gets a speaker (a null sink; its ``.monitor`` is what it played) and a microphone
(a null sink to feed, and a virtual source over its monitor). A process reaches its own devices
through ``env(...)``: PortAudio goes through ALSA's pulse plugin, which honours ``PULSE_SINK`` and
``PULSE_SOURCE``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest


def pulse_available() -> bool:
    return all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "paplay", "parec"))


class PulseServer:
    def __init__(self, folder: Path) -> None:
        self.runtime = folder / "pulse-runtime"
        self.runtime.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)
        self.env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(self.runtime),
            "PULSE_RUNTIME_PATH": str(self.runtime / "pulse"),
            "HOME": str(folder),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._players: list[subprocess.Popen[bytes]] = []

    def start(self) -> PulseServer:
        if not pulse_available():
            pytest.skip("PulseAudio is not installed (installer/bootstrap.sh installs it)")
        self.proc = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--use-pid-file=no",
             "--disable-shm=yes", "-L", "module-native-protocol-unix", "-L", "module-always-sink"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while self.pactl("info", check=False).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PulseAudio did not start")
            time.sleep(0.1)
        return self

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, check=check, timeout=30)

    def speaker(self, name: str) -> str:
        """A null sink ``name`` (what is played there is heard at ``name.monitor``)."""
        self.pactl("load-module", "module-null-sink", f"sink_name={name}", "rate=48000", "channels=1")
        return name

    def microphone(self, name: str) -> str:
        """A microphone source ``name``; play into the sink ``name_in`` to speak into it."""
        self.speaker(f"{name}_in")
        self.pactl("load-module", "module-virtual-source", f"source_name={name}", f"master={name}_in.monitor")
        return name

    def acoustic_path(self, speaker: str, microphone: str, delay_ms: int, gain: float) -> None:
        """What ``speaker`` plays reaches ``microphone`` ``delay_ms`` later at ``gain`` (linear)."""
        self.pactl(
            "load-module", "module-loopback", f"source={speaker}.monitor", f"sink={microphone}_in",
            f"latency_msec={delay_ms}", "source_dont_move=true", "sink_dont_move=true",
        )  # fmt: skip
        sinks = {line.split()[1]: line.split()[0] for line in self.pactl("list", "short", "sinks").stdout.splitlines()}
        target = sinks[f"{microphone}_in"]
        deadline = time.monotonic() + 10
        while True:
            for line in self.pactl("list", "short", "sink-inputs").stdout.splitlines():
                fields = line.split()
                if len(fields) > 3 and fields[1] == target and "loopback" in fields[3]:
                    self.pactl("set-sink-input-volume", fields[0], f"{gain:.3f}")
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("the loopback did not start")
            time.sleep(0.1)

    def play_loop(self, sink: str, wav: Path) -> None:
        """Plays ``wav`` into ``sink`` over and over until `stop`."""
        cmd = f'while true; do paplay --device={sink} "{wav}" || exit 1; done'
        self._players.append(subprocess.Popen(["sh", "-c", cmd], env=self.env, start_new_session=True))

    def device_env(self, speaker: str | None, microphone: str | None) -> dict[str, str]:
        env = dict(self.env)
        if speaker:
            env["PULSE_SINK"] = speaker
        if microphone:
            env["PULSE_SOURCE"] = microphone
        return env

    def stop(self) -> None:
        for player in self._players:
            try:
                os.killpg(player.pid, 15)
            except ProcessLookupError:
                pass
            player.wait(timeout=10)
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
