"""Chat through a live relay: everyone or one person, in order, stamped; nothing kept by default."""

from __future__ import annotations

import asyncio

import pytest

from client.engine import events as ev
from client.engine.chat import ChatService
from tests.conftest import RunningRelay, signed_in

pytestmark = pytest.mark.asyncio


async def _seated(make_client, relay, meeting: str, display: str):
    client = await signed_in(make_client, relay, relay.add_user(display=display))
    await client.join(meeting)
    chat = ChatService(client)
    await chat.start()
    return client, chat


async def test_chat_to_everyone_and_privately_in_order(make_client, relay) -> None:
    host = relay.add_user(display="Host")
    meeting = relay.create_meeting(host)
    _a, achat = await _seated(make_client, relay, meeting, "Ann")
    b, bchat = await _seated(make_client, relay, meeting, "Bob")
    c, _cchat = await _seated(make_client, relay, meeting, "Cat")
    got = asyncio.ensure_future(
        b.wait_for(lambda e: isinstance(e, ev.ChatMessageReceived) and e.message.text == "9", timeout=10)
    )
    for i in range(10):
        await achat.send(str(i))
    await got
    assert [x.text for x in bchat.messages] == [str(i) for i in range(10)]
    assert all(x.from_name == "Ann" and x.sent_at > 0 for x in bchat.messages)
    seqs = [x.seq for x in bchat.messages]
    assert seqs == sorted(seqs)
    private = asyncio.ensure_future(
        c.wait_for(lambda e: isinstance(e, ev.ChatMessageReceived) and e.message.text == "psst", timeout=10)
    )
    await achat.send("psst", to=c.participant_id)
    msg = (await private).message
    assert msg.to_participant_id == c.participant_id and msg.to_name == "Cat"
    after = asyncio.ensure_future(
        b.wait_for(lambda e: isinstance(e, ev.ChatMessageReceived) and e.message.text == "after", timeout=10)
    )
    await achat.send("after")  # Bob sees this but never the private one
    await after
    assert "psst" not in [x.text for x in bchat.messages]
    _late, latechat = await _seated(make_client, relay, meeting, "Late")
    assert latechat.messages == []  # not kept on the relay


async def test_retention_shows_history_to_late_joiners(make_client, tmp_path) -> None:
    relay = RunningRelay(tmp_path / "data", "[chat]\nretention = true\n").start()
    clients = []
    try:
        host = relay.add_user(display="Host")
        meeting = relay.create_meeting(host)
        a, achat = await _seated(make_client, relay, meeting, "Ann")
        b, _ = await _seated(make_client, relay, meeting, "Bob")
        clients += [a, b]
        await achat.send("hello all")
        await achat.send("only bob", to=b.participant_id)
        late, latechat = await _seated(make_client, relay, meeting, "Late")
        clients.append(late)
        assert [x.text for x in latechat.messages] == ["hello all"]
    finally:
        # Close the clients before their relay goes: they would otherwise try to reconnect to it.
        for client in clients:
            await client.close()
        relay.stop()


async def test_bad_chat_is_refused(make_client, relay) -> None:
    from shared.errors import BadRequest, NotFound
    from shared.protocol import messages as m

    meeting = relay.create_meeting(relay.add_user())
    a, achat = await _seated(make_client, relay, meeting, "Ann")
    with pytest.raises(BadRequest):
        await achat.send("   ")
    with pytest.raises(BadRequest):
        await achat.send("x" * 5000)
    with pytest.raises(NotFound):
        await a.request(m.SendChat(id=0, text="hi", to="nobody"))
