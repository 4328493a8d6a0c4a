"""Helpers for the app tests: sign a window in, run a headless participant next to it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def sign_in(window: Any, relay: Any, drive: Any, name: str | None = None) -> str:
    name = name or relay.add_user(display=None)
    window.ctx.trust(relay.server, relay.fingerprint)
    view = window.sign_in
    view.server_edit.setText(relay.server)
    view.username_edit.setText(name)
    view.password_edit.setText("correct horse")
    view.submit()
    drive.until(lambda: window.stack.currentWidget() is window.home, what="home screen")
    return name


def meeting_link(relay: Any, host: str, title: str = "") -> str:
    meeting_id = relay.create_meeting(host, title)
    return f"parley://{relay.server}/m/{meeting_id}"


@contextmanager
def headless(relay: Any, link: str, name: str, *extra: str, duration: float = 90) -> Iterator[subprocess.Popen[str]]:
    """``parley join LINK --headless`` as another person, stopped at the end."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "client.cli",
            "join",
            link,
            "--headless",
            "--user",
            name,
            "--password-stdin",
            "--server-fingerprint",
            relay.fingerprint,
            "--duration",
            str(duration),
            *extra,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    proc.stdin.write("correct horse\n")
    proc.stdin.close()
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def xvfb(size: str = "1600x900x24") -> Iterator[str]:
    """A private X server (Xvfb picks a free display number); yields ``DISPLAY``'s value."""
    import os
    import shutil

    if shutil.which("Xvfb") is None:
        raise AssertionError("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as announced:  # Xvfb writes the number once it accepts clients
            number = announced.readline().strip()
        if not number:
            raise AssertionError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
