"""File transfer on the relay: offers and answers on the websocket, chunks on the data channels.

Each participant's publish connection carries the "parley" data channel; the relay uses it in both
directions. A chunk frame is ``type(1) | transfer id (16) | index (u32) | sealed chunk``; the sealed
part is AES-GCM ciphertext the relay cannot open. The relay only checks that the frame belongs to
a transfer this participant offered, forwards it to each recipient who accepted and expects that
index next (so a recipient that resumes after a reconnect gets exactly what it is missing), and
keeps nothing: frames live in memory until they are handed to the recipients' SCTP queues.

File traffic is paced so it cannot starve media on the relay's event loop: frames wait in a queue
drained by one task that forwards at most ``bytes_per_loop_turn`` before yielding the loop and at
most ``relay_bytes_per_second`` overall; each sender is also held to ``bytes_per_minute_per_user``.
Senders keep at most a window of unacknowledged chunks in flight, so these queues stay small.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import RTCDataChannel
from prometheus_client import Counter, Gauge

from relay.config import FilesConfig
from relay.meetings import LiveMeeting, Meetings, Participant
from relay.ops.metrics import RelayMetrics
from relay.peer import Peer, deliver
from relay.ratelimit import TokenBucket
from relay.sfu.peers import MediaParticipant
from shared.e2e import FRAME_CHUNK
from shared.e2e import FRAME_HEADER as HEADER
from shared.errors import BadRequest, Conflict, Forbidden, LimitExceeded, NotFound
from shared.protocol import messages as m
from shared.webrtc.sctp import tune_for_files

log = logging.getLogger("parley.relay.files")

CHANNEL_LABEL = "parley"
MIN_CHUNK, MAX_CHUNK = 1024, 256 * 1024
# Frames of one transfer the relay holds before it decides the sender ignores flow control.
MAX_QUEUED_BYTES_PER_TRANSFER = 32 * 1024 * 1024
# Bytes waiting in a recipient's SCTP queue before the relay gives up on that recipient.
MAX_RECIPIENT_BUFFER = 32 * 1024 * 1024
MAX_MANIFEST = 8192
MAX_HELD_EVENTS = 256  # per sender, while its connection is down

Key = tuple[str, str]  # (meeting id, participant id)


def transfer_bytes(transfer_id: str) -> bytes:
    """The 16 raw bytes of a transfer id (32 lowercase hex characters)."""
    if len(transfer_id) != 32:
        raise BadRequest("A transfer id is 32 hexadecimal characters.")
    try:
        return binascii.unhexlify(transfer_id)
    except (binascii.Error, ValueError):
        raise BadRequest("A transfer id is 32 hexadecimal characters.") from None


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n} bytes"


@dataclass
class Recipient:
    participant_id: str
    accepted: bool | None = None
    next: int = 0  # next chunk index the relay forwards to them
    acked: int = 0
    done: bool = False
    paused: bool = False  # their channel changed; wait for files.resume


@dataclass
class Transfer:
    transfer_id: str
    raw_id: bytes
    meeting_id: str
    sender_id: str
    sender_user_id: str
    size: int
    chunks: int
    recipients: dict[str, Recipient]
    queued: int = 0
    # Offered again after a restart (files.reoffer): users who may still take it back.
    claimable: set[str] = field(default_factory=set)

    def active(self) -> list[Recipient]:
        return [r for r in self.recipients.values() if not r.done]


@dataclass
class _Outgoing:
    queue: collections.deque[tuple[Transfer, int, bytes]] = field(default_factory=collections.deque)


class FileRelay:
    """Transfers, keys and data channels of every meeting on this relay."""

    def __init__(self, meetings: Meetings, config: FilesConfig, metrics: RelayMetrics) -> None:
        self.meetings = meetings
        self.config = config
        self.keys: dict[Key, str] = {}
        self.channels: dict[Key, RTCDataChannel] = {}
        self.transfers: dict[bytes, Transfer] = {}
        self.by_id: dict[str, Transfer] = {}
        self._user_buckets: dict[str, TokenBucket] = {}
        self._held: dict[Key, list[m.Event]] = {}  # for senders whose connection dropped
        self._outgoing: dict[str, _Outgoing] = {}  # sender user id -> frames to forward
        self._wake = asyncio.Event()
        self._pacer: asyncio.Task[None] | None = None
        now = time.monotonic()
        self._relay_bucket = TokenBucket(self.config.relay_bytes_per_second, self.config.relay_bytes_per_second, now)
        # Tests hang observers here to see every frame the relay forwards (never used to store).
        self.forward_observers: list[Callable[[bytes], None]] = []
        registry = metrics.registry
        self.forwarded_bytes = Counter("parley_file_forwarded_bytes", "File bytes forwarded", registry=registry)
        self.dropped_frames = Counter(
            "parley_file_dropped_frames", "Data channel frames refused or not needed", ["reason"], registry=registry
        )
        self.yields = Counter("parley_file_loop_yields", "Times file forwarding yielded the loop", registry=registry)
        Gauge("parley_file_transfers", "File transfers in progress", registry=registry).set_function(
            lambda: len(self.transfers)
        )
        Gauge("parley_file_queued_bytes", "File bytes waiting to be forwarded", registry=registry).set_function(
            lambda: sum(t.queued for t in self.transfers.values())
        )

    # --- data channels -----------------------------------------------------------------------

    def channel_opened(self, participant: MediaParticipant, channel: RTCDataChannel) -> None:
        """A participant's publish connection brought its data channel (hook from MediaRelay)."""
        if getattr(channel, "label", "") != CHANNEL_LABEL:
            return
        key: Key = (participant.meeting_id, participant.participant_id)
        self.channels[key] = channel
        self._deliver_held(key)
        transport = getattr(channel, "transport", None)
        if transport is not None:
            tune_for_files(transport)  # the relay receives every file from senders on it
        for transfer in self.transfers.values():
            if (transfer.meeting_id, transfer.sender_id) == key:
                # The sender is back on a new connection and may have missed acknowledgements
                # while it was away: tell it where each recipient stands, so it sends from there.
                for waiting in transfer.active():
                    if waiting.accepted:
                        self._to_sender(
                            transfer,
                            m.FileAcked(
                                transfer_id=transfer.transfer_id,
                                participant_id=waiting.participant_id,
                                received=waiting.acked,
                                resume=True,
                            ),
                        )
            r = transfer.recipients.get(key[1])
            if transfer.meeting_id == key[0] and r is not None and r.accepted and not r.done and r.next > 0:
                # A new connection (the old one may be closed already): what was forwarded on the
                # old one may be lost, so nothing flows until they say where to resume.
                r.paused = True

        def on_message(data: object) -> None:
            self._received(key, channel, data)

        def on_close() -> None:
            if self.channels.get(key) is channel:
                del self.channels[key]

        channel.on("message", on_message)
        channel.on("close", on_close)

    def _received(self, key: Key, channel: RTCDataChannel, data: object) -> None:
        if self.channels.get(key) is not channel:
            self.dropped_frames.labels("stale_channel").inc()
            return
        if not isinstance(data, bytes) or len(data) <= HEADER.size:
            self.dropped_frames.labels("malformed").inc()
            return
        kind, raw_id, index = HEADER.unpack_from(data)
        transfer = self.transfers.get(raw_id)
        if kind != FRAME_CHUNK or transfer is None:
            self.dropped_frames.labels("unknown_transfer").inc()
            return
        if (transfer.meeting_id, transfer.sender_id) != key or index >= transfer.chunks:
            self.dropped_frames.labels("not_sender").inc()
            return
        if transfer.queued + len(data) > MAX_QUEUED_BYTES_PER_TRANSFER:
            self.dropped_frames.labels("overflow").inc()
            self._end(transfer, "The sender sent faster than the server allows; the transfer stopped.")
            return
        transfer.queued += len(data)
        outgoing = self._outgoing.setdefault(transfer.sender_user_id, _Outgoing())
        outgoing.queue.append((transfer, index, data))
        self._wake.set()
        if self._pacer is None or self._pacer.done():
            self._pacer = asyncio.get_running_loop().create_task(self._pace())

    async def _pace(self) -> None:
        """Forward queued frames round-robin by sender, within the per-user and relay budgets."""
        turn = 0
        while True:
            if not any(o.queue for o in self._outgoing.values()):
                self._wake.clear()
                await self._wake.wait()
                continue
            now = time.monotonic()
            wait = 1.0
            progressed = False
            for user_id, outgoing in list(self._outgoing.items()):
                if not outgoing.queue:
                    del self._outgoing[user_id]
                    continue
                transfer, index, data = outgoing.queue[0]
                if transfer.raw_id not in self.transfers:
                    outgoing.queue.popleft()
                    progressed = True
                    continue
                bucket = self._user_bucket(user_id, now)
                if not bucket.take(now, len(data)):
                    wait = min(wait, bucket.retry_after(len(data)))
                    continue
                if not self._relay_bucket.take(now, len(data)):
                    bucket.tokens += len(data)  # not spent after all
                    wait = min(wait, self._relay_bucket.retry_after(len(data)))
                    continue
                outgoing.queue.popleft()
                transfer.queued -= len(data)
                self._forward(transfer, index, data)
                progressed = True
                turn += len(data)
                if turn >= self.config.bytes_per_loop_turn:
                    # Let media (RTP forwarding, RTCP) have the loop before the next batch.
                    turn = 0
                    self.yields.inc()
                    await asyncio.sleep(0)
            if not progressed:
                await asyncio.sleep(max(wait, 0.001))

    def _user_bucket(self, user_id: str, now: float) -> TokenBucket:
        bucket = self._user_buckets.get(user_id)
        if bucket is None:
            per_minute = self.config.bytes_per_minute_per_user
            bucket = self._user_buckets[user_id] = TokenBucket(per_minute / 60.0, per_minute, now)
        return bucket

    def _forward(self, transfer: Transfer, index: int, data: bytes) -> None:
        for r in transfer.active():
            if not r.accepted or r.paused or index != r.next:
                continue
            channel = self.channels.get((transfer.meeting_id, r.participant_id))
            if channel is None or channel.readyState != "open":
                continue
            if channel.bufferedAmount > MAX_RECIPIENT_BUFFER:
                self._drop_recipient(transfer, r, "The recipient's connection could not keep up.")
                continue
            try:
                channel.send(data)
            except Exception:
                continue
            r.next += 1
            self.forwarded_bytes.inc(len(data))
            for observe in self.forward_observers:
                observe(data)

    # --- requests ----------------------------------------------------------------------------

    def _seat(self, peer: Peer) -> tuple[LiveMeeting, Participant]:
        return self.meetings.seat_of(peer, "Join a meeting before sending or receiving files.")

    async def on_publish_key(self, peer: Peer, req: m.PublishFileKey) -> m.Reply:
        meeting, me = self._seat(peer)
        try:
            raw = base64.b64decode(req.public_key, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise BadRequest("The public key must be 32 bytes of X25519, in base64.")
        self.keys[(meeting.meeting_id, me.participant_id)] = req.public_key
        event = m.FileKeyPublished(
            meeting_id=meeting.meeting_id, participant_id=me.participant_id, public_key=req.public_key
        )
        deliver([(p.peer, event) for p in meeting.others(me.participant_id)])
        keys = {
            pid: self.keys[(meeting.meeting_id, pid)]
            for pid in meeting.participants
            if pid != me.participant_id and (meeting.meeting_id, pid) in self.keys
        }
        return m.FileKeys(id=req.id, keys=keys)

    async def on_offer(self, peer: Peer, req: m.OfferFile) -> m.Reply:
        meeting, me = self._seat(peer)
        self._check_offer(me, req)
        if len(req.manifest) > MAX_MANIFEST or len(req.sender_key) > 64:
            raise BadRequest("The offer's manifest or key is too large.")
        if req.to:
            targets = []
            for pid in dict.fromkeys(req.to):
                target = meeting.participants.get(pid)
                if target is None or pid == me.participant_id:
                    raise NotFound("A recipient of this file is not in the meeting.")
                targets.append(target)
        else:
            targets = meeting.others(me.participant_id)
        if not targets:
            raise NotFound("Nobody else is in the meeting to receive the file.")
        for target in targets:
            if target.participant_id not in req.wrapped_keys:
                raise BadRequest(f"The offer has no key for {target.display_name}.")
        self._add(meeting, me, req, recipients={t.participant_id: Recipient(t.participant_id) for t in targets})
        log.info("file transfer %s offered to %d participants", req.transfer_id, len(targets))
        deliver(
            [
                (
                    t.peer,
                    m.FileOffered(
                        meeting_id=meeting.meeting_id,
                        transfer_id=req.transfer_id,
                        from_participant_id=me.participant_id,
                        from_name=me.display_name,
                        size=req.size,
                        chunk_size=req.chunk_size,
                        chunks=req.chunks,
                        manifest=req.manifest,
                        sender_key=req.sender_key,
                        wrapped_key=req.wrapped_keys[t.participant_id],
                    ),
                )
                for t in targets
            ]
        )
        return m.Ok(id=req.id)

    def _check_offer(self, me: Participant, req: m.OfferFile | m.ReofferFile) -> None:
        """What every offer (and offer again) must meet: a new id, the size and the limits."""
        if transfer_bytes(req.transfer_id) in self.transfers:
            raise Conflict("A transfer with this id is already in progress.")
        size, chunk_size, chunks = req.size, req.chunk_size, req.chunks
        cfg = self.config
        if size <= 0:
            raise BadRequest("The file is empty; there is nothing to send.")
        if size > cfg.max_file_bytes:
            raise LimitExceeded(
                "max_file_bytes",
                cfg.max_file_bytes,
                f"This file is {_size(size)}; this server accepts files up to {_size(cfg.max_file_bytes)}.",
            )
        if not MIN_CHUNK <= chunk_size <= MAX_CHUNK or chunks != -(-size // chunk_size):
            raise BadRequest("The offer's chunk size or chunk count does not match the file size.")
        mine = [t for t in self.transfers.values() if t.sender_user_id == me.user_id]
        if len(mine) >= cfg.transfers_per_user:
            raise LimitExceeded(
                "transfers_per_user",
                cfg.transfers_per_user,
                f"You can send at most {cfg.transfers_per_user} files at once; wait for one to finish.",
            )
        bucket = self._user_bucket(me.user_id, time.monotonic())
        bucket.take(time.monotonic(), 0)  # refill to now
        if bucket.tokens < min(chunk_size, cfg.bytes_per_minute_per_user):
            raise LimitExceeded(
                "bytes_per_minute_per_user",
                cfg.bytes_per_minute_per_user,
                f"You have sent {_size(cfg.bytes_per_minute_per_user)} in the last minute, the most this "
                f"server allows; try again in {max(1, round(bucket.retry_after(chunk_size)))} seconds.",
            )

    def _add(
        self,
        meeting: LiveMeeting,
        me: Participant,
        req: m.OfferFile | m.ReofferFile,
        *,
        recipients: dict[str, Recipient],
        claimable: set[str] | None = None,
    ) -> Transfer:
        transfer = Transfer(
            transfer_id=req.transfer_id,
            raw_id=transfer_bytes(req.transfer_id),
            meeting_id=meeting.meeting_id,
            sender_id=me.participant_id,
            sender_user_id=me.user_id,
            size=req.size,
            chunks=req.chunks,
            recipients=recipients,
            claimable=claimable or set(),
        )
        self.transfers[transfer.raw_id] = transfer
        self.by_id[transfer.transfer_id] = transfer
        return transfer

    async def on_reoffer(self, peer: Peer, req: m.ReofferFile) -> m.Reply:
        """The relay restarted under an unfinished transfer: its sender (on a new seat) offers it
        again to the users who were receiving it, who take it back with files.resume."""
        meeting, me = self._seat(peer)
        self._check_offer(me, req)
        users = {u for u in req.to_users[:64] if isinstance(u, str) and u and u != me.user_id}
        if not users:
            raise BadRequest("Say who was receiving the file.")
        self._add(meeting, me, req, recipients={}, claimable=users)
        log.info("file transfer %s offered again to %d users", req.transfer_id, len(users))
        event = m.FileReoffered(
            meeting_id=meeting.meeting_id,
            transfer_id=req.transfer_id,
            from_participant_id=me.participant_id,
            from_name=me.display_name,
        )
        deliver([(p.peer, event) for p in meeting.others(me.participant_id) if p.user_id in users])
        return m.Ok(id=req.id)

    def _recipient(self, peer: Peer, transfer_id: str, *, claim: bool = False) -> tuple[Transfer, Recipient]:
        _, me = self._seat(peer)
        transfer = self.by_id.get(transfer_id)
        if transfer is None or transfer.meeting_id != peer.meeting_id:
            raise NotFound("This file transfer is no longer in progress.")
        r = transfer.recipients.get(me.participant_id)
        if r is None and claim and me.user_id in transfer.claimable:
            # Offered again after a restart: this seat takes back what its user was receiving.
            transfer.claimable.discard(me.user_id)
            r = transfer.recipients[me.participant_id] = Recipient(me.participant_id, accepted=True)
        if r is None:
            raise Forbidden("This file was not offered to you.")
        if r.done:
            raise NotFound("This file transfer is no longer in progress.")
        return transfer, r

    def _to_sender(self, transfer: Transfer, event: m.Event) -> None:
        meeting = self.meetings.live.get(transfer.meeting_id)
        sender = meeting.participants.get(transfer.sender_id) if meeting is not None else None
        if sender is None:
            return
        final = isinstance(event, m.FileCancelled) or (isinstance(event, m.FileAcked) and event.complete)
        if sender.peer is None or final:
            # Its connection may have dropped (the relay may not have noticed yet): keep what it
            # must hear until it is back on a new data channel (channel_opened), where a repeat
            # of an outcome it already knows is ignored.
            held = self._held.setdefault((transfer.meeting_id, transfer.sender_id), [])
            held.append(event)
            del held[:-MAX_HELD_EVENTS]
        if sender.peer is not None:
            sender.peer.send_event(event)

    def _deliver_held(self, key: Key) -> None:
        held = self._held.pop(key, [])
        meeting = self.meetings.live.get(key[0])
        seat = meeting.participants.get(key[1]) if meeting is not None else None
        if seat is None or seat.peer is None:
            return
        for event in held:
            seat.peer.send_event(event)

    async def on_answer(self, peer: Peer, req: m.AnswerFile) -> m.Reply:
        transfer, r = self._recipient(peer, req.transfer_id)
        if r.accepted is not None:
            raise Conflict("You already answered this offer.")
        r.accepted = req.accept
        if not req.accept:
            r.done = True
        self._to_sender(
            transfer,
            m.FileAnswered(
                transfer_id=transfer.transfer_id,
                participant_id=r.participant_id,
                accepted=req.accept,
                reason=req.reason[:300],
            ),
        )
        self._finish_if_done(transfer)
        return m.Ok(id=req.id)

    async def on_ack(self, peer: Peer, req: m.AckFile) -> m.Reply:
        transfer, r = self._recipient(peer, req.transfer_id)
        if not r.accepted or not r.acked <= req.received <= r.next:
            raise BadRequest("This acknowledgement does not match what was forwarded.")
        if req.complete and req.received != transfer.chunks:
            raise BadRequest("A transfer is complete only when every chunk arrived.")
        r.acked = req.received
        r.done = req.complete
        self._to_sender(
            transfer,
            m.FileAcked(
                transfer_id=transfer.transfer_id,
                participant_id=r.participant_id,
                received=req.received,
                complete=req.complete,
            ),
        )
        self._finish_if_done(transfer)
        return m.Ok(id=req.id)

    async def on_resume(self, peer: Peer, req: m.ResumeFile) -> m.Reply:
        transfer, r = self._recipient(peer, req.transfer_id, claim=True)
        if not r.accepted or not 0 <= req.received <= transfer.chunks:
            raise BadRequest("There is nothing to resume at that position.")
        # All of it: the whole file arrived and was verified; the acknowledgement was lost.
        complete = req.received == transfer.chunks
        r.next = r.acked = req.received
        r.paused, r.done = False, complete
        self._to_sender(
            transfer,
            m.FileAcked(
                transfer_id=transfer.transfer_id,
                participant_id=r.participant_id,
                received=req.received,
                complete=complete,
                resume=True,
            ),
        )
        if complete:
            self._finish_if_done(transfer)
        return m.Ok(id=req.id)

    async def on_cancel(self, peer: Peer, req: m.CancelFile) -> m.Reply:
        _, me = self._seat(peer)
        transfer = self.by_id.get(req.transfer_id)
        if transfer is None or transfer.meeting_id != peer.meeting_id:
            raise NotFound("This file transfer is no longer in progress.")
        reason = req.reason[:300]
        if transfer.sender_id == me.participant_id:
            self._end(transfer, reason or f"{me.display_name} cancelled the transfer.")
        else:
            _, r = self._recipient(peer, req.transfer_id)
            self._drop_recipient(transfer, r, reason or f"{me.display_name} cancelled the transfer.")
        return m.Ok(id=req.id)

    # --- ending --------------------------------------------------------------------------------

    def _drop_recipient(self, transfer: Transfer, r: Recipient, reason: str) -> None:
        r.done = True
        self._to_sender(
            transfer, m.FileCancelled(transfer_id=transfer.transfer_id, participant_id=r.participant_id, reason=reason)
        )
        meeting = self.meetings.live.get(transfer.meeting_id)
        seat = meeting.participants.get(r.participant_id) if meeting is not None else None
        if seat is not None and seat.peer is not None:
            seat.peer.send_event(
                m.FileCancelled(transfer_id=transfer.transfer_id, participant_id=r.participant_id, reason=reason)
            )
        self._finish_if_done(transfer)

    def _end(self, transfer: Transfer, reason: str) -> None:
        """Stop a transfer for everyone still in it."""
        self._forget(transfer)
        event = m.FileCancelled(transfer_id=transfer.transfer_id, participant_id=transfer.sender_id, reason=reason)
        meeting = self.meetings.live.get(transfer.meeting_id)
        if meeting is None:
            return
        pids = [r.participant_id for r in transfer.active()] + [transfer.sender_id]
        deliver([(meeting.participants[p].peer, event) for p in pids if p in meeting.participants])

    def _finish_if_done(self, transfer: Transfer) -> None:
        if not transfer.active() and not transfer.claimable:
            self._forget(transfer)

    def _forget(self, transfer: Transfer) -> None:
        self.transfers.pop(transfer.raw_id, None)
        self.by_id.pop(transfer.transfer_id, None)

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        """Someone left (or their reconnect grace ran out): their transfers stop."""
        self.keys.pop((meeting_id, participant_id), None)
        self.channels.pop((meeting_id, participant_id), None)
        self._held.pop((meeting_id, participant_id), None)
        for transfer in list(self.transfers.values()):
            if transfer.meeting_id != meeting_id:
                continue
            if transfer.sender_id == participant_id:
                self._end(transfer, "The sender left the meeting; the transfer stopped.")
            elif participant_id in transfer.recipients and not transfer.recipients[participant_id].done:
                r = transfer.recipients[participant_id]
                r.done = True
                self._to_sender(
                    transfer,
                    m.FileCancelled(
                        transfer_id=transfer.transfer_id,
                        participant_id=participant_id,
                        reason="The recipient left the meeting.",
                    ),
                )
                self._finish_if_done(transfer)

    async def stop(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            await asyncio.gather(self._pacer, return_exceptions=True)
