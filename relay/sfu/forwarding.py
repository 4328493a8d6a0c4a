"""RTP-level forwarding: a published track's packets go to every subscriber slot bound to it.

Nothing is decoded or encoded. aiortc still negotiates, runs DTLS-SRTP and RTCP, but the relay
takes over two of its private hooks, through `shared.webrtc` (the one place that touches them):

- A publish transport's RTP goes to `PublishedTrack.forward` (`shared.webrtc.ingress`) with its
  raw bytes; packets never reach the jitter buffer or a decoder (and the receiver's own REMB
  estimator, which only sees its own SSRC, is never fed). The receiver's own RTP handler is
  replaced too (`PublishedTrack.on_rtp`), as a fallback without raw bytes.
- A subscribe sender's RTCP goes to `Slot.on_rtcp` first (`shared.webrtc.sender`), which answers
  NACKs from the slot's own history (as RTX when negotiated), forwards PLI/FIR upstream
  (rate-limited) and records the subscriber's REMB.

Each `Slot` owns its SSRC, payload types, header-extension ids and sequence/timestamp offsets, so
a slot can be rebound to another publisher and restarted on a keyframe without the subscriber's
decoder seeing a jump.

The hot path, per incoming packet: one header-extension id translation per distinct subscriber
extension map (in a copy of the raw bytes, same length), then per subscriber a bytearray copy with
payload type, sequence, timestamp and SSRC rewritten, SRTP protect and a synchronous UDP
``sendto`` (`shared.webrtc.egress.Egress`). No coroutine per send, no log line, no metrics update:
counts are kept in ints and flushed to Prometheus by `PublishedTrack.flush`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
    unwrap_rtx,
)

from relay.sfu import rtp
from relay.sfu.budgets import Ceiling, EgressBudget
from relay.sfu.speakers import SILENCE
from shared.webrtc import egress, extensions, ingress
from shared.webrtc import receiver as receivers
from shared.webrtc import sender as senders
from shared.webrtc.nack import NackRetrier

log = logging.getLogger("parley.relay.sfu")

HISTORY_SIZE = 512
# A slot restarted on another stream continues its timestamps this far ahead at least (1 frame).
MIN_TS_STEP = {"audio": 960, "video": 3000}
CLOCK_RATE = {"audio": 48000, "video": 90000}


class LogOnce:
    """One log line per (subject, problem): bad input is contained, not allowed to flood the log."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def warning(self, subject: str, problem: str, message: str, *args: object) -> None:
        if (subject, problem) in self._seen:
            return
        if len(self._seen) > 10000:
            self._seen.clear()
        self._seen.add((subject, problem))
        log.warning(message, *args)


log_once = LogOnce()


class IdleTrack(MediaStreamTrack):
    """The track behind a subscribe sender. It never yields a frame: the relay sends RTP itself,
    and aiortc's send loop waits here without polling."""

    def __init__(self, kind: str, track_id: str) -> None:
        super().__init__()
        self.kind = kind
        self._label = track_id
        self._stopped: Any = None

    @property
    def id(self) -> str:
        return self._label

    async def recv(self) -> Any:
        import asyncio

        if self._stopped is None:
            self._stopped = asyncio.get_running_loop().create_future()
        await self._stopped
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)


class Slot:
    """One sending m-line of a subscribe connection, bound to at most one published track."""

    def __init__(self, owner: str, kind: str, sender: RTCRtpSender, transceiver: RTCRtpTransceiver) -> None:
        self.owner = owner  # the subscribing participant
        self.kind = kind
        self.sender = sender
        self.transceiver = transceiver
        self.track: PublishedTrack | None = None
        self.pending: PublishedTrack | None = None  # bound in the next offer, live once answered
        self.ready = False
        self.payload_type = 0
        self.rtx_payload_type: int | None = None
        self.ssrc = 0
        self.rtx_ssrc = 0
        self.rtx_seq = random.randint(0, 0xFFFF)
        self.ext_map = HeaderExtensionsMap()
        self.ext_key: tuple[Any, ...] = ()
        self.ext_ids: dict[str, int | None] = {}
        self.egress = egress.Egress(sender)
        self.need_keyframe = True
        self.seq_offset = 0
        self.ts_offset = 0
        self.last_seq = random.randint(0, 0xFFFF)
        self.last_ts = random.randint(0, 0xFFFFFFFF)
        self.last_time = 0.0
        self.history: list[bytearray | None] = [None] * HISTORY_SIZE
        self.remb_bps: int | None = None
        self.remb_at = 0.0  # monotonic time of the subscriber's last REMB
        self.sent_packets = 0
        self.retransmitted = 0
        self.budget: EgressBudget | None = None  # the subscriber's, shared by its slots
        self._hook()

    @property
    def mid(self) -> str | None:
        return self.transceiver.mid

    def _hook(self) -> None:
        # Subscriber PLI/FIR never reaches an encoder here; any keyframe request goes upstream.
        senders.hook_subscribe_sender(
            self.sender, configure=self.configure, on_rtcp=self.on_rtcp, keyframe_requested=self.request_keyframe_soon
        )

    def configure(self, parameters: RTCRtpSendParameters) -> None:
        """Take the negotiated payload types and header-extension ids of this m-line."""
        codec = parameters.codecs[0]
        self.payload_type = codec.payloadType or 0
        self.rtx_payload_type = None
        for candidate in parameters.codecs:
            if candidate.mimeType.lower().endswith("/rtx") and candidate.parameters.get("apt") == codec.payloadType:
                self.rtx_payload_type = candidate.payloadType
        self.ext_map = HeaderExtensionsMap()
        self.ext_map.configure(parameters)
        self.ext_key = tuple(sorted((h.uri, h.id) for h in parameters.headerExtensions))
        ids = extensions.extension_ids(self.ext_map)
        self.ext_ids = {name: getattr(ids, name) for name in extensions.EXTENSION_FIELDS}
        self.ssrc, self.rtx_ssrc = senders.ssrcs(self.sender)
        self.ready = True

    # --- binding ---------------------------------------------------------------------------------

    def bind(self, track: PublishedTrack) -> None:
        self.unbind()
        self.track = track
        self.need_keyframe = True
        track.slots.append(self)

    def unbind(self) -> None:
        if self.track is not None:
            if self in self.track.slots:
                self.track.slots.remove(self)
            self.track = None
        self.history = [None] * HISTORY_SIZE

    def request_keyframe_soon(self) -> None:
        if self.track is not None:
            self.track.keyframe_wanted = True

    # --- packets ---------------------------------------------------------------------------------

    def restart(self, packet: RtpPacket, now: float) -> None:
        """Continue this slot's sequence and timestamps from ``packet`` on (after a keyframe)."""
        self.seq_offset = (self.last_seq + 1 - packet.sequence_number) & 0xFFFF
        elapsed = int((now - self.last_time) * CLOCK_RATE[self.kind]) if self.last_time else 0
        step = max(MIN_TS_STEP[self.kind], min(elapsed, 0x7FFFFFFF))
        self.ts_offset = (self.last_ts + step - packet.timestamp) & 0xFFFFFFFF
        self.need_keyframe = False

    async def on_rtcp(self, packet: Any) -> bool:
        """Handle the subscriber's feedback. True when handled (aiortc's sender never sees it)."""
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            for seq in packet.lost[:64]:
                self.retransmit(seq)
            return True
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
            if self.track is not None:
                await self.track.request_keyframe()
            return True
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return True
            if self.ssrc in ssrcs:
                self.remb_bps = bitrate
                self.remb_at = time.monotonic()
            return True
        return False

    def retransmit(self, seq: int) -> bool:
        """Resend packet ``seq`` from this slot's history (as RTX when negotiated)."""
        data = self.history[seq % HISTORY_SIZE]
        if data is None or ((data[2] << 8) | data[3]) != seq:
            return False
        out: bytes | bytearray = data
        if self.rtx_payload_type is not None:
            out = rtp.wrap_rtx(data, self.rtx_payload_type, self.rtx_seq, self.rtx_ssrc)
            self.rtx_seq = (self.rtx_seq + 1) & 0xFFFF
        if self.egress.send(out):
            self.retransmitted += 1
            return True
        return False


class PublishedTrack:
    """One published source (mic, camera or screen) of a participant, and where it goes."""

    def __init__(
        self,
        participant_id: str,
        source: str,
        kind: str,
        receiver: RTCRtpReceiver,
        *,
        codec: str,
        pli_interval: float,
        count: Callable[[str, int, int], None] = lambda kind, packets, size: None,
        ceiling: Ceiling | None = None,
        on_cut_off: Callable[[PublishedTrack], None] = lambda track: None,
        dropped: Callable[[str, int], None] = lambda reason, packets: None,
        on_level: Callable[[int | None, float], None] | None = None,
    ) -> None:
        self.participant_id = participant_id
        self.source = source
        self.kind = kind
        self.receiver = receiver
        self.codec = codec
        self.pli_interval = pli_interval
        self.count = count  # (kind, packets, bytes), called by `flush`, not per packet
        self.ceiling = ceiling  # relay/sfu/budgets.py: enforced, not only advised with REMB
        self.on_cut_off = on_cut_off  # called once when the ceiling cuts this stream off
        self.dropped = dropped  # (reason, packets), called by `flush`
        # (RFC 6464 level or None, monotonic time) per audio packet: relay/sfu/speakers.py
        self.on_level = on_level
        self.egress_dropped = 0  # packets not sent to a subscriber over its egress budget
        self._flushed_drops = {"ceiling": 0, "egress": 0}
        self.slots: list[Slot] = []
        self.muted = False
        self.closed = False
        self.media_ssrc: int | None = None
        self.keyframe_wanted = False
        self.keyframes = 0
        self.plis_sent = 0
        self.plis_since_keyframe = 0
        self.last_pli = 0.0
        self.received_packets = 0
        self.dropped_packets = 0
        self.forwarded_packets = 0
        self.forwarded_bytes = 0
        self._flushed_packets = 0
        self._flushed_bytes = 0
        self._tables: dict[tuple[Any, ...], bytes] = {}
        # aiortc's own live tables of the receiver, bound once: read per packet at no extra cost.
        self._rtx_ssrc: dict[int, int] = receivers.rtx_ssrcs(receiver)
        self._codecs: dict[int, Any] = receivers.codecs(receiver)
        self._nack = receivers.nack_generator(receiver)
        self._retry = NackRetrier(self._nack or NackGenerator())
        self._send_nack = receivers.nack_sender(receiver)
        self._streams: dict[int, Any] = receivers.remote_streams(receiver)
        receivers.disable_remb_estimator(receiver)
        receivers.set_rtp_handler(receiver, self.on_rtp)
        dtls = receiver.transport
        ingress.hook_ingress(dtls)
        receivers.route_rtx(receiver)
        ingress.set_forward(receiver, self.forward)
        self._pub_ids = extensions.transport_extension_ids(dtls)

    @property
    def label(self) -> str:
        return f"{self.participant_id}/{self.source}"

    def rtcp_ssrc(self) -> int | None:
        return receivers.rtcp_ssrc(self.receiver)

    async def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (PLI), at most once per ``pli_interval``."""
        if self.kind != "video" or self.closed:
            return
        now = time.monotonic()
        if self.media_ssrc is None or now - self.last_pli < self.pli_interval:
            self.keyframe_wanted = True
            return
        self.keyframe_wanted = False
        self.last_pli = now
        self.plis_sent += 1
        self.plis_since_keyframe += 1
        if self.plis_since_keyframe == 10:
            log_once.warning(self.label, "no-keyframe", "publisher %s sent no keyframe after 10 requests", self.label)
        try:
            await receivers.send_pli(self.receiver, self.media_ssrc)
        except Exception:  # a closing transport
            pass

    def remb_packet(self, bitrate: int) -> RtcpPsfbPacket | None:
        ssrc = self.rtcp_ssrc()
        if ssrc is None or self.media_ssrc is None:
            return None
        return RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=ssrc, media_ssrc=0, fci=pack_remb_fci(bitrate, [self.media_ssrc]))

    def flush(self) -> None:
        """Hand the packets and bytes forwarded since the last flush to the metrics."""
        packets = self.forwarded_packets - self._flushed_packets
        if packets:
            size = self.forwarded_bytes - self._flushed_bytes
            self._flushed_packets, self._flushed_bytes = self.forwarded_packets, self.forwarded_bytes
            self.count(self.kind, packets, size)
        drops = {"ceiling": self.ceiling.dropped if self.ceiling else 0, "egress": self.egress_dropped}
        for reason, total in drops.items():
            if total > self._flushed_drops[reason]:
                self.dropped(reason, total - self._flushed_drops[reason])
                self._flushed_drops[reason] = total

    async def on_rtp(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """A decrypted packet without its raw bytes (fallback path): forward by re-serializing."""
        await self.forward(packet, None)

    async def forward(self, packet: RtpPacket, raw: bytes | None) -> None:
        """A decrypted packet from the publisher: forward it to every bound, ready slot."""
        if self.closed:
            return
        try:
            await self._forward(packet, raw)
        except Exception as exc:  # garbage that got through SRTP must not stop the track
            self.dropped_packets += 1
            log_once.warning(self.label, "bad-rtp", "dropping bad RTP from %s: %r", self.label, exc)

    async def _forward(self, packet: RtpPacket, raw: bytes | None) -> None:
        self.received_packets += 1
        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            self.dropped_packets += 1
            log_once.warning(self.label, "bad-pt", "dropping RTP with unknown payload type from %s", self.label)
            return
        stream = self._streams.get(packet.ssrc)
        if stream is None:
            if len(self._streams) > 8:
                return
            from aiortc.rtcrtpreceiver import StreamStatistics

            stream = self._streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stream.add(packet)
        if codec.mimeType.lower().endswith("/rtx"):
            original = self._rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original is None or len(packet.payload) < 2 or apt not in self._codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original)
            raw = None  # re-serialized below
        elif self.media_ssrc != packet.ssrc:
            self.media_ssrc = packet.ssrc
        nack = self._nack
        if nack is not None:
            if nack.add(packet):
                await self._send_nack(packet.ssrc, sorted(nack.missing)[:64])
            if nack.missing or self._retry.first_missed:  # asked again, given up in time (nack.py)
                again, lost = self._retry.due(time.monotonic())
                if again:
                    await self._send_nack(packet.ssrc, again)
                if lost:
                    await self.request_keyframe()
        now = time.monotonic()
        if self.on_level is not None:  # muted: ranked as silence (and not forwarded below)
            level = packet.extensions.audio_level
            self.on_level(SILENCE if self.muted else (level[1] if level is not None else None), now)
        if self.muted or not packet.payload:
            return
        if self.ceiling is not None and not self.ceiling.allows(len(packet.payload) + 12, now):
            await self._over_ceiling(now)
            return
        video = self.kind == "video"
        keyframe = video and rtp.is_keyframe_start(self.codec, packet.payload)
        if keyframe:
            self.keyframes += 1
            self.plis_since_keyframe = 0
        elif self.keyframe_wanted:
            await self.request_keyframe()
        slots = self.slots
        if not slots:
            return
        bases: dict[tuple[Any, ...], bytes] = {}
        pub_key = extensions.ids_key(self._pub_ids) if raw is not None else ()
        pack_header = rtp.HEADER.pack_into
        marker = 0x80 if packet.marker else 0
        in_seq, in_ts = packet.sequence_number, packet.timestamp
        sent = 0
        waiting = False
        for slot in slots:
            if not slot.ready:
                continue
            if slot.need_keyframe:
                if video and not keyframe:
                    waiting = True
                    continue
                slot.restart(packet, now)
            base = bases.get(slot.ext_key)
            if base is None:
                base = bases[slot.ext_key] = self._base(packet, raw, pub_key, slot)
            budget = slot.budget
            if budget is not None and not budget.spend(len(base), now, must=not video):
                slot.need_keyframe = True  # what it missed cannot be decoded: restart at a keyframe
                self.egress_dropped += 1
                waiting = True
                continue
            # rtp.rewrite, inlined: a copy with this slot's payload type, sequence, timestamp, SSRC
            seq = (in_seq + slot.seq_offset) & 0xFFFF
            ts = (in_ts + slot.ts_offset) & 0xFFFFFFFF
            data = bytearray(base)
            data[1] = marker | slot.payload_type
            pack_header(data, 2, seq, ts, slot.ssrc)
            slot.last_seq = seq
            slot.last_ts = ts
            slot.last_time = now
            if video:
                slot.history[seq % HISTORY_SIZE] = data
            if slot.egress.send(data):
                slot.sent_packets += 1
                sent += 1
        if waiting:
            await self.request_keyframe()
        if sent:
            self.forwarded_packets += sent
            self.forwarded_bytes += sent * len(packet.payload)

    async def _over_ceiling(self, now: float) -> None:
        """A packet over the ceiling was dropped: subscribers restart at a keyframe, one is asked
        for; after ``cutoff_seconds`` of this the stream is cut off (once)."""
        assert self.ceiling is not None
        if self.ceiling.exhausted(now):
            self.on_cut_off(self)
            return
        if self.kind == "video":
            for slot in self.slots:
                slot.need_keyframe = True
            await self.request_keyframe()

    def _base(self, packet: RtpPacket, raw: bytes | None, pub_key: tuple[Any, ...], slot: Slot) -> bytes:
        """The packet as ``slot``'s connection expects its header extensions (ids translated,
        the mid dropped), before the per-slot header fields are written."""
        if raw is not None:
            key = (pub_key, slot.ext_key)
            table = self._tables.get(key)
            if table is None:
                if len(self._tables) > 64:
                    self._tables.clear()
                publisher = dict(zip(extensions.EXTENSION_FIELDS, pub_key, strict=True))
                table = self._tables[key] = rtp.extension_table(publisher, slot.ext_ids)
            mapped = rtp.map_extensions(raw, table)
            if mapped is not None:
                return mapped
        packet.extensions.mid = None  # subscribers route by SSRC; mids differ per connection
        return packet.serialize(slot.ext_map)

    def close(self) -> None:
        self.closed = True
        self.flush()
        for slot in list(self.slots):
            slot.unbind()
        ingress.set_forward(self.receiver, None)
