"""Real aiortc connections in this process on 127.0.0.1, for the tests of `shared.webrtc`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription

from client.engine import peer
from client.engine.media.sources import SyntheticVideoTrack
from tests.impair import LossyLink
from tests.media_fixtures import wait_until


async def connected_pair() -> tuple[Any, Any]:
    """A publisher (VP8 at 64x64) and a receiving connection, connected on 127.0.0.1."""
    peer.use_host_addresses(["127.0.0.1"])
    pub, sub = peer.new_peer_connection(), peer.new_peer_connection()
    transceiver = pub.addTransceiver(SyntheticVideoTrack(64, 64, 15), direction="sendonly")
    transceiver.setCodecPreferences(peer.video_codec_preferences())
    await pub.setLocalDescription(await pub.createOffer())
    await sub.setRemoteDescription(RTCSessionDescription(sdp=pub.localDescription.sdp, type="offer"))
    await sub.setLocalDescription(await sub.createAnswer())
    await pub.setRemoteDescription(RTCSessionDescription(sdp=sub.localDescription.sdp, type="answer"))
    await wait_until(lambda: pub.connectionState == "connected" and sub.connectionState == "connected", 10, "ICE")
    return pub, sub


async def channel_pair(
    link: LossyLink | None = None,
    before_connect: Callable[[RTCDataChannel], None] | None = None,
) -> tuple[RTCPeerConnection, RTCPeerConnection, object, asyncio.Queue[bytes]]:
    """Two peer connections on loopback with a data channel from a to b (through ``link``'s
    impairers when given); ``before_connect(channel)`` runs as soon as the channel exists, before
    the offer (as the client's own channel is tuned)."""
    peer.use_host_addresses(["127.0.0.1"])
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channel = a.createDataChannel("parley")
    if before_connect is not None:
        before_connect(channel)
    received: asyncio.Queue[bytes] = asyncio.Queue()
    b.on("datachannel", lambda ch: ch.on("message", received.put_nowait))

    def via(description: RTCSessionDescription) -> RTCSessionDescription:
        return (
            description if link is None else RTCSessionDescription(link.rewrite_sdp(description.sdp), description.type)
        )

    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(via(a.localDescription))
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(via(b.localDescription))
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await asyncio.wait_for(opened.wait(), 10)
    return a, b, channel, received
