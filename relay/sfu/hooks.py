"""Every private aiortc/aioice name the forwarding hot path relies on, in one place.

aiortc is pinned to 1.16.*; tests/relay/sfu/test_hooks.py checks each name used here against the
installed aiortc, so an upgrade that moves one fails there first, with the name in the message.

- Ingress: ``RTCDtlsTransport._handle_rtp_data(data, arrival_time_ms)`` of a publish connection is
  replaced per instance, so the relay gets the decrypted packet *and its raw bytes* (no
  re-serializing), routed with the transport's own ``_rtp_router``.
- Egress: `Egress` protects with the subscriber transport's ``_tx_srtp`` (calling libsrtp through
  pylibsrtp's own cffi handle and buffer, `fast_protect`) and writes to the UDP socket of aioice's
  nominated pair (``_connection._nominated[1]``) synchronously: no coroutine or task per packet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket
from pylibsrtp._binding import ffi, lib

CONNECTED = State.CONNECTED
EXTENSION_FIELDS = (
    "mid",
    "abs_send_time",
    "audio_level",
    "transmission_offset",
    "rtp_stream_id",
    "repaired_rtp_stream_id",
    "transport_sequence_number",
)

Forward = Callable[[RtpPacket, bytes], Awaitable[None]]


def extension_ids(ext_map: HeaderExtensionsMap) -> HeaderExtensions:
    """The (mutable, reconfigured in place) id table behind an aiortc HeaderExtensionsMap."""
    ids: HeaderExtensions = ext_map._HeaderExtensionsMap__ids  # type: ignore[attr-defined]
    return ids


def ids_key(ids: HeaderExtensions) -> tuple[int | None, ...]:
    return (
        ids.mid,
        ids.abs_send_time,
        ids.audio_level,
        ids.transmission_offset,
        ids.rtp_stream_id,
        ids.repaired_rtp_stream_id,
        ids.transport_sequence_number,
    )


def transport_extension_ids(dtls: RTCDtlsTransport) -> HeaderExtensions:
    """The header-extension ids a transport parses incoming RTP with (one map per bundle)."""
    return extension_ids(dtls._rtp_header_extensions_map)


def hook_ingress(dtls: RTCDtlsTransport) -> None:
    """Route decrypted RTP of ``dtls`` to ``receiver._parley_forward(packet, raw)`` when a receiver
    has one; others get aiortc's usual ``_handle_rtp_packet``. Idempotent."""
    if getattr(dtls, "_parley_ingress", False):
        return
    router = dtls._rtp_router

    async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
        try:
            packet = RtpPacket.parse(data, dtls._rtp_header_extensions_map)
        except ValueError:
            return
        receiver = router.route_rtp(packet)
        if receiver is None:
            return
        forward: Forward | None = receiver.__dict__.get("_parley_forward")
        if forward is not None:
            await forward(packet, data)
        else:
            await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)

    dtls._handle_rtp_data = handle_rtp_data  # type: ignore[method-assign]
    dtls._parley_ingress = True  # type: ignore[attr-defined]


def fast_protect(session: pylibsrtp.Session) -> Callable[[bytes | bytearray], bytes]:
    """``session.protect`` without its per-call allocation: same libsrtp call, same buffer."""
    cdata = session._cdata
    view = session._buffer
    handle = session._srtp  # keeps the (garbage-collected) srtp_t alive as long as this closure
    srtp = handle[0]
    length = ffi.new("int *")
    protect = lib.srtp_protect
    limit = len(cdata) - pylibsrtp.SRTP_MAX_TRAILER_LEN

    def run(data: bytes | bytearray) -> bytes:
        size = len(data)
        if size > limit or handle is None:  # (naming handle keeps it in the closure)
            raise ValueError("packet is too long")
        view[0:size] = data
        length[0] = size
        status = protect(srtp, cdata, length)
        if status:
            raise pylibsrtp.Error(f"srtp_protect failed ({status})")
        result: bytes = view[0 : length[0]]
        return result

    return run


def route_rtx(receiver: Any) -> None:
    """Let ``receiver``'s transport route its RTX packets to it.

    aiortc's RtpRouter registers primary SSRCs only and routes an unknown SSRC by payload type,
    which fails as soon as two video m-lines share the RTX payload type (always, with BUNDLE):
    retransmissions were dropped. Register the RTX SSRCs the receiver learned from the SDP, now
    and each time aiortc (re)starts it with ``receive(parameters)``, which is when it learns them.
    """

    def register() -> None:
        if receiver.transport is not None:
            for rtx_ssrc in receiver._RTCRtpReceiver__rtx_ssrc:
                receiver.transport._rtp_router.ssrc_table[rtx_ssrc] = receiver

    if not getattr(receiver, "_parley_rtx", False):
        original = receiver.receive

        async def receive(parameters: Any) -> None:
            await original(parameters)
            register()

        receiver.receive = receive
        receiver._parley_rtx = True
    register()


class Egress:
    """Sends serialized RTP to one subscriber: SRTP-protect, then ``sendto`` on the nominated
    candidate pair's UDP socket, all synchronous. Resolved lazily and again whenever the DTLS
    transport is not connected or the socket is closing; `send` returns False while it cannot."""

    __slots__ = ("_addr", "_dtls", "_protect", "_tasks", "_udp", "sender")

    def __init__(self, sender: Any) -> None:
        self.sender = sender
        self._dtls: RTCDtlsTransport | None = None
        self._protect: Callable[[bytes | bytearray], bytes] = bytes
        self._udp: Any = None
        self._addr: Any = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _resolve(self) -> bool:
        self._dtls = None
        dtls: RTCDtlsTransport | None = self.sender.transport
        if dtls is None or dtls._state is not CONNECTED or dtls._tx_srtp is None:
            return False
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None:
            return False
        if isinstance(pair.protocol, aioice.ice.StunProtocol):
            self._udp, self._addr = pair.protocol.transport, pair.remote_addr
            self._protect = fast_protect(dtls._tx_srtp)
        else:  # TURN or another transport: aiortc's own (async) path, one task per packet
            self._udp, self._addr = _AsyncSend(dtls, self._tasks), None
            self._protect = bytes
        self._dtls = dtls
        return True

    def send(self, data: bytes | bytearray) -> bool:
        dtls = self._dtls
        if dtls is None or dtls._state is not CONNECTED or self._udp.is_closing():
            if not self._resolve():
                return False
        self._udp.sendto(self._protect(data), self._addr)
        return True


class _AsyncSend:
    def __init__(self, dtls: RTCDtlsTransport, tasks: set[asyncio.Task[None]]) -> None:
        self.dtls, self.tasks = dtls, tasks

    def is_closing(self) -> bool:
        return False

    def sendto(self, data: bytes, addr: Any) -> None:
        async def send() -> None:
            try:
                await self.dtls._send_rtp(data)
            except ConnectionError:
                pass

        task = asyncio.get_running_loop().create_task(send())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
