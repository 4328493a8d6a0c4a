"""A host's "mute all" is enforced by the relay: the muted mic is not forwarded, and the
participant cannot unmute until the host allows it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.meetings import MeetingDesk
from shared.errors import Forbidden
from tests.media_fixtures import frames, join, leave, start_media_relay, wait_until

pytestmark = pytest.mark.slow


async def test_mute_all_stops_forwarding_until_the_host_allows_unmuting(tmp_path: Any) -> None:
    relay = start_media_relay(tmp_path)
    try:
        host_name, speaker_name, listener_name = (relay.add_user() for _ in range(3))
        meeting = relay.create_meeting(host_name)
        host = await join(relay, host_name, meeting, camera="none", mic="none")
        speaker = await join(relay, speaker_name, meeting, camera="none", mic="synthetic")
        listener = await join(relay, listener_name, meeting, camera="none", mic="none")
        speaker_id = speaker[0].participant_id
        await wait_until(lambda: frames(listener[1], speaker_id, "mic") > 20, 40, "the speaker to be heard")

        desk = MeetingDesk(host[0])
        seen_muted = asyncio.ensure_future(
            listener[0].wait_for(
                lambda e: (
                    isinstance(e, ev.ParticipantChanged)
                    and e.participant.participant_id == speaker_id
                    and bool(e.participant.muted.get("mic"))
                )
            )
        )
        await desk.mute_all(allow_unmute=False)
        await seen_muted
        # Packets already on the wire may still arrive; after that, nothing for a second (50 frames' worth).
        await asyncio.sleep(0.3)
        before = frames(listener[1], speaker_id, "mic")
        await asyncio.sleep(1.0)
        assert frames(listener[1], speaker_id, "mic") - before <= 2

        with pytest.raises(Forbidden):
            await speaker[1].set_muted("mic", False)
        assert speaker[1].local_tracks["mic"].muted is True  # refused: still muted on the speaker's side
        assert frames(listener[1], speaker_id, "mic") - before <= 2

        await desk.host_action("allow_unmute")
        await speaker[1].set_muted("mic", False)
        resumed_from = frames(listener[1], speaker_id, "mic")
        await wait_until(lambda: frames(listener[1], speaker_id, "mic") > resumed_from + 20, 10, "the speaker again")
        for who in (listener, speaker, host):
            await leave(*who)
    finally:
        relay.stop()
