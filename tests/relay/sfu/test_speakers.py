"""The active-speaker ranking (relay/sfu/speakers.py), in media time: packets every 20 ms with
given RFC 6464 levels, no clock and no relay."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from relay.sfu.speakers import SILENCE, ActiveSpeakers, MeetingSpeakers
from shared.protocol import messages as m

TONE = 17  # -17 dBov: a 0.2-amplitude sine (client/engine/media/sources.py ToneAudioTrack)
SPEECH = 30
QUIET = 45  # -45 dBov: soft speech, above the floor


class Meeting:
    def __init__(self) -> None:
        self.announced: list[tuple[float, str | None]] = []
        self.t = 0.0
        self.speakers = MeetingSpeakers("m1", lambda meeting, pid: self.announced.append((self.t, pid)))

    def run(self, seconds: float, levels: Callable[[float], dict[str, int | None]]) -> None:
        """``seconds`` of 20 ms packets from everyone, with the levels ``levels(t)`` gives."""
        end = self.t + seconds
        while self.t < end - 1e-9:
            self.t = round(self.t + 0.02, 6)
            for pid, level in levels(self.t).items():
                self.speakers.heard(pid, level, self.t)

    def speaker_at(self, t: float) -> str | None:
        current = None
        for at, pid in self.announced:
            if at <= t:
                current = pid
        return current


def test_a_tone_among_silence_is_the_speaker_within_one_second() -> None:
    meeting = Meeting()
    meeting.run(2.0, lambda t: {"alice": SILENCE, "bob": SILENCE, "carol": SILENCE})
    assert meeting.announced == []  # silence names nobody
    start = meeting.t
    meeting.run(2.0, lambda t: {"alice": TONE, "bob": SILENCE, "carol": SILENCE})
    assert len(meeting.announced) == 1
    at, pid = meeting.announced[0]
    assert pid == "alice" and at - start <= 1.0


def test_silence_keeps_the_last_speaker() -> None:
    meeting = Meeting()
    meeting.run(1.0, lambda t: {"alice": SPEECH, "bob": SILENCE})
    meeting.run(5.0, lambda t: {"alice": SILENCE, "bob": SILENCE})
    assert [pid for _, pid in meeting.announced] == ["alice"]


def test_a_short_cough_does_not_take_the_stage() -> None:
    meeting = Meeting()
    meeting.run(3.0, lambda t: {"alice": SPEECH, "bob": SILENCE})
    meeting.run(0.2, lambda t: {"alice": SPEECH, "bob": 10})  # bob: 200 ms, much louder
    meeting.run(2.0, lambda t: {"alice": SPEECH, "bob": SILENCE})
    assert [pid for _, pid in meeting.announced] == ["alice"]


def test_a_switch_needs_a_margin() -> None:
    meeting = Meeting()
    meeting.run(3.0, lambda t: {"alice": SPEECH, "bob": SILENCE})
    meeting.run(3.0, lambda t: {"alice": SPEECH, "bob": SPEECH - 3})  # only 3 dB louder
    assert [pid for _, pid in meeting.announced] == ["alice"]
    meeting.run(3.0, lambda t: {"alice": SILENCE, "bob": SPEECH})  # alice stops: bob takes over
    assert [pid for _, pid in meeting.announced] == ["alice", "bob"]


def test_a_switch_waits_for_the_minimum_hold() -> None:
    meeting = Meeting()
    meeting.run(0.5, lambda t: {"alice": TONE, "bob": SILENCE})
    assert meeting.speaker_at(meeting.t) == "alice"
    taken = meeting.announced[0][0]
    meeting.run(3.0, lambda t: {"alice": SILENCE, "bob": TONE})
    assert [pid for _, pid in meeting.announced] == ["alice", "bob"]
    assert meeting.announced[1][0] - taken >= 1.0  # held for MIN_HOLD_S first


def test_alternating_speakers_do_not_flicker() -> None:
    meeting = Meeting()
    # alice and bob talk over each other, swapping who is louder every 100 ms for 10 s
    meeting.run(
        10.0, lambda t: {"alice": QUIET if int(t * 10) % 2 else SPEECH, "bob": SPEECH if int(t * 10) % 2 else QUIET}
    )
    assert len(meeting.announced) <= 10  # at most one change per MIN_HOLD_S


def test_a_participant_who_stops_sending_counts_as_silent() -> None:
    meeting = Meeting()
    meeting.run(2.0, lambda t: {"alice": SPEECH, "bob": SILENCE})
    meeting.run(3.0, lambda t: {"bob": QUIET})  # alice's packets stop (her connection went)
    assert [pid for _, pid in meeting.announced] == ["alice", "bob"]


def test_the_speaker_leaving_names_nobody_and_then_the_next() -> None:
    meeting = Meeting()
    meeting.run(2.0, lambda t: {"alice": SPEECH, "bob": SILENCE})
    meeting.speakers.forget("alice", meeting.t)
    assert meeting.announced[-1][1] is None
    meeting.run(1.0, lambda t: {"bob": SPEECH})
    assert meeting.announced[-1][1] == "bob"


def test_absurd_levels_are_clamped_and_missing_levels_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    meeting = Meeting()
    with caplog.at_level(logging.WARNING, "parley.relay.sfu"):
        meeting.run(3.0, lambda t: {"alice": 100000, "bob": -5, "carol": None})
    # -5 is read as 0 dBov (loudest), 100000 as silence, None (no extension) as silence
    assert [pid for _, pid in meeting.announced] == ["bob"]
    lines = [r for r in caplog.records if "no audio level" in r.getMessage()]
    assert len(lines) == 1 and "carol" in lines[0].getMessage()


class Listener:
    def __init__(self, name: str, told: list[tuple[str, str, str]]) -> None:
        self.name, self.told = name, told

    def send_event(self, event: m.Event) -> None:
        assert isinstance(event, m.SpeakerChanged)
        self.told.append((self.name, event.meeting_id, event.participant_id))


def test_meetings_are_ranked_apart_and_everyone_is_told() -> None:
    told: list[tuple[str, str, str]] = []
    audience = {"m1": [Listener("ann", told), Listener("al", told)], "m2": [Listener("bo", told)]}
    speakers = ActiveSpeakers(lambda meeting_id: audience[meeting_id])
    alice, bob = speakers.listener("m1", "alice", "mic"), speakers.listener("m2", "bob", "mic")
    assert alice is not None and bob is not None and speakers.listener("m1", "alice", "camera") is None
    for i in range(50):
        alice(TONE, i * 0.02)
        bob(TONE, i * 0.02)
    assert sorted(told) == [("al", "m1", "alice"), ("ann", "m1", "alice"), ("bo", "m2", "bob")]
    newcomer = Listener("cy", told)
    speakers.tell("m1", newcomer)
    assert told[-1] == ("cy", "m1", "alice")
    speakers.forget("m1", "alice", 1.0)
    assert told[-2:] == [("ann", "m1", ""), ("al", "m1", "")]
    speakers.forget("m1", "alice", 1.0, meeting_over=True)
    assert speakers.current("m1") is None and "m1" not in speakers.meetings
