"""Impersonation through names and chat (issue #15 item 10), against a live relay: a rename to
another participant's name, exact or a look-alike, is refused; names and chat lose bidi, control
and zero-width characters and inner line breaks, so a message cannot fake a line from someone else."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.chat import ChatService
from shared.errors import Conflict
from shared.protocol import messages as m
from tests.conftest import RunningRelay, signed_in

pytestmark = pytest.mark.asyncio

RLO, LRI, ZWSP, ESC, NUL = "\u202e", "\u2066", "\u200b", "\x1b", "\x00"


async def _seated(make_client: Any, relay: RunningRelay, meeting: str, display: str) -> Any:
    client = await signed_in(make_client, relay, relay.add_user(display=display))
    await client.join(meeting)
    return client


async def _rename(client: Any, name: str) -> Any:
    return await client.request(
        m.HostAction(id=0, action="rename", participant_id=client.participant_id, display_name=name)
    )


@pytest.mark.parametrize(
    "lookalike",
    [
        "Grace Host",  # the same
        "grace  host",  # case and spacing
        "Gr\u0430ce H\u043est",  # Cyrillic a and o
        "\uff27race Host",  # fullwidth G
        f"Grace{ZWSP} Host{RLO}",  # invisible characters
        "Grac\u00e9 Ho\u015ft",  # accents
        "Grace H0st",  # a zero for an o
    ],
)
async def test_rename_to_someone_elses_name_is_refused(make_client: Any, relay: RunningRelay, lookalike: str) -> None:
    host_name = relay.add_user(display="Grace Host")
    meeting = relay.create_meeting(host_name)
    host = await signed_in(make_client, relay, host_name)
    await host.join(meeting)
    eve = await _seated(make_client, relay, meeting, "Eve")
    with pytest.raises(Conflict, match="already called"):
        await _rename(eve, lookalike)
    assert eve.participants[eve.participant_id].display_name == "Eve"
    await _rename(eve, "Eve Adams")  # a name of her own is fine


async def test_names_and_chat_lose_bidi_control_and_zero_width_characters(
    make_client: Any, relay: RunningRelay
) -> None:
    host = relay.add_user(display="Host")
    meeting = relay.create_meeting(host)
    eve = await _seated(make_client, relay, meeting, "Eve")
    bob = await _seated(make_client, relay, meeting, "Bob")
    renamed = asyncio.ensure_future(
        bob.wait_for(
            lambda e: isinstance(e, ev.ParticipantChanged) and e.participant.participant_id == eve.participant_id,
            timeout=10,
        )
    )
    await _rename(eve, f"{RLO}Eve{LRI} the{ZWSP}\nthird{ESC}[31m{NUL}")
    got = (await renamed).participant.display_name
    assert got == "Eve the third[31m"

    bchat = ChatService(bob)
    await bchat.start()
    echat = ChatService(eve)
    await echat.start()
    heard = asyncio.ensure_future(bob.wait_for(lambda e: isinstance(e, ev.ChatMessageReceived), timeout=10))
    await echat.send(f"hi{RLO} all\n12:00  Host: the meeting moved{ZWSP}\r\nto room 9{NUL}")
    text = (await heard).message.text
    assert text == "hi all 12:00 Host: the meeting moved to room 9"
    assert "\n" not in text and RLO not in text and ZWSP not in text
