"""Live meetings and who is seated in them. Decides who gets told what; returns outboxes.

A participant is one account in one meeting (accounts are personal, so the same account cannot hold
two seats). When a participant's connection drops, the seat is kept for the reconnect grace period;
the same account joining again within it takes the seat back.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from relay.config import LimitsConfig
from relay.links import Links
from relay.peer import Outbox, Peer
from relay.store.db import Database
from relay.store.models import AuditEntry, Meeting, User
from shared.errors import BadRequest, Conflict, LimitExceeded, NotFound
from shared.limits import MAX_TITLE_LENGTH
from shared.protocol import messages as m
from shared.text import clean_line


@dataclass
class Participant:
    participant_id: str
    user_id: str
    display_name: str
    role: m.Role
    peer: Peer | None
    joined_at: float
    muted: dict[str, bool] = field(default_factory=dict)
    disconnected_at: float | None = None
    hand_raised_at: float = 0.0

    def info(self) -> m.ParticipantInfo:
        return m.ParticipantInfo(
            participant_id=self.participant_id,
            user_id=self.user_id,
            display_name=self.display_name,
            role=self.role,
            muted=dict(self.muted),
            connected=self.peer is not None,
            hand_raised_at=self.hand_raised_at,
        )

    @property
    def hosting(self) -> bool:
        return self.role in ("host", "cohost")


@dataclass
class LiveMeeting:
    info: m.MeetingInfo
    participants: dict[str, Participant] = field(default_factory=dict)

    @property
    def meeting_id(self) -> str:
        return self.info.meeting_id

    def by_user(self, user_id: str) -> Participant | None:
        return next((p for p in self.participants.values() if p.user_id == user_id), None)

    def others(self, participant_id: str) -> list[Participant]:
        return [p for p in self.participants.values() if p.participant_id != participant_id and p.peer is not None]

    def hosts(self) -> list[Participant]:
        """The host and co-hosts who are connected now."""
        return [p for p in self.participants.values() if p.hosting and p.peer is not None]

    def broadcast(self, event: m.Event) -> None:
        """Tell everyone seated and connected."""
        for p in self.participants.values():
            if p.peer is not None:
                p.peer.send_event(event)

    def seat_updated(self, seat: Participant) -> None:
        """Tell everyone that ``seat`` changed (role, name, hand, mute)."""
        self.broadcast(m.ParticipantUpdated(meeting_id=self.meeting_id, participant=seat.info()))

    def participant_infos(self) -> list[m.ParticipantInfo]:
        return [p.info() for p in self.participants.values()]


class Meetings:
    """The live meetings of this relay and the rules for taking and giving up seats."""

    def __init__(
        self, db: Database, limits: LimitsConfig, links: Links, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.limits = limits
        self.links = links
        self.clock = clock
        self.live: dict[str, LiveMeeting] = {}

    # --- creation -----------------------------------------------------------------------------

    async def create(self, host: User, title: str, actor: str | None = None) -> m.MeetingInfo:
        title = (title or f"{host.display_name}'s meeting").strip()
        if len(title) > MAX_TITLE_LENGTH:
            raise BadRequest(f"A meeting title may have at most {MAX_TITLE_LENGTH} characters.")
        meeting_id = secrets.token_urlsafe(9)
        now = self.clock()
        async with self.db.sessions() as s, s.begin():
            s.add(Meeting(id=meeting_id, title=title, host_user_id=host.id, created_at=now, ended_at=None))
            s.add(AuditEntry(at=now, actor=actor or host.username, action="meeting.create", target=meeting_id))
        return self.info(meeting_id, title, host.id)

    def info(self, meeting_id: str, title: str, host_user_id: str) -> m.MeetingInfo:
        return m.MeetingInfo(
            meeting_id=meeting_id, title=title, host_user_id=host_user_id, link=self.links.meeting(meeting_id)
        )

    def open(self, meeting_id: str, title: str, host_user_id: str) -> LiveMeeting:
        """The live meeting ``meeting_id``, opened now if nobody is seated in it yet."""
        live = self.live.get(meeting_id)
        if live is not None:
            return live
        if len(self.live) >= self.limits.meetings_per_server:
            raise LimitExceeded(
                "meetings_per_server",
                self.limits.meetings_per_server,
                "The server is running as many meetings as it may at once. Try again later.",
            )
        live = self.live[meeting_id] = LiveMeeting(info=self.info(meeting_id, title, host_user_id))
        return live

    def close_if_empty(self, meeting_id: str) -> None:
        meeting = self.live.get(meeting_id)
        if meeting is not None and not meeting.participants:
            del self.live[meeting_id]

    # --- seats --------------------------------------------------------------------------------

    def participant_count(self) -> int:
        return sum(len(meeting.participants) for meeting in self.live.values())

    def find(self, meeting_id: str, participant_id: str) -> Participant | None:
        meeting = self.live.get(meeting_id)
        return meeting.participants.get(participant_id) if meeting else None

    def seat_of(self, peer: Peer, not_joined: str = "You are not in a meeting.") -> tuple[LiveMeeting, Participant]:
        """The meeting and seat of ``peer``; NotFound with ``not_joined`` when it has not joined
        one (and with "You are not in a meeting." when its seat is gone)."""
        if not peer.meeting_id or not peer.participant_id:
            raise NotFound(not_joined)
        meeting = self.live.get(peer.meeting_id)
        seat = meeting.participants.get(peer.participant_id) if meeting is not None else None
        if meeting is None or seat is None:
            raise NotFound("You are not in a meeting.")
        return meeting, seat

    def seat(self, meeting: LiveMeeting, user: User, peer: Peer) -> tuple[Participant, bool, Outbox]:
        """Seat ``user`` in ``meeting`` (or give their seat back). Returns the seat, whether it was
        taken back, and the events for everyone else."""
        existing = meeting.by_user(user.id)
        if existing is not None:
            if existing.peer is not None and existing.peer is not peer:
                raise Conflict(
                    "Your account is already in this meeting on another device. Leave there first; "
                    "accounts are personal and hold one seat."
                )
            existing.peer = peer
            existing.disconnected_at = None
            update = m.ParticipantUpdated(meeting.meeting_id, existing.info())
            return existing, True, [(p.peer, update) for p in meeting.others(existing.participant_id)]
        limits = self.limits
        if len(meeting.participants) >= limits.participants_per_meeting:
            raise LimitExceeded(
                "participants_per_meeting",
                limits.participants_per_meeting,
                f"This meeting is full: it may have at most {limits.participants_per_meeting} participants.",
            )
        if self.participant_count() >= limits.participants_per_server:
            raise LimitExceeded(
                "participants_per_server",
                limits.participants_per_server,
                "The server has as many participants as it may. Try again later.",
            )
        role: m.Role = "host" if user.id == meeting.info.host_user_id else "participant"
        participant = Participant(
            participant_id=secrets.token_hex(6),
            user_id=user.id,
            display_name=clean_line(user.display_name) or user.username,
            role=role,
            peer=peer,
            joined_at=self.clock(),
        )
        meeting.participants[participant.participant_id] = participant
        event = m.ParticipantJoined(meeting_id=meeting.meeting_id, participant=participant.info())
        return participant, False, [(p.peer, event) for p in meeting.others(participant.participant_id)]

    def leave(self, meeting_id: str, participant_id: str, reason: m.LeaveReason = "left") -> Outbox:
        """Remove a seat and tell the others. Unknown seats are ignored (leaving is idempotent).
        The live meeting closes with its last seat."""
        meeting = self.live.get(meeting_id)
        if meeting is None or participant_id not in meeting.participants:
            return []
        del meeting.participants[participant_id]
        event = m.ParticipantLeft(meeting_id=meeting_id, participant_id=participant_id, reason=reason)
        outbox: Outbox = [(p.peer, event) for p in meeting.participants.values() if p.peer is not None]
        if not meeting.participants:
            del self.live[meeting_id]
        return outbox

    def disconnected(self, meeting_id: str, participant_id: str, peer: Peer) -> Outbox:
        """The seat's connection dropped: keep the seat for the grace period and say so."""
        participant = self.find(meeting_id, participant_id)
        if participant is None or participant.peer is not peer:
            return []
        participant.peer = None
        participant.disconnected_at = self.clock()
        meeting = self.live[meeting_id]
        event = m.ParticipantUpdated(meeting_id=meeting_id, participant=participant.info())
        return [(p.peer, event) for p in meeting.others(participant_id)]

    def expire_if_still_gone(self, meeting_id: str, participant_id: str, since: float) -> Outbox:
        """Called when the grace period ends: remove the seat unless its owner came back."""
        participant = self.find(meeting_id, participant_id)
        if participant is None or participant.peer is not None or participant.disconnected_at != since:
            return []
        return self.leave(meeting_id, participant_id, reason="disconnected")
