"""The relay's application: every part built here, and the one table of what answers each request.

`relay.server` feeds `Relay.handle` validated requests from connections and writes whatever the
parts send. No sockets here. Parts are built in dependency order, each given exactly the
collaborators it uses (typed, often as a narrow Protocol declared in the part's own module), so
reading `Relay.__init__` top-down shows how the relay fits together; `Relay.requests` shows which
function answers each request type. A join reads top-down in relay/join.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

from relay.accounts import Accounts
from relay.audit import Audit
from relay.background import Background
from relay.bookings import Bookings
from relay.chat import ChatService
from relay.config import Config
from relay.controls import ControlsBook
from relay.directory.client import DirectoryClient
from relay.directory.config import service_password
from relay.directory.hosting import HostingGuard
from relay.directory.linked import DirectoryAccounts
from relay.directory.mapping import GroupMapping
from relay.directory.people import PeopleSearch
from relay.directory.signin import DirectorySignIn
from relay.directory.sync import DirectorySync
from relay.host_actions import Handover, HostActions, UnmutePolicy
from relay.join import JoinService
from relay.length_limit import LengthLimit
from relay.lifecycle import Lifecycle
from relay.links import Links
from relay.lobby import Lobby
from relay.maintenance import Maintenance, MaintenanceWindows
from relay.meeting_state import MeetingStates
from relay.meetings import Meetings
from relay.ops.metrics import RelayMetrics
from relay.ops.private_files import secure_folder
from relay.ops.uptime import Operations, disk_full
from relay.peer import Peer, Peers
from relay.recording import RecordingBook, Recordings
from relay.rooms import Rooms
from relay.seating import Seating, SeatListener
from relay.sessions import Sessions
from relay.sfu.datachannels import FileRelay
from relay.sfu.handlers import MediaRelay
from relay.stage import Stage
from relay.store.db import Database
from shared.errors import BadRequest, Unavailable
from shared.protocol import messages as m

log = logging.getLogger("parley.relay")

R = TypeVar("R", bound=m.Request)
Handler = Callable[[Peer, Any], Awaitable[m.Reply]]


def route(kind: type[R], handler: Callable[[Peer, R], Awaitable[m.Reply]]) -> tuple[type[Any], Handler]:
    """One row of the request table; the type checker sees that ``handler`` takes ``kind``."""
    return kind, handler


class Relay:
    """Everything the relay knows and decides, behind the sockets."""

    def __init__(self, config: Config, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        limits = config.limits
        # Foundations: storage, metrics, connections, background work, links.
        self.db = Database(config.database_url)
        self.metrics = RelayMetrics()
        self.background = Background()
        self.lifecycle = Lifecycle()
        self.links = Links(config.link_host, config.server.port)
        self.peers = Peers()
        self.audit = Audit(self.db, clock, self.background)
        # Accounts, meetings and the host's decisions about them.
        self.accounts = Accounts(self.db, limits, clock, self.metrics)
        # The company directory (auth.mode "ldap" or "both"): it checks passwords at sign-in, its
        # groups say who may host, and its sync suspends accounts it disabled or removed.
        auth = config.auth
        self.directory_accounts = DirectoryAccounts(self.db, clock)
        self.group_mapping = GroupMapping(auth.ldap.groups)
        self.directory: DirectoryClient | None = None
        self.directory_sync: DirectorySync | None = None
        if auth.mode != "local":
            self.directory = DirectoryClient(auth.ldap, service_password(auth.ldap))
            self.accounts.password_check = DirectorySignIn(
                auth.mode, self.directory, self.directory_accounts, self.group_mapping, self.accounts, self.metrics
            )
            self.directory_sync = DirectorySync(
                self.directory,
                self.directory_accounts,
                self.group_mapping,
                auth.ldap.sync_interval_seconds,
                self.metrics,
            )
        self.people = PeopleSearch(
            self.db, auth.ldap, self.directory, self.directory_accounts, self.group_mapping, clock
        )
        self.hosting = HostingGuard(self.db)
        self.meetings = Meetings(self.db, limits, self.links, clock)
        self.controls = ControlsBook()
        self.rooms = Rooms(self.db, config, clock, self.links)
        self.windows = MaintenanceWindows(self.db, config, self.rooms, clock)
        self.recording_book = RecordingBook()
        self.states = MeetingStates(self.db, self.controls, self.meetings, self.recording_book, clock, self.background)
        self.lobby = Lobby(self.controls, self.meetings, self.peers, limits, clock)
        self.maintenance = Maintenance(self.windows, self.peers, clock, self.background)
        # Features that hold something for a seat (told, in this order, when a seat goes).
        self.recordings = Recordings(self.meetings, self.recording_book, self.states, self.audit, clock)
        self.chat = ChatService(self.meetings, self.db, config.chat, clock)
        self.files = FileRelay(self.meetings, config.files, self.metrics)
        unmute_policy = UnmutePolicy(self.controls, self.meetings, self.states)
        self.media = MediaRelay(self.meetings, config.media, self.metrics, unmute_policy, self.files)
        handover = Handover(self.controls, self.meetings, self.lobby, self.audit)
        self.stage = Stage(self.meetings, self.controls, self.states, self.audit, clock)  # spotlight, reactions
        seat_listeners: list[SeatListener] = [self.media, self.chat, self.files, handover, self.recordings, self.states]
        seat_listeners.append(self.stage)
        self.seating = Seating(
            self.meetings,
            self.controls,
            self.lobby,
            self.states,
            seat_listeners,
            self.db,
            clock,
            limits.reconnect_grace_seconds,
        )
        # Features that end meetings or act on seats.
        self.length_limit = LengthLimit(
            self.controls, self.meetings, self.rooms, self.seating, self.db, limits, clock, self.background
        )
        self.host_actions = HostActions(
            self.meetings, self.controls, self.lobby, self.media, self.seating, self.states, self.audit, clock
        )
        self.bookings = Bookings(
            self.rooms,
            self.meetings,
            self.controls,
            self.peers,
            self.seating,
            self.length_limit,
            self.maintenance,
        )
        self.joins = JoinService(
            self.meetings,
            self.states,
            self.lobby,
            self.maintenance,
            self.length_limit,
            self.host_actions,
            self.recordings,
            self.lifecycle,
            self.metrics,
        )
        self.sessions = Sessions(self.accounts, self.peers, self.seating, self.maintenance, self.metrics, limits, clock)
        self.ops = Operations(config, self.db, self.metrics, self.lifecycle, self.links, self.media.packet_loss)
        self.metrics.watch(self.peers, self.meetings)
        self.requests = self._request_table()

    def _request_table(self) -> dict[type[Any], Handler]:
        """Every request type and the one function that answers it."""
        return dict(
            [
                route(m.Login, self.sessions.login),
                route(m.Resume, self.sessions.resume),
                route(m.Logout, self.sessions.logout),
                route(m.Ping, self.sessions.ping),
                route(m.ListSessions, self.sessions.list),
                route(m.RevokeSession, self.sessions.revoke),
                route(m.CreateMeeting, self.hosting.hosts_only(self.joins.create)),
                route(m.JoinMeeting, self.joins.join),
                route(m.DescribeMeeting, self.joins.describe),
                route(m.LeaveMeeting, self.seating.leave),
                route(m.EndMeeting, self.seating.end),
                route(m.HostAction, self.host_actions.act),
                route(m.RaiseHand, self.host_actions.raise_hand),
                route(m.SetSpotlight, self.stage.spotlight),
                route(m.SendReaction, self.stage.react),
                route(m.ListRooms, self.bookings.list_rooms),
                route(m.BookRoom, self.hosting.hosts_only(self.people.creating_invitees(self.bookings.book))),
                route(m.EditBooking, self.people.creating_invitees(self.bookings.edit)),
                route(m.CancelBooking, self.bookings.cancel),
                route(m.ListBookings, self.bookings.list),
                route(m.ListMaintenance, self.maintenance.list),
                route(m.StartRecording, self.recordings.start),
                route(m.StopRecording, self.recordings.stop),
                route(m.AllowCohostRecording, self.recordings.allow_cohosts),
                route(m.SendChat, self.chat.send),
                route(m.ChatHistory, self.chat.history),
                route(m.PublishOffer, self.media.on_publish),
                route(m.Subscribe, self.media.on_subscribe),
                route(m.SubscribeAnswer, self.media.on_subscribe_answer),
                route(m.SetMuted, self.media.on_set_muted),
                route(m.RequestKeyframe, self.media.on_request_keyframe),
                route(m.PublishFileKey, self.files.on_publish_key),
                route(m.OfferFile, self.files.on_offer),
                route(m.ReofferFile, self.files.on_reoffer),
                route(m.AnswerFile, self.files.on_answer),
                route(m.AckFile, self.files.on_ack),
                route(m.ResumeFile, self.files.on_resume),
                route(m.CancelFile, self.files.on_cancel),
                route(m.SearchPeople, self.people.search),
            ]
        )

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        secure_folder(self.config.data_dir)  # 0700, its files 0600, whatever the umask
        await self.db.migrate()
        secure_folder(self.config.data_dir)  # and the database files the migration created
        await self.ops.start()
        await self.sessions.start(self.background)
        await self.maintenance.start()
        if self.directory_sync is not None:
            self.directory_sync.start(self.background)

    async def stop(self) -> None:
        await self.media.stop()  # closes every peer connection (SIGTERM, tests)
        await self.files.stop()
        await self.background.stop()
        await self.ops.stop()  # records the clean stop for the availability report
        self.accounts.signin.close()
        await self.db.close()
        if self.directory is not None:
            self.directory.close()

    # --- connections ------------------------------------------------------------------------

    def connected(self, peer: Peer) -> None:
        self.peers.add(peer)

    def disconnected(self, peer: Peer) -> None:
        self.peers.discard(peer)
        self.seating.disconnected(peer)

    def announce_going_away(self, message: str, retry_after: float = 2.0) -> None:
        self.lifecycle.accepting = False
        for peer in self.peers:
            peer.send_event(m.ServerGoingAway(message=message, retry_after=retry_after))

    # --- requests ---------------------------------------------------------------------------

    async def handle(self, peer: Peer, request: m.Request) -> m.Reply:
        """Answer one validated request; ParleyError becomes an error reply upstream."""
        self.sessions.check_account_rate(peer)
        handler = self.requests.get(type(request))
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
