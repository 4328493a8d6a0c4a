"""`ParleyClient`: the object a UI, the headless CLI, tests and benchmarks drive. No Qt here.

It signs in, joins and leaves meetings, keeps the participant list, and reports what happens as
engine events (`client.engine.events`) through listeners or an async iterator, which the desktop
app adapts to Qt signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from client.engine import events as ev
from client.engine.credentials import TokenStore
from client.engine.explain import ExplainedError, explain, explain_file_error
from client.engine.reconnect import Reconnector
from client.engine.signalling import SignallingClient
from shared.errors import BadRequest, Forbidden, NotFound, ParleyError, RateLimited, Unauthorized
from shared.links import MeetingLink, parse_server
from shared.protocol import messages as m

log = logging.getLogger("parley.client")
# A sign-in paced by the relay (many at once from one address) is tried again after the wait it
# asks for, when that is short; a lockout (minutes) is reported at once.
PACE_RETRIES = 5
PACE_WAIT_MAX = 5.0


class ParleyClient:
    """A signed-in connection to one relay, in at most one meeting at a time."""

    def __init__(
        self,
        server: str,
        *,
        fingerprint: str | None = None,
        cafile: str | None = None,
        token_store: TokenStore | None = None,
        auto_reconnect: bool = True,
    ) -> None:
        self.host, self.port = parse_server(server)
        self.server = f"{self.host}:{self.port}"
        self.fingerprint = fingerprint
        self.cafile = cafile
        self.tokens = token_store or TokenStore()
        self.signalling: SignallingClient | None = None
        self.user: m.UserInfo | None = None
        self.session_id: str | None = None
        self.meeting: m.MeetingInfo | None = None
        self.participant_id: str | None = None
        self.participants: dict[str, m.ParticipantInfo] = {}
        self.active_speaker: str | None = None  # the relay's SpeakerChanged (ev.ActiveSpeakerChanged)
        self._listeners: list[Callable[[ev.EngineEvent], None]] = []
        self._queues: list[asyncio.Queue[ev.EngineEvent]] = []
        # Other parts of the engine (media, files, recording) subscribe to relay pushes here.
        self.push_handlers: list[Callable[[m.Event], None]] = []
        self._closing = False
        self._lobby_decisions: dict[str, asyncio.Future[m.LobbyDecided]] = {}
        # Reconnection (client/engine/reconnect.py): how many times this client came back, and
        # `reconnect_hooks` run after the seat is back (media starts over there).
        self.auto_reconnect = auto_reconnect
        self.reconnects = 0
        self.reconnector = Reconnector(self)
        self.reconnect_hooks = self.reconnector.hooks

    # --- events -----------------------------------------------------------------------------

    def add_listener(self, callback: Callable[[ev.EngineEvent], None]) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[ev.EngineEvent], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(callback)

    async def events(self) -> AsyncIterator[ev.EngineEvent]:
        """Every engine event from now on, until the iterator is closed."""
        queue: asyncio.Queue[ev.EngineEvent] = asyncio.Queue()
        self._queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)

    def emit(self, event: ev.EngineEvent) -> None:
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception:
                log.exception("engine listener failed")
        for queue in self._queues:
            queue.put_nowait(event)

    async def wait_for(self, predicate: Callable[[ev.EngineEvent], bool], timeout: float = 10.0) -> ev.EngineEvent:
        """Wait for the first event matching ``predicate`` (tests and scripts use it)."""
        future: asyncio.Future[ev.EngineEvent] = asyncio.get_running_loop().create_future()

        def check(event: ev.EngineEvent) -> None:
            if not future.done() and predicate(event):
                future.set_result(event)

        self.add_listener(check)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.remove_listener(check)

    # --- connection and sign-in ---------------------------------------------------------------

    async def connect(self) -> None:
        """Open the signalling connection (raises UntrustedCertificate, ServerUnreachable)."""
        signalling = SignallingClient(self.host, self.port, fingerprint=self.fingerprint, cafile=self.cafile)
        await signalling.connect()
        signalling.add_listener(self._on_push)
        signalling.add_closed_listener(self._on_closed)
        self.signalling = signalling
        self.emit(ev.Connected(server=self.server, fingerprint=signalling.server_fingerprint or ""))

    async def request(self, request: m.Request) -> m.Reply:
        if self.signalling is None:
            raise BadRequest("Not connected to a server.")
        return await self.signalling.request(request)

    async def sign_in(self, username: str, password: str, *, remember: bool = True) -> m.UserInfo:
        for attempt in range(PACE_RETRIES + 1):
            try:
                reply = await self.request(m.Login(id=0, username=username, password=password))
                break
            except RateLimited as exc:
                # The relay paces sign-ins per network address; when a whole office (or many clients
                # on one machine) signs in at once it asks to wait a moment: wait and try again, as
                # a person would. Slowed or locked guesses are said at once.
                if exc.reason != "load" or exc.retry_after > PACE_WAIT_MAX or attempt == PACE_RETRIES:
                    raise
                await asyncio.sleep(exc.retry_after)
        assert isinstance(reply, m.LoginOk)
        self.user, self.session_id = reply.user, reply.session_id
        self.reconnector.token = reply.token  # in memory for reconnects, remembered or not
        if remember:
            try:
                self.tokens.save(self.server, reply.user.username, reply.token)
            except OSError as exc:  # a full disk, no permission: say so, and sign in nothing half
                explanation = explain_file_error(exc, str(self.tokens.path))
                log.warning("could not remember the sign-in: %s", explanation.details)
                with contextlib.suppress(ParleyError):
                    await self.request(m.Logout(id=0))
                self.user = self.session_id = self.reconnector.token = None
                raise ExplainedError(explanation) from None
        self.emit(ev.SignedIn(user=reply.user))
        return reply.user

    async def resume(self, username: str) -> m.UserInfo | None:
        """Sign in with the remembered token of ``username``; None when there is none or it ended."""
        token = self.tokens.load(self.server, username.strip().lower())
        if not token:
            return None
        try:
            user = await self.resume_session(token)
        except Unauthorized:
            self.tokens.forget(self.server, username.strip().lower())
            return None
        self.reconnector.token = token
        self.emit(ev.SignedIn(user=user))
        return user

    async def resume_session(self, token: str) -> m.UserInfo:
        """Take the signed-in session back with its token (raises Unauthorized when it ended).
        Reports nothing: after a reconnect the person never signed out."""
        reply = await self.request(m.Resume(id=0, token=token))
        assert isinstance(reply, m.LoginOk)
        self.user, self.session_id = reply.user, reply.session_id
        return reply.user

    async def sign_out(self) -> None:
        if self.user is not None:
            with contextlib.suppress(ParleyError):
                await self.request(m.Logout(id=0))
            self.tokens.forget(self.server, self.user.username)
        self.reconnector.token = None
        self.clear_meeting()
        self.user = None

    def end_session(self, reason: str, message: str, *, forget_token: bool) -> None:
        """The relay ended this sign-in (or no longer accepts it): out of the meeting, signed out,
        and the remembered token forgotten when ``forget_token``."""
        if self.user is not None and forget_token:
            self.tokens.forget(self.server, self.user.username)
        meeting = self.meeting
        self.clear_meeting()
        self.user = None
        if meeting is not None:
            self.emit(ev.MeetingLeft(meeting_id=meeting.meeting_id, reason="removed", message=message))
        self.emit(ev.SignedOut(reason=reason, message=message))

    async def drop_signalling(self) -> None:
        """Let go of the signalling connection without closing the client (a new one follows)."""
        if self.signalling is not None:
            signalling, self.signalling = self.signalling, None
            with contextlib.suppress(Exception):
                await signalling.close()

    async def close(self) -> None:
        self._closing = True
        await self.reconnector.cancel()
        if self.signalling is not None:
            signalling, self.signalling = self.signalling, None
            await signalling.close()

    # --- meetings ---------------------------------------------------------------------------

    async def create_meeting(self, title: str = "") -> m.MeetingInfo:
        reply = await self.request(m.CreateMeeting(id=0, title=title))
        assert isinstance(reply, m.MeetingCreated)
        return reply.meeting

    async def describe_meeting(self, meeting_id: str) -> m.MeetingInfo:
        """Title and host of a meeting before joining it."""
        reply = await self.request(m.DescribeMeeting(id=0, meeting_id=meeting_id))
        assert isinstance(reply, m.MeetingDescribed)
        return reply.meeting

    def link_to(self, meeting_id: str) -> MeetingLink:
        """The link to ``meeting_id`` on this client's relay."""
        return MeetingLink(self.host, self.port, meeting_id)

    def check_link(self, link: MeetingLink) -> None:
        """Raise NotFound with a sentence when ``link`` points to another relay than this one."""
        if (link.host, link.port) != (self.host, self.port):
            raise NotFound(
                f"This meeting is on the server {link.server}, but you are signed in to {self.server}. "
                f"Sign out and sign in to {link.server} to join it."
            )

    async def join(self, meeting: MeetingLink | str, *, lobby_timeout: float | None = None) -> m.MeetingJoined:
        """Take a seat in ``meeting`` (its link, or its id on this relay); when the host's lobby
        holds us, wait (up to ``lobby_timeout`` seconds, or for ever) until admitted, or raise
        Forbidden with the host's answer. A link to another relay raises NotFound."""
        if isinstance(meeting, MeetingLink):
            self.check_link(meeting)
            meeting_id = meeting.meeting_id
        else:
            meeting_id = meeting
        decided: asyncio.Future[m.LobbyDecided] = asyncio.get_running_loop().create_future()
        self._lobby_decisions[meeting_id] = decided
        known_before = set(self.participants)
        try:
            reply = await self.request(m.JoinMeeting(id=0, meeting_id=meeting_id))
            if isinstance(reply, m.LobbyWaiting):
                self.emit(ev.HeldInLobby(meeting_id=meeting_id, message=reply.message))
                try:
                    decision = await asyncio.wait_for(decided, lobby_timeout)
                except TimeoutError:
                    with contextlib.suppress(ParleyError):
                        await self.request(m.LeaveMeeting(id=0))
                    raise Forbidden("Nobody let you in; try again later.") from None
                if not decision.admitted:
                    raise Forbidden(decision.message or "The host did not let you in.")
                reply = await self.request(m.JoinMeeting(id=0, meeting_id=meeting_id))
        finally:
            self._lobby_decisions.pop(meeting_id, None)
        assert isinstance(reply, m.MeetingJoined)
        self.meeting = reply.meeting
        self.participant_id = reply.participant_id
        # Someone whose join was announced while our request was in flight may be missing from
        # the reply (the relay built it first): keep them (after a relay restart all rejoin at once).
        arrived = {pid: p for pid, p in self.participants.items() if pid not in known_before}
        self.participants = {p.participant_id: p for p in reply.participants}
        for pid, info in arrived.items():
            self.participants.setdefault(pid, info)
        self.emit(ev.MeetingEntered(meeting=reply.meeting, participant_id=reply.participant_id, resumed=reply.resumed))
        for participant in reply.participants:
            self.emit(ev.ParticipantChanged(participant=participant, change="present"))
        return reply

    async def leave(self) -> None:
        if self.meeting is None:
            return
        meeting = self.meeting
        with contextlib.suppress(NotFound):
            await self.request(m.LeaveMeeting(id=0))
        self.clear_meeting()
        self.emit(ev.MeetingLeft(meeting_id=meeting.meeting_id, reason="left"))

    async def end_meeting(self) -> None:
        if self.meeting is None:
            raise NotFound("You are not in a meeting.")
        await self.request(m.EndMeeting(id=0, meeting_id=self.meeting.meeting_id))

    async def list_sessions(self) -> list[m.SessionInfo]:
        reply = await self.request(m.ListSessions(id=0))
        assert isinstance(reply, m.SessionList)
        return reply.sessions

    async def revoke_session(self, session_id: str) -> None:
        await self.request(m.RevokeSession(id=0, session_id=session_id))

    def clear_meeting(self) -> None:
        """Forget the meeting (reports nothing: the caller says why it ended)."""
        self.meeting = None
        self.participant_id = None
        self.participants = {}
        self.active_speaker = None

    # --- relay pushes -------------------------------------------------------------------------

    def _on_push(self, event: m.Event) -> None:
        if isinstance(event, (m.ParticipantJoined, m.ParticipantUpdated)):
            joining = event.meeting_id in self._lobby_decisions  # our join is in flight
            if (self.meeting and event.meeting_id == self.meeting.meeting_id) or joining:
                self.participants[event.participant.participant_id] = event.participant
                change = "joined" if isinstance(event, m.ParticipantJoined) else "updated"
                self.emit(ev.ParticipantChanged(participant=event.participant, change=change))
        elif isinstance(event, m.ParticipantLeft):
            if self.meeting and event.meeting_id == self.meeting.meeting_id:
                gone = self.participants.pop(event.participant_id, None)
                if gone is not None:
                    self.emit(ev.ParticipantDeparted(participant=gone, reason=event.reason))
        elif isinstance(event, m.MeetingEnded):
            if self.meeting and event.meeting_id == self.meeting.meeting_id:
                self.clear_meeting()
                self.emit(ev.MeetingLeft(meeting_id=event.meeting_id, reason="ended", message=event.message))
        elif isinstance(event, m.SessionEnded):
            forget = event.reason in ("revoked", "suspended", "expired", "logged_out")
            self.end_session(event.reason, event.message, forget_token=forget)
        elif isinstance(event, m.ServerGoingAway):
            self.reconnector.retry_after = event.retry_after
            self.emit(ev.ServerShutdownAnnounced(message=event.message, retry_after=event.retry_after))
        elif isinstance(event, m.LobbyDecided):
            waiting = self._lobby_decisions.get(event.meeting_id)
            if waiting is not None and not waiting.done():
                waiting.set_result(event)
            self.emit(ev.LobbyAnswered(meeting_id=event.meeting_id, admitted=event.admitted, message=event.message))
        elif isinstance(event, m.RemovedFromMeeting):
            if self.meeting and event.meeting_id == self.meeting.meeting_id:
                self.clear_meeting()
                self.emit(ev.MeetingLeft(meeting_id=event.meeting_id, reason="removed", message=event.message))
        elif isinstance(event, m.MediaStopped):  # the relay cut a source off (its bitrate ceiling)
            if self.meeting and event.meeting_id == self.meeting.meeting_id:
                if event.reason == "taken_over":  # someone else shares now: not a failure
                    self.emit(ev.ShareTakenOver(message=event.message))
                else:
                    self.emit(ev.MediaFailed(message=event.message))
        elif isinstance(event, m.SpeakerChanged):  # the relay's ranking (relay/sfu/speakers.py)
            if self.meeting and event.meeting_id == self.meeting.meeting_id:
                self.active_speaker = event.participant_id or None
                self.emit(ev.ActiveSpeakerChanged(meeting_id=event.meeting_id, participant_id=self.active_speaker))
        for handler in list(self.push_handlers):
            try:
                handler(event)
            except Exception:
                log.exception("push handler failed")

    def _on_closed(self, error: BaseException | None) -> None:
        if self._closing or self.reconnector.running:
            return
        if self.auto_reconnect and self.user is not None and self.reconnector.token:
            self.reconnector.start()  # Reconnecting now; Disconnected only if it gives up
            return
        self.emit(ev.Disconnected(message="The connection to the server was lost."))


def describe_error(error: BaseException) -> str:
    """A sentence for people, whatever went wrong, naming its real cause (client/engine/explain.py)."""
    return str(explain(error).sentence)
