"""Meetings and who is in them. Decides who gets told what; returns outboxes, sends nothing itself.

A participant is one account in one meeting (accounts are personal, so the same account cannot hold
two seats). When a participant's connection drops, the seat is kept for the reconnect grace period;
the same account joining again within it takes the seat back.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from relay.config import Config
from relay.store.db import Database
from relay.store.models import AuditEntry, Meeting, User
from shared.errors import BadRequest, Conflict, Forbidden, LimitExceeded, NotFound
from shared.limits import MAX_MEETING_ID_LENGTH, MAX_TITLE_LENGTH
from shared.protocol import messages as m

# Whoever the relay talks to: the server's connection object. Meetings only compare and store it.
Peer = Any
Outbox = list[tuple[Peer, m.Event]]


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


def make_link(host: str, port: int, meeting_id: str) -> str:
    return f"parley://{host}:{port}/m/{meeting_id}"


class Meetings:
    """The live meetings of this relay and the rules for joining and leaving them."""

    def __init__(self, db: Database, config: Config, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.live: dict[str, LiveMeeting] = {}
        # Meeting id -> user id of a host handed over during the meeting (restored after a restart).
        self.host_overrides: dict[str, str] = {}
        self.link_port = config.server.port

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
        return self._info(meeting_id, title, host.id)

    def _info(self, meeting_id: str, title: str, host_user_id: str) -> m.MeetingInfo:
        return m.MeetingInfo(
            meeting_id=meeting_id,
            title=title,
            host_user_id=host_user_id,
            link=make_link(self.config.link_host, self.link_port, meeting_id),
        )

    async def _load(self, meeting_id: str) -> LiveMeeting:
        live = self.live.get(meeting_id)
        if live is not None:
            return live
        if not meeting_id or len(meeting_id) > MAX_MEETING_ID_LENGTH:
            raise NotFound("There is no such meeting.")
        async with self.db.sessions() as s:
            row = await s.scalar(select(Meeting).where(Meeting.id == meeting_id))
        if row is None:
            raise NotFound("There is no such meeting. Check the link.")
        if row.ended_at is not None:
            raise NotFound("This meeting has ended.")
        live = self.live.get(meeting_id)
        if live is not None:  # another join loaded it while this one waited for the database
            return live
        if len(self.live) >= self.config.limits.meetings_per_server:
            raise LimitExceeded(
                "meetings_per_server",
                self.config.limits.meetings_per_server,
                "The server is running as many meetings as it may at once. Try again later.",
            )
        host = self.host_overrides.get(meeting_id) or row.host_user_id
        live = LiveMeeting(info=self._info(row.id, row.title, host))
        self.live[meeting_id] = live
        return live

    # --- joining and leaving ----------------------------------------------------------------

    def participant_count(self) -> int:
        return sum(len(meeting.participants) for meeting in self.live.values())

    async def join(self, user: User, peer: Peer, meeting_id: str) -> tuple[LiveMeeting, Participant, bool, Outbox]:
        """Seat ``user`` in the meeting. Returns the meeting, the seat, whether it was resumed, and
        the events for everyone else."""
        meeting = await self._load(meeting_id)
        existing = meeting.by_user(user.id)
        outbox: Outbox = []
        if existing is not None:
            if existing.peer is not None and existing.peer is not peer:
                raise Conflict(
                    "Your account is already in this meeting on another device. Leave there first; "
                    "accounts are personal and hold one seat."
                )
            existing.peer = peer
            existing.disconnected_at = None
            outbox += [
                (p.peer, m.ParticipantUpdated(meeting.meeting_id, existing.info()))
                for p in meeting.others(existing.participant_id)
            ]
            return meeting, existing, True, outbox
        limits = self.config.limits
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
            display_name=user.display_name,
            role=role,
            peer=peer,
            joined_at=self.clock(),
        )
        meeting.participants[participant.participant_id] = participant
        event = m.ParticipantJoined(meeting_id=meeting.meeting_id, participant=participant.info())
        outbox += [(p.peer, event) for p in meeting.others(participant.participant_id)]
        return meeting, participant, False, outbox

    def find(self, meeting_id: str, participant_id: str) -> Participant | None:
        meeting = self.live.get(meeting_id)
        return meeting.participants.get(participant_id) if meeting else None

    def leave(self, meeting_id: str, participant_id: str, reason: str = "left") -> Outbox:
        """Remove a seat and tell the others. Unknown seats are ignored (leaving is idempotent)."""
        meeting = self.live.get(meeting_id)
        if meeting is None or participant_id not in meeting.participants:
            return []
        del meeting.participants[participant_id]
        event = m.ParticipantLeft(meeting_id=meeting_id, participant_id=participant_id, reason=reason)  # type: ignore[arg-type]
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

    async def end(self, user: User, meeting_id: str) -> Outbox:
        """End a meeting for everyone. Only its host may."""
        async with self.db.sessions() as s, s.begin():
            row = await s.scalar(select(Meeting).where(Meeting.id == meeting_id[:MAX_MEETING_ID_LENGTH]))
            if row is None or row.ended_at is not None:
                raise NotFound("There is no such meeting.")
            if row.host_user_id != user.id:
                raise Forbidden("Only the host can end this meeting.")
            row.ended_at = self.clock()
            s.add(AuditEntry(at=row.ended_at, actor=user.username, action="meeting.end", target=meeting_id))
        meeting = self.live.pop(meeting_id, None)
        if meeting is None:
            return []
        event = m.MeetingEnded(meeting_id=meeting_id, message="The host ended the meeting.")
        return [(p.peer, event) for p in meeting.participants.values() if p.peer is not None]
