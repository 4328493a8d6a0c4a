"""`MediaSession`: a participant's media in a meeting. Publishes, subscribes, decodes, hands out.
This module holds the session's state, its start, stop and restart and its report; what it sends
is in publishing.py, what it receives in receiving.py.

Publish connection: the client offers mic, camera and (when sharing) screen, plus a data channel.
Subscribe connection: the relay offers everyone else's tracks; `SubscribeOffer.tracks` says whose
each m-line is. Encoding and decoding happen in aiortc's worker threads; on the event loop the
session only routes decoded frames to sinks, which must stay cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiortc import RTCDataChannel, RTCPeerConnection

from client.engine import events as ev
from client.engine.media.audio_processing import ProcessingChoice
from client.engine.media.local_audio import LocalAudio
from client.engine.media.network import NetworkSampler
from client.engine.media.opus import REPAIRED, use_loss_resilient_opus
from client.engine.media.publishing import Publishing
from client.engine.media.receiving import Receiving
from client.engine.media.sinks import AudioPlayback, TrackStats
from client.engine.media.watchdog import MediaWatchdog
from shared import memory
from shared.protocol import messages as m

if TYPE_CHECKING:
    import av

    from client.engine.call import ParleyClient

log = logging.getLogger("parley.media")


class MediaSession(Publishing, Receiving, LocalAudio):
    """Publishes this participant's sources (`Publishing`, client/engine/media/publishing.py) and
    receives everyone else's (`Receiving`, client/engine/media/receiving.py); the microphone's
    processing and the speakers' taps are `LocalAudio` (client/engine/media/local_audio.py)."""

    def __init__(
        self,
        client: ParleyClient,
        *,
        camera: str = "synthetic",
        mic: str = "synthetic",
        screen: bool = False,
        screen_monitor: int = 1,
        playback: bool = True,
        video_size: tuple[int, int] = (1280, 720),
        fps: float = 30.0,
        screen_size: tuple[int, int] = (1920, 1080),
        screen_fps: float = 15.0,
        audio_processing: ProcessingChoice | None = None,
        speaker_out: Path | None = None,
    ) -> None:
        self.client = client
        self.camera, self.mic = camera, mic
        self.screen, self.screen_monitor = screen, screen_monitor
        self.playback_enabled = playback
        self.video_size, self.fps = video_size, fps
        self._lost_sources: set[str] = set()  # local sources that failed mid-call (said once each)
        self.screen_size, self.screen_fps = screen_size, screen_fps
        self.publish_pc: RTCPeerConnection | None = None
        self.channel: RTCDataChannel | None = None  # "parley" data channel on the publish connection (files)
        # Called with the data channel when it is created (client.engine.files uses it).
        self.channel_listeners: list[Callable[[RTCDataChannel], None]] = []
        self.subscribe_pc: RTCPeerConnection | None = None
        self.local_tracks: dict[str, Any] = {}
        self._transceivers: dict[str, Any] = {}  # source -> publish transceiver
        self.remote: dict[str, m.TrackInfo] = {}  # mid -> what it carries now
        self.stats_by_track: dict[tuple[str, str], TrackStats] = {}
        self.playback: AudioPlayback | None = None
        self._video_sinks: list[Callable[[str, str, av.VideoFrame], None]] = []
        self._local_sinks: list[Callable[[str, av.VideoFrame], None]] = []
        self._level_listeners: list[Callable[[str, float], None]] = []
        self._audio_sinks: list[Callable[[str, str, av.AudioFrame], None]] = []
        self._local_audio_sinks: list[Callable[[str, av.AudioFrame], None]] = []
        self._last_level: dict[str, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._offers: asyncio.Queue[m.SubscribeOffer] = asyncio.Queue()
        self._publish_lock = asyncio.Lock()
        self._subscribe_lock = asyncio.Lock()  # one offer/answer or rebuild at a time (receiving.py)
        self._retired: set[str] = set()  # ICE ufrags of subscribe connections we closed
        self.watchdog = MediaWatchdog(self)  # rebuilds dead connections, tells stalled tracks
        self.joined_at: float | None = None
        self.first_frame_at: float | None = None
        self.first_video: asyncio.Event = asyncio.Event()
        self.started = False
        self._user_of: dict[str, str] = {}  # participant id -> user id, to carry stats over reconnects
        # participant id -> display name, kept after they (or we) leave so the report names them
        self._names: dict[str, str] = {}
        self.network = NetworkSampler(lambda: [self.publish_pc, self.subscribe_pc])  # loss, round trip
        self._init_local_audio(audio_processing, speaker_out)  # echo cancellation etc., --speaker-out
        use_loss_resilient_opus()  # Opus with in-band FEC out, FEC + concealment in (opus.py)

    # --- the contract the UI relies on -----------------------------------------------------------

    def add_video_sink(self, callback: Callable[[str, str, av.VideoFrame], None]) -> None:
        self._video_sinks.append(callback)

    def add_local_video_sink(self, callback: Callable[[str, av.VideoFrame], None]) -> None:
        self._local_sinks.append(callback)

    def add_audio_level_listener(self, callback: Callable[[str, float], None]) -> None:
        self._level_listeners.append(callback)

    def add_audio_sink(self, callback: Callable[[str, str, av.AudioFrame], None]) -> None:
        """Every decoded remote audio frame as (participant_id, source, frame); keep it cheap."""
        self._audio_sinks.append(callback)

    def add_local_audio_sink(self, callback: Callable[[str, av.AudioFrame], None]) -> None:
        """Every frame this participant's microphone sends, as (source, frame)."""
        self._local_audio_sinks.append(callback)

    async def start(self) -> None:
        """Publish this participant's sources and subscribe to everyone else (after join)."""
        if self.joined_at is None:
            self.joined_at = time.monotonic()
        self.started = True
        self.playback = AudioPlayback(
            enabled=self.playback_enabled,
            taps=self._playback_taps(),  # what is played: the echo canceller's reference, --speaker-out
            gap_listeners=[self.far_end.gap],
            clock_without_device=self.speaker_out is not None,
        )
        self.client.push_handlers.append(self._on_push)
        self.client.push_handlers.append(self._on_share_stopped)
        self.client.reconnect_hooks.append(self.restart)
        self._names.update({p.participant_id: p.display_name for p in self.client.participants.values()})
        self._spawn(self._handle_offers())
        self._spawn(self.network.run())
        self._spawn(self.watchdog.run())
        self._spawn(memory.trim_periodically())  # decoder threads' freed memory (shared/memory.py)
        await self.client.request(m.Subscribe(id=0))
        self._open_sources()
        # Even with neither microphone nor camera: the publish connection then carries only the
        # data channel, which files need.
        await self._publish()

    def _on_share_stopped(self, event: m.Event) -> None:
        """Someone else started sharing, and the relay stopped forwarding our screen (one share at
        a time, relay/sfu/screen_share.py): stop capturing it too."""
        if isinstance(event, m.MediaStopped) and event.reason == "taken_over" and event.source == "screen":
            self._spawn(self.stop_screen_share())

    async def stop(self) -> None:
        """Stop capturing and close both connections; frees every task and thread it started."""
        if not self.started:
            return
        self.started = False
        with contextlib.suppress(ValueError):
            self.client.push_handlers.remove(self._on_push)
        with contextlib.suppress(ValueError):
            self.client.push_handlers.remove(self._on_share_stopped)
        with contextlib.suppress(ValueError):
            self.client.reconnect_hooks.remove(self.restart)
        for track in list(self.local_tracks.values()):
            track.stop()
        self.local_tracks.clear()
        for pc in (self.publish_pc, self.subscribe_pc):
            if pc is not None:
                with contextlib.suppress(Exception):
                    await pc.close()
        self.publish_pc = self.subscribe_pc = self.channel = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.playback is not None:
            self.playback.close()
        self._close_local_audio()
        for info in list(self.remote.values()):
            self._emit(ev.RemoteTrackRemoved(info.participant_id, info.source, info.kind))
        self.remote.clear()
        await asyncio.to_thread(memory.trim)  # what the closed codecs freed goes back to the system

    def stats(self) -> dict[str, Any]:
        """The ``--stats`` report (participant, join_to_first_frame_s, remote_tracks)."""
        first = None
        if self.first_frame_at is not None and self.joined_at is not None:
            first = round(self.first_frame_at - self.joined_at, 3)
        name = self.client.user.display_name if self.client.user else (self.client.participant_id or "")
        return {
            "participant": name,
            "join_to_first_frame_s": first,
            "remote_tracks": [self._report(s) for s in self.stats_by_track.values()],
            "packet_loss": self.network.packet_loss,  # 0..1 of what we receive, last sample interval
            "rtt_ms": self.network.rtt_ms,  # None until the relay has answered a sender report
            **self.watchdog.report(),  # what arrives now: fps and stalls per tile, reconnections
            "audio_processing": self.audio_report(),  # client/engine/media/local_audio.py
            # lost audio frames rebuilt from Opus FEC or concealed (client/engine/media/opus.py)
            "audio_repaired": dict(REPAIRED),
        }

    def _report(self, stats: TrackStats) -> dict[str, Any]:
        report = stats.report()
        known = self.client.participants.get(stats.participant)
        report["participant_id"] = stats.participant
        name = known.display_name if known is not None else self._names.get(stats.participant)
        if name is not None:
            report["participant"] = name
        return report

    # --- reconnection ----------------------------------------------------------------------------

    async def restart(self) -> None:
        """Start media over after the client took its seat back on a new connection (the relay
        dropped the old peer connections): same sources, new connections, counters kept."""
        if not self.started:
            return
        self.watchdog.reset()
        old = [pc for pc in (self.publish_pc, self.subscribe_pc) if pc is not None]
        self.publish_pc = self.subscribe_pc = self.channel = None
        self._transceivers.clear()
        while not self._offers.empty():
            self._offers.get_nowait()  # offers of the old connection
        for info in list(self.remote.values()):
            self._emit(ev.RemoteTrackRemoved(info.participant_id, info.source, info.kind))
        self.remote = {}
        # aiortc stops a sender's track when its connection closes: open the sources anew.
        muted = {source: bool(getattr(track, "muted", False)) for source, track in self.local_tracks.items()}
        for track in self.local_tracks.values():
            track.stop()
        self.local_tracks.clear()
        for pc in old:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pc.close(), 5.0)
        await self.client.request(m.Subscribe(id=0))
        self._open_sources()
        await self._publish()  # with no sources too: the data channel (files)
        for source in list(self.local_tracks):
            if muted.get(source):  # a restarted relay forgot it; tell it again
                await self.set_muted(source, True)

    # --- helpers ---------------------------------------------------------------------------------

    def _emit(self, event: ev.EngineEvent) -> None:
        self.client.emit(event)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
