"""What hosts and co-hosts do in a meeting (`HostActions`), raised hands, the "mute all" rule on
unmuting (`UnmutePolicy`), and passing the host role on when the host's seat goes (`Handover`).

Every host and co-host action is written to the audit log (who, what, which meeting and seat;
never content) and the meeting's decisions are saved (relay.meeting_state) after each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

from relay.audit import Audit
from relay.controls import Controls, ControlsBook
from relay.lobby import Lobby
from relay.meetings import LiveMeeting, Meetings, Participant
from relay.names import check_distinct
from relay.peer import Peer, send_soon, user_of
from shared.errors import BadRequest, Forbidden, NotFound
from shared.limits import MAX_DISPLAY_NAME_LENGTH
from shared.protocol import messages as m
from shared.text import clean_line

HOST_ONLY = {"make_host", "make_cohost", "make_participant", "end"}
NEEDS_SEAT = {"mute", "ask_unmute", "ask_video", "stop_video", "remove", "rename", "make_host", "make_cohost"}
NEEDS_SEAT |= {"make_participant", "lower_hand"}
# Actions that change only one seat (announced as that seat's update), not the meeting's state.
SEAT_ONLY = {"mute", "stop_video", "rename", "remove", "ask_unmute", "ask_video"}


class Muting(Protocol):
    """Muting a seat's source for everyone (relay.sfu.handlers)."""

    async def set_source_muted(self, meeting_id: str, participant_id: str, source: str, muted: bool) -> None: ...


class SeatRemoval(Protocol):
    """Removing seats and ending meetings (relay.seating)."""

    def remove(self, meeting_id: str, seat: Participant) -> None: ...
    async def end_meeting(
        self, meeting_id: str, message: str, *, actor: str, action: str, closed_until: float = 0.0
    ) -> None: ...


class Persist(Protocol):
    async def save(self, meeting_id: str) -> None: ...


class PersistSoon(Protocol):
    def save_soon(self, meeting_id: str) -> None: ...


class UnmutePolicy:
    """After "mute all" without allowing unmuting, only hosts and co-hosts may unmute their mic.
    An unmute that is allowed lifts the mute a host imposed on that source (it is no longer put
    back when the person takes a seat again, e.g. after a relay restart)."""

    def __init__(self, controls: ControlsBook, meetings: Meetings, persist: PersistSoon) -> None:
        self.controls = controls
        self.meetings = meetings
        self.persist = persist

    def check_unmute(self, meeting_id: str, participant_id: str, source: str) -> None:
        ctl = self.controls.get(meeting_id)
        if ctl is None:
            return
        seat = self.meetings.find(meeting_id, participant_id)
        hosting = seat is not None and seat.hosting
        if not ctl.unmute_allowed and source == "mic" and not hosting:
            raise Forbidden("The host muted everyone and does not allow unmuting yet. Raise your hand to ask.")
        imposed = ctl.host_muted.get(seat.user_id) if seat is not None else None
        if seat is not None and imposed is not None and source in imposed:
            imposed.discard(source)
            if not imposed:
                del ctl.host_muted[seat.user_id]
            self.persist.save_soon(meeting_id)


def impose_mute(ctl: Controls, seat: Participant, source: str) -> None:
    """Remember that a host muted ``seat``'s ``source`` (kept by user id, see Controls.host_muted)."""
    ctl.host_muted.setdefault(seat.user_id, set()).add(source)


class Handover:
    """When the host's seat goes, the longest-seated co-host (else participant) becomes host."""

    def __init__(self, controls: ControlsBook, meetings: Meetings, lobby: Lobby, audit: Audit) -> None:
        self.controls = controls
        self.meetings = meetings
        self.lobby = lobby
        self.audit = audit

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        meeting = self.meetings.live.get(meeting_id)
        ctl = self.controls.get(meeting_id)
        if meeting is None or ctl is None or not meeting.participants:
            return
        if any(p.role == "host" for p in meeting.participants.values()):
            if any(p.hand_raised_at for p in meeting.participants.values()):
                ctl.state_changed(meeting)  # the leaver's hand is down now
            return
        heir = sorted(meeting.participants.values(), key=lambda p: (p.role != "cohost", p.peer is None, p.joined_at))[0]
        ctl.auto_heir, ctl.auto_heir_was = heir.user_id, heir.role
        heir.role = "host"
        meeting.info.host_user_id = heir.user_id
        meeting.seat_updated(heir)
        self.lobby.tell(ctl, heir)
        detail = {"participant": heir.participant_id, "user": heir.user_id}
        self.audit.soon("relay", "host.auto_handover", meeting_id, detail)


class HostActions:
    def __init__(
        self,
        meetings: Meetings,
        controls: ControlsBook,
        lobby: Lobby,
        muting: Muting,
        seats: SeatRemoval,
        persist: Persist,
        audit: Audit,
        clock: Callable[[], float],
    ) -> None:
        self.meetings = meetings
        self.controls = controls
        self.lobby = lobby
        self.muting = muting
        self.seats = seats
        self.persist = persist
        self.audit = audit
        self.clock = clock

    def _seat(self, peer: Peer) -> tuple[LiveMeeting, Participant, Controls]:
        meeting, seat = self.meetings.seat_of(peer)
        ctl = self.controls.get(meeting.meeting_id)
        if ctl is None:
            raise NotFound("You are not in a meeting.")
        return meeting, seat, ctl

    def tell_state(self, peer: Peer, ctl: Controls) -> None:
        """After a join reply: the meeting's state as it is then."""
        send_soon(peer, m.MeetingStateChanged(state=ctl.state(self.meetings.live.get(ctl.meeting_id))))

    # --- requests ---------------------------------------------------------------------------------

    async def act(self, peer: Peer, req: m.HostAction) -> m.Reply:
        """``meeting.host_action``: check who may, do it, tell, audit, save."""
        meeting, me, ctl = self._seat(peer)
        action = req.action
        self_rename = action == "rename" and req.participant_id == me.participant_id
        if not me.hosting and not self_rename:
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
        actor = user_of(peer).username
        if action == "end":
            await self.seats.end_meeting(
                meeting.meeting_id, "The host ended the meeting.", actor=actor, action="meeting.end"
            )
            return m.Ok(id=req.id)
        if target is not None:
            detail = await self._on_seat(action, req, meeting, me, target, ctl)
        else:
            detail = await self._on_meeting(action, req, meeting, me, ctl)
        if action not in SEAT_ONLY:
            ctl.state_changed(meeting)
        await self.audit.write(actor, f"host.{action}", meeting.meeting_id, detail)
        await self.persist.save(meeting.meeting_id)
        return m.Ok(id=req.id)

    async def _on_meeting(
        self, action: str, req: m.HostAction, meeting: LiveMeeting, me: Participant, ctl: Controls
    ) -> dict[str, Any]:
        """Actions on the meeting or its lobby; returns the audit detail."""
        if action in ("admit", "deny"):
            waiting = ctl.waiting.pop(req.user_id[:32], None)
            if waiting is None:
                raise NotFound("That person is no longer waiting.")
            self.lobby.decide(ctl, waiting, action == "admit")
            return {"user": waiting.entry.user_id}
        if action in ("admit_all", "deny_all"):
            decided = list(ctl.waiting.values())
            ctl.waiting.clear()
            for waiting in decided:
                self.lobby.decide(ctl, waiting, action == "admit_all")
            return {"count": len(decided)}
        if action in ("lock", "unlock"):
            ctl.locked = action == "lock"
        elif action in ("lobby_on", "lobby_off"):
            ctl.lobby = action == "lobby_on"
            if not ctl.lobby:  # everyone waiting comes in, except people removed earlier
                for user_id, waiting in list(ctl.waiting.items()):
                    if not waiting.entry.removed_before:
                        del ctl.waiting[user_id]
                        self.lobby.decide(ctl, waiting, True)
        elif action == "mute_all":
            ctl.unmute_allowed = req.allow_unmute
            for seat in list(meeting.participants.values()):
                if seat.role == "participant" and seat is not me:
                    impose_mute(ctl, seat, "mic")
                    await self.muting.set_source_muted(meeting.meeting_id, seat.participant_id, "mic", True)
            return {"allow_unmute": req.allow_unmute}
        elif action == "allow_unmute":
            ctl.unmute_allowed = True
        return {}

    async def _on_seat(
        self, action: str, req: m.HostAction, meeting: LiveMeeting, me: Participant, target: Participant, ctl: Controls
    ) -> dict[str, Any]:
        """Actions on one seat; returns the audit detail."""
        meeting_id = meeting.meeting_id
        if action == "mute":
            impose_mute(ctl, target, "mic")
            await self.muting.set_source_muted(meeting_id, target.participant_id, "mic", True)
        elif action == "stop_video":
            impose_mute(ctl, target, "camera")
            await self.muting.set_source_muted(meeting_id, target.participant_id, "camera", True)
        elif action in ("ask_unmute", "ask_video"):
            what: Literal["unmute", "start_video"] = "unmute" if action == "ask_unmute" else "start_video"
            if target.peer is not None:
                target.peer.send_event(m.HostAsked(meeting_id=meeting_id, what=what, by=me.display_name))
        elif action == "remove":
            if target is me:
                raise BadRequest("Use leave to leave the meeting yourself.")
            ctl.removed.add(target.user_id)
            ctl.admitted.discard(target.user_id)
            if target.peer is not None:
                message = "The host removed you from the meeting."
                target.peer.send_event(m.RemovedFromMeeting(meeting_id=meeting_id, message=message))
            self.seats.remove(meeting_id, target)
        elif action == "rename":
            name = clean_line(req.display_name)  # no bidi, zero-width, control characters or breaks
            if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
                raise BadRequest(f"A name must have 1 to {MAX_DISPLAY_NAME_LENGTH} characters.")
            check_distinct(name, [p.display_name for p in meeting.participants.values() if p is not target])
            target.display_name = name
            meeting.seat_updated(target)
        elif action == "make_host":
            if target is not me:
                ctl.auto_heir = ""  # handed on on purpose: the owner does not take it back on return
                target.role, me.role = "host", "participant"
                meeting.info.host_user_id = target.user_id
                meeting.seat_updated(target)
                meeting.seat_updated(me)
                self.lobby.tell(ctl, target)
        elif action in ("make_cohost", "make_participant"):
            if target is me:
                raise BadRequest("Hand the host role to someone else instead.")
            target.role = "cohost" if action == "make_cohost" else "participant"
            meeting.seat_updated(target)
            if target.role == "cohost":
                self.lobby.tell(ctl, target)
        elif action == "lower_hand":
            target.hand_raised_at = 0.0
            meeting.seat_updated(target)
        return {"participant": target.participant_id, "user": target.user_id}

    async def raise_hand(self, peer: Peer, req: m.RaiseHand) -> m.Reply:
        """``meeting.hand``: raise or lower one's own hand."""
        meeting, me, ctl = self._seat(peer)
        if req.raised and not me.hand_raised_at:
            me.hand_raised_at = self.clock()
        elif not req.raised:
            me.hand_raised_at = 0.0
        meeting.seat_updated(me)
        ctl.state_changed(meeting)
        return m.Ok(id=req.id)
