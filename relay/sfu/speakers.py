"""Who is speaking, per meeting, from the audio level each publisher writes in its RTP headers.

Each Opus packet carries the RFC 6464 client-to-mixer audio level (``urn:ietf:params:rtp-hdrext:
ssrc-audio-level``: 0 is 0 dBov, 127 is -127 dBov or silence); aiortc computes it for every frame
it encodes and the relay's RTP parser already reads it, so nothing is decoded here. Sans-I/O:
`MeetingSpeakers.heard` is fed (level, monotonic time) per packet by the forwarding path and
calls ``announce`` when the active speaker changes.

The ranking, with hysteresis so the stage does not flicker:

- each participant's loudness (127 - level) is smoothed exponentially over ``SMOOTHING_S``;
  a participant not heard for ``SILENT_AFTER_S`` (left, muted, connection gone) counts as silent;
- the loudest participant above ``SPEECH_FLOOR`` is the candidate, at most every ``DECIDE_EVERY_S``;
- with no active speaker the candidate becomes it at once; otherwise a switch needs the current
  speaker held for ``MIN_HOLD_S`` and the candidate ``MARGIN`` dB louder than the current one;
- silence keeps the last speaker (the stage shows who spoke last, as Zoom and Meet do).

Muted participants are fed as silence by the caller (their packets are not forwarded either).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterable
from typing import Protocol

from shared.protocol import messages as m

log = logging.getLogger("parley.relay.sfu")

SILENCE = 127  # RFC 6464: -127 dBov
SMOOTHING_S = 0.3
SPEECH_FLOOR = 127 - 50  # loudness of -50 dBov: quieter is background, not speech
MARGIN = 6.0  # dB a challenger must be louder than the current speaker
MIN_HOLD_S = 1.0
DECIDE_EVERY_S = 0.1
SILENT_AFTER_S = 0.5
NO_LEVEL_NOTICE = 50  # packets without a level (1 s of audio) before the one log line


class _Level:
    __slots__ = ("at", "missing", "told", "value")

    def __init__(self, now: float) -> None:
        self.value = 0.0  # smoothed loudness, 0 (silence) .. 127 (0 dBov)
        self.at = now
        self.missing = 0
        self.told = False


class MeetingSpeakers:
    """The active speaker of one meeting."""

    def __init__(self, meeting_id: str, announce: Callable[[str, str | None], None]) -> None:
        self.meeting_id = meeting_id
        self.announce = announce  # (meeting id, participant id or None)
        self.current: str | None = None
        self.since = 0.0
        self.changes = 0
        self._levels: dict[str, _Level] = {}
        self._decided = -math.inf

    def heard(self, participant_id: str, level: int | None, now: float) -> None:
        """One audio packet of ``participant_id`` with its RFC 6464 level (None: the packet has
        no level; the caller passes `SILENCE` for a muted participant)."""
        entry = self._levels.get(participant_id)
        if entry is None:
            entry = self._levels[participant_id] = _Level(now)
        if level is None:
            entry.missing += 1
            if entry.missing >= NO_LEVEL_NOTICE and not entry.told:
                entry.told = True
                log.warning(
                    "participant %s sends no audio level (RFC 6464) in its audio: never ranked as a speaker",
                    participant_id,
                )
            level = SILENCE
        loudness = float(SILENCE - min(max(int(level), 0), SILENCE))
        elapsed = now - entry.at
        if elapsed > 0:
            entry.value += (1.0 - math.exp(-elapsed / SMOOTHING_S)) * (loudness - entry.value)
        entry.at = max(entry.at, now)
        if now - self._decided >= DECIDE_EVERY_S:
            self.decide(now)

    def loudness(self, participant_id: str, now: float) -> float:
        entry = self._levels.get(participant_id)
        if entry is None or now - entry.at > SILENT_AFTER_S:
            return 0.0
        return entry.value

    def decide(self, now: float) -> None:
        self._decided = now
        best: str | None = None
        best_value = float(SPEECH_FLOOR)
        for participant_id in self._levels:
            value = self.loudness(participant_id, now)
            if value >= best_value:
                best, best_value = participant_id, value
        if best is None or best == self.current:
            return
        if self.current is not None:
            if now - self.since < MIN_HOLD_S or best_value < self.loudness(self.current, now) + MARGIN:
                return
        self._switch(best, now)

    def forget(self, participant_id: str, now: float) -> None:
        """``participant_id`` left: no longer ranked; if it was the speaker, nobody is (until the
        next decision picks someone who speaks)."""
        self._levels.pop(participant_id, None)
        if self.current == participant_id:
            self._switch(None, now)

    def _switch(self, participant_id: str | None, now: float) -> None:
        self.current, self.since = participant_id, now
        self.changes += 1
        self.announce(self.meeting_id, participant_id)


class Audience(Protocol):
    """Someone told of speaker changes (relay.peer.Peer)."""

    def send_event(self, event: m.Event) -> None: ...


class ActiveSpeakers:
    """`MeetingSpeakers` of every meeting with media on this relay; each change is pushed as
    `m.SpeakerChanged` to ``audience(meeting_id)`` (everyone with media in the meeting)."""

    def __init__(self, audience: Callable[[str], Iterable[Audience]]) -> None:
        self.audience = audience
        self.meetings: dict[str, MeetingSpeakers] = {}

    def heard(self, meeting_id: str, participant_id: str, level: int | None, now: float) -> None:
        speakers = self.meetings.get(meeting_id)
        if speakers is None:
            speakers = self.meetings[meeting_id] = MeetingSpeakers(meeting_id, self._announce)
        speakers.heard(participant_id, level, now)

    def listener(self, meeting_id: str, participant_id: str, source: str) -> Callable[[int | None, float], None] | None:
        """What a published source feeds its audio levels to (None: not a microphone)."""
        return functools.partial(self.heard, meeting_id, participant_id) if source == "mic" else None

    def current(self, meeting_id: str) -> str | None:
        speakers = self.meetings.get(meeting_id)
        return speakers.current if speakers is not None else None

    def tell(self, meeting_id: str, newcomer: Audience) -> None:
        """Tell someone who just subscribed who speaks now (if anyone does)."""
        current = self.current(meeting_id)
        if current is not None:
            newcomer.send_event(m.SpeakerChanged(meeting_id=meeting_id, participant_id=current))

    def forget(self, meeting_id: str, participant_id: str, now: float, *, meeting_over: bool = False) -> None:
        speakers = self.meetings.get(meeting_id)
        if speakers is None:
            return
        if meeting_over:
            del self.meetings[meeting_id]
            return
        speakers.forget(participant_id, now)

    def _announce(self, meeting_id: str, participant_id: str | None) -> None:
        event = m.SpeakerChanged(meeting_id=meeting_id, participant_id=participant_id or "")
        for someone in self.audience(meeting_id):
            someone.send_event(event)
