"""`MediaSession`: a participant's media in a meeting. Publishes, subscribes, decodes, hands out.

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
from typing import TYPE_CHECKING, Any

from aiortc import RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from client.engine import events as ev
from client.engine import peer
from client.engine.media.network import NetworkSampler
from client.engine.media.sinks import AudioPlayback, TrackStats, audio_level
from client.engine.media.sources import (
    CameraTrack,
    DeviceUnavailable,
    MicrophoneTrack,
    ScreenTrack,
    SyntheticVideoTrack,
    ToneAudioTrack,
)
from shared.protocol import messages as m
from shared.webrtc.receiver import rtp_handler, set_rtp_handler

if TYPE_CHECKING:
    import av

    from client.engine.call import ParleyClient

log = logging.getLogger("parley.media")

LEVEL_INTERVAL = 0.1


class MediaSession:
    """Publishes this participant's sources and receives everyone else's."""

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
    ) -> None:
        self.client = client
        self.camera, self.mic = camera, mic
        self.screen, self.screen_monitor = screen, screen_monitor
        self.playback_enabled = playback
        self.video_size, self.fps = video_size, fps
        self._lost_sources: set[str] = set()  # local sources that failed mid-call (said once each)
        self.screen_size, self.screen_fps = screen_size, screen_fps
        self.publish_pc: Any = None
        self.channel: Any = None  # "parley" data channel on the publish connection (files)
        # Called with the data channel when it is created (client.engine.files uses it).
        self.channel_listeners: list[Callable[[Any], None]] = []
        self.subscribe_pc: Any = None
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
        self.joined_at: float | None = None
        self.first_frame_at: float | None = None
        self.first_video: asyncio.Event = asyncio.Event()
        self.started = False
        self._user_of: dict[str, str] = {}  # participant id -> user id, to carry stats over reconnects
        # participant id -> display name, kept after they (or we) leave so the report names them
        self._names: dict[str, str] = {}
        self.network = NetworkSampler(lambda: [self.publish_pc, self.subscribe_pc])  # loss, round trip

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
        self.playback = AudioPlayback(enabled=self.playback_enabled)
        self.client.push_handlers.append(self._on_push)
        self.client.reconnect_hooks.append(self.restart)
        self._names.update({p.participant_id: p.display_name for p in self.client.participants.values()})
        self._spawn(self._handle_offers())
        self._spawn(self.network.run())
        await self.client.request(m.Subscribe(id=0))
        self._open_sources()
        # Even with neither microphone nor camera: the publish connection then carries only the
        # data channel, which files need.
        await self._publish()

    async def stop(self) -> None:
        """Stop capturing and close both connections; frees every task and thread it started."""
        if not self.started:
            return
        self.started = False
        with contextlib.suppress(ValueError):
            self.client.push_handlers.remove(self._on_push)
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
        for info in list(self.remote.values()):
            self._emit(ev.RemoteTrackRemoved(info.participant_id, info.source, info.kind))
        self.remote.clear()

    async def set_muted(self, source: str, muted: bool) -> None:
        """Mute or unmute ``"mic"`` or ``"camera"``: silence/black leaves this machine, and the
        relay stops forwarding it and tells everyone."""
        track = self.local_tracks.get(source)
        if track is not None:
            track.muted = muted
        try:
            await self.client.request(m.SetMuted(id=0, source=source, muted=muted))  # type: ignore[arg-type]
        except BaseException:
            if track is not None and not muted:
                track.muted = True  # unmuting was refused (or not heard): stay muted here too
            raise

    async def start_screen_share(self, monitor: int = 1) -> None:
        self.screen, self.screen_monitor = True, monitor
        if "screen" in self.local_tracks:
            return
        track = self._open_screen()
        if track is None:
            return
        self.local_tracks["screen"] = track
        await self._publish()

    async def stop_screen_share(self) -> None:
        self.screen = False
        track = self.local_tracks.pop("screen", None)
        if track is None:
            return
        track.stop()
        transceiver = self._transceivers.get("screen")
        if transceiver is not None:
            transceiver.sender.replaceTrack(None)
            transceiver.direction = "inactive"
        await self._publish()

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
        }

    def _report(self, stats: TrackStats) -> dict[str, Any]:
        report = stats.report()
        known = self.client.participants.get(stats.participant)
        report["participant_id"] = stats.participant
        name = known.display_name if known is not None else self._names.get(stats.participant)
        if name is not None:
            report["participant"] = name
        return report

    # --- sources ---------------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        log.warning(message)
        self._emit(ev.MediaFailed(message=message))

    def _open_sources(self) -> None:
        if self.mic not in ("none", ""):
            if self.mic == "synthetic":
                self.local_tracks["mic"] = ToneAudioTrack()
            else:
                try:
                    self.local_tracks["mic"] = MicrophoneTrack(None if self.mic == "default" else self.mic)
                except DeviceUnavailable as exc:
                    self._fail(f"{exc} Sending a test tone instead.")
                    self.local_tracks["mic"] = ToneAudioTrack()
        if self.camera not in ("none", ""):
            w, h = self.video_size
            if self.camera == "synthetic":
                self.local_tracks["camera"] = SyntheticVideoTrack(w, h, self.fps)
            else:
                try:
                    self.local_tracks["camera"] = CameraTrack(self.camera, w, h, self.fps)
                except DeviceUnavailable as exc:
                    self._fail(f"{exc} Sending a test pattern instead.")
                    self.local_tracks["camera"] = SyntheticVideoTrack(w, h, self.fps)
        if self.screen:
            track = self._open_screen()
            if track is not None:
                self.local_tracks["screen"] = track

    def _open_screen(self) -> Any:
        w, h = self.screen_size
        if self.screen_monitor == 0:  # 0: a synthetic screen, for tests and demos
            return SyntheticVideoTrack(w, h, self.screen_fps, hue=60)
        try:
            return ScreenTrack(self.screen_monitor, self.screen_fps, (w, h))
        except DeviceUnavailable as exc:
            self._fail(f"{exc} Sharing a test pattern instead.")
            return SyntheticVideoTrack(w, h, self.screen_fps, hue=60)

    # --- publishing ------------------------------------------------------------------------------

    async def _publish(self) -> None:
        async with self._publish_lock:
            if self.publish_pc is None:
                self.publish_pc = peer.new_peer_connection()
            pc = self.publish_pc
            for source, track in self.local_tracks.items():
                transceiver = self._transceivers.get(source)
                if transceiver is None:
                    transceiver = pc.addTransceiver(track, direction="sendonly")
                    if track.kind == "video":
                        transceiver.setCodecPreferences(peer.video_codec_preferences())
                    self._transceivers[source] = transceiver
                    self._local_preview(source, track)
                elif transceiver.sender.track is not track:
                    transceiver.sender.replaceTrack(track)
                    transceiver.direction = "sendonly"
                    self._local_preview(source, track)
            if self.channel is None:
                # After the media m-lines: aiortc 1.16 does not start ICE under MAX_BUNDLE when
                # the data channel's m-line is the first one.
                self.channel = pc.createDataChannel("parley")
                for listener in list(self.channel_listeners):
                    listener(self.channel)
            offer = await pc.createOffer()
            await pc.setLocalDescription(offer)
            sdp = pc.localDescription.sdp
            sources = {
                t.mid: source
                for source, t in self._transceivers.items()
                if t.mid is not None and source in self.local_tracks
            }
            reply = await self.client.request(
                m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources=sources)  # type: ignore[arg-type]
            )
            assert isinstance(reply, m.PublishAnswer)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))

    def _local_preview(self, source: str, track: Any) -> None:
        """Self view: aiortc's sender reads the track; a wrapper shows each frame it takes."""
        sinks: list[Any] = self._local_sinks if track.kind == "video" else self._local_audio_sinks
        original = track.recv
        self._lost_sources.discard(source)  # a new track for this source: its failure is news again

        async def recv() -> Any:
            try:
                frame = await original()
            except MediaStreamError:
                if track.readyState == "live":  # the device ended by itself; we did not stop it
                    self._source_lost(source, None)
                raise
            except Exception as exc:  # a driver error: aiortc's sender only ends quietly on this one
                self._source_lost(source, exc)
                raise MediaStreamError(str(exc)) from exc
            for sink in list(sinks):
                try:
                    sink(source, frame)
                except Exception:
                    log.exception("local video sink failed")
            return frame

        track.recv = recv

    def _source_lost(self, source: str, exc: BaseException | None) -> None:
        """A camera, microphone or screen that stopped mid-call: say so once; the call goes on."""
        if source in self._lost_sources:
            return
        self._lost_sources.add(source)
        log.warning("local %s source stopped: %r", source, exc)
        why = f" ({exc})" if exc is not None and str(exc) else ""
        sentences = {
            "camera": f"Your camera stopped working{why}. The call goes on without your video.",
            "mic": f"Your microphone stopped working{why}. The call goes on; others cannot hear you.",
            "screen": f"Screen sharing stopped{why}. The call goes on.",
        }
        self._emit(ev.MediaFailed(message=sentences.get(source, f"Your {source} stopped working{why}.")))

    # --- subscribing -----------------------------------------------------------------------------

    def _on_push(self, event: m.Event) -> None:
        if isinstance(event, m.SubscribeOffer):
            self._offers.put_nowait(event)
        if isinstance(event, (m.ParticipantJoined, m.ParticipantUpdated)):
            self._names[event.participant.participant_id] = event.participant.display_name
        if isinstance(event, m.ParticipantJoined):
            for info in list(self.remote.values()):
                if info.participant_id == event.participant.participant_id:
                    self._carry_over_stats(info)

    async def _handle_offers(self) -> None:
        while True:
            offer = await self._offers.get()
            try:
                await self._answer(offer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self.started:
                    return
                log.exception("subscribe offer %d failed", offer.revision)
                self._emit(ev.MediaFailed(message=f"Receiving media failed: {exc}"))

    async def _answer(self, offer: m.SubscribeOffer) -> None:
        if self.subscribe_pc is None:
            self.subscribe_pc = peer.new_peer_connection()
            self.subscribe_pc.on("track", self._on_track)
        pc = self.subscribe_pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        peer.route_rtx(pc)
        for transceiver in pc.getTransceivers():
            peer.remove_audio_prefetch(transceiver.receiver)
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        sdp = pc.localDescription.sdp
        new = {t.mid: t for t in offer.tracks}
        for mid, info in list(self.remote.items()):
            if mid not in new or (new[mid].participant_id, new[mid].source) != (info.participant_id, info.source):
                self._emit(ev.RemoteTrackRemoved(info.participant_id, info.source, info.kind))
                if info.kind == "audio" and self.playback is not None:
                    self.playback.remove(info.participant_id)
        added = [
            info
            for mid, info in new.items()
            if mid not in self.remote
            or (self.remote[mid].participant_id, self.remote[mid].source) != (info.participant_id, info.source)
        ]
        self.remote = new
        for info in added:
            self._carry_over_stats(info)
            self.stats_by_track.setdefault(
                (info.participant_id, info.source), TrackStats(info.participant_id, info.source, info.kind)
            )
            self._emit(ev.RemoteTrackAdded(info.participant_id, info.source, info.kind))
        await self.client.request(
            m.SubscribeAnswer(id=0, sdp=sdp, revision=offer.revision, fingerprint=peer.sdp_fingerprint(sdp))
        )

    def _on_track(self, track: Any) -> None:
        assert self.subscribe_pc is not None
        transceiver = next((t for t in self.subscribe_pc.getTransceivers() if t.receiver.track is track), None)
        if transceiver is None:
            return
        self._count_bytes(transceiver)
        self._spawn(self._consume(transceiver, track))

    def _count_bytes(self, transceiver: Any) -> None:
        receiver = transceiver.receiver
        original = rtp_handler(receiver)

        async def counted(packet: Any, arrival_time_ms: int) -> None:
            info = self.remote.get(transceiver.mid)
            if info is not None:
                stats = self.stats_by_track.get((info.participant_id, info.source))
                if stats is not None:
                    stats.bytes += len(packet.payload)
            await original(packet, arrival_time_ms)

        set_rtp_handler(receiver, counted)

    async def _consume(self, transceiver: Any, track: Any) -> None:
        """Every decoded frame of one subscribe m-line, attributed to whoever it carries now."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            info = self.remote.get(transceiver.mid)
            if info is None:
                continue
            now = time.monotonic()
            key = (info.participant_id, info.source)
            stats = self.stats_by_track.get(key)
            if stats is None:
                stats = self.stats_by_track[key] = TrackStats(info.participant_id, info.source, info.kind)
            stats.add_frame(frame, now)
            if info.kind == "video":
                if self.first_frame_at is None:
                    self.first_frame_at = now
                    self.first_video.set()
                for sink in self._video_sinks:
                    try:
                        sink(info.participant_id, info.source, frame)
                    except Exception:
                        log.exception("video sink failed")
            else:
                if self.playback is not None:
                    self.playback.push(info.participant_id, frame)
                for audio_sink in self._audio_sinks:
                    try:
                        audio_sink(info.participant_id, info.source, frame)
                    except Exception:
                        log.exception("audio sink failed")
                if self._level_listeners and now - self._last_level.get(info.participant_id, 0.0) >= LEVEL_INTERVAL:
                    self._last_level[info.participant_id] = now
                    level = audio_level(frame)
                    for listener in self._level_listeners:
                        try:
                            listener(info.participant_id, level)
                        except Exception:
                            log.exception("audio level listener failed")

    # --- reconnection ----------------------------------------------------------------------------

    async def restart(self) -> None:
        """Start media over after the client took its seat back on a new connection (the relay
        dropped the old peer connections): same sources, new connections, counters kept."""
        if not self.started:
            return
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

    def _carry_over_stats(self, info: m.TrackInfo) -> None:
        """After a relay restart people come back with new participant ids: keep counting their
        tracks in the same `TrackStats` (the ``--stats`` counters span reconnections). Runs when
        a track arrives and again when its owner's join is announced (either may come first)."""
        known = self.client.participants.get(info.participant_id)
        if known is None:
            return
        self._user_of[info.participant_id] = known.user_id
        self._names[info.participant_id] = known.display_name
        key = (info.participant_id, info.source)
        live = {(t.participant_id, t.source) for t in self.remote.values()}
        for old_key, old in list(self.stats_by_track.items()):
            if old_key == key or old_key[1] != info.source or old_key in live:
                continue
            if self._user_of.get(old_key[0]) != known.user_id:
                continue
            del self.stats_by_track[old_key]
            old.participant = info.participant_id
            fresh = self.stats_by_track.get(key)
            if fresh is not None:  # frames counted before the owner was known
                old.frames += fresh.frames
                old.bytes += fresh.bytes
                old.freezes += fresh.freezes
                old.marks += fresh.marks
                old.latencies += fresh.latencies
                old.width, old.height = fresh.width or old.width, fresh.height or old.height
                old.last_at = fresh.last_at or old.last_at
            self.stats_by_track[key] = old
            return

    # --- helpers ---------------------------------------------------------------------------------

    def _emit(self, event: ev.EngineEvent) -> None:
        self.client.emit(event)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
