"""Cheaper SCTP for file transfer on aiortc 1.16: acknowledge every few packets, not every one.

aiortc's SCTP is pure Python and answers every DATA packet with its own SACK, so per 1160 bytes
of file both ends pay for a second packet (serialize, CRC32c, DTLS, sendto; parse and bookkeeping
on the other side). RFC 4960 (6.2) asks for a SACK at least every second packet and within 200 ms.
``delay_sacks`` wraps one transport's private ``_send_sack`` (called by ``_handle_data`` after each
packet that carried DATA) so the receiver acknowledges every ``every``-th packet, immediately when
something arrived out of order or twice (the sender's fast retransmit relies on that), and after
``delay`` seconds otherwise. Measured with both ends of one association in one process on this
machine: about 95-110 ms of CPU per MB with stock aiortc, about 60 with ``every=4``.

``every`` must stay <= 4: aiortc's sender lets at most 4 new packets out per SACK (its burst
limit), so a larger value shrinks the data in flight and throughput collapses.

``fast_reassembly`` removes a quadratic cost: aiortc's ``InboundStream.pop_messages`` scans every
fragment of the message being reassembled each time a fragment arrives, i.e. ~220 fragments x 220
scans for a 256 KiB message. A fragment that arrives in order at the tail and is not a message's
last cannot complete any message, so the scan is skipped for it.

Private hooks (``RTCSctpTransport._send_sack``, ``_sack_needed``, ``_sack_misordered``,
``_sack_duplicates``, ``_get_inbound_stream``, ``_inbound_streams``, ``InboundStream``; aioice's
``Connection._protocols`` under ``RTCIceTransport._connection``): covered by
tests/shared/test_sctp_tuning.py; aiortc is pinned to 1.16.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiortc.rtcsctptransport import SCTP_DATA_LAST_FRAG, InboundStream
from aiortc.utils import uint32_gt

log = logging.getLogger("parley.sctp")

SACK_EVERY = 3
SACK_DELAY = 0.01


def delay_sacks(sctp: Any, every: int = SACK_EVERY, delay: float = SACK_DELAY) -> bool:
    """Acknowledge every ``every``-th DATA packet on this ``RTCSctpTransport`` (idempotent).

    Returns False when the transport does not look like aiortc 1.16's (nothing is changed)."""
    if getattr(sctp, "_parley_delayed_sacks", False):
        return True
    original = getattr(sctp, "_send_sack", None)
    if original is None or not all(hasattr(sctp, a) for a in ("_sack_needed", "_sack_misordered", "_sack_duplicates")):
        log.warning("aiortc's SCTP transport changed; SACKs are not delayed")
        return False
    every = max(1, min(every, 4))
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

    sctp._send_sack = send_sack
    sctp._parley_delayed_sacks = True
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


def fast_reassembly(sctp: Any) -> bool:
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

    sctp._get_inbound_stream = get_inbound_stream
    sctp._parley_fast_reassembly = True
    return True


SOCKET_BUFFER = 4 * 1024 * 1024


def bigger_socket_buffers(sctp: Any, size: int = SOCKET_BUFFER) -> int:
    """Ask for ``size``-byte UDP receive and send buffers on the sockets under this association
    (the kernel caps them at net.core.rmem_max/wmem_max). The default ~208 KiB overflows when the
    process is not scheduled for a few milliseconds during a transfer, and every datagram lost
    there halves SCTP's congestion window. Returns how many sockets were changed."""
    import socket

    try:
        protocols = list(sctp.transport.transport._connection._protocols)
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


def tune_for_files(sctp: Any) -> None:
    """Everything above, for a transport that receives files."""
    delay_sacks(sctp)
    fast_reassembly(sctp)
    bigger_socket_buffers(sctp)
