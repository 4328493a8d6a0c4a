"""RTP on the forwarding path, as bytes: keyframe detection, header rewriting, RTX wrapping.

Pure functions with no aiortc state, so the hot path stays cheap and every rule is unit-tested.
"""

from __future__ import annotations

import struct

HEADER = struct.Struct("!HII")  # sequence number, timestamp, SSRC (bytes 2..12)


def vp8_is_keyframe_start(payload: bytes) -> bool:
    """True when ``payload`` (a VP8 RTP payload, RFC 7741) starts a keyframe.

    The descriptor's S bit and partition 0 mark the first packet of a frame; bit 0 of the first
    byte of the VP8 payload header is 0 for a keyframe.
    """
    size = len(payload)
    if size < 1:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x0F:
        return False
    pos = 1
    if first & 0x80:
        if size < 2:
            return False
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # picture id, 7 or 15 bits
            if size <= pos:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # TL0PICIDX
            pos += 1
        if ext & 0x30:  # TID / KEYIDX
            pos += 1
    if size <= pos:
        return False
    return not payload[pos] & 0x01


def h264_is_keyframe_start(payload: bytes) -> bool:
    """True when ``payload`` (an H.264 RTP payload, RFC 6184) starts an IDR picture or carries SPS."""
    if not payload:
        return False
    nal = payload[0] & 0x1F
    if nal in (5, 7):
        return True
    if nal == 24:  # STAP-A: 16-bit sizes, each followed by a NAL unit
        pos = 1
        while pos + 2 < len(payload):
            size = (payload[pos] << 8) | payload[pos + 1]
            if size == 0:
                return False
            if payload[pos + 2] & 0x1F in (5, 7):
                return True
            pos += 2 + size
        return False
    if nal == 28 and len(payload) >= 2:  # FU-A: start bit and the fragmented NAL's type
        return bool(payload[1] & 0x80) and payload[1] & 0x1F in (5, 7)
    return False


def is_keyframe_start(codec: str, payload: bytes) -> bool:
    """Keyframe detection for the meeting's codec (``"vp8"`` or ``"h264"``)."""
    if codec == "h264":
        return h264_is_keyframe_start(payload)
    return vp8_is_keyframe_start(payload)


def header_length(data: bytes | bytearray) -> int:
    """Length of the fixed header, CSRCs and header extension of a serialized RTP packet."""
    length = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        words = (data[length + 2] << 8) | data[length + 3]
        length += 4 + 4 * words
    return length


def rewrite(data: bytes, payload_type: int, sequence: int, timestamp: int, ssrc: int) -> bytearray:
    """A copy of a serialized RTP packet with a new payload type, sequence, timestamp and SSRC
    (a bytearray: SRTP protect and sendto take it as it is, so no second copy is made)."""
    buf = bytearray(data)
    buf[1] = (buf[1] & 0x80) | payload_type
    HEADER.pack_into(buf, 2, sequence, timestamp, ssrc)
    return buf


def wrap_rtx(data: bytes | bytearray, rtx_payload_type: int, rtx_sequence: int, rtx_ssrc: int) -> bytes:
    """RFC 4588 retransmission of a serialized packet: RTX header, original sequence, payload."""
    hlen = header_length(data)
    original_seq = data[2:4]
    buf = bytearray(data[:hlen])
    buf[1] = (buf[1] & 0x80) | rtx_payload_type
    struct.pack_into("!H", buf, 2, rtx_sequence)
    struct.pack_into("!I", buf, 8, rtx_ssrc)
    return bytes(buf) + original_seq + data[hlen:]


def seq_add(a: int, b: int) -> int:
    return (a + b) & 0xFFFF


def ts_add(a: int, b: int) -> int:
    return (a + b) & 0xFFFFFFFF


def extension_table(publisher: dict[str, int | None], subscriber: dict[str, int | None]) -> bytes:
    """A 16-entry map from the publisher's one-byte extension ids to the subscriber's (0: drop).

    The mid is always dropped: subscribers route by SSRC, and mids differ per connection.
    """
    table = bytearray(16)
    for name, pub_id in publisher.items():
        if name == "mid" or not pub_id or not 0 < pub_id < 15:
            continue
        sub_id = subscriber.get(name)
        table[pub_id] = sub_id if sub_id and 0 < sub_id < 15 else 0
    return bytes(table)


def map_extensions(data: bytes, table: bytes) -> bytes | None:
    """``data`` with its one-byte header-extension ids translated by ``table`` in place (same
    length); elements mapped to 0 become padding (RFC 8285 allows zero bytes between elements).

    Returns ``data`` itself when nothing changes, and None for what it does not handle (two-byte
    extensions, a malformed block): the caller then re-serializes.
    """
    first = data[0]
    if not first & 0x10:
        return data
    pos = 12 + 4 * (first & 0x0F)
    if len(data) < pos + 4:
        return None
    if data[pos] != 0xBE or data[pos + 1] != 0xDE:
        return None
    end = pos + 4 + 4 * ((data[pos + 2] << 8) | data[pos + 3])
    if end > len(data):
        return None
    buf: bytearray | None = None
    i = pos + 4
    while i < end:
        byte = data[i]
        if byte == 0:
            i += 1
            continue
        x_id = byte >> 4
        if x_id == 15:  # reserved: the rest of the block is not parsed
            break
        size = 1 + (byte & 0x0F) + 1
        if i + size > end:
            return None
        new = table[x_id]
        if new != x_id:
            if buf is None:
                buf = bytearray(data)
            if new:
                buf[i] = (new << 4) | (byte & 0x0F)
            else:
                buf[i : i + size] = bytes(size)
        i += size
    return data if buf is None else bytes(buf)
