"""What the engine reports to a UI or a script. Events are named in the past tense."""

from __future__ import annotations

from dataclasses import dataclass

from shared.protocol import messages as m


@dataclass(frozen=True)
class Connected:
    server: str
    fingerprint: str


@dataclass(frozen=True)
class SignedIn:
    user: m.UserInfo


@dataclass(frozen=True)
class SignedOut:
    reason: str
    message: str


@dataclass(frozen=True)
class MeetingJoined:
    meeting: m.MeetingInfo
    participant_id: str
    resumed: bool = False


@dataclass(frozen=True)
class MeetingLeft:
    meeting_id: str
    reason: str
    message: str = ""


@dataclass(frozen=True)
class ParticipantChanged:
    """A participant is present (on join), joined, or changed (muted, reconnected, renamed)."""

    participant: m.ParticipantInfo
    change: str  # present | joined | updated


@dataclass(frozen=True)
class ParticipantLeft:
    participant: m.ParticipantInfo
    reason: str


@dataclass(frozen=True)
class ServerGoingAway:
    message: str
    retry_after: float


@dataclass(frozen=True)
class Disconnected:
    message: str


@dataclass(frozen=True)
class RemoteTrackAdded:
    """Someone's mic, camera or screen now arrives on the subscribe connection."""

    participant_id: str
    source: str
    kind: str


@dataclass(frozen=True)
class RemoteTrackRemoved:
    participant_id: str
    source: str
    kind: str


@dataclass(frozen=True)
class MediaFailed:
    """Media could not start or a device failed; ``message`` is a sentence for people."""

    message: str


EngineEvent = (
    Connected
    | SignedIn
    | SignedOut
    | MeetingJoined
    | MeetingLeft
    | ParticipantChanged
    | ParticipantLeft
    | ServerGoingAway
    | Disconnected
    | RemoteTrackAdded
    | RemoteTrackRemoved
    | MediaFailed
)
