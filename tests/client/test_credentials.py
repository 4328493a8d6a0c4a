"""The token store shared by several Parley processes of one account folder
(client/engine/credentials.py): writers at the same moment keep every token, and twenty headless
participants started at once all sign in and join."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.media_fixtures import start_media_relay

WRITER = """
import sys
from pathlib import Path
from client.engine.credentials import TokenStore
store = TokenStore(Path(sys.argv[1]), use_keyring=False)
sys.stdin.readline()  # everyone starts together
for i in range(int(sys.argv[3])):
    store.save("relay:1", f"{sys.argv[2]}-{i}", f"token-{sys.argv[2]}-{i}")
"""


def test_writers_at_the_same_moment_keep_every_token(tmp_path: Path) -> None:
    path = tmp_path / "account" / "tokens.json"
    command = [sys.executable, "-c", WRITER, str(path)]
    writers = [
        subprocess.Popen([*command, f"w{n}", "25"], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for n in range(12)
    ]
    for proc in writers:  # all are running (imports done or under way) before any writes
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    tokens = json.loads(path.read_text())
    assert len(tokens) == 12 * 25  # nobody's token was lost to another writer
    assert tokens["relay:1|w7-24"] == "token-w7-24"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in path.parent.iterdir()) == ["tokens.json", "tokens.json.lock"]  # no leftovers


def test_twenty_headless_participants_of_one_account_folder_all_join(tmp_path: Path) -> None:
    relay = start_media_relay(tmp_path)
    procs: list[subprocess.Popen[str]] = []
    try:
        users = [relay.add_user(display=f"P{n}") for n in range(20)]
        meeting = relay.create_meeting(users[0])
        link = f"parley://{relay.server}/m/{meeting}"
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "home" / ".local" / "share"), "PARLEY_PLAYBACK": "0"}
        env.pop("PARLEY_TOKEN_FILE", None)
        for user in users:
            proc = subprocess.Popen(
                [sys.executable, "-m", "client.cli", "join", link, "--headless", "--user", user, "--password-stdin",
                 "--server-fingerprint", relay.fingerprint, "--camera", "none", "--mic", "none", "--duration", "2"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
            )  # fmt: skip
            assert proc.stdin is not None
            proc.stdin.write("correct horse\n")
            proc.stdin.close()
            proc.stdin = None
            procs.append(proc)
        results = [proc.communicate(timeout=300) for proc in procs]
        for proc, (out, err) in zip(procs, results, strict=True):
            assert proc.returncode == 0 and "joined" in out, out + err
            assert "parley:" not in err, err  # no error sentence
        tokens = json.loads((tmp_path / "home" / ".local" / "share" / "parley" / "tokens.json").read_text())
        assert sorted(key.split("|")[1] for key in tokens) == sorted(users)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        relay.stop()
