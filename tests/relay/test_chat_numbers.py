"""Chat sequence numbers (relay/chat_numbers.py): five people sending their first message at the
same moment get five different numbers, everyone sees the five in one order, and the numbers go on
(never again from 1) after the relay restarts, with and without chat retention. Clients keep one
message per ``(meeting_id, seq)``, so a repeated number is a message that vanishes."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.chat import ChatService
from tests.conftest import RunningRelay, signed_in
from tests.media_fixtures import wait_until
from tests.pg import PostgresServer, postgres  # noqa: F401  (fixture)
from tests.test_reconnect import free_port

pytestmark = pytest.mark.asyncio

NAMES = ("Ann", "Bob", "Cat", "Dan", "Eve")


async def _seated(make_client: Any, relay: RunningRelay, meeting: str, display: str) -> tuple[Any, ChatService]:
    client = await signed_in(make_client, relay, relay.add_user(display=display))
    await client.join(meeting)
    chat = ChatService(client)
    await chat.start()
    return client, chat


async def _all_send_at_once(chats: list[ChatService], word: str, expected: int) -> None:
    await asyncio.gather(*(chat.send(f"{word} from {name}") for chat, name in zip(chats, NAMES, strict=True)))
    await wait_until(lambda: all(len(c.messages) == expected for c in chats), 40, f"{expected} messages each")


def _seen(chat: ChatService) -> list[tuple[int, str]]:
    return [(x.seq, x.text) for x in chat.messages]


@pytest.mark.parametrize("retention", [True, False], ids=["retention", "no-retention"])
async def test_simultaneous_first_messages_all_arrive_in_one_order_also_after_a_restart(
    make_client: Any, tmp_path: Path, retention: bool
) -> None:
    config = f"[chat]\nretention = {str(retention).lower()}\n[backup]\ninterval_hours = 0\n"
    relay = RunningRelay(tmp_path / "data", config, port=free_port()).start()
    clients: list[Any] = []
    try:
        host = relay.add_user(display="Host")
        meeting = relay.create_meeting(host)
        seated = [await _seated(make_client, relay, meeting, name) for name in NAMES]
        clients = [c for c, _ in seated]
        chats = [chat for _, chat in seated]

        await _all_send_at_once(chats, "first", 5)
        for chat in chats:
            assert [seq for seq, _ in _seen(chat)] == [1, 2, 3, 4, 5]
            assert _seen(chat) == _seen(chats[0])  # one order for everyone
        assert sorted(text for _, text in _seen(chats[0])) == sorted(f"first from {n}" for n in NAMES)

        back = [asyncio.ensure_future(c.wait_for(lambda e: isinstance(e, ev.Reconnected), 60)) for c in clients]
        assert relay.stop(signal.SIGTERM) == 0
        relay.start()
        await asyncio.gather(*back)

        await _all_send_at_once(chats, "again", 10)
        for chat in chats:
            assert [seq for seq, _ in _seen(chat)] == list(range(1, 11))
            assert _seen(chat) == _seen(chats[0])
        assert sorted(text for _, text in _seen(chats[0])[5:]) == sorted(f"again from {n}" for n in NAMES)

        late, latechat = await _seated(make_client, relay, meeting, "Late")
        clients.append(late)
        if retention:  # the history a late joiner gets is the same ten, in the same order
            assert _seen(latechat) == _seen(chats[0])
        else:
            assert latechat.messages == []  # numbers are stored, content is not
    finally:
        for client in clients:  # before their relay goes: they would otherwise try to reconnect
            await client.close()
        relay.stop()


async def _numbers_story(url: str) -> None:
    from relay.chat_numbers import ChatNumbers
    from relay.store.db import Database

    db = Database(url)
    await db.migrate()
    try:
        numbers = ChatNumbers(db, must_store=True)
        got: list[int] = []

        async def one() -> None:
            async with numbers.take("m1") as seq:
                await asyncio.sleep(0)  # the block awaits (a history write) while others wait
                got.append(seq)

        await asyncio.gather(*(one() for _ in range(5)))
        assert got == [1, 2, 3, 4, 5]
        with pytest.raises(RuntimeError):
            async with numbers.take("m1") as seq:
                assert seq == 6
                raise RuntimeError("the history write failed")
        async with numbers.take("m1") as seq:
            assert seq == 6  # given back: no gap
        async with numbers.take("other") as seq:
            assert seq == 1  # per meeting
        numbers.forget("m1")
        async with ChatNumbers(db, must_store=False).take("m1") as seq:  # as after a restart
            assert seq == 7
    finally:
        await db.close()


async def test_a_message_that_fails_gives_its_number_back_and_numbers_follow_the_stored_counter(
    tmp_path: Path,
) -> None:
    """In process, on a real SQLite database: numbers taken at once are 1..n in order; a message
    whose block fails (its history write failed) gives its number back (no gap); a second relay
    process on the same database goes on from the stored counter."""
    await _numbers_story(f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}")


async def test_numbers_on_postgresql(postgres: PostgresServer) -> None:  # noqa: F811
    """The same on PostgreSQL (the increment is one upsert in the database)."""
    await _numbers_story(postgres.url)
