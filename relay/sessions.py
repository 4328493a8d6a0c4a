"""Signing in and out on a connection, the sessions people hold, and ending sessions when an
administrator (or the user, from another device) revokes them.

Administrators act from another process (``parley-relay user suspend``...): they write an admin
event to the database, which the serving relay polls twice a second and applies to the
connections it holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from relay.accounts import Accounts, SignedIn
from relay.background import Background
from relay.config import LimitsConfig
from relay.ops.metrics import RelayMetrics
from relay.peer import Peer, Peers, user_of
from relay.ratelimit import TokenBucket
from relay.store.models import User
from shared.errors import BadRequest, Forbidden, ParleyError, RateLimited
from shared.protocol import messages as m

log = logging.getLogger("parley.relay")

ADMIN_EVENT_POLL_SECONDS = 0.5


class Seats(Protocol):
    """Giving a seat up (relay.seating)."""

    def leave_seat(self, peer: Peer, reason: m.LeaveReason) -> None: ...


class SignInListener(Protocol):
    """Told after someone signs in on a connection (relay.maintenance announces what is planned)."""

    def signed_in(self, peer: Peer) -> None: ...


class Sessions:
    def __init__(
        self,
        accounts: Accounts,
        peers: Peers,
        seats: Seats,
        listener: SignInListener,
        metrics: RelayMetrics,
        limits: LimitsConfig,
        clock: Callable[[], float],
    ) -> None:
        self.accounts = accounts
        self.peers = peers
        self.seats = seats
        self.listener = listener
        self.metrics = metrics
        self.limits = limits
        self.clock = clock
        self._account_buckets: dict[str, TokenBucket] = {}
        self._last_admin_event = 0
        # When each signed-in connection's session expires; checked with the admin events.
        self._expires: dict[Peer, float] = {}
        self._next_prune = 0.0

    def check_account_rate(self, peer: Peer) -> None:
        """Per-account flood protection, shared by all of an account's connections."""
        if peer.user is None:
            return
        now = self.clock()
        bucket = self._account_buckets.get(peer.user.id)
        if bucket is None:
            bucket = self._account_buckets[peer.user.id] = TokenBucket(
                self.limits.account_requests_per_second, self.limits.account_request_burst, now
            )
        if not bucket.take(now):
            self.metrics.rate_limited.labels("account").inc()
            raise RateLimited("This account is sending too many requests. Slow down.", retry_after=bucket.retry_after())

    # --- requests ---------------------------------------------------------------------------------

    async def login(self, peer: Peer, req: m.Login) -> m.Reply:
        if peer.user is not None:
            raise BadRequest("This connection is already signed in.")
        signed = await self._counted(self.accounts.login(req.username, req.password, address=peer.address))
        assert signed.token is not None
        return self._signed_in(peer, signed, signed.token, req.id)

    async def resume(self, peer: Peer, req: m.Resume) -> m.Reply:
        if peer.user is not None:
            raise BadRequest("This connection is already signed in.")
        signed = await self._counted(self.accounts.resume(req.token[:256], address=peer.address))
        return self._signed_in(peer, signed, "", req.id)

    async def _counted(self, attempt: Awaitable[SignedIn]) -> SignedIn:
        try:
            signed = await attempt
        except ParleyError:
            self.metrics.logins.labels("failed").inc()
            raise
        self.metrics.logins.labels("ok").inc()
        return signed

    def _signed_in(self, peer: Peer, signed: SignedIn, token: str, request_id: int) -> m.LoginOk:
        peer.user, peer.session_id = signed.user, signed.session.id
        self._expires[peer] = signed.session.expires_at
        self.listener.signed_in(peer)
        return m.LoginOk(
            id=request_id,
            token=token,
            user=user_info(signed.user),
            session_id=signed.session.id,
            expires_at=signed.session.expires_at,
        )

    async def logout(self, peer: Peer, req: m.Logout) -> m.Reply:
        self.seats.leave_seat(peer, "left")
        session_id, user = peer.session_id, peer.user
        peer.user, peer.session_id = None, None
        self._expires.pop(peer, None)
        if session_id and user is not None:
            await self.accounts.logout(session_id, user.id)
            # Other connections resumed with the same token end now, not when they next reconnect.
            self.apply_admin_event("session_logged_out", user.id, session_id)
        return m.Ok(id=req.id)

    async def ping(self, peer: Peer, req: m.Ping) -> m.Reply:
        return m.Pong(id=req.id, server_time=self.clock())

    async def list(self, peer: Peer, req: m.ListSessions) -> m.Reply:
        sessions = await self.accounts.list_sessions(user_of(peer).id)
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

    async def revoke(self, peer: Peer, req: m.RevokeSession) -> m.Reply:
        user = user_of(peer)
        if req.session_id == peer.session_id:
            raise Forbidden("Use sign out to end the session you are using.")
        await self.accounts.revoke_session(user.id, req.session_id[:64], actor=user.username)
        self.apply_admin_event("session_revoked", user.id, req.session_id)
        return m.Ok(id=req.id)

    # --- admin changes made by other processes ---------------------------------------------------

    async def start(self, background: Background) -> None:
        """Apply what administrators do from the command line from now on, while the relay serves."""
        self._last_admin_event = await self.accounts.last_admin_event_id()
        background.spawn(self._watch_admin_events())

    async def _watch_admin_events(self) -> None:
        while True:
            await asyncio.sleep(ADMIN_EVENT_POLL_SECONDS)
            self.end_expired()
            await self._prune_throttle()
            try:
                events = await self.accounts.admin_events_after(self._last_admin_event)
            except Exception:
                log.exception("reading admin events failed")
                continue
            for event in events:
                self._last_admin_event = event.id
                self.apply_admin_event(event.kind, event.user_id, event.session_id)

    def end_expired(self) -> None:
        """Sign out connections whose session's lifetime is over (ASVS V3.3.1)."""
        now = self.clock()
        for peer, expires_at in list(self._expires.items()):
            if peer.user is None or peer not in self.peers:
                del self._expires[peer]
            elif expires_at <= now:
                self._end_session(peer, "expired", "Your sign-in has expired. Sign in again.")

    async def _prune_throttle(self) -> None:
        """Forget sign-in failure counters that are over (and admin events older than a day), about
        once a minute (or a window)."""
        now = self.clock()
        if now < self._next_prune:
            return
        self._next_prune = now + min(60.0, max(1.0, self.limits.login_window_seconds))
        try:
            await self.accounts.signin.prune()
            await self.accounts.prune_admin_events()
        except Exception:
            log.exception("pruning sign-in failure counters or old admin events failed")

    def apply_admin_event(self, kind: str, user_id: str | None, session_id: str | None) -> None:
        for peer in self.peers.signed_in():
            assert peer.user is not None
            if kind == "user_suspended" and peer.user.id == user_id:
                self._end_session(peer, "suspended", "Your account was suspended by an administrator.")
            elif kind == "user_sessions_revoked" and peer.user.id == user_id:
                self._end_session(peer, "revoked", "Your password was reset. Sign in again.")
            elif kind == "user_directory_disabled" and peer.user.id == user_id:
                self._end_session(
                    peer,
                    "suspended",
                    "Your company account was disabled or removed in the directory, so you were signed out.",
                )
            elif kind == "session_revoked" and peer.session_id == session_id:
                self._end_session(peer, "revoked", "This sign-in was revoked.")
            elif kind == "session_logged_out" and peer.session_id == session_id:
                self._end_session(peer, "logged_out", "You signed out. Sign in again to continue.")

    def _end_session(self, peer: Peer, reason: m.SessionEndReason, message: str) -> None:
        self._expires.pop(peer, None)
        self.seats.leave_seat(peer, "removed")
        peer.send_event(m.SessionEnded(reason=reason, message=message))
        peer.user = None
        peer.session_id = None
        peer.close(4001, reason)


def user_info(user: User) -> m.UserInfo:
    return m.UserInfo(user_id=user.id, username=user.username, display_name=user.display_name)
