"""50 MB of random bytes between two headless participants (`parley join --headless`) through a
real relay: the received file's SHA-256 matches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.client.files_helpers import random_file, sha256
from tests.conftest import ROOT
from tests.media_fixtures import start_media_relay

ENV = {**os.environ, "PARLEY_PLAYBACK": "0", "PARLEY_VIDEO": "320x180@10"}


def _headless(relay, user: str, meeting: str, *extra: str) -> subprocess.Popen[str]:
    link = f"parley://{relay.server}/m/{meeting}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "client.cli", "join", link, "--headless", "--user", user, "--password-stdin",
         "--server-fingerprint", relay.fingerprint, "--camera", "none", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=ENV,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write("correct horse\n")
    proc.stdin.close()
    proc.stdin = None  # communicate() must not flush it again
    return proc


def test_50_mb_between_headless_participants(tmp_path: Path) -> None:
    relay = start_media_relay(tmp_path)
    receiver = None
    try:
        ann, bob = relay.add_user(display="Ann"), relay.add_user(display="Bob")
        meeting = relay.create_meeting(ann)
        src = tmp_path / "big random.bin"
        digest = random_file(src, 50 * 1024 * 1024)
        down = tmp_path / "downloads"
        receiver = _headless(relay, bob, meeting, "--download-dir", str(down), "--duration", "240")
        assert receiver.stdout is not None
        for line in receiver.stdout:
            if "joined" in line:
                break
        sender = _headless(relay, ann, meeting, "--send-file", str(src), "--to", "Bob")
        out, err = sender.communicate(timeout=240)
        assert sender.returncode == 0, out + err
        assert "file_complete" in out and "delivered to Bob" in out
        received = down / "big random.bin"
        assert sha256(received) == digest
        assert not [p for p in down.iterdir() if p.name.endswith(".parley-part")]
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.communicate(timeout=30)
        relay.stop()
