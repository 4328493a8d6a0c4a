"""The media watchdog's decisions, on a fake session and a fake clock (no connections): which
tracks count as stalled, when they resume, frames per second, and what asks for a rebuild."""

from __future__ import annotations

import asyncio
from typing import Any

from client.engine import events as ev
from client.engine.media.sinks import TrackStats
from client.engine.media.watchdog import MediaWatchdog
from shared.protocol import messages as m


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakePc:
    def __init__(self, state: str = "connected") -> None:
        self.connectionState = state

    def getTransceivers(self) -> list[Any]:
        return []


class FakeSession:
    def __init__(self) -> None:
        self.client = self
        self.participants: dict[str, m.ParticipantInfo] = {}
        self.signalling: object | None = object()
        self.reconnector = self
        self.running = False
        self.publish_pc: Any = None
        self.subscribe_pc: Any = None
        self.remote: dict[str, m.TrackInfo] = {}
        self.stats_by_track: dict[tuple[str, str], TrackStats] = {}
        self.events: list[ev.EngineEvent] = []
        self.rebuilt: list[str] = []

    async def rebuild_publish(self) -> None:
        self.rebuilt.append("publish")

    async def rebuild_subscribe(self) -> None:
        self.rebuilt.append("subscribe")

    def _emit(self, event: ev.EngineEvent) -> None:
        self.events.append(event)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(coro)

    def add(self, mid: str, pid: str, source: str, kind: str) -> TrackStats:
        self.participants[pid] = m.ParticipantInfo(participant_id=pid, user_id=pid, display_name=pid)
        self.remote[mid] = m.TrackInfo(mid=mid, participant_id=pid, source=source, kind=kind)  # type: ignore[arg-type]
        stats = self.stats_by_track[(pid, source)] = TrackStats(pid, source, kind)
        return stats


def kinds(session: FakeSession) -> list[str]:
    return [type(e).__name__ for e in session.events]


async def test_a_track_without_frames_stalls_and_resumes_and_a_muted_one_does_not() -> None:
    session, clock = FakeSession(), Clock()
    watchdog = MediaWatchdog(session, clock)  # type: ignore[arg-type]
    camera = session.add("0", "p1", "camera", "video")
    session.add("1", "p2", "camera", "video")
    session.participants["p2"] = m.ParticipantInfo(
        participant_id="p2", user_id="p2", display_name="p2", muted={"camera": True}
    )
    for _ in range(10):  # p1's camera delivers 10 frames a second
        clock.now += 0.1
        camera.frames += 1
        camera.last_at = clock.now
        watchdog.check()
    assert kinds(session) == [] and 9.0 <= watchdog.fps(("p1", "camera")) <= 11.0
    clock.now += 1.6  # no frame for longer than the stall limit
    watchdog.check()
    assert session.events == [ev.RemoteTrackStalled("p1", "camera", "video")]  # p2 is muted: not stalled
    assert watchdog.report()["tiles"][0]["stalled"] is True
    clock.now += 0.1
    camera.frames += 1
    camera.last_at = clock.now
    watchdog.check()
    assert session.events[-1] == ev.RemoteTrackResumed("p1", "camera", "video")
    assert session.rebuilt == []


async def test_a_dead_connection_is_rebuilt_once_and_not_while_the_websocket_is_down() -> None:
    session, clock = FakeSession(), Clock()
    watchdog = MediaWatchdog(session, clock)  # type: ignore[arg-type]
    session.publish_pc = FakePc("connected")
    watchdog.check()
    session.signalling = None  # the reconnection will start media over: not the watchdog's job
    session.publish_pc.connectionState = "closed"
    watchdog.check()
    assert kinds(session) == []
    session.signalling = object()
    watchdog.check()
    watchdog.check()  # once, not once per check
    await asyncio.sleep(0)
    assert session.rebuilt == ["publish"]
    assert session.events == [ev.MediaInterrupted("publish", "closed")]
    assert watchdog.report()["sending"] == "reconnecting"
    session.publish_pc = FakePc("connected")  # the new connection is up
    watchdog.check()
    assert session.events[-1] == ev.MediaRestarted("publish", "closed", 0.0)
    assert watchdog.report()["sending"] == "ok"


class FakeTransceiver:
    def __init__(self, mid: str, kind: str) -> None:
        self.mid, self.kind = mid, kind


class SubscribePc(FakePc):
    def getTransceivers(self) -> list[Any]:
        return [FakeTransceiver("0", "audio")]


def subscribing(session: FakeSession, clock: Clock) -> tuple[MediaWatchdog, TrackStats]:
    watchdog = MediaWatchdog(session, clock)  # type: ignore[arg-type]
    watchdog._hook = lambda name, pc: None  # no aiortc objects here
    session.subscribe_pc = SubscribePc()
    session.publish_pc = FakePc("connected")  # heard when a test says so (the relay's REMBs)
    return watchdog, session.add("0", "alice", "mic", "audio")


async def test_a_subscribe_connection_with_live_media_is_dead_after_a_second_of_silence() -> None:
    from client.engine.media.watchdog import SUBSCRIBE_SILENT, SUBSCRIBE_SILENT_LIVE

    session, clock = FakeSession(), Clock()
    watchdog, mic = subscribing(session, clock)
    for _ in range(12):  # packets keep coming: alive
        mic.packet_at = clock.now
        watchdog.heard("publish")
        watchdog.check()
        clock.now += 0.25
    assert session.rebuilt == []
    stopped = mic.packet_at
    assert stopped is not None
    while not session.events or not isinstance(session.events[-1], ev.MediaInterrupted):
        watchdog.heard("publish")  # the publish connection still hears the relay: this path died
        watchdog.check()
        await asyncio.sleep(0)
        clock.now += 0.25
        assert clock.now - stopped < SUBSCRIBE_SILENT, "a live connection's silence was not noticed"
    assert session.events[-1] == ev.MediaInterrupted("subscribe", "silent")
    assert SUBSCRIBE_SILENT_LIVE < clock.now - stopped <= SUBSCRIBE_SILENT_LIVE + 0.5


async def test_silence_while_this_process_was_not_running_is_not_taken_for_a_dead_connection() -> None:
    session, clock = FakeSession(), Clock()
    watchdog, mic = subscribing(session, clock)
    mic.packet_at = clock.now
    watchdog.check()
    clock.now += 3.0  # the machine was busy: the next check comes three seconds late
    watchdog.check()
    clock.now += 0.25
    mic.packet_at = clock.now - 0.1  # what queued up meanwhile is read now
    watchdog.check()
    await asyncio.sleep(0)
    assert session.rebuilt == [] and kinds(session).count("MediaInterrupted") == 0
    # Real silence after that is still noticed.
    for _ in range(8):
        clock.now += 0.25
        watchdog.heard("publish")
        watchdog.check()
    await asyncio.sleep(0)
    assert session.rebuilt == ["subscribe"]


async def test_a_connection_that_never_carried_packets_is_left_to_its_state() -> None:
    """A camera slow to start (or a remote participant whose machine froze) must not have the new
    connection rebuilt again and again: silence counts only after packets came on it."""
    session, clock = FakeSession(), Clock()
    watchdog, _mic = subscribing(session, clock)
    for _ in range(20):  # five seconds, nothing arrives
        watchdog.check()
        clock.now += 0.25
    await asyncio.sleep(0)
    assert session.rebuilt == []


async def test_silence_on_both_connections_waits_longer() -> None:
    """Neither connection hears anything: this process reads its sockets late or the relay is
    stalled, and both come back by themselves; only the longer limit rebuilds."""
    from client.engine.media.watchdog import SUBSCRIBE_SILENT, SUBSCRIBE_SILENT_LIVE

    session, clock = FakeSession(), Clock()
    watchdog, mic = subscribing(session, clock)
    watchdog.check()  # the connections are new
    clock.now += 0.25
    mic.packet_at = clock.now
    watchdog.heard("publish")
    watchdog.check()
    stopped = clock.now
    while clock.now - stopped < SUBSCRIBE_SILENT - 0.1:
        clock.now += 0.25
        watchdog.check()
        await asyncio.sleep(0)
        if clock.now - stopped > SUBSCRIBE_SILENT_LIVE + 0.5:
            assert session.rebuilt == [], "rebuilt although the publish connection was silent too"
    for _ in range(3):
        clock.now += 0.25
        watchdog.check()
    await asyncio.sleep(0)
    assert session.rebuilt == ["subscribe"]
