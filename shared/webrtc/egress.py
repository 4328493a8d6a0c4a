"""The relay's way out: serialized RTP to one subscriber, synchronously.

`Egress` protects with the subscriber transport's ``_tx_srtp`` (calling libsrtp through
pylibsrtp's own cffi handle and buffer, `fast_protect`) and writes to the UDP socket of aioice's
nominated pair (``_connection._nominated[1]``): no coroutine or task per packet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc import RTCRtpSender
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from pylibsrtp._binding import ffi, lib

CONNECTED = State.CONNECTED


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


async def send_rtp(dtls: RTCDtlsTransport, data: bytes) -> None:
    """aiortc's own (async) way to send one RTP or RTCP packet: SRTP-protect, then ICE."""
    await dtls._send_rtp(data)


class Egress:
    """Sends serialized RTP to one subscriber: SRTP-protect, then ``sendto`` on the nominated
    candidate pair's UDP socket, all synchronous. Resolved lazily and again whenever the DTLS
    transport is not connected or the socket is closing; `send` returns False while it cannot."""

    __slots__ = ("_addr", "_dtls", "_protect", "_tasks", "_udp", "sender")

    def __init__(self, sender: RTCRtpSender) -> None:
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
