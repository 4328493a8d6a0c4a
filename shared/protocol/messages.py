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
LeaveReason = Literal["left", "disconnected", "removed", "ended"]
SessionEndReason = Literal["suspended", "revoked", "expired", "logged_out"]


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
    grace period; ``hand_raised_at`` is when they raised their hand (0: not raised).
    """

    participant_id: str
    user_id: str
    display_name: str
    role: Role = "participant"
    muted: dict[str, bool] = msgspec.field(default_factory=dict)
    connected: bool = True
    hand_raised_at: float = 0.0


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
    An offer with another ICE username fragment than the connection's comes from a new connection
    (the client rebuilt a dead one): the relay closes the old one and answers on a new one.
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
    whenever what this participant receives changes. Sent again while subscribed, it asks for a
    new subscribe connection (the client's died or was closed): the relay closes its side and
    offers on a new one; offers for the old one may still arrive and are ignored by the client."""

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
    reason: LeaveReason = "left"


class ParticipantUpdated(_Msg, tag="participant.updated"):
    """A participant's state changed (muted sources, connection dropped or back, role)."""

    meeting_id: str
    participant: ParticipantInfo


class SessionEnded(_Msg, tag="session.ended"):
    """The relay signed this connection out (account suspended, session revoked or expired)."""

    reason: SessionEndReason
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


# --- rooms, bookings, host controls, maintenance (issue 6) ----------------------------------

HostActionKind = Literal[
    "admit",
    "deny",
    "admit_all",
    "deny_all",
    "lock",
    "unlock",
    "lobby_on",
    "lobby_off",
    "mute",
    "mute_all",
    "allow_unmute",
    "ask_unmute",
    "ask_video",
    "stop_video",
    "remove",
    "rename",
    "make_host",
    "make_cohost",
    "make_participant",
    "lower_hand",
    "end",
]


class RoomInfo(msgspec.Struct):
    """A virtual meeting room that can be booked."""

    room_id: str
    name: str
    capacity: int
    description: str = ""


class BookingInfo(msgspec.Struct):
    """A booked meeting. Times are UTC seconds; ``timezone`` is the IANA zone it was booked in.
    ``weekly_count`` > 1 repeats it weekly; ``occurrences`` lists every [start, end]."""

    booking_id: str
    room_id: str
    room_name: str
    title: str
    starts_at: float
    ends_at: float
    timezone: str
    host_user_id: str
    host_username: str
    host_display_name: str
    meeting_id: str
    link: str
    weekly_count: int = 1
    invitees: list[str] = msgspec.field(default_factory=list)
    occurrences: list[list[float]] = msgspec.field(default_factory=list)
    # E-mail addresses the accounts have (user name -> address; absent when unknown), for the
    # calendar file's attendees and organizer.
    invitee_emails: dict[str, str] = msgspec.field(default_factory=dict)
    host_email: str = ""


class MaintenanceInfo(msgspec.Struct):
    """An announced maintenance window (UTC seconds)."""

    window_id: int
    starts_at: float
    ends_at: float
    message: str
    emergency: bool = False


class LobbyEntry(msgspec.Struct):
    """Someone waiting in a meeting's lobby; ``removed_before`` when the host removed them earlier."""

    user_id: str
    username: str
    display_name: str
    since: float
    removed_before: bool = False


class MeetingState(msgspec.Struct):
    """Host-controlled state of a live meeting; ``hands`` lists raised hands, first raised first;
    ``ends_at`` is when the meeting-length limit ends it (UTC seconds, 0 for never);
    ``started_at`` when its first participant joined (UTC seconds, 0 when not known, e.g. after a
    relay restart), for the call's elapsed time."""

    meeting_id: str
    locked: bool = False
    lobby: bool = False
    unmute_allowed: bool = True
    hands: list[str] = msgspec.field(default_factory=list)
    ends_at: float = 0.0
    started_at: float = 0.0
    spotlight: str = ""  # the participant the host spotlights for everyone ("" for nobody)


class ListRooms(_Msg, tag="room.list"):
    """The rooms that can be booked."""

    id: int


class BookRoom(_Msg, tag="booking.create"):
    """Book a room. ``room`` is a room name or id, or "" for a meeting without a room; times are
    UTC seconds; ``timezone`` an IANA zone (for display and calendar files); ``invitees`` are user
    names. A booking without a room has ``room_name`` "" in `BookingInfo`."""

    id: int
    room: str
    title: str
    starts_at: float
    ends_at: float
    timezone: str = "UTC"
    invitees: list[str] = msgspec.field(default_factory=list)
    weekly_count: int = 1


class EditBooking(_Msg, tag="booking.edit"):
    """Change a booking (host only); fields left null keep their value."""

    id: int
    booking_id: str
    room: str | None = None
    title: str | None = None
    starts_at: float | None = None
    ends_at: float | None = None
    timezone: str | None = None
    invitees: list[str] | None = None
    weekly_count: int | None = None


class CancelBooking(_Msg, tag="booking.cancel"):
    """Cancel a booking (host only); its meeting link stops working."""

    id: int
    booking_id: str


class ListBookings(_Msg, tag="booking.list"):
    """Bookings the signed-in user hosts or is invited to; upcoming only unless ``include_past``."""

    id: int
    include_past: bool = False


class ListMaintenance(_Msg, tag="maintenance.list"):
    """Announced maintenance windows that have not ended."""

    id: int


class HostAction(_Msg, tag="meeting.host_action"):
    """A host or co-host acts on the current meeting or one of its participants.

    ``participant_id`` names a seat; ``user_id`` a lobby entry (admit, deny); ``display_name`` is
    the new name (rename); ``allow_unmute`` applies to ``mute_all``."""

    id: int
    action: HostActionKind
    participant_id: str = ""
    user_id: str = ""
    display_name: str = ""
    allow_unmute: bool = True


class RaiseHand(_Msg, tag="meeting.hand"):
    """Raise or lower one's own hand."""

    id: int
    raised: bool = True


class RoomList(_Msg, tag="room.list.ok"):
    """Answer to ``room.list``."""

    id: int
    rooms: list[RoomInfo]


class BookingSaved(_Msg, tag="booking.saved"):
    """A booking was made or changed; ``warnings`` are sentences worth showing (e.g. maintenance)."""

    id: int
    booking: BookingInfo
    warnings: list[str] = msgspec.field(default_factory=list)


class BookingList(_Msg, tag="booking.list.ok"):
    """Answer to ``booking.list``, soonest first."""

    id: int
    bookings: list[BookingInfo]


class MaintenanceList(_Msg, tag="maintenance.list.ok"):
    """Answer to ``maintenance.list``, soonest first."""

    id: int
    windows: list[MaintenanceInfo]


class LobbyWaiting(_Msg, tag="meeting.lobby"):
    """Answer to ``meeting.join`` when the person must wait for the host to admit them; a
    ``lobby.decided`` event follows (when admitted, send ``meeting.join`` again)."""

    id: int
    meeting_id: str
    message: str


class LobbyChanged(_Msg, tag="lobby.changed"):
    """Who waits in the lobby now (sent to the host and co-hosts)."""

    meeting_id: str
    waiting: list[LobbyEntry]


class LobbyDecided(_Msg, tag="lobby.decided"):
    """The host admitted or denied this person waiting in the lobby."""

    meeting_id: str
    admitted: bool
    message: str = ""


class MeetingStateChanged(_Msg, tag="meeting.state"):
    """The meeting's host-controlled state changed (lock, lobby, mute-all, hands, end time)."""

    state: MeetingState


class HostAsked(_Msg, tag="meeting.asked"):
    """A host asks this participant to unmute or start their camera; they decide."""

    meeting_id: str
    what: Literal["unmute", "start_video"]
    by: str


class RemovedFromMeeting(_Msg, tag="meeting.removed"):
    """A host removed this participant; they cannot come back unless admitted from the lobby."""

    meeting_id: str
    message: str


class MeetingEndingSoon(_Msg, tag="meeting.ending_soon"):
    """The meeting-length limit ends the meeting at ``ends_at``."""

    meeting_id: str
    ends_at: float
    seconds_left: float
    message: str


class MaintenanceAnnounced(_Msg, tag="maintenance.announced"):
    """Upcoming maintenance (on sign-in and when it changes); ``started`` when a window began and
    the relay no longer accepts new meetings."""

    windows: list[MaintenanceInfo]
    message: str = ""
    started: bool = False


# --- chat and file transfer (issue 4) ----------------------------------------------------------


class ChatMessage(msgspec.Struct):
    """One chat message as the relay stamped it: ``seq`` orders a meeting's messages, ``sent_at``
    is the relay's clock (UTC seconds); ``to_participant_id`` is empty for everyone."""

    seq: int
    meeting_id: str
    from_participant_id: str
    from_name: str
    text: str
    sent_at: float
    to_participant_id: str = ""
    to_name: str = ""


class SendChat(_Msg, tag="chat.send"):
    """Send a chat message to everyone in the meeting, or privately to one participant (``to``)."""

    id: int
    text: str
    to: str = ""


class ChatHistory(_Msg, tag="chat.history"):
    """Earlier messages of the current meeting that this participant may see (empty unless the
    administrator turned on chat retention)."""

    id: int


class PublishFileKey(_Msg, tag="files.key"):
    """Publish this participant's X25519 public key (base64) for end-to-end file encryption; the
    reply lists everyone else's keys and the others get a ``files.key_published`` event."""

    id: int
    public_key: str


class OfferFile(_Msg, tag="files.offer"):
    """Offer a file to everyone (``to`` empty) or to the listed participants.

    The relay sees only ``size`` and ``chunks``: ``manifest`` (name, SHA-256) is sealed with the
    file's key, which is wrapped for each recipient in ``wrapped_keys`` (participant id -> base64)
    with the sender's one-file X25519 key ``sender_key``."""

    id: int
    transfer_id: str
    size: int
    chunk_size: int
    chunks: int
    manifest: str
    sender_key: str
    wrapped_keys: dict[str, str]
    to: list[str] = msgspec.field(default_factory=list)


class AnswerFile(_Msg, tag="files.answer"):
    """A recipient accepts or declines an offered file (``reason`` is shown to the sender)."""

    id: int
    transfer_id: str
    accept: bool
    reason: str = ""


class AckFile(_Msg, tag="files.ack"):
    """A recipient has written the first ``received`` chunks; ``complete`` once the SHA-256
    matched and the file has its final name."""

    id: int
    transfer_id: str
    received: int
    complete: bool = False


class ResumeFile(_Msg, tag="files.resume"):
    """After reconnecting, a recipient asks for the chunks from ``received`` on (after a relay
    restart: once the sender has offered the transfer again, see ``files.reoffer``). ``received``
    equal to the chunk count says it already has the whole file, verified."""

    id: int
    transfer_id: str
    received: int


class CancelFile(_Msg, tag="files.cancel"):
    """The sender cancels a transfer for everyone, or a recipient stops receiving it."""

    id: int
    transfer_id: str
    reason: str = ""


class ChatSent(_Msg, tag="chat.sent"):
    """Answer to ``chat.send``: the message as delivered."""

    id: int
    message: ChatMessage


class ChatHistoryList(_Msg, tag="chat.history.ok"):
    """Answer to ``chat.history``, oldest first."""

    id: int
    messages: list[ChatMessage]


class FileKeys(_Msg, tag="files.keys"):
    """Answer to ``files.key``: the X25519 public keys of the others (participant id -> base64)."""

    id: int
    keys: dict[str, str]


class ChatReceived(_Msg, tag="chat.received"):
    """A chat message for this participant (to everyone, or privately to or from them)."""

    message: ChatMessage


class FileKeyPublished(_Msg, tag="files.key_published"):
    """A participant published their X25519 public key."""

    meeting_id: str
    participant_id: str
    public_key: str


class FileOffered(_Msg, tag="files.offered"):
    """Someone offers this participant a file; ``wrapped_key`` is the file key sealed for them."""

    meeting_id: str
    transfer_id: str
    from_participant_id: str
    from_name: str
    size: int
    chunk_size: int
    chunks: int
    manifest: str
    sender_key: str
    wrapped_key: str


class FileAnswered(_Msg, tag="files.answered"):
    """A recipient accepted or declined the sender's offer."""

    transfer_id: str
    participant_id: str
    accepted: bool
    reason: str = ""


class FileAcked(_Msg, tag="files.acked"):
    """A recipient's progress (to the sender). ``resume``: it reconnected and needs the chunks
    from ``received`` on; ``complete``: it verified the whole file."""

    transfer_id: str
    participant_id: str
    received: int
    complete: bool = False
    resume: bool = False


class FileCancelled(_Msg, tag="files.cancelled"):
    """A transfer (or one recipient's part of it) stopped; ``reason`` is a sentence for people."""

    transfer_id: str
    participant_id: str
    reason: str = ""


class ReofferFile(_Msg, tag="files.reoffer"):
    """The sender offers an unfinished transfer again after the relay restarted (its seat is
    new): to the users (``to_users``, user ids) who were receiving it. Each takes it back with
    ``files.resume`` from what it has written; they still hold the file's key, so no key or
    manifest is sent again."""

    id: int
    transfer_id: str
    size: int
    chunk_size: int
    chunks: int
    to_users: list[str]


class BookingsChanged(_Msg, tag="booking.changed"):
    """A booking this user hosts or is (or was) invited to was made, changed or cancelled by
    someone else (or on another of their devices): list the bookings again. ``message`` is a
    sentence for people, e.g. who invited them to what."""

    booking_id: str
    message: str = ""


class FileReoffered(_Msg, tag="files.reoffered"):
    """A transfer this participant was receiving is offered again by its sender's new seat (after
    the relay restarted); take it back with ``files.resume``."""

    meeting_id: str
    transfer_id: str
    from_participant_id: str
    from_name: str


# --- recording (issue 5) -----------------------------------------------------------------------


class RecordingState(msgspec.Struct):
    """Whether a meeting is being recorded, by whom (on their own machine) and since when (UTC
    seconds); ``cohosts_allowed`` when the host lets co-hosts start and stop recording."""

    meeting_id: str
    recording: bool = False
    by_participant_id: str = ""
    by_name: str = ""
    started_at: float = 0.0
    cohosts_allowed: bool = False


class StartRecording(_Msg, tag="recording.start"):
    """Tell the meeting that this participant starts recording it (host, or co-host if allowed).
    The relay never sees the recording; it only tells everyone, late joiners included."""

    id: int


class StopRecording(_Msg, tag="recording.stop"):
    """Stop the meeting's recording: the recorder, or the host (the recorder's app then stops).
    ``reason`` is an optional sentence shown with the notice (e.g. the disk is nearly full)."""

    id: int
    reason: str = ""


class AllowCohostRecording(_Msg, tag="recording.allow_cohosts"):
    """The host lets co-hosts start and stop recording, or stops letting them."""

    id: int
    allowed: bool = True


class RecordingStatus(_Msg, tag="recording.status"):
    """Answer to the ``recording.*`` requests: the meeting's recording state now."""

    id: int
    state: RecordingState


class RecordingChanged(_Msg, tag="recording.changed"):
    """The meeting's recording started or stopped (to everyone; to a joiner right after joining
    while it records); ``message`` is the notice to show."""

    state: RecordingState
    message: str = ""


class MediaStopped(_Msg, tag="media.stopped"):
    """The relay stopped forwarding one of this participant's published sources; ``reason`` is
    stable: ``bitrate`` (it kept sending over the relay's ceiling: for good, until they rejoin) or
    ``taken_over`` (someone else started sharing their screen: one share at a time, the later one
    wins; sharing again takes it back); ``message`` is the sentence to show."""

    meeting_id: str
    source: Source
    reason: str
    message: str


class PersonInfo(msgspec.Struct):
    """Someone who can be invited: a Parley user name and the name people know them by."""

    username: str
    display_name: str


class SearchPeople(_Msg, tag="people.search"):
    """Find colleagues to invite by name (Parley accounts and the company directory). The relay
    refuses queries shorter than its minimum and answers at most its limit (``limit`` 0: the
    relay's limit; a smaller one is honoured)."""

    id: int
    query: str
    limit: int = 0


class PeopleFound(_Msg, tag="people.found"):
    """Answer to ``people.search``, best matches first; ``note`` is a sentence worth showing (e.g.
    the directory did not answer, so only Parley accounts are listed)."""

    id: int
    people: list[PersonInfo]
    note: str = ""


class SpeakerChanged(_Msg, tag="media.speaker"):
    """The meeting's active speaker changed (ranked by the relay from the audio level in each
    participant's RTP headers, with hysteresis); ``participant_id`` is empty when nobody is (the
    speaker left). Sent to everyone with media in the meeting, and to a newcomer on subscribe."""

    meeting_id: str
    participant_id: str


class DescribeMeeting(_Msg, tag="meeting.describe"):
    """The title and host of a meeting, for the pre-join screen of someone who has its link (it
    is shown to anyone who may join it anyway). NotFound when it does not exist or has ended."""

    id: int
    meeting_id: str


class MeetingDescribed(_Msg, tag="meeting.described"):
    """Answer to ``meeting.describe``."""

    id: int
    meeting: MeetingInfo


# --- views and reactions (issue 19) ---------------------------------------------------------

ReactionKind = Literal["thumbs_up", "clap", "laugh", "heart", "surprised", "celebrate"]


class SetSpotlight(_Msg, tag="meeting.spotlight"):
    """A host or co-host spotlights ``participant_id`` for everyone (large on every screen);
    "" ends the spotlight. Everyone learns it through ``meeting.state`` (``spotlight``)."""

    id: int
    participant_id: str = ""


class SendReaction(_Msg, tag="meeting.react"):
    """Show a reaction on one's own tile at everyone's screen for a few seconds (rate-limited)."""

    id: int
    reaction: ReactionKind


class ReactionShown(_Msg, tag="meeting.reaction"):
    """Someone in the meeting reacted."""

    meeting_id: str
    participant_id: str
    reaction: ReactionKind


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
    | ListRooms
    | BookRoom
    | EditBooking
    | CancelBooking
    | ListBookings
    | ListMaintenance
    | HostAction
    | RaiseHand
    | SendChat
    | ChatHistory
    | PublishFileKey
    | OfferFile
    | AnswerFile
    | AckFile
    | ResumeFile
    | CancelFile
    | StartRecording
    | StopRecording
    | AllowCohostRecording
    | ReofferFile
    | SearchPeople
    | DescribeMeeting
    | SetSpotlight
    | SendReaction
)
Reply = (
    HelloOk
    | LoginOk
    | Ok
    | Pong
    | MeetingCreated
    | MeetingJoined
    | SessionList
    | PublishAnswer
    | Error
    | RoomList
    | BookingSaved
    | BookingList
    | MaintenanceList
    | LobbyWaiting
    | ChatSent
    | ChatHistoryList
    | FileKeys
    | RecordingStatus
    | PeopleFound
    | MeetingDescribed
)
Event = (
    ParticipantJoined
    | ParticipantLeft
    | ParticipantUpdated
    | SessionEnded
    | ServerGoingAway
    | MeetingEnded
    | SubscribeOffer
    | LobbyChanged
    | LobbyDecided
    | MeetingStateChanged
    | HostAsked
    | RemovedFromMeeting
    | MeetingEndingSoon
    | MaintenanceAnnounced
    | ChatReceived
    | FileKeyPublished
    | FileOffered
    | FileAnswered
    | FileAcked
    | FileCancelled
    | RecordingChanged
    | FileReoffered
    | BookingsChanged
    | MediaStopped
    | SpeakerChanged
    | ReactionShown
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
