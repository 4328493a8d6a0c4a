"""Active speaker, live: the relay ranks speakers from the RFC 6464 audio level in each Opus
packet's RTP header (relay/sfu/speakers.py; nothing decoded) and every client hears of it as
`ev.ActiveSpeakerChanged`.

Three participants on a real relay: alice plays a tone, carol's microphone is a silent sound
file, bob plays a tone but is muted. Alice becomes everyone's active speaker (bob's muted tone
neither counts nor is forwarded); then alice mutes and bob unmutes, and bob takes over.
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from shared.protocol import messages as m
from tests.media_fixtures import SMALL, frames, join, leave, start_media_relay, wait_until

pytestmark = pytest.mark.slow

TIMEOUT = 10.0  # the ranking needs well under 1 s of media (tests/relay/sfu/test_speakers.py)


class Speakers:
    """The `ActiveSpeakerChanged` events one client got, in order, with a way to wait for one."""

    def __init__(self, client: Any) -> None:
        self.seen: list[str | None] = []
        self._changed = asyncio.Event()
        client.add_listener(self._on_event)

    def _on_event(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.ActiveSpeakerChanged):
            self.seen.append(event.participant_id)
            self._changed.set()

    async def wait_for(self, participant_id: str | None) -> None:
        async def until() -> None:
            while not self.seen or self.seen[-1] != participant_id:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), TIMEOUT)


def silent_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(bytes(2 * 48000))
    return path


async def test_the_tone_is_the_active_speaker_and_muting_hands_over(tmp_path: Path) -> None:
    from client.engine.call import ParleyClient
    from client.engine.media.audio_processing import ProcessingChoice
    from client.engine.media.session import MediaSession

    relay = start_media_relay(tmp_path)
    try:
        for name in ("alice", "bob", "carol"):
            relay.add_user(name)
        meeting = relay.create_meeting("alice", "Who speaks")
        quiet = ProcessingChoice.off()

        # bob: a tone, muted before his media starts (the relay knows before his first packet)
        b_client = ParleyClient(relay.server, fingerprint=relay.fingerprint)
        await b_client.connect()
        await b_client.sign_in("bob", "correct horse", remember=False)
        await b_client.join(meeting)
        await b_client.request(m.SetMuted(id=0, source="mic", muted=True))
        bob = MediaSession(b_client, **{**SMALL, "audio_processing": quiet})
        b_speakers = Speakers(b_client)
        await bob.start()
        await bob.set_muted("mic", True)

        c_client, carol = await join(relay, "carol", meeting, mic=str(silent_wav(tmp_path / "silence.wav")))
        c_speakers = Speakers(c_client)
        a_client, alice = await join(relay, "alice", meeting, audio_processing=quiet)
        a_speakers = Speakers(a_client)
        a_id, b_id = a_client.participant_id, b_client.participant_id

        # The tone is the speaker, for everyone (alice too: her own tile is marked).
        for speakers in (a_speakers, b_speakers, c_speakers):
            await speakers.wait_for(a_id)
        assert c_speakers.seen == [a_id] and c_client.active_speaker == a_id
        assert frames(carol, b_id, "mic") == 0  # a muted tone is not forwarded either
        assert frames(carol, a_id, "mic") > 0

        # Alice mutes, bob unmutes: bob's tone takes over; alice's muted audio counts as silence.
        await alice.set_muted("mic", True)
        await bob.set_muted("mic", False)
        for speakers in (a_speakers, b_speakers, c_speakers):
            await speakers.wait_for(b_id)
        assert c_speakers.seen == [a_id, b_id]

        # The relay's log says nothing about missing levels: the client sends them.
        assert "no audio level" not in relay.log

        # A newcomer hears who speaks when it subscribes.
        relay.add_user("dave")
        d_client, dave = await join(relay, "dave", meeting, mic="none", camera="none")
        await wait_until(lambda: d_client.active_speaker == b_id, TIMEOUT, "the newcomer hears who speaks")

        for client, session in ((d_client, dave), (a_client, alice), (b_client, bob), (c_client, carol)):
            await leave(client, session)
    finally:
        relay.stop()
