"""What a participant receives: the relay's subscribe offers answered, every decoded frame
attributed to whoever it carries now and handed to the sinks, with per-track statistics that
span reconnections. No Qt here.

`Receiving` is a part of `MediaSession` (client/engine/media/session.py), which holds the state
named below.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from client.engine import events as ev
from client.engine import peer
from client.engine.explain import technical
from client.engine.media.sinks import AudioPlayback, TrackStats, audio_level
from client.engine.media.watchdog import MediaWatchdog
from shared.protocol import messages as m
from shared.webrtc.receiver import newest_decoded_frame, rtp_handler, set_rtp_handler

if TYPE_CHECKING:
    from client.engine.call import ParleyClient

log = logging.getLogger("parley.media")

LEVEL_INTERVAL = 0.1


class Receiving:
    """The subscribe connection of a `MediaSession` and what arrives on it."""

    client: ParleyClient
    started: bool
    subscribe_pc: RTCPeerConnection | None
    remote: dict[str, m.TrackInfo]
    stats_by_track: dict[tuple[str, str], TrackStats]
    playback: AudioPlayback | None
    first_frame_at: float | None
    first_video: asyncio.Event
    _offers: asyncio.Queue[m.SubscribeOffer]
    _subscribe_lock: asyncio.Lock
    watchdog: MediaWatchdog
    _retired: set[str]
    _video_sinks: list[Callable[[str, str, av.VideoFrame], None]]
    _audio_sinks: list[Callable[[str, str, av.AudioFrame], None]]
    _level_listeners: list[Callable[[str, float], None]]
    _last_level: dict[str, float]
    _user_of: dict[str, str]
    _names: dict[str, str]
    _emit: Callable[[ev.EngineEvent], None]
    _spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]]

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
                # The connection closed under the offer, or the relay refused a late answer (it cut
                # the connection off): a new subscribe connection, no banner. The tiles say their
                # video is paused meanwhile; only a rebuild that fails is said (MEDIA_RECEIVING).
                log.warning("subscribe offer %d failed: %s", offer.revision, technical(exc))
                self.watchdog.rebuild("subscribe", "failed")

    async def _answer(self, offer: m.SubscribeOffer) -> None:
        # One offer/answer at a time on the subscribe connection, never racing its rebuild.
        async with self._subscribe_lock:
            ufrag = peer.ice_ufrag(offer.sdp)
            if ufrag in self._retired:
                log.info("subscribe offer %d is for a connection already closed: ignored", offer.revision)
                return
            pc = self.subscribe_pc
            if pc is not None and (pc.signalingState == "closed" or pc.connectionState in ("failed", "closed")):
                log.info("subscribe offer %d arrived on a closed connection: left to the rebuild", offer.revision)
                return
            if (
                pc is not None
                and pc.remoteDescription is not None
                and peer.ice_ufrag(pc.remoteDescription.sdp) != ufrag
            ):
                await self._retire_subscribe()  # the relay started a new connection: ours goes
            await self._answer_locked(offer)

    async def rebuild_subscribe(self) -> None:
        """Replace the subscribe connection with a new one, on both ends (it died or was closed):
        the relay drops its side when asked to subscribe again and offers on a new connection.
        Tiles stay (tracks are told by whose they are, not by m-line)."""
        async with self._subscribe_lock:
            await self._retire_subscribe()
            while not self._offers.empty():
                self._offers.get_nowait()  # for the old connection
        await self.client.request(m.Subscribe(id=0))

    async def _retire_subscribe(self) -> None:
        pc, self.subscribe_pc = self.subscribe_pc, None
        if pc is None:
            return
        if pc.remoteDescription is not None:
            self._retired.add(peer.ice_ufrag(pc.remoteDescription.sdp))  # its late offers are ignored
        try:
            await asyncio.wait_for(pc.close(), 5.0)
        except Exception as exc:
            log.info("closing the old subscribe connection: %r", exc)

    async def _answer_locked(self, offer: m.SubscribeOffer) -> None:
        if self.subscribe_pc is None:
            self.subscribe_pc = peer.new_peer_connection()
            self.subscribe_pc.on("track", self._on_track)
        pc = self.subscribe_pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        peer.route_rtx(pc)
        for transceiver in pc.getTransceivers():
            peer.remove_audio_prefetch(transceiver.receiver)  # and no stall on a lost packet
            peer.watch_losses(transceiver.receiver)  # video: NACK again, give up in time (0.4 s)
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        sdp = pc.localDescription.sdp
        new = {t.mid: t for t in offer.tracks}
        # Tracks are told by whose they are, not by m-line: on a rebuilt connection the same
        # tracks come on other m-lines, and their tiles stay.
        before = {(i.participant_id, i.source): i for i in self.remote.values()}
        after = {(i.participant_id, i.source): i for i in new.values()}
        for key, info in before.items():
            if key not in after:
                self._emit(ev.RemoteTrackRemoved(info.participant_id, info.source, info.kind))
                if info.kind == "audio" and self.playback is not None:
                    self.playback.remove(info.participant_id)
        added = [info for key, info in after.items() if key not in before]
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

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.subscribe_pc is not None
        transceiver = next((t for t in self.subscribe_pc.getTransceivers() if t.receiver.track is track), None)
        if transceiver is None:
            return
        self._count_bytes(transceiver)
        self._spawn(self._consume(transceiver, track))

    def _count_bytes(self, transceiver: RTCRtpTransceiver) -> None:
        receiver = transceiver.receiver
        original = rtp_handler(receiver)

        async def counted(packet: Any, arrival_time_ms: int) -> None:
            info = self.remote.get(transceiver.mid or "")
            if info is not None:
                stats = self.stats_by_track.get((info.participant_id, info.source))
                if stats is not None:
                    stats.bytes += len(packet.payload)
                    stats.packet_at = time.monotonic()
            await original(packet, arrival_time_ms)

        set_rtp_handler(receiver, counted)

    async def _consume(self, transceiver: RTCRtpTransceiver, track: MediaStreamTrack) -> None:
        """Every decoded frame of one subscribe m-line, attributed to whoever it carries now."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            info = self.remote.get(transceiver.mid or "")
            if info is None or isinstance(frame, av.Packet):
                continue  # (decoded tracks yield frames, never packets)
            skipped = 0
            if isinstance(frame, av.VideoFrame):  # behind: show the newest, do not hoard the rest
                frame, skipped = newest_decoded_frame(track, frame)
            now = time.monotonic()
            key = (info.participant_id, info.source)
            stats = self.stats_by_track.get(key)
            if stats is None:
                stats = self.stats_by_track[key] = TrackStats(info.participant_id, info.source, info.kind)
            stats.skipped += skipped
            stats.add_frame(frame, now)
            if isinstance(frame, av.VideoFrame):
                if self.first_frame_at is None:
                    self.first_frame_at = now
                    self.first_video.set()
                for sink in self._video_sinks:
                    try:
                        sink(info.participant_id, info.source, frame)
                    except Exception:
                        log.exception("video sink failed")
            elif isinstance(frame, av.AudioFrame):
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
