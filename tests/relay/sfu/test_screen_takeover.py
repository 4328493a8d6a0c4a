"""One screen share at a time (issue #19 item 8), on a real relay with real media: when Bob shares
while Alice shares, the relay stops forwarding Alice's share and tells her; her app stops
capturing and says who shares now; Carol receives Bob's screen only. Alice can take it back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from client.engine import events as ev
from tests.media_fixtures import frames, join, leave, start_media_relay, wait_until

pytestmark = pytest.mark.slow


def screens(session: object) -> set[str]:
    """Whose screen share a session receives now."""
    remote = getattr(session, "remote", {})
    return {info.participant_id for info in remote.values() if info.source == "screen"}


async def test_a_later_share_takes_over(tmp_path: Path) -> None:
    relay = start_media_relay(tmp_path)
    try:
        names = [relay.add_user(display=d) for d in ("Alice", "Bob", "Carol")]
        meeting = relay.create_meeting(names[0])
        a_client, alice = await join(relay, names[0], meeting, camera="none", screen=True, screen_monitor=0)
        b_client, bob = await join(relay, names[1], meeting, camera="none")
        c_client, carol = await join(relay, names[2], meeting, camera="none", mic="none")
        a_id, b_id = a_client.participant_id, b_client.participant_id
        await wait_until(lambda: frames(carol, a_id, "screen") > 2, 20, "carol to see alice's screen")

        told = asyncio.ensure_future(a_client.wait_for(lambda e: isinstance(e, ev.ShareTakenOver), 20))
        await bob.start_screen_share(0)
        event = await told
        assert event.message == "Bob is sharing their screen now, so your screen share stopped."
        await wait_until(lambda: "screen" not in alice.local_tracks and not alice.screen, 10, "alice to stop capturing")
        await wait_until(lambda: screens(carol) == {b_id}, 20, "carol to receive bob's share only")
        before = frames(carol, b_id, "screen")
        await wait_until(lambda: frames(carol, b_id, "screen") > before + 2, 20, "bob's share to play")
        await wait_until(lambda: screens(alice) == {b_id}, 20, "alice to receive bob's share")

        # Alice takes it back: Bob is told in turn.
        told_bob = asyncio.ensure_future(b_client.wait_for(lambda e: isinstance(e, ev.ShareTakenOver), 20))
        await alice.start_screen_share(0)
        assert "Alice is sharing" in (await told_bob).message
        await wait_until(lambda: screens(carol) == {a_id}, 20, "carol to receive alice's share again")
        for client, session in ((a_client, alice), (b_client, bob), (c_client, carol)):
            await leave(client, session)
    finally:
        relay.stop()
