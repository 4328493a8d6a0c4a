"""Every message Parley's client and relay exchange over the signalling websocket.

Each message is a msgspec Struct tagged by its ``type`` field; together they form one tagged union
(`Message`). Requests (client to relay) carry an ``id`` that the reply echoes. Replies carry the
same ``id``. Events are pushes from the relay and carry no ``id``.

Message types are append-only: never rename, remove or repurpose a tag or a field. New fields get a
default so older peers keep decoding. ``docs/protocol.md`` lists every message; a test keeps it in
step with this module.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

import msgspec

PROTOCOL_VERSION = 1

Source = Literal["mic", "camera", "screen"]
Role = Literal["host", "cohost", "participant"]


class _Msg(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, omit_defaults=False):
    """Base of every message."""


# --- shared value types ---------------------------------------------------------------------


class UserInfo(msgspec.Struct):
    """An account as other people see it."""

    user_id: str
    username: str
    display_name: str


class ParticipantInfo(msgspec.Struct):
    """A seat in a meeting.

    ``muted`` maps sources to whether they are muted; ``connected`` is false during the reconnect
    grace period.
    """

    participant_id: str
    user_id: str
    display_name: str
    role: Role = "participant"
    muted: dict[str, bool] = msgspec.field(default_factory=dict)
    connected: bool = True


class MeetingInfo(msgspec.Struct):
    """A meeting and its join link."""

    meeting_id: str
    title: str
    host_user_id: str
    link: str


class SessionInfo(msgspec.Struct):
    """One sign-in of an account (a device)."""

    session_id: str
    created_at: float
    expires_at: float
    last_seen_at: float
    address: str
    client: str
    current: bool = False


class TrackInfo(msgspec.Struct):
    """One forwarded track on a subscribe connection: whose it is and what it carries."""

    mid: str
    participant_id: str
    source: Source
    kind: Literal["audio", "video"]


# --- requests (client -> relay); each has an id --------------------------------------------


class Hello(_Msg, tag="hello"):
    """Opens every session; ``protocol`` must equal the relay's PROTOCOL_VERSION."""

    id: int
    protocol: int
    client: str = ""


class Login(_Msg, tag="login"):
    """Sign in with a password; the reply carries a session token."""

    id: int
    username: str
    password: str


class Resume(_Msg, tag="resume"):
    """Sign in again with a session token from an earlier login."""

    id: int
    token: str


class Logout(_Msg, tag="logout"):
    """End this connection's session (the token stops working)."""

    id: int


class Ping(_Msg, tag="ping"):
    """Liveness check; answered with ``pong``."""

    id: int


class CreateMeeting(_Msg, tag="meeting.create"):
    """Create an instant meeting hosted by the signed-in user."""

    id: int
    title: str = ""


class JoinMeeting(_Msg, tag="meeting.join"):
    """Take a seat in a meeting (or take back one's own seat within the reconnect grace period)."""

    id: int
    meeting_id: str


class LeaveMeeting(_Msg, tag="meeting.leave"):
    """Give up the seat in the current meeting."""

    id: int


class EndMeeting(_Msg, tag="meeting.end"):
    """End a meeting for everyone (host only)."""

    id: int
    meeting_id: str


class ListSessions(_Msg, tag="session.list"):
    """The signed-in user's active sessions (devices)."""

    id: int


class RevokeSession(_Msg, tag="session.revoke"):
    """End one of the signed-in user's other sessions."""

    id: int
    session_id: str


class PublishOffer(_Msg, tag="media.publish"):
    """The client's SDP offer for its publish connection (mic, camera, screen, data channel).

    ``fingerprint`` repeats the DTLS fingerprint of the offer; the relay refuses a mismatch.
    """

    id: int
    sdp: str
    fingerprint: str
    sources: dict[str, Source] = msgspec.field(default_factory=dict)  # mid -> source


class SubscribeAnswer(_Msg, tag="media.subscribe_answer"):
    """The client's SDP answer to the relay's subscribe offer of the given revision.

    ``fingerprint`` repeats the DTLS fingerprint of the answer; the relay refuses a mismatch.
    """

    id: int
    sdp: str
    revision: int
    fingerprint: str = ""


class SetMuted(_Msg, tag="media.mute"):
    """Mute or unmute one of the participant's own sources; a muted source is not forwarded."""

    id: int
    source: Source
    muted: bool


class RequestKeyframe(_Msg, tag="media.keyframe"):
    """Ask the relay for a fresh keyframe of a forwarded video track."""

    id: int
    participant_id: str
    source: Source


class Subscribe(_Msg, tag="media.subscribe"):
    """Ask for everyone else's media: the relay answers Ok, then pushes a `SubscribeOffer`
    whenever what this participant receives changes."""

    id: int


# --- replies (relay -> client); each echoes the request id ---------------------------------


class HelloOk(_Msg, tag="hello.ok"):
    """The relay accepted the hello; ``max_frame_bytes`` is its frame size limit."""

    id: int
    protocol: int
    server: str
    max_frame_bytes: int


class LoginOk(_Msg, tag="login.ok"):
    """Signed in. ``token`` is empty when resuming with an existing token."""

    id: int
    token: str
    user: UserInfo
    session_id: str
    expires_at: float


class Ok(_Msg, tag="ok"):
    """The request succeeded and has nothing to return."""

    id: int


class Pong(_Msg, tag="pong"):
    """Answer to ``ping`` with the relay's clock (seconds since the epoch)."""

    id: int
    server_time: float


class MeetingCreated(_Msg, tag="meeting.created"):
    """The new meeting and its join link."""

    id: int
    meeting: MeetingInfo


class MeetingJoined(_Msg, tag="meeting.joined"):
    """Seated: the meeting, one's own participant id, and everyone present.

    ``resumed`` is true when a kept seat was taken back.
    """

    id: int
    meeting: MeetingInfo
    participant_id: str
    participants: list[ParticipantInfo]
    resumed: bool = False


class SessionList(_Msg, tag="session.list.ok"):
    """Answer to ``session.list``."""

    id: int
    sessions: list[SessionInfo]


class PublishAnswer(_Msg, tag="media.answer"):
    """The relay's SDP answer for the publish connection."""

    id: int
    sdp: str


class Error(_Msg, tag="error"):
    """The reply to a request that failed, or (``id`` null) to a frame that could not be read."""

    id: int | None
    code: str
    message: str
    detail: dict[str, Any] = msgspec.field(default_factory=dict)


# --- events (relay -> client pushes); no id ------------------------------------------------


class ParticipantJoined(_Msg, tag="participant.joined"):
    """Someone took a seat in the meeting."""

    meeting_id: str
    participant: ParticipantInfo


class ParticipantLeft(_Msg, tag="participant.left"):
    """Someone left, was disconnected past the grace period, was removed, or the meeting ended."""

    meeting_id: str
    participant_id: str
    reason: Literal["left", "disconnected", "removed", "ended"] = "left"


class ParticipantUpdated(_Msg, tag="participant.updated"):
    """A participant's state changed (muted sources, connection dropped or back, role)."""

    meeting_id: str
    participant: ParticipantInfo


class SessionEnded(_Msg, tag="session.ended"):
    """The relay signed this connection out (account suspended, session revoked or expired)."""

    reason: Literal["suspended", "revoked", "expired", "logged_out"]
    message: str


class ServerGoingAway(_Msg, tag="server.going_away"):
    """The relay is stopping or restarting; reconnect after ``retry_after`` seconds."""

    message: str
    retry_after: float = 1.0


class MeetingEnded(_Msg, tag="meeting.ended"):
    """The host ended the meeting for everyone."""

    meeting_id: str
    message: str


class SubscribeOffer(_Msg, tag="media.subscribe_offer"):
    """The relay's SDP offer for the client's subscribe connection, with what each m-line carries."""

    sdp: str
    revision: int
    tracks: list[TrackInfo]


Request = (
    Hello
    | Login
    | Resume
    | Logout
    | Ping
    | CreateMeeting
    | JoinMeeting
    | LeaveMeeting
    | EndMeeting
    | ListSessions
    | RevokeSession
    | PublishOffer
    | SubscribeAnswer
    | SetMuted
    | RequestKeyframe
    | Subscribe
)
Reply = HelloOk | LoginOk | Ok | Pong | MeetingCreated | MeetingJoined | SessionList | PublishAnswer | Error
Event = (
    ParticipantJoined
    | ParticipantLeft
    | ParticipantUpdated
    | SessionEnded
    | ServerGoingAway
    | MeetingEnded
    | SubscribeOffer
)
Message = Request | Reply | Event

REQUEST_TYPES: tuple[type[_Msg], ...] = typing.get_args(Request)
REPLY_TYPES: tuple[type[_Msg], ...] = typing.get_args(Reply)
EVENT_TYPES: tuple[type[_Msg], ...] = typing.get_args(Event)
ALL_TYPES: tuple[type[_Msg], ...] = REQUEST_TYPES + REPLY_TYPES + EVENT_TYPES

# Requests a connection may send before it has signed in.
PUBLIC_REQUESTS: tuple[type[_Msg], ...] = (Hello, Login, Resume, Ping)


def tag_of(cls: type[_Msg]) -> str:
    """The wire ``type`` of a message class."""
    return str(cls.__struct_config__.tag)
