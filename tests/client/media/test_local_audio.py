"""A participant's own sound in the real engine, through a real relay: a speech file as the
microphone, muted, still tells the UI it hears a voice while the others hear silence; what Bob
hears goes to --speaker-out exactly as played."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.client.media.audio_live import level_db, need_tools, read_wav, speech
from tests.media_fixtures import join, leave, start_media_relay, wait_until


async def test_muted_speech_is_detected_but_not_sent(tmp_path: Path) -> None:
    need_tools()
    voice = speech(tmp_path / "ann.wav", "Hello everyone, can you hear me? I think I am still muted.", seconds=6)
    relay = start_media_relay(tmp_path)
    try:
        ann_user, bob_user = relay.add_user(display="Ann"), relay.add_user(display="Bob")
        meeting = relay.create_meeting(ann_user)
        heard = tmp_path / "bob-heard.wav"
        bob, bob_media = await join(relay, bob_user, meeting, camera="none", mic="none", speaker_out=heard)
        ann, ann_media = await join(relay, ann_user, meeting, camera="none", mic=str(voice))
        voices: list[tuple[float, bool]] = []
        ann_media.add_local_voice_listener(lambda level, speaking: voices.append((level, speaking)))
        await ann_media.set_muted("mic", True)
        await wait_until(lambda: any(speaking for _, speaking in voices), 20, "voice activity while muted")
        muted_from = bob_media.audio_report()["speaker_out_s"]
        await wait_until(lambda: bob_media.audio_report()["speaker_out_s"] > muted_from + 3, 20, "3 s muted")
        muted_until = bob_media.audio_report()["speaker_out_s"]
        await ann_media.set_muted("mic", False)
        await wait_until(lambda: bob_media.audio_report()["speaker_out_s"] > muted_until + 4, 20, "4 s unmuted")
        report = ann_media.audio_report()
        assert report["active"] and report["frames"] > 0 and np.isfinite(report["cpu_ms_per_frame"])
        await leave(ann, ann_media)
        await leave(bob, bob_media)
        samples = read_wav(heard)
        rate = 48000
        muted = samples[int((muted_from + 0.5) * rate) : int(muted_until * rate)]
        unmuted = samples[int((muted_until + 1.5) * rate) :]
        assert level_db(muted) < -70, level_db(muted)  # nothing of the voice left Ann's computer
        assert level_db(unmuted) > -40, level_db(unmuted)  # and Bob hears her once she unmutes
    finally:
        relay.stop()
