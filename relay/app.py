"""The relay's application layer: what each request does. No sockets here (see relay.server).

`Relay` owns the database, the accounts, the meetings and the metrics; `relay.server` feeds it
validated requests from connections and writes whatever it queues on them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError

from relay.accounts import Accounts
from relay.chat import install as install_chat
from relay.config import Config
from relay.hosting import install as install_hosting
from relay.meeting_state import install as install_meeting_state
from relay.meetings import Meetings, Outbox
from relay.ops.metrics import RelayMetrics
from relay.ops.uptime import disk_full
from relay.ops.uptime import install as install_ops
from relay.ratelimit import TokenBucket
from relay.recording import install as install_recording
from relay.sfu.datachannels import install as install_files
from relay.sfu.handlers import install as install_media
from relay.store.db import Database
from relay.store.models import User
from shared.errors import BadRequest, Forbidden, NotFound, ParleyError, RateLimited, Unavailable
from shared.protocol import messages as m

log = logging.getLogger("parley.relay")


class Peer(Protocol):
    """What the application needs of a connection; relay.server's Connection provides it."""

    address: str
    user: User | None
    session_id: str | None
    meeting_id: str | None
    participant_id: str | None

    def send_event(self, event: m.Event) -> None: ...
    def close(self, code: int, reason: str) -> None: ...


Handler = Callable[[Any, Any], Awaitable[m.Reply]]


class Relay:
    """Everything the relay knows and decides, behind the sockets."""

    def __init__(self, config: Config, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.db = Database(config.database_url)
        self.accounts = Accounts(self.db, config.limits, clock)
        self.meetings = Meetings(self.db, config, clock)
        self.metrics = RelayMetrics()
        self.peers: set[Peer] = set()
        self.accepting = True
        self._account_buckets: dict[str, TokenBucket] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_admin_event = 0
        self.handlers: dict[type[Any], Handler] = {
            m.Login: self.on_login,
            m.Resume: self.on_resume,
            m.Logout: self.on_logout,
            m.Ping: self.on_ping,
            m.CreateMeeting: self.on_create_meeting,
            m.JoinMeeting: self.on_join_meeting,
            m.LeaveMeeting: self.on_leave_meeting,
            m.EndMeeting: self.on_end_meeting,
            m.ListSessions: self.on_list_sessions,
            m.RevokeSession: self.on_revoke_session,
        }
        # Called with (peer, meeting_id, participant_id) when a seat is given up, so other planes
        # (media) can free what they hold for it.
        self.on_participant_removed: list[Callable[[str, str], None]] = []
        self.media = install_media(self)  # the media plane (relay/sfu) registers its handlers
        self.chat = install_chat(self)  # in-call chat (relay/chat.py)
        self.files = install_files(self)  # file transfer over data channels (relay/sfu/datachannels.py)
        self.hosting = install_hosting(self)  # rooms, bookings, lobby, host controls, maintenance
        self.recordings = install_recording(self)  # who may record; recording notices (relay/recording.py)
        self.meeting_states = install_meeting_state(self)  # decisions kept across restarts (relay/meeting_state.py)
        self.ops = install_ops(self)  # heartbeats, listener checks, scheduled backups (relay/ops/uptime.py)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        await self.db.migrate()
        await self.ops.start()
        self._last_admin_event = await self.accounts.last_admin_event_id()
        self._spawn(self._watch_admin_events())

    async def stop(self) -> None:
        await self.media.stop()  # closes every peer connection (SIGTERM, tests)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.ops.stop()  # records the clean stop for the availability report
        await self.db.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- connections ------------------------------------------------------------------------

    def connected(self, peer: Peer) -> None:
        self.peers.add(peer)
        self.metrics.connections.set(len(self.peers))

    def disconnected(self, peer: Peer) -> None:
        self.peers.discard(peer)
        self.metrics.connections.set(len(self.peers))
        if peer.meeting_id and peer.participant_id:
            meeting_id, participant_id = peer.meeting_id, peer.participant_id
            self.deliver(self.meetings.disconnected(meeting_id, participant_id, peer))
            participant = self.meetings.find(meeting_id, participant_id)
            if participant is not None and participant.disconnected_at is not None:
                since = participant.disconnected_at
                asyncio.get_running_loop().call_later(
                    self.config.limits.reconnect_grace_seconds, self._grace_over, meeting_id, participant_id, since
                )
        self._update_gauges()

    def _grace_over(self, meeting_id: str, participant_id: str, since: float) -> None:
        outbox = self.meetings.expire_if_still_gone(meeting_id, participant_id, since)
        if self.meetings.find(meeting_id, participant_id) is None:
            self._seat_freed(meeting_id, participant_id)
        self.deliver(outbox)
        self._update_gauges()

    def _seat_freed(self, meeting_id: str, participant_id: str) -> None:
        for callback in self.on_participant_removed:
            try:
                callback(meeting_id, participant_id)
            except Exception:
                log.exception("cleanup after participant %s failed", participant_id)

    def deliver(self, outbox: Outbox) -> None:
        for peer, event in outbox:
            if peer is not None:
                peer.send_event(event)

    def _update_gauges(self) -> None:
        self.metrics.meetings.set(len(self.meetings.live))
        self.metrics.participants.set(self.meetings.participant_count())

    def check_account_rate(self, peer: Peer) -> None:
        """Per-account flood protection, shared by all of an account's connections."""
        if peer.user is None:
            return
        lim = self.config.limits
        now = self.clock()
        bucket = self._account_buckets.get(peer.user.id)
        if bucket is None:
            bucket = self._account_buckets[peer.user.id] = TokenBucket(
                lim.account_requests_per_second, lim.account_request_burst, now
            )
        if not bucket.take(now):
            self.metrics.rate_limited.labels("account").inc()
            raise RateLimited("This account is sending too many requests. Slow down.", retry_after=bucket.retry_after())

    async def handle(self, peer: Peer, request: m.Request) -> m.Reply:
        """Answer one validated request; ParleyError becomes an error reply upstream."""
        self.check_account_rate(peer)
        handler = self.handlers.get(type(request))
        if handler is None:
            raise BadRequest(f"{m.tag_of(type(request))} is not supported by this relay yet.")
        self.metrics.requests.labels(m.tag_of(type(request))).inc()
        try:
            return await handler(peer, request)
        except OperationalError as exc:
            self.ops.write_failed(exc)
            if disk_full(exc):
                log.error("refused a write: the database's disk is full")
                raise Unavailable(
                    "The server cannot save anything right now: its disk is full. Nothing you had "
                    "saved is lost; tell your administrator."
                ) from None
            raise

    # --- admin changes made by other processes ------------------------------------------------

    async def _watch_admin_events(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            try:
                events = await self.accounts.admin_events_after(self._last_admin_event)
            except Exception:
                log.exception("reading admin events failed")
                continue
            for event in events:
                self._last_admin_event = event.id
                self.apply_admin_event(event.kind, event.user_id, event.session_id)

    def apply_admin_event(self, kind: str, user_id: str | None, session_id: str | None) -> None:
        for peer in list(self.peers):
            if peer.user is None:
                continue
            if kind == "user_suspended" and peer.user.id == user_id:
                self._end_session(peer, "suspended", "Your account was suspended by an administrator.")
            elif kind == "user_sessions_revoked" and peer.user.id == user_id:
                self._end_session(peer, "revoked", "Your password was reset. Sign in again.")
            elif kind == "session_revoked" and peer.session_id == session_id:
                self._end_session(peer, "revoked", "This sign-in was revoked.")

    def _end_session(self, peer: Peer, reason: str, message: str) -> None:
        self._leave(peer, "removed")
        peer.send_event(m.SessionEnded(reason=reason, message=message))  # type: ignore[arg-type]
        peer.user = None
        peer.session_id = None
        peer.close(4001, reason)

    # --- handlers ---------------------------------------------------------------------------

    async def on_login(self, peer: Peer, req: m.Login) -> m.Reply:
        if peer.user is not None:
            raise BadRequest("This connection is already signed in.")
        try:
            signed = await self.accounts.login(req.username, req.password, address=peer.address)
        except ParleyError:
            self.metrics.logins.labels("failed").inc()
            raise
        self.metrics.logins.labels("ok").inc()
        peer.user, peer.session_id = signed.user, signed.session.id
        assert signed.token is not None
        return m.LoginOk(
            id=req.id,
            token=signed.token,
            user=_user_info(signed.user),
            session_id=signed.session.id,
            expires_at=signed.session.expires_at,
        )

    async def on_resume(self, peer: Peer, req: m.Resume) -> m.Reply:
        if peer.user is not None:
            raise BadRequest("This connection is already signed in.")
        try:
            signed = await self.accounts.resume(req.token[:256], address=peer.address)
        except ParleyError:
            self.metrics.logins.labels("failed").inc()
            raise
        self.metrics.logins.labels("ok").inc()
        peer.user, peer.session_id = signed.user, signed.session.id
        return m.LoginOk(
            id=req.id,
            token="",
            user=_user_info(signed.user),
            session_id=signed.session.id,
            expires_at=signed.session.expires_at,
        )

    async def on_logout(self, peer: Peer, req: m.Logout) -> m.Reply:
        self._leave(peer, "left")
        if peer.session_id:
            await self.accounts.logout(peer.session_id)
        peer.user, peer.session_id = None, None
        return m.Ok(id=req.id)

    async def on_ping(self, peer: Peer, req: m.Ping) -> m.Reply:
        return m.Pong(id=req.id, server_time=self.clock())

    async def on_create_meeting(self, peer: Peer, req: m.CreateMeeting) -> m.Reply:
        assert peer.user is not None
        if not self.accepting:
            raise Unavailable("The server is shutting down; try again in a moment.")
        return m.MeetingCreated(id=req.id, meeting=await self.meetings.create(peer.user, req.title))

    async def on_join_meeting(self, peer: Peer, req: m.JoinMeeting) -> m.Reply:
        assert peer.user is not None
        if not self.accepting:
            raise Unavailable("The server is shutting down; try again in a moment.")
        if peer.meeting_id is not None and peer.meeting_id != req.meeting_id:
            raise BadRequest("Leave your current meeting before joining another.")
        meeting, participant, resumed, outbox = await self.meetings.join(peer.user, peer, req.meeting_id)
        peer.meeting_id, peer.participant_id = meeting.meeting_id, participant.participant_id
        if resumed:
            self.metrics.reconnects.inc()
        self.deliver(outbox)
        self._update_gauges()
        return m.MeetingJoined(
            id=req.id,
            meeting=meeting.info,
            participant_id=participant.participant_id,
            participants=[p.info() for p in meeting.participants.values()],
            resumed=resumed,
        )

    def _leave(self, peer: Peer, reason: str) -> None:
        if peer.meeting_id and peer.participant_id:
            meeting_id, participant_id = peer.meeting_id, peer.participant_id
            peer.meeting_id = peer.participant_id = None
            self.deliver(self.meetings.leave(meeting_id, participant_id, reason))
            self._seat_freed(meeting_id, participant_id)
            self._update_gauges()

    async def on_leave_meeting(self, peer: Peer, req: m.LeaveMeeting) -> m.Reply:
        if peer.meeting_id is None:
            raise NotFound("You are not in a meeting.")
        self._leave(peer, "left")
        return m.Ok(id=req.id)

    async def on_end_meeting(self, peer: Peer, req: m.EndMeeting) -> m.Reply:
        assert peer.user is not None
        meeting = self.meetings.live.get(req.meeting_id)
        seats = list(meeting.participants.values()) if meeting else []
        outbox = await self.meetings.end(peer.user, req.meeting_id)
        for seat in seats:
            if seat.peer is not None:
                seat.peer.meeting_id = seat.peer.participant_id = None
            self._seat_freed(req.meeting_id, seat.participant_id)
        self.deliver(outbox)
        self._update_gauges()
        return m.Ok(id=req.id)

    async def on_list_sessions(self, peer: Peer, req: m.ListSessions) -> m.Reply:
        assert peer.user is not None
        sessions = await self.accounts.list_sessions(peer.user.id)
        return m.SessionList(
            id=req.id,
            sessions=[
                m.SessionInfo(
                    session_id=s.id,
                    created_at=s.created_at,
                    expires_at=s.expires_at,
                    last_seen_at=s.last_seen_at,
                    address=s.address,
                    client=s.client,
                    current=s.id == peer.session_id,
                )
                for s in sessions
            ],
        )

    async def on_revoke_session(self, peer: Peer, req: m.RevokeSession) -> m.Reply:
        assert peer.user is not None
        if req.session_id == peer.session_id:
            raise Forbidden("Use sign out to end the session you are using.")
        await self.accounts.revoke_session(peer.user.id, req.session_id[:64], actor=peer.user.username)
        self.apply_admin_event("session_revoked", peer.user.id, req.session_id)
        return m.Ok(id=req.id)

    # --- shutdown ---------------------------------------------------------------------------

    def announce_going_away(self, message: str, retry_after: float = 2.0) -> None:
        self.accepting = False
        for peer in list(self.peers):
            peer.send_event(m.ServerGoingAway(message=message, retry_after=retry_after))


def _user_info(user: User) -> m.UserInfo:
    return m.UserInfo(user_id=user.id, username=user.username, display_name=user.display_name)
