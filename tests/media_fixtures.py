"""Helpers for media tests: a relay that gathers ICE on loopback, signed-in media participants."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.webrtc.ice import udp_protocols
from tests.conftest import RunningRelay

MEDIA_CONFIG = '[media]\nice_addresses = ["127.0.0.1"]\nnegotiation_timeout = 5.0\n'
SMALL = {"video_size": (320, 240), "fps": 15.0, "screen_size": (640, 360), "screen_fps": 5.0, "playback": False}


def start_media_relay(tmp: Path, extra: str = "") -> RunningRelay:
    return RunningRelay(tmp / "data", config_text=MEDIA_CONFIG + extra).start()


def metric(relay: RunningRelay, name: str) -> float:
    status, body = relay.http_get("/metrics")
    assert status == 200
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", body, re.M)
    return float(found.group(1)) if found else 0.0


async def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll a condition that has no event to wait on (e.g. a remote counter) until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def join(relay: RunningRelay, name: str, meeting: str, **media: Any) -> tuple[Any, Any]:
    from client.engine.call import ParleyClient
    from client.engine.media.session import MediaSession

    client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
    await client.connect()
    await client.sign_in(name, "correct horse", remember=False)
    await client.join(meeting)
    session = MediaSession(client, **{**SMALL, **media})
    await session.start()
    return client, session


async def leave(client: Any, session: Any) -> None:
    await session.stop()
    await client.leave()
    await client.close()


def frames(session: Any, participant_id: str, source: str) -> int:
    stats = session.stats_by_track.get((participant_id, source))
    return stats.frames if stats is not None else 0


def is_rtp(data: bytes) -> bool:
    """An RTP (not RTCP) datagram: SRTP leaves the header readable."""
    return len(data) > 12 and 127 < data[0] < 192 and not 191 < data[1] < 224


def drop(pc: Any, which: Callable[[bytes], bool], *, incoming: bool = True, outgoing: bool = True) -> None:
    """Drop the datagrams ``which`` selects on ``pc``'s transport (a link that died)."""
    for protocol in udp_protocols(pc.getTransceivers()[0].receiver.transport.transport):
        if incoming:
            received = protocol.datagram_received

            def filtered(data: bytes, addr: Any, received: Callable[..., None] = received) -> None:
                if not which(data):
                    received(data, addr)

            protocol.datagram_received = filtered
        if outgoing:
            send = protocol.send_data

            async def filtered_send(data: bytes, addr: Any, send: Callable[..., Any] = send) -> None:
                if not which(data):
                    await send(data, addr)

            protocol.send_data = filtered_send
