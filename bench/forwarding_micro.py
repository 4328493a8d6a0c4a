"""The relay's forwarding hot path in one process: CPU per forwarded packet; prints JSON.

One published VP8 stream (1100-byte payloads with mid and abs-send-time extensions) forwarded to
``--subscribers`` slots by `relay.sfu.forwarding.PublishedTrack.forward`, each slot with its own
SRTP session and UDP socket sending to one local sink. Everything real except aiortc's objects
around it (`shared.webrtc.fakes`: stand-ins with the private attributes the relay uses), so the
figure covers extension translation, header rewrite, NACK history, SRTP protect and the loopback
``sendto`` (kernel included), but not ingress (SRTP unprotect, parse) or RTCP/ICE upkeep: see
relay_fanout.py.

With ``--limits`` (the default) the stream has a bitrate ceiling and every slot an egress budget
(relay/sfu/budgets.py), set high enough that nothing is dropped: the figure includes their cost.
``--no-limits`` leaves them out, for comparison.

    .venv/bin/python bench/forwarding_micro.py [--subscribers 11] [--packets 20000] [--no-limits]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpSendParameters,
)
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from relay.sfu import budgets, forwarding
from shared.webrtc import fakes

CODEC = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
EXTENSIONS = [
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    RTCRtpHeaderExtensionParameters(id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
]


UNLIMITED_KBPS = 10**9  # a ceiling and budgets that cost what they cost but never drop here


async def run(subscribers: int, count: int, limits: bool = True) -> dict[str, Any]:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    pub_map = HeaderExtensionsMap()
    pub_map.configure(RTCRtpSendParameters(headerExtensions=EXTENSIONS))
    receiver = fakes.publish_receiver([CODEC], pub_map)
    ceiling = budgets.Ceiling(UNLIMITED_KBPS, 10.0, time.monotonic()) if limits else None
    track = forwarding.PublishedTrack("p", "camera", "video", receiver, codec="vp8", pli_interval=1.0, ceiling=ceiling)
    transports = []
    for i in range(subscribers):
        sender, udp = await fakes.subscribe_sender(1000 + i, 2000 + i, sink.getsockname())
        transports.append(udp)
        slot = forwarding.Slot("s", "video", sender, SimpleNamespace(mid=str(i)))
        slot.configure(RTCRtpSendParameters(codecs=[CODEC], headerExtensions=EXTENSIONS))
        slot.bind(track)
        if limits:
            slot.budget = budgets.EgressBudget(UNLIMITED_KBPS, time.monotonic())
    payload = os.urandom(1100)
    packets = []
    for seq in range(count):
        packet = RtpPacket(payload_type=96, sequence_number=seq & 0xFFFF, timestamp=seq * 3000, ssrc=42)
        packet.payload = bytes([0x10, 0x00 if seq == 0 else 0x01]) + payload  # a keyframe, then deltas
        packet.extensions.mid = "0"
        packet.extensions.abs_send_time = seq & 0xFFFFFF
        raw = packet.serialize(pub_map)
        packets.append((RtpPacket.parse(raw, pub_map), raw))

    def drain() -> None:
        try:
            while True:
                sink.recv(2048)
        except BlockingIOError:
            pass

    user0, sys0 = os.times()[:2]
    for i, (packet, raw) in enumerate(packets):
        await track.forward(packet, raw)
        if i % 50 == 0:
            drain()
    user1, sys1 = os.times()[:2]
    for udp in transports:
        udp.close()
    sent = track.forwarded_packets
    return {
        "benchmark": "forwarding_micro",
        "subscribers": subscribers,
        "limits": limits,
        "forwarded_packets": sent,
        "cpu_us_per_forwarded_packet": round((user1 - user0 + sys1 - sys0) * 1e6 / sent, 2),
        "system_cpu_us_per_forwarded_packet": round((sys1 - sys0) * 1e6 / sent, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=11)
    parser.add_argument("--packets", type=int, default=20000)
    parser.add_argument("--limits", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.subscribers, args.packets, args.limits)), indent=2))


if __name__ == "__main__":
    main()
