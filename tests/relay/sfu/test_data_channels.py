"""Data channels on the relay's two connections per participant: the publish connection's channel
(the client's, used for files) must not stop the subscribe connection from getting its own."""

from __future__ import annotations

import asyncio

import pytest

from shared.webrtc.sctp import data_channels
from tests.media_fixtures import join, leave, start_media_relay, wait_until

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def channel_relay(tmp_path_factory: pytest.TempPathFactory):
    relay = start_media_relay(tmp_path_factory.mktemp("dc"))
    yield relay
    relay.stop()


async def test_subscribe_connection_gets_its_own_channel_after_the_publish_one(channel_relay) -> None:
    a, b = channel_relay.add_user(display="Ann"), channel_relay.add_user(display="Bob")
    meeting = channel_relay.create_meeting(a)
    bob = await join(channel_relay, b, meeting, camera="none")
    opened = asyncio.Event()
    bob[1].channel.on("open", opened.set)
    if bob[1].channel.readyState == "open":
        opened.set()
    await asyncio.wait_for(opened.wait(), 15)  # the relay has Bob's publish channel now
    ann = await join(channel_relay, a, meeting, camera="none")
    try:
        await wait_until(lambda: bob[1].subscribe_pc is not None, 15, "Bob's subscribe connection")
        await wait_until(
            lambda: (
                bob[1].subscribe_pc.remoteDescription is not None
                and "m=application" in bob[1].subscribe_pc.remoteDescription.sdp
            ),
            15,
            "a data channel m-line in the relay's subscribe offer",
        )

        def channels() -> list[str]:  # aiortc keeps a connection's channels by stream id
            sctp = bob[1].subscribe_pc.sctp
            return [c.label for c in data_channels(sctp)] if sctp is not None else []

        await wait_until(lambda: "parley" in channels(), 15, "the subscribe connection's data channel")
    finally:
        await leave(*ann)
        await leave(*bob)
