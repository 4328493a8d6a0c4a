"""`MediaWatchdog`: notices dead media connections and stalled remote tracks, and has them rebuilt.

A participant has two peer connections (publish, subscribe; see session.py). Either can die
without the websocket noticing: the relay or the client closed it, ICE or DTLS failed, or its
packets stopped (aiortc's ICE consent checks would need ~30 s to say so). The watchdog looks every
`CHECK_INTERVAL` seconds and asks the session to rebuild a connection (a new one on both ends; the
relay takes it for the same seat) when:

- its state is "failed" or "closed": at once;
- publish: no RTCP from the relay for `PUBLISH_SILENT` s (the relay sends a bitrate estimate on
  every stream it receives four times a second, relay/sfu/handlers.py `BEAT`);
- subscribe: no RTP of a live remote track and no RTCP for `SUBSCRIBE_SILENT_LIVE` s (audio
  alone brings 50 packets a second), or, with nothing live, no RTCP for `SUBSCRIBE_SILENT` s (the
  relay's senders report every 0.5-1.5 s even when nothing is forwarded).

Those short limits hold only while the other connection is heard (`CORROBORATE`): silence on both
means this process reads its sockets late (a busy machine) or the relay is stalled, and then the
longer `PUBLISH_SILENT_ALONE` / `SUBSCRIBE_SILENT` apply. Silence only counts on a connection that
carried packets since it was (re)built, so a camera slow to start or a remote participant whose
machine froze costs at most one rebuild; and not right after a check that came late (this process
was not running, `LATE`): what arrived meanwhile is read first.

It also tells, per remote track that should be flowing (present, not muted, its owner connected),
when its frames stop (`RemoteTrackStalled`, the tile says so) and come back (`RemoteTrackResumed`),
and the frames per second each track delivers now (the quality indicator reads them). No Qt here.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol

from aiortc import RTCPeerConnection
from aiortc.rtp import AnyRtcpPacket

from client.engine import events as ev
from client.engine.explain import MEDIA_RECEIVING, MEDIA_SENDING, explain_media
from client.engine.media.sinks import TrackStats
from shared.protocol import messages as m
from shared.webrtc import receiver as receivers
from shared.webrtc import sender as senders

log = logging.getLogger("parley.media")

CHECK_INTERVAL = 0.25
PUBLISH_SILENT = 1.0  # while the subscribe connection is heard (`CORROBORATE`)
PUBLISH_SILENT_ALONE = 3.0  # otherwise
SUBSCRIBE_SILENT = 2.5
SUBSCRIBE_SILENT_LIVE = 1.0  # while a live remote track should flow and the publish connection is heard
CORROBORATE = 0.6  # the other connection heard this recently: this process reads its sockets
LATE = 0.5  # a check this much later than `CHECK_INTERVAL` means this process was not running
STALL_AFTER = {"video": 1.5, "audio": 1.5}  # seconds without a decoded frame on a live track
FPS_WINDOW = 2.0
RETRY_CAP = 8.0  # seconds between rebuilds that keep failing
FAILURES_SAID = 3  # failed rebuilds in a row before people are told (MEDIA_SENDING, MEDIA_RECEIVING)
REBUILD_TIMEOUT = 20.0  # a rebuild not connected by then failed (said once; the next check retries)
DEAD_STATES = ("failed", "closed")
CONNECTIONS = ("publish", "subscribe")


class _Reconnector(Protocol):
    @property
    def running(self) -> bool: ...


class _Client(Protocol):
    @property
    def participants(self) -> Mapping[str, m.ParticipantInfo]: ...
    @property
    def signalling(self) -> object | None: ...
    @property
    def reconnector(self) -> _Reconnector: ...


class WatchedSession(Protocol):
    """What the watchdog reads of a `MediaSession`, and the two rebuilds it asks for."""

    @property
    def client(self) -> _Client: ...
    @property
    def publish_pc(self) -> RTCPeerConnection | None: ...
    @property
    def subscribe_pc(self) -> RTCPeerConnection | None: ...
    @property
    def remote(self) -> Mapping[str, m.TrackInfo]: ...
    @property
    def stats_by_track(self) -> Mapping[tuple[str, str], TrackStats]: ...

    async def rebuild_publish(self) -> None: ...
    async def rebuild_subscribe(self) -> None: ...
    def _emit(self, event: ev.EngineEvent) -> None: ...
    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...


class MediaWatchdog:
    """Watches one `MediaSession`'s connections and remote tracks (see the module's docstring)."""

    def __init__(self, session: WatchedSession, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.clock = clock
        self.rebuilds: dict[str, int] = {"publish": 0, "subscribe": 0}  # how many, for stats
        self._rebuilding: dict[str, tuple[str, float, asyncio.Task[Any]]] = {}  # connection -> (why, since, task)
        self._heard: dict[str, float] = {}  # connection -> last RTCP/RTP heard on it
        self._hooked: weakref.WeakSet[object] = weakref.WeakSet()  # senders/receivers that count arrivals
        self._pcs: dict[str, RTCPeerConnection | None] = {"publish": None, "subscribe": None}
        self._since: dict[tuple[str, str], float] = {}  # live track -> since when it should flow
        self._stalled: dict[tuple[str, str], float] = {}  # stalled track -> when it was said
        self._kinds: dict[tuple[str, str], str] = {}
        self._frames: dict[tuple[str, str], deque[tuple[float, int]]] = {}
        self._failures: dict[str, int] = {}  # rebuilds in a row that failed, per connection
        self._retry_at: dict[str, float] = {}
        self._opened: dict[str, float] = {}  # connection -> when the watchdog first saw it
        self._last_check: float | None = None
        self._deaf_until = 0.0  # silence is not judged before this (this process was not running)

    def reset(self) -> None:
        """Forget failed rebuilds (the session starts media over after a reconnection)."""
        self._failures.clear()
        self._retry_at.clear()

    async def run(self) -> None:
        while True:
            try:
                self.check()
            except Exception:
                log.exception("media watchdog check failed")
            await asyncio.sleep(CHECK_INTERVAL)

    # --- the check -------------------------------------------------------------------------------

    def check(self) -> None:
        now = self.clock()
        if self._last_check is not None and now - self._last_check > CHECK_INTERVAL + LATE:
            self._deaf_until = now + 2 * CHECK_INTERVAL  # read what queued up while we were stalled
        self._last_check = now
        self._watch_connections(now)
        live = self._live_tracks()
        self._watch_tracks(live, now)
        self._watch_subscribe_packets(live, now)

    def _watch_connections(self, now: float) -> None:
        for name in CONNECTIONS:
            pc = self.session.publish_pc if name == "publish" else self.session.subscribe_pc
            if pc is not self._pcs[name]:  # a new connection: it starts with a clean slate
                self._pcs[name] = pc
                self._heard[name] = self._opened[name] = now
            pending = self._rebuilding.get(name)
            if pending is not None:
                self._finish(name, pc, now, *pending)
                continue
            retry = self._retry_at.get(name)
            if retry is not None and now >= retry:
                del self._retry_at[name]
                self.rebuild(name, "retry")
                continue
            if pc is None:
                continue
            self._hook(name, pc)
            if pc.connectionState in DEAD_STATES:
                self.rebuild(name, pc.connectionState)
            elif name == "publish" and pc.connectionState == "connected" and self._has_senders(pc):
                if self._fell_silent(name, PUBLISH_SILENT, PUBLISH_SILENT_ALONE, now):
                    self.rebuild(name, "silent")

    def _watch_subscribe_packets(self, live: dict[tuple[str, str], str], now: float) -> None:
        pc = self.session.subscribe_pc
        if pc is None or "subscribe" in self._rebuilding or pc.connectionState != "connected":
            return
        if not any(t.mid is not None and t.kind in ("audio", "video") for t in pc.getTransceivers()):
            return  # only a data channel yet: nothing would report
        heard = self._heard["subscribe"]
        for key in live:
            stats = self.session.stats_by_track.get(key)
            if stats is not None and stats.packet_at is not None:
                heard = max(heard, stats.packet_at)
        self._heard["subscribe"] = heard
        if self._fell_silent("subscribe", SUBSCRIBE_SILENT_LIVE if live else SUBSCRIBE_SILENT, SUBSCRIBE_SILENT, now):
            self.rebuild("subscribe", "silent")

    def _fell_silent(self, name: str, fast: float, slow: float, now: float) -> bool:
        """Whether ``name`` carried packets once and has heard nothing for long enough since.

        Long enough is ``fast`` while the other connection is heard (the path of this one died),
        ``slow`` when it is not either: then this process may be reading its sockets late (a busy
        machine), or the relay may be stalled, and both would come back by themselves. A connection
        that never carried anything is judged by its state instead (ICE or DTLS fail): a camera
        that takes a while to start must not have its new connection rebuilt for it.
        """
        heard = self._heard.get(name, 0.0)
        if heard <= self._opened.get(name, now) or now < self._deaf_until:
            return False
        other = "subscribe" if name == "publish" else "publish"
        corroborated = self._pcs.get(other) is not None and now - self._heard.get(other, 0.0) <= CORROBORATE
        return now - heard > (fast if corroborated else slow)

    def _live_tracks(self) -> dict[tuple[str, str], str]:
        """Remote tracks that should be delivering frames now -> their kind."""
        people = self.session.client.participants
        live: dict[tuple[str, str], str] = {}
        for info in self.session.remote.values():
            owner = people.get(info.participant_id)
            if owner is not None and (owner.muted.get(info.source) or not owner.connected):
                continue  # muted sources are not forwarded; an owner in its grace period sends nothing
            live[(info.participant_id, info.source)] = info.kind
        return live

    def _watch_tracks(self, live: dict[tuple[str, str], str], now: float) -> None:
        for key in [k for k in self._since if k not in live]:
            del self._since[key]
        for key in [k for k in self._stalled if k not in live]:
            self._resume(key)  # muted or gone: the tile shows that instead
        for key, kind in live.items():
            self._kinds[key] = kind
            since = self._since.setdefault(key, now)
            stats = self.session.stats_by_track.get(key)
            last = stats.last_at if stats is not None and stats.last_at is not None else 0.0
            if stats is not None:
                samples = self._frames.setdefault(key, deque())
                samples.append((now, stats.frames))
                while len(samples) > 2 and now - samples[1][0] >= FPS_WINDOW:
                    samples.popleft()
            stalled_at = self._stalled.get(key)
            if stalled_at is not None:
                if last > stalled_at:
                    self._resume(key)
            elif now - max(since, last) > STALL_AFTER.get(kind, 1.0):
                self._stall(key, now)
        for key in [k for k in self._frames if k not in live]:
            del self._frames[key]

    # --- stalls ----------------------------------------------------------------------------------

    def _stall(self, key: tuple[str, str], now: float) -> None:
        self._stalled[key] = now
        log.info("remote %s of %s stalled", key[1], key[0])
        self.session._emit(ev.RemoteTrackStalled(key[0], key[1], self._kinds.get(key, "video")))

    def _resume(self, key: tuple[str, str]) -> None:
        self._stalled.pop(key, None)
        log.info("remote %s of %s resumed", key[1], key[0])
        self.session._emit(ev.RemoteTrackResumed(key[0], key[1], self._kinds.get(key, "video")))

    def heard(self, connection: str) -> None:
        """Something arrived on ``connection`` now (its RTCP hooks call this)."""
        self._heard[connection] = self.clock()

    def heard_at(self, connection: str) -> float:
        """When RTCP (or, subscribe, RTP of a live track) last arrived on ``connection``."""
        return self._heard.get(connection, 0.0)

    def stalled(self) -> set[tuple[str, str]]:
        return set(self._stalled)

    def fps(self, key: tuple[str, str]) -> float:
        """Frames per second ``key`` delivered over about the last `FPS_WINDOW` seconds."""
        samples = self._frames.get(key)
        if not samples or len(samples) < 2:
            return 0.0
        (t0, f0), (t1, f1) = samples[0], samples[-1]
        return round((f1 - f0) / (t1 - t0), 1) if t1 > t0 else 0.0

    def report(self) -> dict[str, Any]:
        """What arrives now, for ``MediaSession.stats()`` and the quality indicator."""
        tiles = [
            {"participant_id": pid, "source": source, "kind": kind, "fps": self.fps((pid, source)),
             "stalled": (pid, source) in self._stalled}
            for (pid, source), kind in self._kinds.items()
            if (pid, source) in self._since
        ]  # fmt: skip
        return {
            "tiles": tiles,
            "sending": "reconnecting" if "publish" in self._rebuilding else "ok",
            "receiving": "reconnecting" if "subscribe" in self._rebuilding else "ok",
            "media_restarts": dict(self.rebuilds),
        }

    # --- rebuilding ------------------------------------------------------------------------------

    def rebuild(self, connection: str, reason: str) -> None:
        """Have ``connection`` rebuilt (once at a time); says so at once (`MediaInterrupted`)."""
        if connection in self._rebuilding or self._signalling_down():
            return  # without the websocket, the reconnection starts media over (MediaSession.restart)
        now = self.clock()
        log.warning("%s connection is dead (%s): rebuilding it", connection, reason)
        self.session._emit(ev.MediaInterrupted(connection, reason))
        if connection == "subscribe":
            # Everything arrives on it: every live tile stalls now, not a second later.
            for key in list(self._since):
                self._since[key] = now
                if key not in self._stalled:
                    self._stall(key, now)
        work = self.session.rebuild_publish() if connection == "publish" else self.session.rebuild_subscribe()
        self._rebuilding[connection] = (reason, now, self.session._spawn(work))

    def _finish(
        self, name: str, pc: RTCPeerConnection | None, now: float, reason: str, since: float, task: asyncio.Task[Any]
    ) -> None:
        """A rebuild is over once its task ended and the new connection is up (or failed)."""
        if not task.done():
            return
        error = None if task.cancelled() else task.exception()
        state = pc.connectionState if pc is not None else "new"
        if error is None and state not in ("connected", *DEAD_STATES) and now - since < REBUILD_TIMEOUT:
            if pc is not None or (name == "subscribe" and self._since):
                return  # still connecting, or the relay's first offer is on its way
        del self._rebuilding[name]
        self._heard[name] = self._opened[name] = now  # silence counts again once packets came
        if error is not None or state in DEAD_STATES or (pc is not None and state != "connected"):
            log.warning("rebuilding the %s connection failed: %r", name, error)
            if self._signalling_down():
                return  # the reconnection takes over (and says so)
            failures = self._failures[name] = self._failures.get(name, 0) + 1
            self._retry_at[name] = now + min(RETRY_CAP, 0.5 * 2**failures)
            if failures == FAILURES_SAID:  # said once; it keeps trying
                explained = explain_media(MEDIA_SENDING if name == "publish" else MEDIA_RECEIVING, error)
                self.session._emit(ev.MediaFailed(message=str(explained.sentence), explanation=explained))
            return
        self._failures.pop(name, None)
        self.rebuilds[name] += 1
        log.info("%s connection rebuilt in %.2f s (%s)", name, now - since, reason)
        self.session._emit(ev.MediaRestarted(name, reason, round(now - since, 3)))

    def _signalling_down(self) -> bool:
        client = self.session.client
        return client.signalling is None or client.reconnector.running

    # --- what arrives ----------------------------------------------------------------------------

    @staticmethod
    def _has_senders(pc: RTCPeerConnection) -> bool:
        return any(t.sender.track is not None for t in pc.getTransceivers())

    def _hook(self, name: str, pc: RTCPeerConnection) -> None:
        """Count RTCP arriving for ``pc``'s senders (publish) or receivers (subscribe)."""

        def heard() -> None:
            if self._pcs[name] is pc:
                self.heard(name)

        for transceiver in pc.getTransceivers():
            if name == "publish":
                sender = transceiver.sender
                if sender not in self._hooked:
                    self._hooked.add(sender)
                    senders.set_rtcp_handler(sender, _counting(senders.rtcp_handler(sender), heard))
            else:
                receiver = transceiver.receiver
                if receiver not in self._hooked:
                    self._hooked.add(receiver)
                    receivers.set_rtcp_handler(receiver, _counting(receivers.rtcp_handler(receiver), heard))


def _counting(original: senders.RtcpHandler, heard: Callable[[], None]) -> senders.RtcpHandler:
    async def handle(packet: AnyRtcpPacket) -> None:
        heard()
        await original(packet)

    return handle
