"""The relay's way in: decrypted RTP of a publish connection, with its raw bytes.

``RTCDtlsTransport._handle_rtp_data(data, arrival_time_ms)`` of a publish connection is replaced
per instance (`hook_ingress`), so the relay gets the decrypted packet *and its raw bytes* (no
re-serializing), routed with the transport's own ``_rtp_router``: a receiver given a forward
function (`set_forward`) gets ``forward(packet, raw)``, the others aiortc's usual
``_handle_rtp_packet`` (jitter buffer, decoder).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Awaitable, Callable

from aiortc import RTCRtpReceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import RtpPacket

Forward = Callable[[RtpPacket, bytes], Awaitable[None]]

_FORWARD = "_parley_forward"  # Parley's own attribute on aiortc's receiver

log = logging.getLogger("parley.relay.sfu")


def hook_ingress(dtls: RTCDtlsTransport) -> None:
    """Route decrypted RTP of ``dtls`` to the forward function of its receiver when it has one
    (`set_forward`); others get aiortc's usual ``_handle_rtp_packet``. Idempotent."""
    if vars(dtls).get("_parley_ingress", False):
        return
    router = dtls._rtp_router

    async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
        try:
            packet = RtpPacket.parse(data, dtls._rtp_header_extensions_map)
        except ValueError:
            return
        except struct.error:
            # A header extension of the wrong length (e.g. a 2-byte audio level): aiortc's parser
            # raises struct.error, which would end the transport's receive loop. Dropped, never
            # forwarded (a subscriber's aiortc would choke on it the same way); said once.
            if not vars(dtls).get("_parley_bad_extension", False):
                vars(dtls)["_parley_bad_extension"] = True
                log.warning("dropping RTP with a malformed header extension (logged once per connection)")
            return
        receiver = router.route_rtp(packet)
        if receiver is None:
            return
        forward: Forward | None = receiver.__dict__.get(_FORWARD)
        if forward is not None:
            await forward(packet, data)
        else:
            await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)

    dtls._handle_rtp_data = handle_rtp_data  # type: ignore[method-assign]  # per instance, on purpose
    vars(dtls)["_parley_ingress"] = True


def set_forward(receiver: RTCRtpReceiver, forward: Forward | None) -> None:
    """Give ``receiver``'s packets to ``forward(packet, raw)`` at a hooked transport instead of
    aiortc's receiver (None: back to aiortc's)."""
    if forward is None:
        vars(receiver).pop(_FORWARD, None)
    else:
        vars(receiver)[_FORWARD] = forward
