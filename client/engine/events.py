"""What the engine reports to a UI or a script.

Events are named in the past tense and never after a protocol message (`shared.protocol.messages`),
so `ev.MeetingEntered` (we took our seat) cannot be mistaken for `m.MeetingJoined` (the relay's
reply); tests/client/test_events.py checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from client.engine.explain import Explanation
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
class MeetingEntered:
    """This client took its seat in a meeting (``resumed``: the relay kept it over a reconnect)."""

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
class ParticipantDeparted:
    """Someone else left the meeting (``reason`` as the relay gave it)."""

    participant: m.ParticipantInfo
    reason: str


@dataclass(frozen=True)
class ServerShutdownAnnounced:
    """The relay is stopping or restarting; the engine reconnects after ``retry_after`` seconds."""

    message: str
    retry_after: float


@dataclass(frozen=True)
class Disconnected:
    """The connection is gone for good; ``message`` is a sentence for people, ``explanation`` (when
    known) its cause, translatable sentence and technical details."""

    message: str
    explanation: Explanation | None = None


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
class RemoteTrackStalled:
    """Someone's track stopped delivering frames (its connection is being rebuilt, or their own
    is): the tile keeps its last picture and says so until `RemoteTrackResumed`."""

    participant_id: str
    source: str
    kind: str


@dataclass(frozen=True)
class RemoteTrackResumed:
    """Frames of a stalled track arrive again."""

    participant_id: str
    source: str
    kind: str


@dataclass(frozen=True)
class MediaInterrupted:
    """This participant's ``connection`` ("publish" or "subscribe") died; ``reason`` is "failed",
    "closed" or "silent" (no packets). The engine rebuilds it by itself (`MediaRestarted`)."""

    connection: str
    reason: str


@dataclass(frozen=True)
class MediaRestarted:
    """``connection`` was rebuilt, ``seconds`` after it was found dead; media flows again on it."""

    connection: str
    reason: str
    seconds: float


@dataclass(frozen=True)
class ShareTakenOver:
    """Someone else started sharing their screen, so the relay stopped forwarding ours (one share
    at a time); ``message`` says who shares now."""

    message: str


@dataclass(frozen=True)
class MediaFailed:
    """Media could not start or a device failed; ``message`` is a sentence for people,
    ``explanation`` (when given) its cause, translatable sentence and technical details."""

    message: str
    explanation: Explanation | None = None


# --- lobby, host controls, length limit, maintenance (client/engine/meetings.py) ---------------


@dataclass(frozen=True)
class HeldInLobby:
    """This client waits in a meeting's lobby for the host to admit it."""

    meeting_id: str
    message: str


@dataclass(frozen=True)
class LobbyAnswered:
    """The host let this client in from the lobby, or not."""

    meeting_id: str
    admitted: bool
    message: str


@dataclass(frozen=True)
class LobbyQueueChanged:
    """Who waits in the lobby (hosts and co-hosts only)."""

    meeting_id: str
    waiting: list[m.LobbyEntry]


@dataclass(frozen=True)
class MeetingStateUpdated:
    """The meeting's host-controlled state changed (lock, lobby, mute-all, hands, end time)."""

    state: m.MeetingState


@dataclass(frozen=True)
class ReactionArrived:
    """Someone in the meeting (perhaps this person) reacted: show it on their tile for a while."""

    participant_id: str
    reaction: str


@dataclass(frozen=True)
class AskedByHost:
    """A host asks this person to unmute or start video; they decide."""

    what: str
    by: str


@dataclass(frozen=True)
class MeetingEndAnnounced:
    """The meeting-length limit ends the meeting at ``ends_at``."""

    ends_at: float
    seconds_left: float
    message: str


@dataclass(frozen=True)
class BookingsUpdated:
    """Someone else made, changed or cancelled a booking that concerns us: list them again."""

    booking_id: str
    message: str = ""


@dataclass(frozen=True)
class MaintenanceNotified:
    """Planned maintenance of the server (``started`` once a window began)."""

    windows: list[m.MaintenanceInfo]
    message: str
    started: bool = False


@dataclass(frozen=True)
class ChatMessageReceived:
    """A chat message arrived (or, ``own``, the relay delivered one this participant sent)."""

    message: m.ChatMessage
    own: bool = False


@dataclass(frozen=True)
class FileTransferChanged:
    """A file transfer changed state or made progress.

    ``direction`` is "incoming" or "outgoing"; ``state`` one of offered, waiting, transferring,
    complete, declined, cancelled, failed; ``speed`` in bytes per second; ``seconds_left`` None
    when unknown; ``path`` is where a received file landed; ``message`` a sentence for people.
    """

    transfer_id: str
    direction: str
    name: str
    size: int
    peer: str
    state: str
    done_bytes: int = 0
    speed: float = 0.0
    seconds_left: float | None = None
    path: str = ""
    message: str = ""


# --- recording (client/engine/recording.py) ----------------------------------------------------


@dataclass(frozen=True)
class RecordingStateChanged:
    """The meeting's recording started or stopped (whoever records it); ``message`` is the notice."""

    state: m.RecordingState
    message: str


@dataclass(frozen=True)
class RecordingFinished:
    """This machine's recording ended and its file is in ``path``; ``message`` says why when it
    stopped by itself (the disk nearly full, a write error), else it is empty."""

    path: str
    message: str = ""


# --- reconnection (client/engine/reconnect.py) ---------------------------------------------------


@dataclass(frozen=True)
class Reconnecting:
    """The connection dropped; the engine tries again in ``delay`` seconds (show a banner)."""

    attempt: int
    delay: float
    message: str
    meeting_id: str | None = None


@dataclass(frozen=True)
class Reconnected:
    """Signed back in (and back in the meeting, ``resumed`` when the seat was kept)."""

    attempts: int
    resumed: bool
    seconds: float
    meeting_id: str | None = None


@dataclass(frozen=True)
class ActiveSpeakerChanged:
    """The relay says who the meeting's active speaker is now (ranked from everyone's audio level,
    with hysteresis, so a speaker view can follow it as is); ``participant_id`` is None when
    nobody is (the speaker left). Silence keeps the last speaker. It may be this participant."""

    meeting_id: str
    participant_id: str | None


EngineEvent = (
    Connected
    | SignedIn
    | SignedOut
    | MeetingEntered
    | MeetingLeft
    | ParticipantChanged
    | ParticipantDeparted
    | ServerShutdownAnnounced
    | Disconnected
    | RemoteTrackAdded
    | RemoteTrackRemoved
    | RemoteTrackStalled
    | RemoteTrackResumed
    | MediaInterrupted
    | MediaRestarted
    | MediaFailed
    | ShareTakenOver
    | HeldInLobby
    | LobbyAnswered
    | LobbyQueueChanged
    | MeetingStateUpdated
    | ReactionArrived
    | AskedByHost
    | MeetingEndAnnounced
    | MaintenanceNotified
    | BookingsUpdated
    | ChatMessageReceived
    | FileTransferChanged
    | RecordingStateChanged
    | RecordingFinished
    | Reconnecting
    | Reconnected
    | ActiveSpeakerChanged
)
