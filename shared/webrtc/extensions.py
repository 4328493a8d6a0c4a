"""The header-extension ids behind aiortc's ``HeaderExtensionsMap`` (mid, abs-send-time,
audio-level, ... differ per connection, so the relay translates them when it forwards)."""

from __future__ import annotations

from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap

EXTENSION_FIELDS = (
    "mid",
    "abs_send_time",
    "audio_level",
    "transmission_offset",
    "rtp_stream_id",
    "repaired_rtp_stream_id",
    "transport_sequence_number",
)

_IDS = "_HeaderExtensionsMap__ids"


def extension_ids(ext_map: HeaderExtensionsMap) -> HeaderExtensions:
    """The (mutable, reconfigured in place) id table behind an aiortc HeaderExtensionsMap."""
    ids: HeaderExtensions = vars(ext_map)[_IDS]
    return ids


def ids_key(ids: HeaderExtensions) -> tuple[int | None, ...]:
    """The ids in `EXTENSION_FIELDS` order (a key that changes when the map is reconfigured)."""
    return (
        ids.mid,
        ids.abs_send_time,
        ids.audio_level,
        ids.transmission_offset,
        ids.rtp_stream_id,
        ids.repaired_rtp_stream_id,
        ids.transport_sequence_number,
    )


def transport_extension_map(dtls: RTCDtlsTransport) -> HeaderExtensionsMap:
    """The map a transport parses incoming RTP with (one per bundle, configured by aiortc)."""
    return dtls._rtp_header_extensions_map


def transport_extension_ids(dtls: RTCDtlsTransport) -> HeaderExtensions:
    """The header-extension ids a transport parses incoming RTP with (one map per bundle)."""
    return extension_ids(dtls._rtp_header_extensions_map)
