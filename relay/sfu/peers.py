"""One participant's media on the relay: a publish connection (the client offers) and a subscribe
connection (the relay offers), with the subscribe slots and their renegotiation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpsender import RTCRtpSender

from relay.peer import Peer
from relay.sfu.budgets import EgressBudget
from relay.sfu.forwarding import IdleTrack, PublishedTrack, Slot
from relay.sfu.sdp import ice_ufrag
from shared.errors import BadRequest
from shared.protocol import messages as m
from shared.webrtc import sender as senders
from shared.webrtc.peerconnection import new_peer_connection, set_transceiver_codecs, transceiver_codecs

log = logging.getLogger("parley.relay.sfu")

MIME = {"vp8": "video/VP8", "h264": "video/H264"}


def codec_preferences(kind: str, codec: str) -> list[Any]:
    """The meeting's one codec (and RTX for video) from aiortc's capabilities."""
    caps = RTCRtpSender.getCapabilities(kind).codecs
    if kind == "audio":
        return [c for c in caps if c.mimeType.lower() == "audio/opus"]
    wanted = MIME[codec].lower()
    chosen = [c for c in caps if c.mimeType.lower() == wanted]
    if codec == "h264":  # constrained baseline, packetization-mode 1
        chosen = [c for c in chosen if str(c.parameters.get("profile-level-id", "")).startswith("42e0")] or chosen
    return chosen + [c for c in caps if c.mimeType.lower() == "video/rtx"]


def _is_rtx_of(codec: Any, payload_types: set[int]) -> bool:
    return codec.mimeType.lower() == "video/rtx" and codec.parameters.get("apt") in payload_types


class MediaParticipant:
    """Media state of one seat. The relay's `MediaRelay` owns these and calls into them."""

    def __init__(self, meeting_id: str, participant_id: str, peer: Peer, *, codec: str, egress_kbps: int = 0) -> None:
        self.meeting_id = meeting_id
        self.participant_id = participant_id
        self.peer = peer
        self.codec = codec
        self.publish_pc: RTCPeerConnection | None = None
        self.subscribe_pc: RTCPeerConnection | None = None
        self.published: dict[str, PublishedTrack] = {}  # source -> track
        self.slots: list[Slot] = []
        # Everything this participant receives shares one budget (relay/sfu/budgets.py).
        self.egress_budget = EgressBudget(egress_kbps, time.monotonic()) if egress_kbps > 0 else None
        # (publisher, source) -> the slot that carried it last: a publisher whose connection is
        # rebuilt comes back on the same m-line, so the subscriber's tile stays where it was.
        self._slot_of: dict[tuple[str, str], Slot] = {}
        # One publish offer/answer at a time, and never while the publish connection is closed.
        self.publish_lock = asyncio.Lock()
        self.subscribed = False
        self.revision = 0
        self.pending_revision: int | None = None
        self.answered: asyncio.Future[None] | None = None
        self.dirty = False
        self.negotiation: asyncio.Task[None] | None = None
        self.closed = False
        self.channels: list[RTCDataChannel] = []  # the subscribe connection's own data channel
        self.publish_channels: list[RTCDataChannel] = []  # the client's, arrived on the publish connection
        # Called with (self, channel) when the client's publish data channel arrives (files).
        self.channel_listeners: list[Callable[[MediaParticipant, RTCDataChannel], None]] = []

    # --- publishing ------------------------------------------------------------------------------

    async def answer_publish(self, sdp: str) -> tuple[str, dict[str, Any]]:
        """Apply the client's publish offer; returns the answer and the receivers by mid.
        Hold `publish_lock`. An offer from a new connection (the client rebuilt its own: a new ICE
        username fragment) or one that comes after this side's connection died replaces it."""
        old = self.publish_pc
        if old is not None and (
            old.connectionState in ("failed", "closed")
            or (old.remoteDescription is not None and ice_ufrag(old.remoteDescription.sdp) != ice_ufrag(sdp))
        ):
            log.info("participant %s publishes on a new connection", self.participant_id)
            await self.close_publish()
        if self.publish_pc is None:
            self.publish_pc = new_peer_connection()
            self.publish_pc.on("datachannel", self._publish_channel)
        pc = self.publish_pc
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:
            raise BadRequest(f"The publish offer could not be used: {exc}") from None
        wanted = MIME[self.codec].lower()
        receivers: dict[str, Any] = {}
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video":
                # One codec per meeting: keep only it (and its RTX) so nothing is ever transcoded.
                offered = transceiver_codecs(transceiver)
                kept = [c for c in offered if c.mimeType.lower() == wanted]
                pts = {c.payloadType for c in kept if c.payloadType is not None}
                kept += [c for c in offered if _is_rtx_of(c, pts)]
                if not pts:
                    raise BadRequest(f"This meeting uses {MIME[self.codec]}; the offer does not include it.")
                set_transceiver_codecs(transceiver, kept)
            if transceiver.mid is not None and transceiver.direction != "inactive":
                receivers[transceiver.mid] = transceiver.receiver
        try:
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except Exception as exc:  # an offer aiortc took but cannot answer is still the offer's fault
            raise BadRequest(f"The publish offer could not be answered: {exc}") from None
        return pc.localDescription.sdp, receivers

    def _publish_channel(self, channel: RTCDataChannel) -> None:
        self.publish_channels.append(channel)
        for listener in self.channel_listeners:
            try:
                listener(self, channel)
            except Exception:
                log.exception("data channel listener failed")

    # --- subscribing -----------------------------------------------------------------------------

    def ensure_subscribe_pc(self) -> RTCPeerConnection:
        if self.subscribe_pc is None:
            self.subscribe_pc = new_peer_connection()
        return self.subscribe_pc

    def assign(self, wanted: list[PublishedTrack]) -> None:
        """Bind slots to exactly ``wanted`` (others' tracks), reusing free slots before adding."""
        pc = self.ensure_subscribe_pc()
        wanted_ids = {id(t) for t in wanted}
        for slot in self.slots:
            if slot.track is not None and id(slot.track) not in wanted_ids:
                slot.unbind()
            if slot.pending is not None and id(slot.pending) not in wanted_ids:
                slot.pending = None
        held = {id(s.track) for s in self.slots if s.track is not None} | {
            id(s.pending) for s in self.slots if s.pending is not None
        }
        for track in wanted:
            if id(track) in held:
                continue
            key = (track.participant_id, track.source)
            last = self._slot_of.get(key)
            free_slots = [s for s in self.slots if s.kind == track.kind and s.track is None and s.pending is None]
            free = last if last in free_slots else next(iter(free_slots), None)
            if free is not None:
                slot = free
            else:
                idle = IdleTrack(track.kind, f"{track.participant_id}-{track.source}")
                transceiver = pc.addTransceiver(idle, direction="sendonly")
                transceiver.setCodecPreferences(codec_preferences(track.kind, self.codec))
                slot = Slot(self.participant_id, track.kind, transceiver.sender, transceiver)
                slot.budget = self.egress_budget
                self.slots.append(slot)
                if not self.channels:
                    # After the first m-line: aiortc 1.16 with MAX_BUNDLE does not start ICE when
                    # the data channel's m-line comes first.
                    self.channels.append(pc.createDataChannel("parley"))
            slot.pending = track
            self._slot_of[key] = slot
            # Label the m-line's msid by publisher (aiortc shares one stream id per connection).
            senders.label(slot.sender, track.participant_id, f"{track.participant_id}-{track.source}")

    def track_infos(self) -> list[m.TrackInfo]:
        infos = []
        for slot in self.slots:
            track = slot.pending or slot.track
            if track is not None and slot.mid is not None:
                infos.append(
                    m.TrackInfo(mid=slot.mid, participant_id=track.participant_id, source=track.source, kind=track.kind)  # type: ignore[arg-type]
                )
        return infos

    async def negotiate(
        self, wanted: Callable[[], list[PublishedTrack]], send: Callable[[m.Event], None], answer_within: float
    ) -> None:
        """Offer until the slots match what this participant should receive. One run at a time."""
        while self.dirty and not self.closed:
            self.dirty = False
            tracks = wanted()
            if not tracks and not self.slots:
                return  # nothing to offer yet
            self.assign(tracks)
            pc = self.ensure_subscribe_pc()
            offer = await pc.createOffer()
            await pc.setLocalDescription(offer)
            if self.closed or self.subscribe_pc is not pc:
                return
            self.revision += 1
            self.pending_revision = self.revision
            self.answered = asyncio.get_running_loop().create_future()
            send(m.SubscribeOffer(sdp=pc.localDescription.sdp, revision=self.revision, tracks=self.track_infos()))
            try:
                await asyncio.wait_for(asyncio.shield(self.answered), answer_within)
            except TimeoutError:
                # A subscriber that does not answer is cut off; a new Subscribe starts over.
                log.warning("participant %s did not answer subscribe offer %d", self.participant_id, self.revision)
                await self.close_subscribe()
                return
            self.pending_revision = None
            for slot in self.slots:
                if slot.pending is not None:
                    slot.bind(slot.pending)
                    slot.pending = None
                    assert slot.track is not None
                    slot.track.keyframe_wanted = True
                    await slot.track.request_keyframe()

    async def apply_answer(self, sdp: str, revision: int) -> None:
        if self.subscribe_pc is None or self.pending_revision is None or revision != self.pending_revision:
            raise BadRequest("This subscribe answer does not answer the current offer.")
        try:
            await self.subscribe_pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:
            raise BadRequest(f"The subscribe answer could not be used: {exc}") from None
        if self.answered is not None and not self.answered.done():
            self.answered.set_result(None)

    # --- teardown --------------------------------------------------------------------------------

    async def close_publish(self) -> None:
        """Drop the publish connection (it died, or the client replaced it) and what it carried.
        Subscribers keep their slots: the client's next publish offer binds them again."""
        for track in self.published.values():
            track.close()
        self.published.clear()
        self.publish_channels.clear()
        pc, self.publish_pc = self.publish_pc, None
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()

    async def restart_subscribe(self) -> None:
        """Drop the subscribe connection and any negotiation on it (the client asked for a new
        one, or it died); a new `negotiate` starts on a new connection."""
        self.subscribed = False  # no new negotiation on the old connection meanwhile
        task = self.negotiation
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if self.answered is not None and not self.answered.done():
            self.answered.cancel()
        await self.close_subscribe()

    async def close_subscribe(self) -> None:
        self.subscribed = False
        self.pending_revision = None
        for slot in self.slots:
            slot.unbind()
            slot.pending = None
        self.slots.clear()
        self._slot_of.clear()
        self.channels.clear()  # a new subscribe connection gets a new one
        pc, self.subscribe_pc = self.subscribe_pc, None
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()

    async def close(self) -> None:
        self.closed = True
        if self.answered is not None and not self.answered.done():
            self.answered.cancel()
        if self.negotiation is not None and not self.negotiation.done():
            self.negotiation.cancel()
            with contextlib.suppress(BaseException):
                await self.negotiation
        for track in self.published.values():
            track.close()
        self.published.clear()
        for slot in self.slots:
            slot.unbind()
            slot.pending = None
        self.slots.clear()
        self.channels.clear()
        self.publish_channels.clear()
        for pc in (self.publish_pc, self.subscribe_pc):
            if pc is not None:
                with contextlib.suppress(Exception):
                    await pc.close()
        self.publish_pc = self.subscribe_pc = None
