"""No content and no SQL parameters in the relay's log, on any error path (issue #15 item 6), and a
chat message that failed to save reaches nobody (item 12).

A marker is planted in chat text, names and sign-in attempts, then the relay is driven down every
error path we can reach from outside: a chat write that fails in the database, a database another
process holds locked (the ``database is locked`` of a busy relay), frames that fail validation,
unreadable frames, over-long and misaddressed messages. The marker must never reach the log."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from client.engine import events as ev
from client.engine.chat import ChatService
from shared.errors import ParleyError
from tests.conftest import RunningRelay, signed_in

MARKER = "ZQXJ-planted-7731"
CONFIG = "[chat]\nretention = true\nmax_message_chars = 200\n[backup]\ninterval_hours = 0\n"


@contextlib.contextmanager
def failing_chat_writes(db: Path) -> Iterator[None]:
    """Every write of a chat message fails inside the database, as a busy or broken disk would."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "CREATE TRIGGER test_fail_chat BEFORE INSERT ON chat_messages "
            "BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
        )
        conn.commit()
    try:
        yield
    finally:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("DROP TRIGGER test_fail_chat")
            conn.commit()


@contextlib.contextmanager
def locked_database(db: Path) -> Iterator[None]:
    """Another process holds the write lock for longer than the relay's busy timeout."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


async def _chatter(make_client: Any, relay: RunningRelay, meeting: str, display: str) -> tuple[Any, ChatService]:
    client = await signed_in(make_client, relay, relay.add_user(display=display))
    await client.join(meeting)
    chat = ChatService(client)
    await chat.start()
    return client, chat


async def test_marker_never_reaches_the_log_and_unsaved_chat_reaches_nobody(tmp_path: Path, make_client: Any) -> None:
    relay = RunningRelay(tmp_path / "data", CONFIG).start()
    db = relay.data_dir / "parley.db"
    clients: list[Any] = []
    try:
        host = relay.add_user(display="Host")
        meeting = relay.create_meeting(host)
        ann, achat = await _chatter(make_client, relay, meeting, "Ann")
        bob, bchat = await _chatter(make_client, relay, meeting, "Bob")
        clients += [ann, bob]

        # 1. The chat write fails in the database: the sender is told, nobody else gets it.
        with failing_chat_writes(db):
            with pytest.raises(ParleyError):
                await achat.send(f"secret plan {MARKER}")
        received = asyncio.ensure_future(
            bob.wait_for(lambda e: isinstance(e, ev.ChatMessageReceived) and e.message.text == "after", timeout=15)
        )
        await achat.send("after")
        await received
        assert [m.text for m in bchat.messages] == ["after"], "a message that was not saved was delivered"

        # 2. The database is locked by another process: a sign-in and a chat message fail.
        with locked_database(db):
            stranger = make_client(relay)
            clients.append(stranger)
            await stranger.connect()
            with pytest.raises(ParleyError):
                await stranger.sign_in(f"nobody-{MARKER}", f"password-{MARKER}")
            with pytest.raises(ParleyError):
                await achat.send(f"locked {MARKER}")

        # 3. Requests that fail validation or rules, each carrying the marker.
        for attempt in (
            achat.send(f"{MARKER} " + "x" * 300),  # over max_message_chars
            achat.send(f"to nobody {MARKER}", to=f"p-{MARKER}"),
        ):
            with pytest.raises(ParleyError):
                await attempt
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        async with connect(f"wss://{relay.server}", ssl=context) as ws:
            await ws.send(f'{{"type": "hello", "id": 1, "protocol": 1, "client": "{MARKER}"}}')
            await ws.recv()
            await ws.send(f'{{"type": "chat.send", "id": 2, "text": ["{MARKER}"]}}')
            await ws.recv()
            await ws.send(f'{{"type": "{MARKER}", "id": 3}}')
            await ws.recv()
            await ws.send(b'{"type": "chat.send", "id": 4, "text": "\xff' + MARKER.encode() + b'"}')
            await ws.recv()
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()
        relay.stop()
    log = relay.log
    assert "chat.send" in log or "database is locked" in log, "the failures above were not logged at all"
    assert MARKER not in log
    assert "parameters:" not in log.replace("[SQL parameters hidden due to hide_parameters=True]", "")
