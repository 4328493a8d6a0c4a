"""Media connections that die under a live call come back by themselves (issue #14 item 1).

A subscribe and a publish connection are closed by the client, closed by the relay, and cut off
by dropping their packets; each time the client's watchdog (client/engine/media/watchdog.py) and
the relay's (relay/sfu/liveness.py) notice, the connection is rebuilt on both ends for the same
seat, frames arrive again, and the stall is reported meanwhile. Renegotiations that race (a screen
share starting while someone leaves) never leave a closed connection behind. One relay for all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from client.engine import events as ev
from shared.protocol import messages as m
from tests.conftest import RunningRelay
from tests.media_fixtures import drop, frames, is_rtp, join, leave, metric, wait_until

pytestmark = pytest.mark.slow

CONFIG = '[media]\nice_addresses = ["127.0.0.1"]\nnegotiation_timeout = 2.0\n'
DEAD = ("failed", "closed")


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    running = RunningRelay(tmp_path_factory.mktemp("recovery") / "data", config_text=CONFIG).start()
    yield running
    running.stop()


class Call:
    """Alice and Bob publishing mic and camera to each other, with their engine events."""

    def __init__(self, relay: RunningRelay) -> None:
        self.relay = relay
        self.events: dict[str, list[ev.EngineEvent]] = {"alice": [], "bob": []}
        self.meeting = ""

    async def start(self) -> None:
        names = [self.relay.add_user() for _ in range(3)]
        self.names = names
        self.meeting = self.relay.create_meeting(names[0])
        self.a_client, self.alice = await join(self.relay, names[0], self.meeting)
        self.b_client, self.bob = await join(self.relay, names[1], self.meeting)
        self.a_client.add_listener(self.events["alice"].append)
        self.b_client.add_listener(self.events["bob"].append)
        self.a_id, self.b_id = self.a_client.participant_id, self.b_client.participant_id
        await self.flowing()

    def _counts(self) -> dict[tuple[str, str], int]:
        pairs = (("bob", self.bob, self.a_id), ("alice", self.alice, self.b_id))
        return {(who, src): frames(s, pid, src) for who, s, pid in pairs for src in ("mic", "camera")}

    async def flowing(self, what: str = "alice and bob to decode each other") -> None:
        """Frames arrive again, both ways (mic and camera), after this moment."""
        before = self._counts()
        await wait_until(lambda: all(n > before[k] + 5 for k, n in self._counts().items()), 30, what)

    def of(self, who: str, kind: type[Any]) -> list[Any]:
        return [e for e in self.events[who] if isinstance(e, kind)]

    async def restarted(self, who: str, connection: str) -> ev.MediaRestarted:
        def done() -> list[ev.MediaRestarted]:
            return [e for e in self.of(who, ev.MediaRestarted) if e.connection == connection]

        await wait_until(done, 30, f"{who}'s {connection} connection to be rebuilt")
        return done()[0]

    def stalled_then_resumed(self, who: str, participant_id: str, source: str = "camera") -> bool:
        said = [
            type(e)
            for e in self.events[who]
            if isinstance(e, (ev.RemoteTrackStalled, ev.RemoteTrackResumed))
            and (e.participant_id, e.source) == (participant_id, source)
        ]
        return ev.RemoteTrackStalled in said and said[-1] is ev.RemoteTrackResumed

    def no_failure_sentences(self) -> None:
        for who in ("alice", "bob"):
            assert not self.of(who, ev.MediaFailed), self.of(who, ev.MediaFailed)

    async def stop(self) -> None:
        await leave(self.a_client, self.alice)
        await leave(self.b_client, self.bob)


@pytest.fixture
async def call(relay: RunningRelay) -> AsyncIterator[Call]:
    running = Call(relay)
    await running.start()
    yield running
    await running.stop()


async def test_subscribe_closed_by_the_client_comes_back(call: Call) -> None:
    old = call.bob.subscribe_pc
    await old.close()
    restarted = await call.restarted("bob", "subscribe")
    assert restarted.reason == "closed"
    await call.flowing("media to arrive on bob's new subscribe connection")
    assert call.bob.subscribe_pc is not old and call.bob.subscribe_pc.connectionState == "connected"
    # The tiles said so meanwhile (all at once: everything arrives on that connection), and the
    # quality report counts frames per tile again.
    await wait_until(lambda: call.stalled_then_resumed("bob", call.a_id), 10, "bob's tile of alice to resume")
    tiles = {(t["participant_id"], t["source"]): t for t in call.bob.stats()["tiles"]}
    assert not tiles[(call.a_id, "camera")]["stalled"]
    await wait_until(lambda: call.bob.watchdog.fps((call.a_id, "camera")) > 0, 10, "frames per second")
    # Alice's tiles stayed: her tracks were told by whose they are, not by m-line.
    assert not [e for e in call.of("bob", ev.RemoteTrackRemoved) if e.participant_id == call.a_id]
    call.no_failure_sentences()


async def test_publish_closed_by_the_client_comes_back(call: Call) -> None:
    old = call.alice.publish_pc
    await old.close()
    restarted = await call.restarted("alice", "publish")
    assert restarted.reason == "closed"
    assert [e.connection for e in call.of("alice", ev.MediaInterrupted)] == ["publish"]
    await call.flowing("bob to decode alice's new publish connection")
    assert call.alice.publish_pc is not old
    # Bob's tiles of alice stayed where they were: her tracks came back on the same m-lines.
    assert not [e for e in call.of("bob", ev.RemoteTrackRemoved) if e.participant_id == call.a_id]
    await wait_until(lambda: metric(call.relay, "parley_media_peer_connections") >= 4, 10, "the relay's gauge")
    call.no_failure_sentences()


async def test_subscribe_closed_by_the_relay_comes_back(call: Call) -> None:
    # Bob's client never delivers one answer: the relay cuts his subscribe connection off after
    # its negotiation timeout (a DTLS close), as it would a client that hangs.
    request = call.b_client.request
    swallowed: list[m.SubscribeAnswer] = []

    async def forgetful(message: m.Request) -> m.Reply:
        if isinstance(message, m.SubscribeAnswer) and not swallowed:
            swallowed.append(message)
            return m.Ok(id=0)
        return await request(message)

    call.b_client.request = forgetful
    await call.alice.start_screen_share(0)
    restarted = await call.restarted("bob", "subscribe")
    assert swallowed and restarted.reason == "closed"
    await wait_until(lambda: frames(call.bob, call.a_id, "screen") > 3, 20, "alice's screen at bob")
    await call.flowing("media on bob's new subscribe connection")
    assert not [e for e in call.of("bob", ev.RemoteTrackRemoved) if e.participant_id == call.a_id]
    await wait_until(lambda: call.stalled_then_resumed("bob", call.a_id), 10, "bob's tile of alice to resume")
    call.no_failure_sentences()


async def test_publish_closed_by_the_relay_comes_back(call: Call) -> None:
    # Alice's media stops reaching the relay while her connection still answers (RTCP, ICE):
    # the relay finds her publish connection silent and closes it; she rebuilds it.
    old = call.alice.publish_pc
    drop(old, is_rtp, incoming=False)
    restarted = await call.restarted("alice", "publish")
    assert restarted.reason == "closed"
    await call.flowing("bob to decode alice's new publish connection")
    await wait_until(lambda: call.stalled_then_resumed("bob", call.a_id), 10, "bob's tile of alice to resume")
    call.no_failure_sentences()


async def test_subscribe_whose_packets_are_all_dropped_comes_back(call: Call) -> None:
    old = call.bob.subscribe_pc
    drop(old, lambda data: True)
    restarted = await call.restarted("bob", "subscribe")
    assert restarted.reason == "silent"
    await call.flowing("media on bob's new subscribe connection")
    assert call.bob.subscribe_pc is not old
    await wait_until(lambda: call.stalled_then_resumed("bob", call.a_id), 10, "bob's tile of alice to resume")
    call.no_failure_sentences()


async def test_publish_whose_packets_are_all_dropped_comes_back(call: Call) -> None:
    old = call.alice.publish_pc
    drop(old, lambda data: True)
    restarted = await call.restarted("alice", "publish")
    assert restarted.reason == "silent"
    await call.flowing("bob to decode alice's new publish connection")
    assert call.alice.publish_pc is not old
    # Alice is back within about a second of silence, mostly before Bob's tile would say it stalled
    # (1.5 s; a longer outage is said: test_publish_closed_by_the_relay_comes_back); his quality
    # report counts her frames again.
    await wait_until(lambda: call.bob.watchdog.fps((call.a_id, "camera")) > 0, 10, "frames per second")
    assert not [e for e in call.of("bob", ev.RemoteTrackRemoved) if e.participant_id == call.a_id]
    call.no_failure_sentences()


async def test_share_starting_while_someone_leaves_never_leaves_a_closed_connection(call: Call) -> None:
    """Two renegotiations at once, 50 times: Alice starts (or stops) sharing her screen while
    Carol leaves (or comes back). Every connection ends up live and Bob sees the share."""
    carol_name = call.names[2]
    carol = await join(call.relay, carol_name, call.meeting, camera="none")
    for round_ in range(50):
        c_client, c_session = carol
        await asyncio.gather(call.alice.start_screen_share(0), leave(c_client, c_session))
        shared = frames(call.bob, call.a_id, "screen")
        await wait_until(lambda n=shared: frames(call.bob, call.a_id, "screen") > n, 20, f"the share ({round_})")
        joined, _ = await asyncio.gather(
            join(call.relay, carol_name, call.meeting, camera="none"), call.alice.stop_screen_share()
        )
        carol = joined
        c_id = carol[0].participant_id
        heard = frames(call.bob, c_id, "mic")
        await wait_until(lambda c=c_id, n=heard: frames(call.bob, c, "mic") > n, 20, f"carol's voice ({round_})")
        for session in (call.alice, call.bob, carol[1]):
            for pc in (session.publish_pc, session.subscribe_pc):
                assert pc is None or pc.connectionState not in DEAD, (round_, pc.connectionState)
    await leave(*carol)
    await call.flowing("alice and bob after 50 rounds")
    for who in ("alice", "bob"):
        assert not call.of(who, ev.MediaInterrupted), call.of(who, ev.MediaInterrupted)
    call.no_failure_sentences()


async def test_muted_media_is_not_taken_for_a_dead_connection(call: Call) -> None:
    """With everything Bob receives muted at the relay (nothing forwarded), his subscribe
    connection stays: the relay's reports prove it alive, longer than the silence that would
    have it rebuilt; Alice's muted sources still send, so the relay keeps her publish connection."""
    for source in ("mic", "camera"):
        await call.alice.set_muted(source, True)
    await wait_until(
        lambda: all(call.b_client.participants[call.a_id].muted.get(s) for s in ("mic", "camera")), 10, "the mutes"
    )
    muted_at = time.monotonic()
    from client.engine.media.watchdog import PUBLISH_SILENT, SUBSCRIBE_SILENT

    quiet = max(PUBLISH_SILENT, SUBSCRIBE_SILENT) + 1.0
    await wait_until(
        lambda: (
            call.bob.watchdog.heard_at("subscribe") > muted_at + quiet
            and call.alice.watchdog.heard_at("publish") > muted_at + quiet
        ),
        30,
        "reports on both connections for longer than the silence that counts as dead",
    )
    for who in ("alice", "bob"):
        assert not call.of(who, ev.MediaInterrupted), call.of(who, ev.MediaInterrupted)
    # A muted tile is not a stalled one.
    assert not [e for e in call.of("bob", ev.RemoteTrackStalled) if e.participant_id == call.a_id]
    for source in ("mic", "camera"):
        await call.alice.set_muted(source, False)
    await call.flowing("alice's media after unmuting")
