"""A data channel junk flood (issue #15 item 12): frames that belong to no transfer of the sender
cost the relay SCTP parsing for nothing. Beyond ``junk_frame_burst`` (then
``junk_frames_per_second``) the relay closes that participant's data channel, and a new one from
the same seat is closed too; everyone else's channel and the flooder's signalling go on."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from shared.protocol import messages as m
from tests.media_fixtures import join, leave, metric, start_media_relay

pytestmark = pytest.mark.slow

EXTRA = "[files]\njunk_frames_per_second = 5.0\njunk_frame_burst = 50\n"


async def _open_channel(session: Any) -> Any:
    channel = session.channel
    opened = asyncio.Event()
    channel.on("open", opened.set)
    if channel.readyState == "open":
        opened.set()
    await asyncio.wait_for(opened.wait(), 15)
    return channel


async def test_junk_flood_closes_the_flooders_data_channel(tmp_path: Any) -> None:
    relay = start_media_relay(tmp_path, EXTRA)
    try:
        names = [relay.add_user(display=d) for d in ("Ann", "Mallory")]
        meeting = relay.create_meeting(names[0])
        ann = await join(relay, names[0], meeting, camera="none", mic="none")
        mallory = await join(relay, names[1], meeting, camera="none", mic="none")
        try:
            ann_channel = await _open_channel(ann[1])
            channel = await _open_channel(mallory[1])
            closed = asyncio.Event()
            channel.on("close", closed.set)
            for i in range(2000):
                if channel.readyState != "open":
                    break
                channel.send(os.urandom(64))
                if i % 100 == 0:
                    await asyncio.sleep(0)  # let the SCTP association send
            await asyncio.wait_for(closed.wait(), 30)
            assert metric(relay, 'parley_file_dropped_frames_total{reason="flood"}') >= 1
            assert ann_channel.readyState == "open"
            assert isinstance(await mallory[0].request(m.Ping(id=0)), m.Pong)
            status, _ = relay.http_get("/healthz")
            assert status == 200
        finally:
            await leave(*mallory)
            await leave(*ann)
    finally:
        relay.stop()
    assert "closed the data channel of participant" in relay.log
