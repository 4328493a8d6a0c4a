"""Spotlight and reactions through a live relay: who may, who hears, and the reaction flood limit."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.meetings import MeetingDesk
from client.engine.stage import StageDesk
from relay.stage import REACTION_BURST
from shared.errors import BadRequest, Forbidden, NotFound, RateLimited
from tests.conftest import RunningRelay, signed_in
from tests.media_fixtures import wait_until
from tests.test_reconnect import free_port


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
    # A burst goes through, then the relay refuses until the bucket refills (one every 2 s: far
    # slower than these requests, however loaded the machine).
    sent = 0
    with pytest.raises(RateLimited, match="Too many reactions"):
        for _ in range(8 * REACTION_BURST):
            await bob.react("heart")
            sent += 1
    assert sent >= REACTION_BURST - 1
    # Alice's own bucket is separate.
    await alice.react("thumbs_up")


async def test_the_spotlight_comes_back_after_a_relay_restart(tmp_path: Path, make_client: Any) -> None:
    """Saved by user id with the meeting's decisions: after a restart the spotlit person's new seat
    is on the stage again, for everyone."""
    relay = RunningRelay(tmp_path / "data", "[backup]\ninterval_hours = 0\n", port=free_port()).start()
    try:
        names = {n: relay.add_user(display=n) for n in ("Alice", "Bob")}
        meeting = relay.create_meeting(names["Alice"], "Spotlight restart")
        c = {n: await signed_in(make_client, relay, names[n]) for n in names}
        desks = {n: MeetingDesk(c[n]) for n in names}
        for n in names:
            await c[n].join(meeting)
        await StageDesk(c["Alice"]).spotlight(c["Bob"].participant_id or "")
        bob = c["Bob"].user
        assert bob is not None
        bob_user = bob.user_id
        await wait_until(lambda: stored_spotlight(relay) == bob_user, 10, "the spotlight saved")

        back = [expect(c[n], lambda e: isinstance(e, ev.Reconnected), 30) for n in names]
        assert relay.stop(signal.SIGTERM) == 0
        relay.start()
        await asyncio.gather(*back)

        def spotlit(viewer: str) -> bool:
            state = desks[viewer].state.get(meeting)
            return state is not None and state.spotlight == c["Bob"].participant_id

        for viewer in names:
            await wait_until(lambda v=viewer: spotlit(v), 15, f"{viewer} to see Bob spotlit again")
        for n in c:
            await c[n].close()
    finally:
        relay.stop()


def stored_spotlight(relay: RunningRelay) -> str:
    with sqlite3.connect(relay.data_dir / "parley.db") as conn:
        row = conn.execute("SELECT spotlight_user_id FROM meeting_state").fetchone()
    return str(row[0]) if row else ""
