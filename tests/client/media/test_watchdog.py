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
