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

`FileRelay` is the I/O shell: it owns the channels, the pacing task and the metrics, and answers
the requests. What each request, frame, channel and seat change means is decided by the sans-I/O
core in relay/sfu/transfers/ (`FileTransfers`, its `FramePacer`), which returns what to tell whom.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiortc import RTCDataChannel
from prometheus_client import Counter, Gauge

from relay.config import FilesConfig
from relay.meetings import LiveMeeting, Meetings, Participant
from relay.ops.metrics import RelayMetrics
from relay.peer import Peer
from relay.ratelimit import TokenBucket
from relay.sfu.peers import MediaParticipant
from relay.sfu.transfers.outputs import Dropped, Key, Output, Queued, Tell, TellSender
from relay.sfu.transfers.pacing import Forward, Round
from relay.sfu.transfers.requests import FileTransfers, People
from relay.sfu.transfers.state import Person
from shared.protocol import messages as m
from shared.webrtc.sctp import tune_for_files

log = logging.getLogger("parley.relay.files")

CHANNEL_LABEL = "parley"
# Bytes waiting in a recipient's SCTP queue before the relay gives up on that recipient.
MAX_RECIPIENT_BUFFER = 32 * 1024 * 1024
MAX_HELD_EVENTS = 256  # per sender, while its connection is down
# Frames no well-behaved client sends (a few arrive after a cancel; a flood is an attack).
JUNK = frozenset({"malformed", "unknown_transfer", "not_sender"})


def _person(seat: Participant) -> Person:
    return Person(seat.participant_id, seat.user_id, seat.display_name, seat.peer is not None)


def _people(meeting: LiveMeeting) -> People:
    return {pid: _person(p) for pid, p in meeting.participants.items()}


class FileRelay:
    """Transfers, keys and data channels of every meeting on this relay."""

    def __init__(
        self,
        meetings: Meetings,
        config: FilesConfig,
        metrics: RelayMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.meetings = meetings
        self.config = config
        self.clock = clock
        self.core = FileTransfers(config, clock())
        self.channels: dict[Key, RTCDataChannel] = {}
        self._held: dict[Key, list[m.Event]] = {}  # for senders whose connection dropped
        self.cut_off: set[Key] = set()  # seats whose data channel was closed for a junk flood
        self._closing: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._pacer: asyncio.Task[None] | None = None
        # Tests hang observers here to see every frame the relay forwards (never used to store).
        self.forward_observers: list[Callable[[bytes], None]] = []
        registry = metrics.registry
        self.forwarded_bytes = Counter("parley_file_forwarded_bytes", "File bytes forwarded", registry=registry)
        self.dropped_frames = Counter(
            "parley_file_dropped_frames", "Data channel frames refused or not needed", ["reason"], registry=registry
        )
        self.yields = Counter("parley_file_loop_yields", "Times file forwarding yielded the loop", registry=registry)
        table = self.core.table
        Gauge("parley_file_transfers", "File transfers in progress", registry=registry).set_function(
            lambda: len(table.transfers)
        )
        Gauge("parley_file_queued_bytes", "File bytes waiting to be forwarded", registry=registry).set_function(
            table.queued_bytes
        )

    # --- data channels -----------------------------------------------------------------------

    def channel_opened(self, participant: MediaParticipant, channel: RTCDataChannel) -> None:
        """A participant's publish connection brought its data channel (hook from MediaRelay)."""
        if getattr(channel, "label", "") != CHANNEL_LABEL:
            return
        key: Key = (participant.meeting_id, participant.participant_id)
        if key in self.cut_off:  # a new channel does not lift the cut-off
            self._close_channel(channel)
            return
        self.channels[key] = channel
        self._deliver_held(key)
        transport = getattr(channel, "transport", None)
        if transport is not None:
            tune_for_files(transport)  # the relay receives every file from senders on it
        self._perform(self.core.channel_opened(key))

        junk = TokenBucket(self.config.junk_frames_per_second, self.config.junk_frame_burst, self.clock())

        def on_message(data: object) -> None:
            if self.channels.get(key) is not channel:
                self.dropped_frames.labels("stale_channel").inc()
                return
            outputs = self.core.pacer.frame_received(key, data)
            if any(isinstance(o, Dropped) and o.reason in JUNK for o in outputs) and not junk.take(self.clock()):
                self._cut_off(key, channel)
                return
            self._perform(outputs)

        def on_close() -> None:
            if self.channels.get(key) is channel:
                del self.channels[key]

        channel.on("message", on_message)
        channel.on("close", on_close)

    def _cut_off(self, key: Key, channel: RTCDataChannel) -> None:
        """A junk flood on ``key``'s data channel: close it (and its SCTP association, whose
        parsing is the cost) for the rest of the seat; media and chat go on."""
        log.warning(
            "closed the data channel of participant %s: over %d junk frames (limit %.0f per second)",
            key[1],
            self.config.junk_frame_burst,
            self.config.junk_frames_per_second,
        )
        self.dropped_frames.labels("flood").inc()
        self.cut_off.add(key)
        if self.channels.get(key) is channel:
            del self.channels[key]
        self._close_channel(channel)

    def _close_channel(self, channel: RTCDataChannel) -> None:
        channel.close()
        transport = getattr(channel, "transport", None)
        stop = getattr(transport, "stop", None)
        if stop is not None:
            task = asyncio.get_running_loop().create_task(stop())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _pace(self) -> None:
        """Forward queued frames round by round (relay/sfu/transfers/pacing.py), yielding the
        loop to media after every ``bytes_per_loop_turn`` bytes and sleeping while the budgets
        allow nothing."""
        turn = 0
        pacer = self.core.pacer
        while True:
            if not pacer.waiting():
                self._wake.clear()
                await self._wake.wait()
                continue
            result = Round()
            for forward in pacer.round(self.clock(), result):
                self._forward(forward)
                turn += len(forward.data)
                if turn >= self.config.bytes_per_loop_turn:
                    # Let media (RTP forwarding, RTCP) have the loop before the next batch.
                    turn = 0
                    self.yields.inc()
                    await asyncio.sleep(0)
            if not result.progressed:
                await asyncio.sleep(max(result.retry_after, 0.001))

    def _forward(self, forward: Forward) -> None:
        transfer, data = forward.transfer, forward.data
        for r in forward.to:
            channel = self.channels.get((transfer.meeting_id, r.participant_id))
            if channel is None or channel.readyState != "open":
                continue
            if channel.bufferedAmount > MAX_RECIPIENT_BUFFER:
                reason = "The recipient's connection could not keep up."
                self._perform(self.core.table.drop_recipient(transfer, r, reason))
                continue
            try:
                channel.send(data)
            except Exception:
                continue
            self.core.pacer.forwarded(r)
            self.forwarded_bytes.inc(len(data))
            for observe in self.forward_observers:
                observe(data)

    # --- telling people ----------------------------------------------------------------------

    def _perform(self, outputs: list[Output]) -> None:
        """Do what the core asks, in order."""
        for output in outputs:
            if isinstance(output, Queued):  # first: one per frame
                self._wake.set()
                if self._pacer is None or self._pacer.done():
                    self._pacer = asyncio.get_running_loop().create_task(self._pace())
            elif isinstance(output, Tell):
                seat = self.meetings.find(*output.key)
                if seat is not None and seat.peer is not None:
                    seat.peer.send_event(output.event)
            elif isinstance(output, TellSender):
                self._to_sender(output)
            elif isinstance(output, Dropped):
                self.dropped_frames.labels(output.reason).inc()

    def _to_sender(self, output: TellSender) -> None:
        sender = self.meetings.find(*output.key)
        if sender is None:
            return
        if sender.peer is None or output.final:
            # Its connection may have dropped (the relay may not have noticed yet): keep what it
            # must hear until it is back on a new data channel (channel_opened), where a repeat
            # of an outcome it already knows is ignored.
            held = self._held.setdefault(output.key, [])
            held.append(output.event)
            del held[:-MAX_HELD_EVENTS]
        if sender.peer is not None:
            sender.peer.send_event(output.event)

    def _deliver_held(self, key: Key) -> None:
        held = self._held.pop(key, [])
        seat = self.meetings.find(*key)
        if seat is None or seat.peer is None:
            return
        for event in held:
            seat.peer.send_event(event)

    # --- requests ----------------------------------------------------------------------------

    def _seat(self, peer: Peer) -> tuple[LiveMeeting, Participant]:
        return self.meetings.seat_of(peer, "Join a meeting before sending or receiving files.")

    async def on_publish_key(self, peer: Peer, req: m.PublishFileKey) -> m.Reply:
        meeting, me = self._seat(peer)
        keys, outputs = self.core.publish_key(meeting.meeting_id, _person(me), req.public_key, _people(meeting))
        self._perform(outputs)
        return m.FileKeys(id=req.id, keys=keys)

    async def on_offer(self, peer: Peer, req: m.OfferFile) -> m.Reply:
        meeting, me = self._seat(peer)
        self._perform(self.core.offer(meeting.meeting_id, _person(me), req, _people(meeting), self.clock()))
        return m.Ok(id=req.id)

    async def on_reoffer(self, peer: Peer, req: m.ReofferFile) -> m.Reply:
        """The relay restarted under an unfinished transfer: its sender (on a new seat) offers it
        again to the users who were receiving it, who take it back with files.resume."""
        meeting, me = self._seat(peer)
        self._perform(self.core.reoffer(meeting.meeting_id, _person(me), req, _people(meeting), self.clock()))
        return m.Ok(id=req.id)

    async def on_answer(self, peer: Peer, req: m.AnswerFile) -> m.Reply:
        meeting, me = self._seat(peer)
        self._perform(self.core.answer(meeting.meeting_id, _person(me), req))
        return m.Ok(id=req.id)

    async def on_ack(self, peer: Peer, req: m.AckFile) -> m.Reply:
        meeting, me = self._seat(peer)
        self._perform(self.core.ack(meeting.meeting_id, _person(me), req))
        return m.Ok(id=req.id)

    async def on_resume(self, peer: Peer, req: m.ResumeFile) -> m.Reply:
        meeting, me = self._seat(peer)
        self._perform(self.core.resume(meeting.meeting_id, _person(me), req))
        return m.Ok(id=req.id)

    async def on_cancel(self, peer: Peer, req: m.CancelFile) -> m.Reply:
        meeting, me = self._seat(peer)
        self._perform(self.core.cancel(meeting.meeting_id, _person(me), req))
        return m.Ok(id=req.id)

    # --- seats and stopping --------------------------------------------------------------------

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        """Someone left (or their reconnect grace ran out): their transfers stop."""
        self.channels.pop((meeting_id, participant_id), None)
        self.cut_off.discard((meeting_id, participant_id))
        self._held.pop((meeting_id, participant_id), None)
        self._perform(self.core.seat_freed(meeting_id, participant_id))

    async def stop(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            await asyncio.gather(self._pacer, return_exceptions=True)
