"""The relay's media requests, and the bookkeeping that ties media to meetings.

`MediaRelay` answers the publish, subscribe, mute and keyframe requests and frees a seat's media
when the seat goes. Forwarding itself happens in `relay.sfu.forwarding`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Coroutine
from typing import Any, Protocol

from aiortc import RTCDataChannel
from prometheus_client import Counter

from relay.config import MediaConfig
from relay.meetings import Meetings
from relay.ops.metrics import RelayMetrics
from relay.peer import Peer
from relay.sfu import screen_share, sdp
from relay.sfu.budgets import Ceiling
from relay.sfu.forwarding import PublishedTrack
from relay.sfu.gauges import register_gauges
from relay.sfu.liveness import Liveness
from relay.sfu.peers import MediaParticipant
from relay.sfu.speakers import ActiveSpeakers
from shared.errors import BadRequest, LimitExceeded, NotFound
from shared.protocol import messages as m
from shared.webrtc import ice
from shared.webrtc.receiver import kind as receiver_kind
from shared.webrtc.receiver import remote_streams, send_rtcp

log = logging.getLogger("parley.relay.sfu")

KIND_OF_SOURCE = {"mic": "audio", "camera": "video", "screen": "video"}
SOURCES: dict[str, m.Source] = {"mic": "mic", "camera": "camera", "screen": "screen"}
REMB_INTERVAL = 1.0
BEAT = 0.25  # seconds between the REMBs that also tell each publisher its connection is alive
AUDIO_REMB = 510_000  # an audio sender ignores the figure (Opus has no target); the packet is the beat
REMB_FRESH = 5.0  # seconds a subscriber's REMB holds


class UnmutePolicy(Protocol):
    """May a participant unmute a source? Raises Forbidden if not (relay.host_actions)."""

    def check_unmute(self, meeting_id: str, participant_id: str, source: str) -> None: ...


class ChannelListener(Protocol):
    """Told of each participant's publish data channel (relay.sfu.datachannels forwards files)."""

    def channel_opened(self, participant: MediaParticipant, channel: RTCDataChannel) -> None: ...


class MediaRelay:
    """Every participant's media on this relay, by meeting."""

    def __init__(
        self,
        seats: Meetings,
        config: MediaConfig,
        metrics: RelayMetrics,
        unmute_policy: UnmutePolicy,
        channel_listener: ChannelListener,
    ) -> None:
        self.seats = seats
        self.config = config
        self.unmute_policy = unmute_policy
        self.channel_listener = channel_listener
        self.meetings: dict[str, dict[str, MediaParticipant]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self.liveness = Liveness()
        self.speakers = ActiveSpeakers(lambda meeting_id: [p.peer for p in self.meetings.get(meeting_id, {}).values()])
        forwarded = metrics.forwarded_packets
        forwarded_bytes = metrics.forwarded_bytes
        self._counters = {kind: (forwarded.labels(kind), forwarded_bytes.labels(kind)) for kind in ("audio", "video")}
        registry = metrics.registry
        register_gauges(
            registry,
            participants=lambda: sum(len(p) for p in self.meetings.values()),
            connections=self.connection_count,
            tracks=lambda: sum(len(mp.published) for p in self.meetings.values() for mp in p.values()),
        )
        ice.use_host_addresses(list(self.config.ice_addresses))
        self.allowed_networks = sdp.parse_networks(self.config.ice_allowed_networks)
        self.cut_off: set[tuple[str, str, str]] = set()  # (meeting, participant, source) over the ceiling
        self.dropped_packets = Counter(
            "parley_media_dropped_packets",
            "Packets not forwarded: over a stream's ceiling or a subscriber's egress budget",
            ["reason"],
            registry=registry,
        )
        self.candidates_refused = Counter(
            "parley_ice_candidates_refused",
            "Client ICE candidates the relay will not check, by reason",
            ["reason"],
            registry=registry,
        )
        # Forwarding counts in plain ints; Prometheus sees them once a second and at each scrape.
        metrics.before_render.append(self.flush_counts)

    def connection_count(self) -> int:
        return sum(
            (mp.publish_pc is not None) + (mp.subscribe_pc is not None)
            for p in self.meetings.values()
            for mp in p.values()
        )

    def packet_loss(self, kind: str) -> tuple[int, int]:
        """(lost, expected) packets from every publisher of ``kind``, by their RTCP counts."""
        lost = expected = 0
        for seats in self.meetings.values():
            for participant in seats.values():
                for track in participant.published.values():
                    if track.kind != kind:
                        continue
                    for stats in remote_streams(track.receiver).values():
                        lost += max(0, stats.packets_lost)
                        expected += stats.packets_expected
        return lost, expected

    def _count(self, kind: str, packets: int, size: int) -> None:
        counter_packets, counter_bytes = self._counters[kind]
        counter_packets.inc(packets)
        counter_bytes.inc(size)

    def _count_dropped(self, reason: str, packets: int) -> None:
        self.dropped_packets.labels(reason).inc(packets)

    def _ceiling(self, kind: str) -> Ceiling | None:
        kbps = self.config.audio_ceiling_kbps if kind == "audio" else self.config.video_ceiling_kbps
        return Ceiling(kbps, self.config.ceiling_cutoff_seconds, time.monotonic()) if kbps > 0 else None

    def _cut_off(self, me: MediaParticipant, track: PublishedTrack) -> None:
        """``track`` stayed over its ceiling: stop forwarding it, tell its publisher why."""
        if me.published.get(track.source) is not track:
            return
        self.cut_off.add((me.meeting_id, me.participant_id, track.source))
        me.published.pop(track.source).close()
        ceiling = track.ceiling.kbps if track.ceiling is not None else 0
        log.warning(
            "cut off the %s of participant %s: over its ceiling of %d kbit/s for %.0f seconds",
            track.source,
            me.participant_id,
            ceiling,
            self.config.ceiling_cutoff_seconds,
        )
        what = {"mic": "microphone", "camera": "camera", "screen": "screen share"}[track.source]
        message = (
            f"The server stopped forwarding your {what}: your app kept sending more than the "
            f"{ceiling:.0f} kbit/s this server allows. Rejoin the meeting to send it again; if this "
            "happens again, tell your administrator."
        )
        me.peer.send_event(
            m.MediaStopped(meeting_id=me.meeting_id, source=SOURCES[track.source], reason="bitrate", message=message)
        )
        self.renegotiate_others(me.meeting_id, me.participant_id)

    def flush_counts(self) -> None:
        for seats in self.meetings.values():
            for me in seats.values():
                for track in me.published.values():
                    track.flush()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- participants ----------------------------------------------------------------------------

    def participant(self, peer: Peer) -> MediaParticipant:
        if not peer.meeting_id or not peer.participant_id:
            raise NotFound("Join a meeting before sending media.")
        seats = self.meetings.setdefault(peer.meeting_id, {})
        current = seats.get(peer.participant_id)
        if current is not None and current.peer is not peer:
            # The seat was taken back on a new connection: start its media over.
            self.seat_freed(peer.meeting_id, peer.participant_id)
            current = None
        if current is None:
            current = MediaParticipant(
                peer.meeting_id,
                peer.participant_id,
                peer,
                codec=self.config.codec,
                egress_kbps=self.config.subscriber_egress_kbps,
            )
            current.channel_listeners = [self.channel_listener.channel_opened]
            seats[peer.participant_id] = current
        if self._ticker is None or self._ticker.done():
            self._ticker = self._spawn(self._tick())
        return current

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        """Free everything a seat holds (the seat was given up)."""
        seats = self.meetings.get(meeting_id)
        if not seats or participant_id not in seats:
            return
        gone = seats.pop(participant_id)
        self.speakers.forget(meeting_id, participant_id, time.monotonic(), meeting_over=not seats)
        self.cut_off -= {c for c in self.cut_off if c[:2] == (meeting_id, participant_id)}
        if not seats:
            del self.meetings[meeting_id]
        gone.closed = True
        for track in gone.published.values():
            track.close()
        self._spawn(gone.close())
        self.renegotiate_others(meeting_id, participant_id)
        if not self.meetings and self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def wanted_for(self, me: MediaParticipant) -> list[PublishedTrack]:
        seats = self.meetings.get(me.meeting_id, {})
        return [
            track
            for other in seats.values()
            if other.participant_id != me.participant_id and not other.closed
            for track in other.published.values()
        ]

    def renegotiate(self, me: MediaParticipant) -> None:
        if not me.subscribed or me.closed:
            return
        me.dirty = True
        if me.negotiation is None or me.negotiation.done():
            me.negotiation = self._spawn(self._negotiate(me))

    async def _negotiate(self, me: MediaParticipant) -> None:
        try:
            await me.negotiate(lambda: self.wanted_for(me), me.peer.send_event, self.config.negotiation_timeout)
        except asyncio.CancelledError:
            raise
        except Exception:
            pc = me.subscribe_pc
            if pc is None:
                log.info("subscribe connection of %s replaced during negotiation", me.participant_id)
            elif pc.signalingState == "closed" or pc.connectionState in ("failed", "closed"):
                # Closed under the negotiation (the client dropped it, or it died): not a bug. The
                # client rebuilds its side and subscribes again, on a new connection.
                log.info("subscribe connection of %s closed during negotiation", me.participant_id)
                await me.restart_subscribe()
            else:
                log.exception("subscribe negotiation for %s failed", me.participant_id)

    def renegotiate_others(self, meeting_id: str, participant_id: str) -> None:
        for other in self.meetings.get(meeting_id, {}).values():
            if other.participant_id != participant_id:
                self.renegotiate(other)

    # --- handlers --------------------------------------------------------------------------------

    async def on_publish(self, peer: Peer, req: m.PublishOffer) -> m.Reply:
        sdp.check_size(req.sdp)
        me = self.participant(peer)
        try:
            offer = sdp.pin_fingerprint(req.sdp, req.fingerprint)
        except Exception:
            log.warning("refused publish offer of %s: DTLS fingerprint mismatch", me.participant_id)
            raise
        try:
            kinds = sdp.check_media_lines(req.sdp, self.config.max_tracks_per_publisher)
        except BadRequest as exc:
            log.warning("refused publish offer of %s: %s", me.participant_id, exc.message)
            raise
        offer = self.screen_candidates(offer, me.participant_id)
        if len(kinds) > self.config.max_tracks_per_publisher:
            log.warning("refused publish offer of %s: %d tracks", me.participant_id, len(kinds))
            raise LimitExceeded(
                "max_tracks_per_publisher",
                self.config.max_tracks_per_publisher,
                f"A participant may publish at most {self.config.max_tracks_per_publisher} tracks.",
            )
        if len(set(req.sources.values())) != len(req.sources):
            raise BadRequest("Each source (mic, camera, screen) may be published once.")
        async with me.publish_lock:  # one offer at a time per connection, never racing its close
            return await self._apply_publish(me, req, offer)

    async def _apply_publish(self, me: MediaParticipant, req: m.PublishOffer, offer: str) -> m.Reply:
        try:
            answer, receivers = await me.answer_publish(offer)
        except BadRequest as exc:
            log.warning("refused publish offer of %s: %s", me.participant_id, exc.message)
            raise
        seated = self.seats.find(me.meeting_id, me.participant_id)
        muted = dict(seated.muted) if seated is not None else {}
        changed = False
        live: set[str] = set()
        for mid, receiver in receivers.items():
            source = req.sources.get(mid)
            if source is None or KIND_OF_SOURCE[source] != receiver_kind(receiver):
                continue
            live.add(source)
            existing = me.published.get(source)
            if existing is not None and existing.receiver is receiver:
                continue
            if existing is not None:
                existing.close()
            if (me.meeting_id, me.participant_id, source) in self.cut_off:
                continue  # cut off for going over the ceiling: not forwarded again until they rejoin
            track = PublishedTrack(
                me.participant_id,
                source,
                KIND_OF_SOURCE[source],
                receiver,
                codec=self.config.codec,
                pli_interval=1.0 / max(self.config.pli_per_second, 0.01),
                count=self._count,
                ceiling=self._ceiling(KIND_OF_SOURCE[source]),
                on_cut_off=functools.partial(self._cut_off, me),
                dropped=self._count_dropped,
                on_level=self.speakers.listener(me.meeting_id, me.participant_id, source),
            )
            track.muted = bool(muted.get(source))
            me.published[source] = track
            changed = True
            if source == "screen" and screen_share.take_over(me, self.meetings.get(me.meeting_id, {}), seated):
                self.renegotiate(me)  # the earlier share leaves the new sharer's subscription too
        for gone in list(me.published):
            if gone not in live:
                me.published.pop(gone).close()
                changed = True
        if changed:
            self.renegotiate_others(me.meeting_id, me.participant_id)
        return m.PublishAnswer(id=req.id, sdp=answer)

    def screen_candidates(self, description: str, participant_id: str) -> str:
        """``description`` with only the ICE candidates the relay will send checks to (item 7)."""
        local: dict[int, int] = {}
        for address in ice.host_addresses(True, True):
            version = 6 if ":" in address else 4
            local[version] = local.get(version, 0) + 1
        cfg = self.config
        kept, screen = sdp.screen_candidates(
            description, self.allowed_networks, local, cfg.max_ice_candidates, cfg.max_ice_pairs
        )
        if screen.outside or screen.over_limit:
            self.candidates_refused.labels("network").inc(screen.outside)
            self.candidates_refused.labels("limit").inc(screen.over_limit)
            log.info(
                "dropped ICE candidates of %s: %d outside the allowed networks, %d over the limits (%d kept)",
                participant_id,
                screen.outside,
                screen.over_limit,
                screen.kept,
            )
        return kept

    async def on_subscribe(self, peer: Peer, req: m.Subscribe) -> m.Reply:
        me = self.participant(peer)
        if me.subscribe_pc is not None:
            # Subscribing again on a live seat: the client dropped its subscribe connection (it
            # died or was closed) and rebuilt its side; start over on a new one.
            log.info("participant %s subscribes again: new subscribe connection", me.participant_id)
            await me.restart_subscribe()
        me.subscribed = True
        self.renegotiate(me)
        self.speakers.tell(me.meeting_id, peer)  # who speaks now, if anyone
        return m.Ok(id=req.id)

    async def on_subscribe_answer(self, peer: Peer, req: m.SubscribeAnswer) -> m.Reply:
        sdp.check_size(req.sdp)
        me = self.participant(peer)
        try:
            answer = sdp.pin_fingerprint(req.sdp, req.fingerprint)
        except Exception:
            log.warning("refused subscribe answer of %s: DTLS fingerprint mismatch", me.participant_id)
            raise
        answer = self.screen_candidates(answer, me.participant_id)
        await me.apply_answer(answer, req.revision)
        return m.Ok(id=req.id)

    async def on_set_muted(self, peer: Peer, req: m.SetMuted) -> m.Reply:
        me = self.participant(peer)
        if not req.muted:
            # e.g. the host's "mute all" forbids unmuting
            self.unmute_policy.check_unmute(me.meeting_id, me.participant_id, req.source)
        await self.set_source_muted(me.meeting_id, me.participant_id, req.source, req.muted)
        return m.Ok(id=req.id)

    async def set_source_muted(self, meeting_id: str, participant_id: str, source: str, muted: bool) -> None:
        """Mute or unmute a seat's source (its own request or a host's) and tell the meeting."""
        seated = self.seats.find(meeting_id, participant_id)
        if seated is None:
            raise NotFound("You are not in a meeting.")
        seated.muted[source] = muted
        me = self.meetings.get(meeting_id, {}).get(participant_id)
        track = me.published.get(source) if me is not None else None
        if track is not None:
            track.muted = muted
            if not muted:
                for slot in track.slots:
                    slot.need_keyframe = True
                await track.request_keyframe()
        meeting = self.seats.live.get(meeting_id)
        if meeting is not None:
            meeting.seat_updated(seated)

    async def on_request_keyframe(self, peer: Peer, req: m.RequestKeyframe) -> m.Reply:
        me = self.participant(peer)
        other = self.meetings.get(me.meeting_id, {}).get(req.participant_id)
        track = other.published.get(req.source) if other is not None else None
        if track is None:
            raise NotFound("That participant does not publish this source.")
        await track.request_keyframe()
        return m.Ok(id=req.id)

    # --- bitrate and keyframe upkeep ---------------------------------------------------------------

    async def _tick(self) -> None:
        """Every `BEAT`: a REMB on every published stream; once a second: counters, liveness, keyframes.

        Each published video stream gets its own budget (the lowest any subscriber reports, within
        the configured bounds), so a publisher of camera and screen is not starved by one estimate.
        The REMBs come four times a second, on audio too, because the client takes a publish
        connection that hears nothing from the relay for about a second as dead
        (client/engine/media/watchdog.py): aiortc's own receiver reports come only every 0.5-1.5 s.
        """
        beats = 0
        while True:
            await asyncio.sleep(BEAT)
            beats += 1
            upkeep = beats % round(REMB_INTERVAL / BEAT) == 0
            if upkeep:
                self.flush_counts()
                try:
                    await self.check_liveness()
                except Exception:
                    log.exception("media liveness check failed")
            for seats in list(self.meetings.values()):
                for me in list(seats.values()):
                    for track in list(me.published.values()):
                        if track.closed:
                            continue
                        with contextlib.suppress(Exception):
                            video = track.kind == "video"
                            if (
                                video
                                and upkeep
                                and (track.keyframe_wanted or any(s.need_keyframe for s in track.slots if s.ready))
                            ):
                                await track.request_keyframe()
                            packet = track.remb_packet(self.remb_for(track) if video else AUDIO_REMB)
                            if packet is not None:
                                await send_rtcp(track.receiver, packet)

    async def check_liveness(self) -> None:
        """Drop publish and subscribe connections that died (see relay/sfu/liveness.py)."""
        now = time.monotonic()
        for seats in list(self.meetings.values()):
            for me in list(seats.values()):
                if me.closed:
                    continue
                why = self.liveness.publish_dead(me, now)
                if why is not None and not me.publish_lock.locked():  # an offer in progress goes first
                    log.warning("publish connection of %s is dead (%s): dropped", me.participant_id, why)
                    async with me.publish_lock:
                        await me.close_publish()
                why = self.liveness.subscribe_dead(me)
                if why is not None:
                    log.warning("subscribe connection of %s is dead (%s): dropped", me.participant_id, why)
                    await me.restart_subscribe()
        self.liveness.forget_closed()

    def remb_for(self, track: PublishedTrack) -> int:
        ceiling = self.config.max_video_kbps * 1000
        # A subscriber's estimate counts while it keeps sending them (about once a second).
        fresh = time.monotonic() - REMB_FRESH
        reports = [s.remb_bps for s in track.slots if s.remb_bps and s.remb_at >= fresh]
        bitrate = min([ceiling, *reports]) if reports else ceiling
        return max(int(self.config.min_video_kbps) * 1000, int(bitrate))

    async def stop(self) -> None:
        """Close every participant's peer connections (the relay is stopping)."""
        for meeting_id, seats in list(self.meetings.items()):
            for participant_id in list(seats):
                self.seat_freed(meeting_id, participant_id)
        if self._ticker is not None:
            self._ticker.cancel()
        tasks = list(self._tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=5.0)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
