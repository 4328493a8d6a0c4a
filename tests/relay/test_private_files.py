"""The relay's data is private to its account whatever umask it inherits (issue #15 item 11):
under umask 022, outside systemd, the data folder is 0700 and the database, its WAL and
shared-memory files, the TLS key and every backup are 0600; a folder an older relay left
readable is tightened at start."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.engine.chat import ChatService
from tests.conftest import RunningRelay, signed_in

CONFIG = "[chat]\nretention = true\n[backup]\ninterval_hours = 0\n"


@pytest.fixture
def everyday_umask() -> Iterator[None]:
    """The umask of a shell on most machines; the relay's subprocess inherits it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _loosen(folder: Path) -> None:
    """What an older relay under umask 022 left behind."""
    folder.chmod(0o755)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            (Path(root) / name).chmod(0o755)
        for name in files:
            (Path(root) / name).chmod(0o644)


def _everything_private(data: Path) -> None:
    assert _mode(data) == 0o700, oct(_mode(data))
    for root, dirs, files in os.walk(data):
        for name in dirs:
            assert _mode(Path(root) / name) == 0o700, (name, oct(_mode(Path(root) / name)))
        for name in files:
            path = Path(root) / name
            assert _mode(path) & 0o077 == 0, (name, oct(_mode(path)))


async def test_data_folder_and_files_are_private_under_umask_022(
    tmp_path: Path, make_client: Any, everyday_umask: None
) -> None:
    data = tmp_path / "data"
    first = RunningRelay(data, CONFIG).start()
    first.stop()
    _loosen(data)  # an older relay's leftovers: 0755 folder, 0644 database

    relay = RunningRelay(data, CONFIG).start()
    clients = []
    try:
        host = relay.add_user(display="Host")
        meeting = relay.create_meeting(host)
        client = await signed_in(make_client, relay, host)
        clients.append(client)
        await client.join(meeting)
        chat = ChatService(client)
        await chat.start()
        await chat.send("kept in the database")  # retention on: the WAL holds it now
        relay.cli("backup", "create")
        names = {p.name for p in data.rglob("*")}
        assert {"parley.db", "parley.db-wal", "parley.db-shm", "backups"} <= names, names
        assert any(n.endswith(".db") and n.startswith("parley-") for n in names), names
        _everything_private(data)
    finally:
        for c in clients:
            await c.close()
        relay.stop()
    _everything_private(data)
