"""Meetings as a service: booking requests, the lobby, host controls, the meeting-length limit and
maintenance windows, on top of `relay.meetings` and the media plane.

Installed by `Relay.__init__` through `install(relay)`: it registers its own request handlers and
wraps the join, leave, create, end and login handlers. Every host and co-host action is written to
the audit log (who, what, which meeting and seat; never content).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select

from relay.meetings import LiveMeeting, Participant
from relay.rooms import BookingDraft, Rooms, local_text, maintenance_info
from relay.store.models import AuditEntry, Meeting, User
from shared.errors import BadRequest, Forbidden, LimitExceeded, NotFound, Unavailable
from shared.limits import MAX_DISPLAY_NAME_LENGTH, MAX_MEETING_ID_LENGTH
from shared.protocol import messages as m

log = logging.getLogger("parley.relay.hosting")

WARN_BEFORE_END = (600.0, 60.0)  # seconds before the length limit ends a meeting
# A booked meeting the length limit ended opens again this long before its next booked time.
REOPEN_BEFORE = 900.0
CLOSED_FOR_GOOD = 1e18
MAINTENANCE_POLL_SECONDS = 1.0
HOST_ONLY = {"make_host", "make_cohost", "make_participant", "end"}
NEEDS_SEAT = {"mute", "ask_unmute", "ask_video", "stop_video", "remove", "rename", "make_host", "make_cohost"}
NEEDS_SEAT |= {"make_participant", "lower_hand"}


@dataclass
class Waiting:
    entry: m.LobbyEntry
    peer: Any


@dataclass
class Controls:
    """What the host decides about one meeting; kept while the meeting lives, even when empty."""

    meeting_id: str
    host_user_id: str
    booked: bool = False
    lobby: bool = False
    invited: set[str] = field(default_factory=set)
    capacity: int = 0
    locked: bool = False
    unmute_allowed: bool = True
    admitted: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    waiting: dict[str, Waiting] = field(default_factory=dict)
    ends_at: float = 0.0
    closed_until: float = 0.0  # the length limit ended it: no new start before this
    timers: list[asyncio.TimerHandle] = field(default_factory=list)


class HostControls:
    """Everything in this module, for one relay."""

    def __init__(self, relay: Any) -> None:
        self.relay = relay
        self.rooms = Rooms(relay.db, relay.config, relay.clock, link_port=lambda: relay.meetings.link_port)
        self.controls: dict[str, Controls] = {}
        self.windows: list[m.MaintenanceInfo] = []
        self.active: m.MaintenanceInfo | None = None
        self._lobby_of: dict[Any, str] = {}
        self._watching = False

    # --- helpers --------------------------------------------------------------------------------

    def _send(self, peer: Any, event: m.Event) -> None:
        if peer is not None:
            peer.send_event(event)

    def _send_later(self, peer: Any, event: m.Event) -> None:
        # After the reply now being written, so the client has the meeting when the push arrives.
        asyncio.get_running_loop().call_soon(self._send, peer, event)

    def _broadcast(self, meeting: LiveMeeting, event: m.Event) -> None:
        for p in meeting.participants.values():
            self._send(p.peer, event)

    def _hosts(self, meeting: LiveMeeting | None) -> list[Participant]:
        if meeting is None:
            return []
        return [p for p in meeting.participants.values() if p.role in ("host", "cohost") and p.peer is not None]

    def state(self, ctl: Controls) -> m.MeetingState:
        meeting = self.relay.meetings.live.get(ctl.meeting_id)
        seats = list(meeting.participants.values()) if meeting else []
        hands = [p.participant_id for p in sorted(seats, key=lambda p: p.hand_raised_at) if p.hand_raised_at]
        return m.MeetingState(
            meeting_id=ctl.meeting_id,
            locked=ctl.locked,
            lobby=ctl.lobby,
            unmute_allowed=ctl.unmute_allowed,
            hands=hands,
            ends_at=ctl.ends_at,
        )

    def _state_changed(self, ctl: Controls) -> None:
        meeting = self.relay.meetings.live.get(ctl.meeting_id)
        if meeting is not None:
            self._broadcast(meeting, m.MeetingStateChanged(state=self.state(ctl)))

    def _lobby_changed(self, ctl: Controls) -> None:
        live = {w.entry.user_id: w for w in ctl.waiting.values() if w.peer in self.relay.peers}
        for gone in [p for p in self._lobby_of if p not in self.relay.peers]:
            del self._lobby_of[gone]
        ctl.waiting = live
        event = m.LobbyChanged(meeting_id=ctl.meeting_id, waiting=[w.entry for w in live.values()])
        for host in self._hosts(self.relay.meetings.live.get(ctl.meeting_id)):
            self._send(host.peer, event)

    async def _audit(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        async with self.relay.db.sessions() as s, s.begin():
            s.add(AuditEntry(at=self.relay.clock(), actor=actor, action=action, target=target, detail=detail or {}))

    def _audit_soon(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        self.relay._spawn(self._audit(actor, action, target, detail))

    async def _controls(self, meeting_id: str) -> Controls | None:
        ctl = self.controls.get(meeting_id)
        if ctl is not None:
            return ctl
        if not meeting_id or len(meeting_id) > MAX_MEETING_ID_LENGTH:
            return None
        async with self.relay.db.sessions() as s:
            row = await s.scalar(select(Meeting).where(Meeting.id == meeting_id))
        if row is None or row.ended_at is not None:
            return None
        ctl = Controls(meeting_id=meeting_id, host_user_id=row.host_user_id, closed_until=row.closed_until or 0.0)
        booked = await self.rooms.booking_for_meeting(meeting_id)
        if booked is not None:
            _booking, ctl.invited, ctl.capacity = booked
            ctl.booked = True
            ctl.lobby = True  # people not invited wait for the host
        saved = await self.relay.meeting_states.load(meeting_id)  # decisions saved before a restart
        if meeting_id in self.controls:  # someone else's join loaded it while we awaited
            return self.controls[meeting_id]
        self.relay.meeting_states.apply(ctl, saved)
        self.controls[meeting_id] = ctl
        return ctl

    def _seat(self, peer: Any) -> tuple[LiveMeeting, Participant, Controls]:
        meeting = self.relay.meetings.live.get(peer.meeting_id or "")
        seat = meeting.participants.get(peer.participant_id or "") if meeting else None
        ctl = self.controls.get(peer.meeting_id or "")
        if meeting is None or seat is None or ctl is None:
            raise NotFound("You are not in a meeting.")
        return meeting, seat, ctl

    def _maintenance_sentence(self, window: m.MaintenanceInfo) -> str:
        return (
            f"The server is in maintenance until {local_text(window.ends_at)} ({window.message}); "
            "no new meetings can start until then."
        )

    # --- wrapped relay handlers --------------------------------------------------------------

    def wrap(self, request_type: type[Any], wrapper: Any) -> None:
        original = self.relay.handlers[request_type]

        async def handler(peer: Any, req: Any) -> m.Reply:
            reply: m.Reply = await wrapper(original, peer, req)
            return reply

        self.relay.handlers[request_type] = handler

    async def on_create(self, original: Any, peer: Any, req: m.CreateMeeting) -> m.Reply:
        if self.active is not None:
            raise Unavailable(self._maintenance_sentence(self.active))
        reply: m.Reply = await original(peer, req)
        return reply

    async def on_login(self, original: Any, peer: Any, req: Any) -> m.Reply:
        reply: m.Reply = await original(peer, req)
        if not self._watching:  # started with the first sign-in: the admin CLI never serves
            self._watching = True
            await self.poll_maintenance()
            self.relay._spawn(self.watch_maintenance())
        if self.windows:
            self._send_later(
                peer, m.MaintenanceAnnounced(windows=list(self.windows), message=self._upcoming_sentence())
            )
        return reply

    def _upcoming_sentence(self) -> str:
        if not self.windows:
            return ""
        w = self.windows[0]
        return f"Maintenance from {local_text(w.starts_at)} to {local_text(w.ends_at)}: {w.message}"

    async def on_join(self, original: Any, peer: Any, req: m.JoinMeeting) -> m.Reply:
        user: User = peer.user
        meetings = self.relay.meetings
        live = meetings.live.get(req.meeting_id)
        if self.active is not None and live is None:
            raise Unavailable(self._maintenance_sentence(self.active))
        ctl = await self._controls(req.meeting_id)
        if live is None and ctl is not None and self.relay.clock() < ctl.closed_until:
            self.controls.pop(req.meeting_id, None)
            raise self._closed_by_length(ctl.closed_until)
        seated = live.by_user(user.id) if live else None
        if ctl is not None and seated is None:
            host_id = live.info.host_user_id if live else ctl.host_user_id
            if user.id != host_id and user.id not in ctl.admitted:
                if user.id in ctl.removed:
                    return self._to_lobby(peer, req, ctl, user, removed=True)
                if ctl.locked:
                    raise Forbidden("The host has locked this meeting; nobody new can join.")
                if ctl.lobby and user.id not in ctl.invited:
                    return self._to_lobby(peer, req, ctl, user, removed=False)
            if ctl.capacity and live is not None and len(live.participants) >= ctl.capacity:
                raise LimitExceeded(
                    "room_capacity", ctl.capacity, f"This room holds {ctl.capacity} people and is full."
                )
        reply: m.Reply = await original(peer, req)
        if ctl is None:
            ctl = await self._controls(req.meeting_id)
        if ctl is not None and isinstance(reply, m.MeetingJoined):
            if ctl.waiting.pop(user.id, None) is not None:
                self._lobby_of.pop(peer, None)
                self._lobby_changed(ctl)
            ctl.admitted.add(user.id)
            self._start_clock(ctl)
            self._send_later(peer, m.MeetingStateChanged(state=self.state(ctl)))
            if reply.participant_id and any(
                p.participant_id == reply.participant_id and p.role in ("host", "cohost") for p in reply.participants
            ):
                entries = [w.entry for w in ctl.waiting.values()]
                self._send_later(peer, m.LobbyChanged(meeting_id=ctl.meeting_id, waiting=entries))
        if isinstance(reply, m.MeetingJoined):
            # Whoever was seated while this join awaited the database is in the reply too (their
            # join event reached this peer before the peer knew it was in the meeting).
            live = meetings.live.get(req.meeting_id)
            if live is not None:
                reply.participants = [p.info() for p in live.participants.values()]
        return reply

    def _to_lobby(self, peer: Any, req: m.JoinMeeting, ctl: Controls, user: User, *, removed: bool) -> m.Reply:
        if peer.meeting_id is not None:
            raise BadRequest("Leave your current meeting before joining another.")
        if user.id not in ctl.waiting and len(ctl.waiting) >= self.relay.config.limits.participants_per_meeting:
            raise LimitExceeded(
                "participants_per_meeting",
                self.relay.config.limits.participants_per_meeting,
                "Too many people are waiting to join this meeting. Try again later.",
            )
        previous = self._lobby_of.get(peer)
        if previous and previous != ctl.meeting_id:
            self._leave_lobby(peer)
        ctl.waiting[user.id] = Waiting(
            m.LobbyEntry(
                user_id=user.id,
                username=user.username,
                display_name=user.display_name,
                since=self.relay.clock(),
                removed_before=removed,
            ),
            peer,
        )
        self._lobby_of[peer] = ctl.meeting_id
        self._lobby_changed(ctl)
        message = (
            "You were removed from this meeting; the host must let you back in."
            if removed
            else "Please wait; the host will let you in soon."
        )
        return m.LobbyWaiting(id=req.id, meeting_id=ctl.meeting_id, message=message)

    def _leave_lobby(self, peer: Any) -> bool:
        meeting_id = self._lobby_of.pop(peer, None)
        ctl = self.controls.get(meeting_id or "")
        if ctl is None or peer.user is None:
            return meeting_id is not None
        waiting = ctl.waiting.get(peer.user.id)
        if waiting is not None and waiting.peer is peer:
            del ctl.waiting[peer.user.id]
            self._lobby_changed(ctl)
        return True

    async def on_leave(self, original: Any, peer: Any, req: m.LeaveMeeting) -> m.Reply:
        if peer.meeting_id is None and self._leave_lobby(peer):
            return m.Ok(id=req.id)
        reply: m.Reply = await original(peer, req)
        return reply

    async def on_end(self, original: Any, peer: Any, req: m.EndMeeting) -> m.Reply:
        user: User = peer.user
        meeting_id = req.meeting_id[:MAX_MEETING_ID_LENGTH]
        ctl = await self._controls(meeting_id)
        if ctl is None:
            raise NotFound("There is no such meeting.")
        live = self.relay.meetings.live.get(meeting_id)
        seat = live.by_user(user.id) if live else None
        if not ((seat is not None and seat.role == "host") or (seat is None and ctl.host_user_id == user.id)):
            raise Forbidden("Only the host can end this meeting.")
        await self.end_meeting(meeting_id, "The host ended the meeting.", actor=user.username, action="meeting.end")
        return m.Ok(id=req.id)

    # --- ending -------------------------------------------------------------------------------

    async def end_meeting(
        self, meeting_id: str, message: str, *, actor: str, action: str, closed_until: float = 0.0
    ) -> None:
        """End a meeting for everyone (and the lobby). A booked meeting's link stays valid for its
        later occurrences (from ``closed_until`` on); an instant meeting's link stops working."""
        ctl = self.controls.pop(meeting_id, None)
        now = self.relay.clock()
        async with self.relay.db.sessions() as s, s.begin():
            row = await s.scalar(select(Meeting).where(Meeting.id == meeting_id))
            if row is not None and row.ended_at is None and not (ctl is not None and ctl.booked):
                row.ended_at = now
            if row is not None and closed_until:
                row.closed_until = closed_until
            s.add(AuditEntry(at=now, actor=actor, action=action, target=meeting_id))
        if ctl is not None:
            for timer in ctl.timers:
                timer.cancel()
            for waiting in ctl.waiting.values():
                self._lobby_of.pop(waiting.peer, None)
                self._send(waiting.peer, m.LobbyDecided(meeting_id=meeting_id, admitted=False, message=message))
        meeting = self.relay.meetings.live.pop(meeting_id, None)
        if meeting is None:
            return
        event = m.MeetingEnded(meeting_id=meeting_id, message=message)
        for seat in list(meeting.participants.values()):
            if seat.peer is not None:
                seat.peer.meeting_id = seat.peer.participant_id = None
                self._send(seat.peer, event)
            self.relay._seat_freed(meeting_id, seat.participant_id)
        self.relay._update_gauges()

    def _start_clock(self, ctl: Controls) -> None:
        if ctl.ends_at:
            return
        limit = self.relay.config.limits.meeting_length_minutes * 60
        now = self.relay.clock()
        ctl.ends_at = now + limit
        loop = asyncio.get_running_loop()
        for before in WARN_BEFORE_END:
            if limit > before:
                ctl.timers.append(loop.call_later(limit - before, self._warn, ctl.meeting_id))
        if limit <= WARN_BEFORE_END[0]:
            ctl.timers.append(loop.call_later(0, self._warn, ctl.meeting_id))
        ctl.timers.append(loop.call_later(limit, self._length_reached, ctl.meeting_id))

    def _warn(self, meeting_id: str) -> None:
        ctl = self.controls.get(meeting_id)
        meeting = self.relay.meetings.live.get(meeting_id)
        if ctl is None or meeting is None:
            return
        left = max(0.0, ctl.ends_at - self.relay.clock())
        minutes = max(1, round(left / 60))
        limit = _length(self.relay.config.limits.meeting_length_minutes)
        plural = "s" if minutes != 1 else ""
        text = f"This meeting ends in {minutes} minute{plural}: meetings on this server may last at most {limit}."
        self._broadcast(
            meeting, m.MeetingEndingSoon(meeting_id=meeting_id, ends_at=ctl.ends_at, seconds_left=left, message=text)
        )

    def _length_reached(self, meeting_id: str) -> None:
        self.relay._spawn(self._end_for_length(meeting_id))

    async def _end_for_length(self, meeting_id: str) -> None:
        """End a meeting at the length limit. A booked one may not simply start again (that would
        make the limit meaningless): it opens again shortly before its next booked time."""
        limit = self.relay.config.limits.meeting_length_minutes
        ctl = self.controls.get(meeting_id)
        closed_until = 0.0
        if ctl is not None and ctl.booked:
            started = ctl.ends_at - limit * 60
            times = await self.rooms.occurrences_for_meeting(meeting_id)
            # The occurrence this meeting was held for is the first not over when it started.
            closed_until = _reopens_at([start for start, end in times if end > started][1:])
        await self.end_meeting(
            meeting_id,
            f"The meeting reached the length limit of {_length(limit)} and has ended.",
            actor="relay",
            action="meeting.length_limit",
            closed_until=closed_until,
        )

    async def _reopen_after_edit(self, booking: m.BookingInfo) -> None:
        """The host moved a booking the length limit had closed: it opens before its new next time."""
        now = self.relay.clock()
        async with self.relay.db.sessions() as s, s.begin():
            row = await s.scalar(select(Meeting).where(Meeting.id == booking.meeting_id))
            if row is None or not row.closed_until:
                return
            until = _reopens_at([start for start, end in booking.occurrences if end > now])  # in progress counts
            row.closed_until = until
        ctl = self.controls.get(booking.meeting_id)
        if ctl is not None:
            ctl.closed_until = until

    def _closed_by_length(self, until: float) -> LimitExceeded:
        limit = self.relay.config.limits.meeting_length_minutes
        if until >= CLOSED_FOR_GOOD:
            when = "it has no later booked time; book it again to meet again."
        else:
            when = f"it opens again at {local_text(until)}, before its next booked time."
        return LimitExceeded(
            "meeting_length_minutes",
            limit,
            f"This meeting reached the length limit of {_length(limit)}; {when}",
        )

    # --- seats going away: pass the host role on ----------------------------------------------

    def seat_gone(self, meeting_id: str, participant_id: str) -> None:
        meeting = self.relay.meetings.live.get(meeting_id)
        ctl = self.controls.get(meeting_id)
        if meeting is None or ctl is None or not meeting.participants:
            return
        if any(p.role == "host" for p in meeting.participants.values()):
            if any(p.hand_raised_at for p in meeting.participants.values()):
                self._state_changed(ctl)
            return
        heir = sorted(meeting.participants.values(), key=lambda p: (p.role != "cohost", p.peer is None, p.joined_at))[0]
        heir.role = "host"
        meeting.info.host_user_id = heir.user_id
        self._broadcast(meeting, m.ParticipantUpdated(meeting_id=meeting_id, participant=heir.info()))
        if heir.peer is not None:
            self._send(
                heir.peer, m.LobbyChanged(meeting_id=meeting_id, waiting=[w.entry for w in ctl.waiting.values()])
            )
        self._audit_soon(
            "relay", "host.auto_handover", meeting_id, {"participant": heir.participant_id, "user": heir.user_id}
        )

    def check_unmute(self, meeting_id: str, participant_id: str, source: str) -> None:
        ctl = self.controls.get(meeting_id)
        if ctl is None or ctl.unmute_allowed or source != "mic":
            return
        seat = self.relay.meetings.find(meeting_id, participant_id)
        if seat is not None and seat.role in ("host", "cohost"):
            return
        raise Forbidden("The host muted everyone and does not allow unmuting yet. Raise your hand to ask.")

    # --- host actions -------------------------------------------------------------------------

    async def on_host_action(self, peer: Any, req: m.HostAction) -> m.Reply:
        meeting, me, ctl = self._seat(peer)
        action = req.action
        self_rename = action == "rename" and req.participant_id == me.participant_id
        if me.role not in ("host", "cohost") and not self_rename:
            raise Forbidden("Only the host or a co-host can do that.")
        if action in HOST_ONLY and me.role != "host":
            raise Forbidden("Only the host can do that.")
        target: Participant | None = None
        if action in NEEDS_SEAT:
            target = meeting.participants.get(req.participant_id[:32])
            if target is None:
                raise NotFound("That person is no longer in the meeting.")
            if target.role == "host" and me.role != "host" and not self_rename:
                raise Forbidden("A co-host cannot do that to the host.")
        detail: dict[str, Any] = {}
        if target is not None:
            detail = {"participant": target.participant_id, "user": target.user_id}
        media = self.relay.media
        if action in ("admit", "deny"):
            waiting = ctl.waiting.pop(req.user_id[:32], None)
            if waiting is None:
                raise NotFound("That person is no longer waiting.")
            detail = {"user": waiting.entry.user_id}
            self._decide(ctl, waiting, action == "admit")
        elif action in ("admit_all", "deny_all"):
            decided = list(ctl.waiting.values())
            ctl.waiting.clear()
            for waiting in decided:
                self._decide(ctl, waiting, action == "admit_all")
            detail = {"count": len(decided)}
        elif action in ("lock", "unlock"):
            ctl.locked = action == "lock"
        elif action in ("lobby_on", "lobby_off"):
            ctl.lobby = action == "lobby_on"
            if not ctl.lobby:
                for user_id, waiting in list(ctl.waiting.items()):
                    if not waiting.entry.removed_before:
                        del ctl.waiting[user_id]
                        self._decide(ctl, waiting, True)
        elif action == "mute":
            assert target is not None
            await media.set_source_muted(meeting.meeting_id, target.participant_id, "mic", True)
        elif action == "mute_all":
            ctl.unmute_allowed = req.allow_unmute
            for seat in list(meeting.participants.values()):
                if seat.role == "participant" and seat is not me:
                    await media.set_source_muted(meeting.meeting_id, seat.participant_id, "mic", True)
            detail = {"allow_unmute": req.allow_unmute}
        elif action == "allow_unmute":
            ctl.unmute_allowed = True
        elif action in ("ask_unmute", "ask_video"):
            assert target is not None
            what: Literal["unmute", "start_video"] = "unmute" if action == "ask_unmute" else "start_video"
            self._send(target.peer, m.HostAsked(meeting_id=meeting.meeting_id, what=what, by=me.display_name))
        elif action == "stop_video":
            assert target is not None
            await media.set_source_muted(meeting.meeting_id, target.participant_id, "camera", True)
        elif action == "remove":
            assert target is not None
            if target is me:
                raise BadRequest("Use leave to leave the meeting yourself.")
            self._remove(meeting, target, ctl)
        elif action == "rename":
            assert target is not None
            name = " ".join(req.display_name.split())
            if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
                raise BadRequest(f"A name must have 1 to {MAX_DISPLAY_NAME_LENGTH} characters.")
            target.display_name = name
            self._broadcast(meeting, m.ParticipantUpdated(meeting_id=meeting.meeting_id, participant=target.info()))
        elif action == "make_host":
            assert target is not None
            if target is not me:
                target.role, me.role = "host", "participant"
                meeting.info.host_user_id = target.user_id
                for seat in (target, me):
                    self._broadcast(
                        meeting, m.ParticipantUpdated(meeting_id=meeting.meeting_id, participant=seat.info())
                    )
                self._send(
                    target.peer,
                    m.LobbyChanged(meeting_id=ctl.meeting_id, waiting=[w.entry for w in ctl.waiting.values()]),
                )
        elif action in ("make_cohost", "make_participant"):
            assert target is not None
            if target is me:
                raise BadRequest("Hand the host role to someone else instead.")
            target.role = "cohost" if action == "make_cohost" else "participant"
            self._broadcast(meeting, m.ParticipantUpdated(meeting_id=meeting.meeting_id, participant=target.info()))
            if target.role == "cohost":
                self._send(
                    target.peer,
                    m.LobbyChanged(meeting_id=ctl.meeting_id, waiting=[w.entry for w in ctl.waiting.values()]),
                )
        elif action == "lower_hand":
            assert target is not None
            target.hand_raised_at = 0.0
            self._broadcast(meeting, m.ParticipantUpdated(meeting_id=meeting.meeting_id, participant=target.info()))
        elif action == "end":
            await self.end_meeting(
                meeting.meeting_id, "The host ended the meeting.", actor=peer.user.username, action="meeting.end"
            )
            return m.Ok(id=req.id)
        if action not in ("mute", "stop_video", "rename", "remove", "ask_unmute", "ask_video"):
            self._state_changed(ctl)
        await self._audit(peer.user.username, f"host.{action}", meeting.meeting_id, detail)
        return m.Ok(id=req.id)

    def _decide(self, ctl: Controls, waiting: Waiting, admitted: bool) -> None:
        self._lobby_of.pop(waiting.peer, None)
        if admitted:
            ctl.admitted.add(waiting.entry.user_id)
            ctl.removed.discard(waiting.entry.user_id)
            self._send(
                waiting.peer, m.LobbyDecided(meeting_id=ctl.meeting_id, admitted=True, message="The host let you in.")
            )
        else:
            self._send(
                waiting.peer,
                m.LobbyDecided(meeting_id=ctl.meeting_id, admitted=False, message="The host did not let you in."),
            )
        self._lobby_changed(ctl)

    def _remove(self, meeting: LiveMeeting, target: Participant, ctl: Controls) -> None:
        ctl.removed.add(target.user_id)
        ctl.admitted.discard(target.user_id)
        peer = target.peer
        if peer is not None:
            self._send(
                peer,
                m.RemovedFromMeeting(meeting_id=meeting.meeting_id, message="The host removed you from the meeting."),
            )
            self.relay._leave(peer, "removed")
        else:
            self.relay.deliver(self.relay.meetings.leave(meeting.meeting_id, target.participant_id, "removed"))
            self.relay._seat_freed(meeting.meeting_id, target.participant_id)
            self.relay._update_gauges()

    async def on_raise_hand(self, peer: Any, req: m.RaiseHand) -> m.Reply:
        meeting, me, ctl = self._seat(peer)
        if req.raised and not me.hand_raised_at:
            me.hand_raised_at = self.relay.clock()
        elif not req.raised:
            me.hand_raised_at = 0.0
        self._broadcast(meeting, m.ParticipantUpdated(meeting_id=meeting.meeting_id, participant=me.info()))
        self._state_changed(ctl)
        return m.Ok(id=req.id)

    # --- rooms and bookings --------------------------------------------------------------------

    async def on_list_rooms(self, peer: Any, req: m.ListRooms) -> m.Reply:
        rooms = await self.rooms.list_rooms()
        return m.RoomList(
            id=req.id,
            rooms=[
                m.RoomInfo(room_id=r.id, name=r.name, capacity=r.capacity, description=r.description) for r in rooms
            ],
        )

    async def on_book(self, peer: Any, req: m.BookRoom) -> m.Reply:
        draft = BookingDraft(
            room=req.room,
            title=req.title,
            starts_at=req.starts_at,
            ends_at=req.ends_at,
            timezone=req.timezone,
            invitees=list(req.invitees),
            weekly_count=req.weekly_count,
        )
        booking = await self.rooms.book(peer.user, draft)
        what = booking.title or "a meeting"
        self._tell_bookings_changed(
            peer, booking, {u: f"{booking.host_display_name} invited you to {what}." for u in booking.invitees}
        )
        return m.BookingSaved(id=req.id, booking=booking, warnings=self._warnings(booking))

    def _tell_bookings_changed(self, actor: Any, booking: m.BookingInfo, messages: dict[str, str]) -> None:
        """Push ``booking.changed`` to everyone signed in whose upcoming list this changes: the
        people in ``messages`` (user name -> sentence for them) and the host's other connections."""
        pushes = []
        for other in list(self.relay.peers):
            user = getattr(other, "user", None)
            if other is actor or user is None:
                continue
            if user.username in messages or user.id == booking.host_user_id:
                message = messages.get(user.username, "")
                pushes.append((other, m.BookingsChanged(booking_id=booking.booking_id, message=message)))
        self.relay.deliver(pushes)

    async def on_edit_booking(self, peer: Any, req: m.EditBooking) -> m.Reply:
        before = await self.rooms.get(req.booking_id, peer.user)
        booking = await self.rooms.edit(peer.user, req.booking_id, req)
        what, host = booking.title or "a meeting", booking.host_display_name
        messages = {u: f"You are no longer invited to {before.title or 'a meeting'}." for u in before.invitees}
        messages.update({u: f"{host} changed {what}." for u in booking.invitees if u in before.invitees})
        messages.update({u: f"{host} invited you to {what}." for u in booking.invitees if u not in before.invitees})
        self._tell_bookings_changed(peer, booking, messages)
        await self._reopen_after_edit(booking)
        ctl = self.controls.get(booking.meeting_id)
        booked = await self.rooms.booking_for_meeting(booking.meeting_id)
        if ctl is not None and booked is not None:  # a running meeting picks up the new invitees and room
            _booking, ctl.invited, ctl.capacity = booked
        return m.BookingSaved(id=req.id, booking=booking, warnings=self._warnings(booking))

    def _warnings(self, booking: m.BookingInfo) -> list[str]:
        warnings = []
        for window in self.windows:
            for start, end in booking.occurrences:
                if window.starts_at - 3600 < end and start < window.ends_at + 3600:
                    warnings.append(
                        "Maintenance is planned close to this meeting, from "
                        f"{local_text(window.starts_at, booking.timezone)} to "
                        f"{local_text(window.ends_at, booking.timezone)}: {window.message}"
                    )
                    break
        return warnings

    async def on_cancel_booking(self, peer: Any, req: m.CancelBooking) -> m.Reply:
        infos = await self.rooms.list_for(peer.user, include_past=True)
        await self.rooms.cancel(peer.user, req.booking_id)
        for info in infos:
            if info.booking_id == req.booking_id:
                what = info.title or "a meeting"
                self._tell_bookings_changed(
                    peer, info, {u: f"{info.host_display_name} cancelled {what}." for u in info.invitees}
                )
        for info in infos:
            if info.booking_id == req.booking_id and info.meeting_id in self.relay.meetings.live:
                await self.end_meeting(
                    info.meeting_id, "The host cancelled this meeting.", actor=peer.user.username, action="meeting.end"
                )
        return m.Ok(id=req.id)

    async def on_list_bookings(self, peer: Any, req: m.ListBookings) -> m.Reply:
        return m.BookingList(id=req.id, bookings=await self.rooms.list_for(peer.user, include_past=req.include_past))

    async def on_list_maintenance(self, peer: Any, req: m.ListMaintenance) -> m.Reply:
        windows = await self.rooms.list_maintenance()
        return m.MaintenanceList(id=req.id, windows=[maintenance_info(w) for w in windows])

    # --- maintenance windows ------------------------------------------------------------------

    async def watch_maintenance(self) -> None:
        while True:
            try:
                await self.poll_maintenance()
            except Exception:
                log.exception("reading maintenance windows failed")
            await asyncio.sleep(MAINTENANCE_POLL_SECONDS)

    async def poll_maintenance(self) -> None:
        infos = [maintenance_info(w) for w in await self.rooms.list_maintenance()]
        now = self.relay.clock()
        active = next((w for w in infos if w.starts_at <= now < w.ends_at), None)
        changed = infos != self.windows
        self.windows = infos
        if active is not None and (self.active is None or self.active.window_id != active.window_id):
            self.active = active
            self._tell_everyone(
                m.MaintenanceAnnounced(
                    windows=infos,
                    message=f"Maintenance has started: {active.message}. No new meetings can start until "
                    f"{local_text(active.ends_at)}; meetings in progress may be interrupted.",
                    started=True,
                )
            )
            log.info("maintenance window %s started; new meetings are refused", active.window_id)
        elif changed:
            if active is None:
                self.active = None
            self._tell_everyone(m.MaintenanceAnnounced(windows=infos, message=self._upcoming_sentence()))

    def _tell_everyone(self, event: m.Event) -> None:
        for peer in list(self.relay.peers):
            if peer.user is not None:
                self._send(peer, event)


def _reopens_at(next_starts: list[float]) -> float:
    """When a meeting the length limit closed opens again: before the first of ``next_starts``."""
    return next_starts[0] - REOPEN_BEFORE if next_starts else CLOSED_FOR_GOOD


def _length(minutes: float) -> str:
    if minutes >= 60 and minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if minutes >= 1:
        return f"{minutes:g} minutes"
    return f"{minutes * 60:g} seconds"


def install(relay: Any) -> HostControls:
    """Register booking, lobby, host-control and maintenance handling on ``relay``."""
    hosting = HostControls(relay)
    relay.handlers[m.ListRooms] = hosting.on_list_rooms
    relay.handlers[m.BookRoom] = hosting.on_book
    relay.handlers[m.EditBooking] = hosting.on_edit_booking
    relay.handlers[m.CancelBooking] = hosting.on_cancel_booking
    relay.handlers[m.ListBookings] = hosting.on_list_bookings
    relay.handlers[m.ListMaintenance] = hosting.on_list_maintenance
    relay.handlers[m.HostAction] = hosting.on_host_action
    relay.handlers[m.RaiseHand] = hosting.on_raise_hand
    hosting.wrap(m.JoinMeeting, hosting.on_join)
    hosting.wrap(m.LeaveMeeting, hosting.on_leave)
    hosting.wrap(m.CreateMeeting, hosting.on_create)
    hosting.wrap(m.EndMeeting, hosting.on_end)
    hosting.wrap(m.Login, hosting.on_login)
    hosting.wrap(m.Resume, hosting.on_login)
    relay.on_participant_removed.append(hosting.seat_gone)
    relay.media.unmute_checks.append(hosting.check_unmute)
    return hosting
