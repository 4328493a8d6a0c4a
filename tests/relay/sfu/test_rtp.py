"""The byte-level rules of forwarding: keyframes, header rewriting, RTX."""

from __future__ import annotations

import struct

from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from relay.sfu import rtp
from shared.webrtc.extensions import extension_ids


def test_vp8_keyframe_needs_start_of_partition_zero_and_key_bit() -> None:
    assert rtp.vp8_is_keyframe_start(bytes([0x10, 0x00]))  # S=1, PID=0, P bit 0
    assert not rtp.vp8_is_keyframe_start(bytes([0x10, 0x01]))  # interframe
    assert not rtp.vp8_is_keyframe_start(bytes([0x00, 0x00]))  # continuation
    assert not rtp.vp8_is_keyframe_start(bytes([0x11, 0x00]))  # partition 1
    # X, I with a 15-bit picture id, then the VP8 header
    assert rtp.vp8_is_keyframe_start(bytes([0x90, 0x80, 0x81, 0x23, 0x00]))
    assert not rtp.vp8_is_keyframe_start(bytes([0x90, 0x80, 0x81, 0x23, 0x01]))
    # X, I (7-bit), L, T
    assert rtp.vp8_is_keyframe_start(bytes([0x90, 0xE0, 0x05, 0x01, 0x40, 0x00]))


def test_vp8_keyframe_detection_survives_garbage() -> None:
    for data in (b"", b"\x90", b"\x90\x80", b"\x90\x80\x81", b"\x10", bytes(range(256))):
        rtp.vp8_is_keyframe_start(data)


def test_h264_keyframes() -> None:
    assert rtp.h264_is_keyframe_start(bytes([0x65, 0x88]))  # IDR
    assert rtp.h264_is_keyframe_start(bytes([0x67, 0x42]))  # SPS
    assert not rtp.h264_is_keyframe_start(bytes([0x41, 0x9A]))  # non-IDR slice
    stap = bytes([0x78]) + struct.pack("!H", 2) + bytes([0x67, 0x42]) + struct.pack("!H", 1) + bytes([0x68])
    assert rtp.h264_is_keyframe_start(stap)
    assert rtp.h264_is_keyframe_start(bytes([0x7C, 0x85, 0x00]))  # FU-A start of IDR
    assert not rtp.h264_is_keyframe_start(bytes([0x7C, 0x05, 0x00]))  # FU-A middle
    assert not rtp.h264_is_keyframe_start(bytes([0x78, 0x00, 0x00]))
    assert rtp.is_keyframe_start("h264", bytes([0x65])) and rtp.is_keyframe_start("vp8", bytes([0x10, 0x00]))


def _packet() -> tuple[bytes, HeaderExtensionsMap]:
    packet = RtpPacket(payload_type=97, sequence_number=65535, timestamp=123, ssrc=0x11111111, marker=1)
    packet.payload = b"payload"
    ext = HeaderExtensionsMap()
    extension_ids(ext).abs_send_time = 3
    packet.extensions.abs_send_time = 0x123456
    return packet.serialize(ext), ext


def test_rewrite_changes_only_the_forwarding_fields() -> None:
    data, ext = _packet()
    out = rtp.rewrite(data, 100, 7, 0xFFFFFFFF, 0x22222222)
    parsed = RtpPacket.parse(out, ext)
    fields = (parsed.payload_type, parsed.sequence_number, parsed.timestamp, parsed.ssrc)
    assert fields == (100, 7, 0xFFFFFFFF, 0x22222222)
    assert parsed.marker == 1 and parsed.payload == b"payload"
    assert parsed.extensions.abs_send_time == 0x123456
    assert rtp.header_length(out) == len(out) - len(b"payload")


def test_rtx_wrapping_round_trips_through_aiortc() -> None:
    from aiortc.rtp import unwrap_rtx

    data, ext = _packet()
    wrapped = RtpPacket.parse(rtp.wrap_rtx(data, 98, 500, 0x33333333), ext)
    assert (wrapped.payload_type, wrapped.sequence_number, wrapped.ssrc) == (98, 500, 0x33333333)
    original = unwrap_rtx(wrapped, payload_type=97, ssrc=0x11111111)
    assert original.sequence_number == 65535 and original.payload == b"payload"


def test_wraparound_helpers() -> None:
    assert rtp.seq_add(65535, 2) == 1
    assert rtp.ts_add(0xFFFFFFFF, 1) == 0


def _with_extensions(ids: dict[str, int]) -> tuple[bytes, HeaderExtensionsMap]:
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters

    uris = {
        "mid": "urn:ietf:params:rtp-hdrext:sdes:mid",
        "abs_send_time": "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "audio_level": "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    }
    ext = HeaderExtensionsMap()
    ext.configure(
        RTCRtpParameters(headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=uris[n]) for n, i in ids.items()])
    )
    packet = RtpPacket(payload_type=96, sequence_number=1, timestamp=2, ssrc=3)
    packet.payload = b"vp8 payload"
    packet.extensions.mid = "12"
    packet.extensions.abs_send_time = 0xABCDEF
    packet.extensions.audio_level = (True, 42)
    return packet.serialize(ext), ext


def test_extension_ids_are_translated_in_place_and_the_mid_dropped() -> None:
    data, _ = _with_extensions({"mid": 1, "abs_send_time": 2, "audio_level": 3})
    table = rtp.extension_table({"mid": 1, "abs_send_time": 2, "audio_level": 3}, {"mid": 9, "abs_send_time": 5})
    out = rtp.map_extensions(data, table)
    assert out is not None and len(out) == len(data)
    _, sub_ext = _with_extensions({"mid": 9, "abs_send_time": 5})
    parsed = RtpPacket.parse(out, sub_ext)
    assert parsed.extensions.mid is None  # dropped, not re-labelled
    assert parsed.extensions.abs_send_time == 0xABCDEF
    assert parsed.extensions.audio_level is None  # not negotiated by the subscriber
    assert parsed.payload == b"vp8 payload" and parsed.sequence_number == 1


def test_extension_mapping_leaves_unchanged_packets_alone_and_refuses_what_it_cannot_do() -> None:
    data, _ = _with_extensions({"abs_send_time": 2})
    identity = rtp.extension_table({"abs_send_time": 2}, {"abs_send_time": 2})
    assert rtp.map_extensions(data, identity) is data
    plain = RtpPacket(payload_type=96, sequence_number=1, timestamp=2, ssrc=3).serialize()
    assert rtp.map_extensions(plain, identity) is plain
    two_byte = bytearray(data)
    hlen = 12
    two_byte[hlen : hlen + 2] = b"\x10\x00"
    assert rtp.map_extensions(bytes(two_byte), identity) is None
    truncated = bytearray(data)
    truncated[hlen + 3] = 0x40  # the block claims more words than the packet has
    assert rtp.map_extensions(bytes(truncated), identity) is None
