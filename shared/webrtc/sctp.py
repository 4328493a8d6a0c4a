"""Cheaper SCTP for file transfer on aiortc 1.16: acknowledge every few packets, not every one.

aiortc's SCTP is pure Python and answers every DATA packet with its own SACK, so per 1160 bytes
of file both ends pay for a second packet (serialize, CRC32c, DTLS, sendto; parse and bookkeeping
on the other side; on this VM a sendto that wakes the other process costs 20-50 us). RFC 4960
(6.2) asks for a SACK at least every second packet and within 200 ms; both ends of a file channel
are Parley (relay and client of the same protocol version), so they agree on something cheaper:

``delay_sacks`` wraps one transport's private ``_send_sack`` (called by ``_handle_data`` after each
packet that carried DATA) so the receiver acknowledges every ``every``-th packet (12), immediately
when something arrived out of order or twice (fast retransmit relies on that), and after ``delay``
seconds otherwise.

``larger_bursts`` is the sender's half: aiortc lets at most 4 new packets out per SACK, so with a
SACK per 12 packets the data in flight would shrink by 8 per SACK until only the receiver's timer
moved things. The sender may answer each SACK with up to ``every + 4`` packets instead (still
within the congestion window; aiortc's smaller burst stays during fast recovery).

``count_acked_bytes_in_slow_start`` keeps the ramp-up as fast as with a SACK per packet: the window
grows by the bytes a SACK acknowledged (appropriate byte counting, RFC 3465, as Linux TCP does),
not by one packet per SACK.

During a three-person call (bench/file_transfer.py) these took the CPU all three processes spend
per MB from ~125 ms (every 3rd packet, aiortc's burst) to ~70-95 ms; in one process with both ends:
~95-110 ms per MB stock, ~60 with a SACK every 4th packet.

``fast_reassembly`` removes a quadratic cost: aiortc's ``InboundStream.pop_messages`` scans every
fragment of the message being reassembled each time a fragment arrives, i.e. ~220 fragments x 220
scans for a 256 KiB message. A fragment that arrives in order at the tail and is not a message's
last cannot complete any message, so the scan is skipped for it.

Private hooks (``RTCSctpTransport._send_sack``, ``_sack_needed``, ``_sack_misordered``,
``_sack_duplicates``, ``_transmit``, ``_outbound_queue``, ``_flight_size``, ``_fast_recovery_exit``,
``_cwnd``, ``_ssthresh``, ``_sent_queue``, ``_last_sacked_tsn``, ``_receive_sack_chunk``,
``_get_inbound_stream``, ``_inbound_streams``, ``InboundStream``; the ICE sockets through
`shared.webrtc.ice.udp_protocols`): behaviour covered by tests/shared/webrtc/test_sctp.py, names
pinned by tests/shared/webrtc/test_pinned_names.py. Each function takes an ``RTCSctpTransport``
and leaves anything that does not look like aiortc 1.16's alone (it logs and returns False).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any

from aiortc import RTCDataChannel, RTCSctpTransport
from aiortc.rtcsctptransport import SCTP_DATA_LAST_FRAG, USERDATA_MAX_LENGTH, Chunk, InboundStream, SackChunk
from aiortc.utils import uint32_gt, uint32_gte

from shared.webrtc import ice

log = logging.getLogger("parley.sctp")

SACK_EVERY = 12
SACK_DELAY = 0.01
AIORTC_BURST = 4  # packets aiortc's _transmit lets out beyond what is in flight


def delay_sacks(sctp: RTCSctpTransport, every: int = SACK_EVERY, delay: float = SACK_DELAY) -> bool:
    """Acknowledge every ``every``-th DATA packet on this ``RTCSctpTransport`` (idempotent).

    Returns False when the transport does not look like aiortc 1.16's (nothing is changed)."""
    if getattr(sctp, "_parley_delayed_sacks", False):
        return True
    original = getattr(sctp, "_send_sack", None)
    if original is None or not all(hasattr(sctp, a) for a in ("_sack_needed", "_sack_misordered", "_sack_duplicates")):
        log.warning("aiortc's SCTP transport changed; SACKs are not delayed")
        return False
    every = max(1, min(every, 16))
    pending = 0
    timer: asyncio.TimerHandle | None = None
    flushing: set[asyncio.Future[None]] = set()

    async def flush() -> None:
        nonlocal pending
        pending = 0
        if sctp._sack_needed:
            with contextlib.suppress(Exception):  # the association may have closed meanwhile
                await original()

    def on_timer() -> None:
        nonlocal timer
        timer = None
        task = asyncio.ensure_future(flush())
        flushing.add(task)
        task.add_done_callback(flushing.discard)

    async def send_sack() -> None:
        nonlocal pending, timer
        pending += 1
        if pending >= every or sctp._sack_misordered or sctp._sack_duplicates:
            if timer is not None:
                timer.cancel()
                timer = None
            pending = 0
            await original()
        elif timer is None:
            timer = asyncio.get_running_loop().call_later(delay, on_timer)

    sctp._send_sack = send_sack  # type: ignore[method-assign]  # per instance, on purpose
    vars(sctp)["_parley_delayed_sacks"] = True
    return True


class _TailAwareInboundStream(InboundStream):
    """aiortc's InboundStream that knows when a new fragment cannot complete a message."""

    _nothing_new = False

    def add_chunk(self, chunk: Any) -> None:
        at_tail = not self.reassembly or uint32_gt(chunk.tsn, self.reassembly[-1].tsn)
        super().add_chunk(chunk)
        self._nothing_new = at_tail and not chunk.flags & SCTP_DATA_LAST_FRAG

    def pop_messages(self) -> Any:
        if self._nothing_new:
            self._nothing_new = False
            return iter(())
        return super().pop_messages()


def fast_reassembly(sctp: RTCSctpTransport) -> bool:
    """Skip aiortc's reassembly scan for fragments that cannot complete a message (idempotent)."""
    if getattr(sctp, "_parley_fast_reassembly", False):
        return True
    streams = getattr(sctp, "_inbound_streams", None)
    if not isinstance(streams, dict) or not hasattr(sctp, "_get_inbound_stream"):
        log.warning("aiortc's SCTP transport changed; reassembly is not sped up")
        return False
    for stream in streams.values():
        if type(stream) is InboundStream:
            stream.__class__ = _TailAwareInboundStream

    def get_inbound_stream(stream_id: int) -> InboundStream:
        stream = streams.get(stream_id)
        if stream is None:
            stream = streams[stream_id] = _TailAwareInboundStream()
        return stream

    sctp._get_inbound_stream = get_inbound_stream  # type: ignore[method-assign]  # per instance
    vars(sctp)["_parley_fast_reassembly"] = True
    return True


SOCKET_BUFFER = 4 * 1024 * 1024


def bigger_socket_buffers(sctp: RTCSctpTransport, size: int = SOCKET_BUFFER) -> int:
    """Ask for ``size``-byte UDP receive and send buffers on the sockets under this association
    (the kernel caps them at net.core.rmem_max/wmem_max). The default ~208 KiB overflows when the
    process is not scheduled for a few milliseconds during a transfer, and every datagram lost
    there halves SCTP's congestion window. Returns how many sockets were changed."""
    try:
        protocols = ice.udp_protocols(sctp.transport.transport)
    except AttributeError:
        log.warning("aiortc's ICE transport changed; socket buffers are left as they are")
        return 0
    changed = 0
    for protocol in protocols:
        sock = getattr(getattr(protocol, "transport", None), "get_extra_info", lambda _n: None)("socket")
        if sock is None:
            continue
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
            changed += 1
    return changed


def larger_bursts(sctp: RTCSctpTransport, packets: int) -> bool:
    """Let this ``RTCSctpTransport`` send up to ``packets`` new packets per SACK, not aiortc's 4
    (idempotent; the largest value asked for wins). aiortc caps each ``_transmit`` call at what is
    in flight plus four packets; the wrapper calls it again while it still sends something, there
    is more to send and the association is not in fast recovery (where aiortc's own smaller burst
    stays). The congestion window still bounds everything. Returns False when the transport does
    not look like aiortc 1.16's."""
    rounds = max(1, -(-packets // AIORTC_BURST))
    state = vars(sctp)  # Parley's own attributes on the transport: the live instance dict
    if state.get("_parley_burst_rounds") is not None:
        state["_parley_burst_rounds"] = max(state["_parley_burst_rounds"], rounds)
        return True
    original = getattr(sctp, "_transmit", None)
    needed = ("_outbound_queue", "_flight_size", "_fast_recovery_exit", "_cwnd")
    if original is None or not all(hasattr(sctp, a) for a in needed):
        log.warning("aiortc's SCTP transport changed; bursts are left as they are")
        return False
    state["_parley_burst_rounds"] = rounds

    async def transmit() -> None:
        await original()
        for _ in range(state["_parley_burst_rounds"] - 1):
            before = sctp._flight_size
            if not sctp._outbound_queue or sctp._fast_recovery_exit is not None or before >= sctp._cwnd:
                return
            await original()
            if sctp._flight_size == before:
                return

    sctp._transmit = transmit  # type: ignore[method-assign]  # per instance, on purpose
    return True


def count_acked_bytes_in_slow_start(sctp: RTCSctpTransport, limit_packets: int) -> bool:
    """Grow this ``RTCSctpTransport``'s congestion window in slow start by the bytes each SACK
    newly acknowledges (up to ``limit_packets`` packets' worth), not by one packet per SACK
    (idempotent; the largest limit asked for wins).

    aiortc follows RFC 4960 7.2.1 (at most one MTU per SACK), which assumes a SACK every second
    packet; with ``delay_sacks`` the window would ramp up ``every``/2 times slower after the start
    and after each timeout, which shows on long paths. This is appropriate byte counting
    (RFC 3465, as Linux TCP does it): the window grows by what arrived, never past ``ssthresh``.
    Only SACKs without gap reports are touched (those are the ones that can signal loss), and only
    when aiortc itself would grow the window (it is fully used, no fast recovery, slow start):
    the wrapper raises ``_cwnd`` before aiortc's handler runs, so aiortc's own one-MTU step,
    which requires a fully used window, does not apply on top."""
    limit = max(1, limit_packets) * USERDATA_MAX_LENGTH
    state = vars(sctp)  # Parley's own attributes on the transport: the live instance dict
    if state.get("_parley_abc_limit") is not None:
        state["_parley_abc_limit"] = max(state["_parley_abc_limit"], limit)
        return True
    original = getattr(sctp, "_receive_sack_chunk", None)
    # aiortc sets ``_ssthresh`` only when the association is set up (INIT / INIT-ACK), so a
    # transport tuned before it connects (the client's own data channel) has none yet: it is read
    # when a SACK arrives, which can only happen after that.
    needed = ("_sent_queue", "_flight_size", "_cwnd", "_fast_recovery_exit", "_last_sacked_tsn")
    if original is None or not all(hasattr(sctp, a) for a in needed):
        log.warning("aiortc's SCTP transport changed; slow start is left as it is")
        return False
    state["_parley_abc_limit"] = limit

    async def receive_sack_chunk(chunk: SackChunk) -> None:
        cwnd = sctp._cwnd
        ssthresh = getattr(sctp, "_ssthresh", None)
        if ssthresh is None and not state.get("_parley_abc_warned"):
            state["_parley_abc_warned"] = True
            log.warning("aiortc's SCTP transport changed (no ssthresh); slow start is left as it is")
        if (
            ssthresh is not None
            and not chunk.gaps
            and sctp._fast_recovery_exit is None
            and sctp._flight_size >= cwnd
            and cwnd <= ssthresh
            and not uint32_gt(sctp._last_sacked_tsn, chunk.cumulative_tsn)
        ):
            acked = 0
            for sent in sctp._sent_queue:
                if not uint32_gte(chunk.cumulative_tsn, sent.tsn) or acked >= state["_parley_abc_limit"]:
                    break
                if not sent._acked:
                    acked += sent._book_size
            grown = min(cwnd + min(acked, state["_parley_abc_limit"]), max(cwnd, ssthresh))
            if grown > cwnd + USERDATA_MAX_LENGTH:
                sctp._cwnd = grown
        await original(chunk)

    sctp._receive_sack_chunk = receive_sack_chunk  # type: ignore[method-assign]  # per instance
    return True


def tune_for_files(sctp: RTCSctpTransport) -> None:
    """Everything above, for a transport that carries files (in either direction), whether its
    connection is already up (the relay, when a channel arrives) or not yet (the client's own
    channel, created before the offer): then the sockets get bigger buffers once ICE has
    gathered them."""
    delay_sacks(sctp)
    larger_bursts(sctp, SACK_EVERY + AIORTC_BURST)
    count_acked_bytes_in_slow_start(sctp, SACK_EVERY)
    fast_reassembly(sctp)
    if bigger_socket_buffers(sctp) == 0:
        _bigger_socket_buffers_once_gathered(sctp)


def _bigger_socket_buffers_once_gathered(sctp: RTCSctpTransport) -> None:
    try:
        gatherer = sctp.transport.transport.iceGatherer
    except AttributeError:
        return
    if gatherer.state == "completed":
        return  # gathered, and still no socket: nothing to grow

    def on_state() -> None:
        if gatherer.state == "completed":
            gatherer.remove_listener("statechange", on_state)
            bigger_socket_buffers(sctp)

    gatherer.on("statechange", on_state)


def data_channels(sctp: RTCSctpTransport) -> list[RTCDataChannel]:
    """The data channels of this association (aiortc keeps them by stream id)."""
    return list(sctp._data_channels.values())


def watch_chunks(
    sctp: RTCSctpTransport,
    sent: Callable[[Chunk], None] | None = None,
    received: Callable[[Chunk], None] | None = None,
) -> None:
    """For tests and benchmarks: call ``sent(chunk)`` / ``received(chunk)`` for every SCTP chunk
    (DATA, SACK, ...) this transport sends / receives."""
    if sent is not None:
        send_chunk = sctp._send_chunk

        async def counting_send(chunk: Chunk) -> None:
            sent(chunk)
            await send_chunk(chunk)

        sctp._send_chunk = counting_send  # type: ignore[method-assign]  # per instance, on purpose
    if received is not None:
        receive_chunk = sctp._receive_chunk

        async def counting_receive(chunk: Chunk) -> None:
            received(chunk)
            await receive_chunk(chunk)

        sctp._receive_chunk = counting_receive  # type: ignore[method-assign]  # per instance, on purpose
