"""Spotlight and reactions through a live relay: who may, who hears, and the reaction flood limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.meetings import MeetingDesk
from client.engine.stage import StageDesk
from relay.stage import REACTION_BURST
from shared.errors import BadRequest, Forbidden, NotFound, RateLimited
from tests.conftest import RunningRelay, signed_in


def expect(client: Any, predicate: Any, timeout: float = 10.0) -> asyncio.Task[Any]:
    """Start listening now for an event that the next action causes."""
    return asyncio.ensure_future(client.wait_for(predicate, timeout))


async def test_host_spotlights_for_everyone_and_it_ends_when_the_seat_goes(
    relay: RunningRelay, make_client: Any
) -> None:
    names = [relay.add_user(display=n) for n in ("Alice", "Bob", "Carol")]
    meeting_id = relay.create_meeting(names[0], "Stage")
    alice, bob, carol = [StageDesk(await signed_in(make_client, relay, n)) for n in names]
    MeetingDesk(carol.client)  # meeting state pushes become events
    for desk in (alice, bob, carol):
        await desk.client.join(meeting_id)
    bob_id = bob.client.participant_id
    assert bob_id

    with pytest.raises(Forbidden, match="host or a co-host"):
        await carol.spotlight(bob_id)
    with pytest.raises(NotFound):
        await alice.spotlight("nobody")

    seen = expect(carol.client, lambda e: isinstance(e, ev.MeetingStateUpdated) and e.state.spotlight == bob_id)
    await alice.spotlight(bob_id)
    await seen

    ended = expect(carol.client, lambda e: isinstance(e, ev.MeetingStateUpdated) and e.state.spotlight == "")
    await alice.spotlight("")
    await ended

    # The spotlit person leaves: the spotlight ends for everyone.
    await alice.spotlight(bob_id)
    gone = expect(carol.client, lambda e: isinstance(e, ev.MeetingStateUpdated) and e.state.spotlight == "")
    await bob.client.leave()
    await gone


async def test_reactions_reach_everyone_and_a_flood_is_refused(relay: RunningRelay, make_client: Any) -> None:
    names = [relay.add_user(display=n) for n in ("Alice", "Bob")]
    meeting_id = relay.create_meeting(names[0], "Reactions")
    alice, bob = [StageDesk(await signed_in(make_client, relay, n)) for n in names]
    for desk in (alice, bob):
        await desk.client.join(meeting_id)
    bob_id = bob.client.participant_id

    arrived = expect(
        alice.client,
        lambda e: isinstance(e, ev.ReactionArrived) and e.participant_id == bob_id and e.reaction == "clap",
    )
    await bob.react("clap")
    await arrived

    with pytest.raises(BadRequest):
        await bob.react("rocket")
    # A burst goes through, then the relay refuses until the bucket refills.
    with pytest.raises(RateLimited, match="Too many reactions"):
        for _ in range(REACTION_BURST + 1):
            await bob.react("heart")
    # Alice's own bucket is separate.
    await alice.react("thumbs_up")
