"""`parley` started under a real X server (Xvfb) shows its window; a second launch with a link hands
the link to the running instance and opens no second window."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ui_helpers import ROOT, xvfb


def parley_windows(display: str) -> list[str]:
    """Names of the top-level X windows whose title mentions Parley."""
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True, timeout=10
    ).stdout
    return [line.strip() for line in tree.splitlines() if "— Parley" in line]


def wait_for_windows(display: str, proc: subprocess.Popen[str], timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = parley_windows(display)
        if found:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"parley exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.2)  # polling another process's windows: there is no event to wait on
    raise AssertionError("no Parley window appeared")


def test_parley_shows_its_window_and_takes_links_from_a_second_launch(tmp_path: Path) -> None:
    assert shutil.which("xwininfo"), "xwininfo is missing (apt-get install x11-utils)"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    with xvfb("1280x800x24") as display:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(
            DISPLAY=display,
            QT_QPA_PLATFORM="xcb",
            HOME=str(tmp_path),
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            XDG_DATA_HOME=str(tmp_path / "data"),
            XDG_RUNTIME_DIR=str(runtime),
            TMPDIR=str(tmp_path),  # the single-instance socket lives here: private to this test
            PARLEY_NO_KEYRING="1",
        )
        command = [sys.executable, "-m", "client.cli"]
        first = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        try:
            windows = wait_for_windows(display, first)
            assert any("Sign in — Parley" in w for w in windows), windows
            second = subprocess.run(
                [*command, "parley://relay.example:8443/m/abc123"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert second.returncode == 0, second.stderr
            assert first.poll() is None
            assert len(parley_windows(display)) == len(windows)  # no second window
        finally:
            first.terminate()
            try:
                first.wait(15)
            except subprocess.TimeoutExpired:
                first.kill()
                first.wait()
