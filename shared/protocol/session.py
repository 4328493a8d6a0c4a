"""The signalling session as a sans-I/O state machine.

Frames in (`receive_frame`), events and frames out (`events_received`, `data_to_send`). No sockets,
no event loop, no clock: the websocket front ends in ``relay.server`` and
``client.engine.signalling`` only move frames, and tests drive this class directly.

The client role numbers its requests, matches replies to them, and tells replies from pushes. The
server role validates every frame against the request schema before anything else sees it, answers
bad frames itself with a stable error code, enforces the ``hello`` exchange and sign-in, and counts
violations so the transport can drop a peer that keeps misbehaving.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import msgspec

from shared.errors import ErrorCode, ParleyError, error_from_code
from shared.limits import DEFAULT_MAX_FRAME_BYTES
from shared.protocol import messages as m


class Role(Enum):
    CLIENT = "client"
    SERVER = "server"


class State(Enum):
    AWAITING_HELLO = "awaiting_hello"
    OPEN = "open"
    CLOSED = "closed"


# --- events the session hands to its owner ----------------------------------------------------


@dataclass(frozen=True)
class RequestReceived:
    """Server role: a valid request the application must answer with `SignallingSession.reply`."""

    request: m.Request


@dataclass(frozen=True)
class HandshakeCompleted:
    """Both roles: the hello exchange succeeded."""

    peer: str
    protocol: int


@dataclass(frozen=True)
class ReplyReceived:
    """Client role: the reply to request ``request_id`` (an `Error` reply included)."""

    request_id: int
    reply: m.Reply

    def error(self) -> ParleyError | None:
        if isinstance(self.reply, m.Error):
            return error_from_code(self.reply.code, self.reply.message, self.reply.detail)
        return None


@dataclass(frozen=True)
class PushReceived:
    """Client role: an event the relay pushed (not a reply)."""

    event: m.Event


@dataclass(frozen=True)
class ProtocolViolation:
    """A frame the peer should not have sent. The server has already answered it.

    ``fatal``: the frame could not even be read (invalid UTF-8, nesting too deep to decode); no
    well-behaved peer sends one, so the owner closes the connection.
    """

    code: ErrorCode
    message: str
    fatal: bool = False


SessionEvent = RequestReceived | HandshakeCompleted | ReplyReceived | PushReceived | ProtocolViolation

_request_decoder = msgspec.json.Decoder(m.Request)
_incoming_decoder = msgspec.json.Decoder(m.Reply | m.Event)
_encoder = msgspec.json.Encoder()


class _Envelope(msgspec.Struct, forbid_unknown_fields=False):
    """Lenient view of a frame, to find the request id of a frame that failed validation."""

    id: int | None = None
    type: Any = None


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_KNOWN_REQUEST_TAGS = {m.tag_of(t) for t in m.REQUEST_TYPES}
_KNOWN_TAGS = {m.tag_of(t) for t in m.ALL_TYPES}


def encode(message: m.Message) -> str:
    """The JSON text of a message, as it goes on the wire."""
    return _encoder.encode(message).decode()


class SignallingSession:
    """Sans-I/O: frames in, events and frames out. No sockets, no loop, no clock."""

    def __init__(
        self,
        role: Role,
        *,
        agent: str = "parley",
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        self.role = role
        self.agent = agent
        self.max_frame_bytes = max_frame_bytes
        self.state = State.AWAITING_HELLO
        self.authenticated = False
        self.violations = 0
        self.peer_protocol: int | None = None
        self._next_id = 1
        self._pending: dict[int, type[m.Message]] = {}
        self._events: list[SessionEvent] = []
        self._out: list[str] = []

    # --- output side ----------------------------------------------------------------------

    def data_to_send(self) -> list[str]:
        """Frames to write to the transport, oldest first; the list is handed over."""
        out, self._out = self._out, []
        return out

    def events_received(self) -> list[SessionEvent]:
        """Events for the owner, oldest first; the list is handed over."""
        events, self._events = self._events, []
        return events

    # --- client role ------------------------------------------------------------------------

    def start(self) -> int:
        """Client role: queue the hello that opens every session. Returns its request id."""
        if self.role is not Role.CLIENT:
            raise RuntimeError("only the client says hello first")
        return self.send_request(m.Hello(id=0, protocol=m.PROTOCOL_VERSION, client=self.agent))

    def send_request(self, request: m.Request) -> int:
        """Client role: number a request, queue it, and return the id its reply will carry."""
        if self.role is not Role.CLIENT:
            raise RuntimeError("only the client sends requests")
        if self.state is State.CLOSED:
            raise RuntimeError("session is closed")
        request_id = self._next_id
        self._next_id += 1
        request.id = request_id
        self._pending[request_id] = type(request)
        self._out.append(encode(request))
        return request_id

    @property
    def pending_requests(self) -> set[int]:
        return set(self._pending)

    # --- server role ------------------------------------------------------------------------

    def reply(self, request: m.Request, reply: m.Reply) -> None:
        """Server role: answer a request; the reply gets the request's id."""
        reply.id = request.id
        self._out.append(encode(reply))

    def reply_error(self, request_id: int | None, error: ParleyError) -> None:
        """Server role: answer with an error carrying its stable code."""
        self._out.append(
            encode(m.Error(id=request_id, code=error.code.value, message=error.message, detail=error.detail))
        )

    def push(self, event: m.Event) -> None:
        """Server role: send an event that is not a reply."""
        self._out.append(encode(event))

    def close(self) -> None:
        self.state = State.CLOSED

    # --- input side -------------------------------------------------------------------------

    def receive_frame(self, frame: str | bytes) -> None:
        """Feed one websocket frame; results appear in `events_received` and `data_to_send`."""
        if self.state is State.CLOSED:
            return
        if len(frame) > self.max_frame_bytes:
            self._violation(
                None,
                ErrorCode.LIMIT_EXCEEDED,
                f"Frame of {len(frame)} bytes is over the limit of {self.max_frame_bytes} bytes.",
                {"limit": "max_frame_bytes", "value": self.max_frame_bytes},
            )
            return
        if self.role is Role.SERVER:
            self._server_receive(frame)
        else:
            self._client_receive(frame)

    def _server_receive(self, frame: str | bytes) -> None:
        try:
            request = _request_decoder.decode(frame)
        except msgspec.DecodeError as exc:
            self._reject_undecodable(frame, exc)
            return
        except (RecursionError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            self._unreadable(exc)
            return
        if self.state is State.AWAITING_HELLO:
            if not isinstance(request, m.Hello):
                self._violation(request.id, ErrorCode.BAD_REQUEST, "The session must start with hello.")
                return
            if request.protocol != m.PROTOCOL_VERSION:
                self._violation(
                    request.id,
                    ErrorCode.BAD_REQUEST,
                    f"Protocol version mismatch: this client speaks version {request.protocol}, "
                    f"the server speaks version {m.PROTOCOL_VERSION}.",
                    {"client_protocol": request.protocol, "server_protocol": m.PROTOCOL_VERSION},
                )
                return
            self.state = State.OPEN
            self.peer_protocol = request.protocol
            self.reply(
                request,
                m.HelloOk(id=0, protocol=m.PROTOCOL_VERSION, server=self.agent, max_frame_bytes=self.max_frame_bytes),
            )
            self._events.append(HandshakeCompleted(peer=request.client, protocol=request.protocol))
            return
        if isinstance(request, m.Hello):
            self._violation(request.id, ErrorCode.BAD_REQUEST, "hello was already exchanged.")
            return
        if not self.authenticated and not isinstance(request, m.PUBLIC_REQUESTS):
            self._violation(request.id, ErrorCode.UNAUTHORIZED, "Sign in first.")
            return
        self.violations = 0  # a well-behaved request forgives earlier slips
        self._events.append(RequestReceived(request))

    def _reject_undecodable(self, frame: str | bytes, exc: msgspec.DecodeError) -> None:
        request_id: int | None = None
        try:
            envelope = _envelope_decoder.decode(frame)
        except msgspec.DecodeError:
            self._violation(None, ErrorCode.BAD_REQUEST, "The frame is not a JSON object.")
            return
        except (RecursionError, ValueError) as error:
            self._unreadable(error)
            return
        request_id = envelope.id
        if not isinstance(envelope.type, str):
            message = "The message has no type."
        elif envelope.type not in _KNOWN_REQUEST_TAGS:
            message = f"Unknown message type {envelope.type[:64]!r}."
        else:
            message = f"Invalid {envelope.type} message: {exc}."
        self._violation(request_id, ErrorCode.BAD_REQUEST, message)

    def _unreadable(self, exc: BaseException) -> None:
        """A frame the decoder cannot even walk: answered, counted, and marked fatal."""
        if isinstance(exc, RecursionError):
            message = "The frame is nested too deeply to read."
        else:
            message = "The frame is not valid UTF-8 text."
        self._violation(None, ErrorCode.BAD_REQUEST, message, fatal=True)

    def _violation(
        self,
        request_id: int | None,
        code: ErrorCode,
        message: str,
        detail: dict[str, Any] | None = None,
        *,
        fatal: bool = False,
    ) -> None:
        self.violations += 1
        if self.role is Role.SERVER:
            self._out.append(encode(m.Error(id=request_id, code=code.value, message=message, detail=detail or {})))
        self._events.append(ProtocolViolation(code=code, message=message, fatal=fatal))

    def _client_receive(self, frame: str | bytes) -> None:
        try:
            message = _incoming_decoder.decode(frame)
        except msgspec.DecodeError as exc:
            self._violation(None, ErrorCode.BAD_REQUEST, f"Unreadable frame from the server: {exc}.")
            return
        except (RecursionError, ValueError) as exc:
            self._unreadable(exc)
            return
        request_id = getattr(message, "id", None)
        if isinstance(message, m.REPLY_TYPES):
            if request_id is None:  # an Error about a frame we sent that the server could not read
                self._events.append(ReplyReceived(request_id=-1, reply=message))  # type: ignore[arg-type]
                return
            request_type = self._pending.pop(request_id, None)
            if request_type is None:
                self._violation(None, ErrorCode.BAD_REQUEST, f"Reply to unknown request {request_id}.")
                return
            if request_type is m.Hello:
                if isinstance(message, m.HelloOk):
                    self.state = State.OPEN
                    self.peer_protocol = message.protocol
                    self._events.append(HandshakeCompleted(peer=message.server, protocol=message.protocol))
            self._events.append(ReplyReceived(request_id=request_id, reply=message))  # type: ignore[arg-type]
            return
        self._events.append(PushReceived(event=message))
