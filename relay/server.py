"""The only module of the relay that touches sockets: TLS websockets plus /healthz and /metrics.

Each connection gets a sans-I/O `SignallingSession`, a token bucket, and a bounded outgoing queue
drained by its own writer task, so one slow reader never holds up anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from relay.admission import Admission, raise_fd_limit
from relay.app import Relay
from relay.config import Config
from relay.ops import tls
from relay.ops.private_files import secure_folder
from relay.ratelimit import TokenBucket
from relay.store.models import User
from shared.errors import ParleyError, RateLimited, Unavailable
from shared.protocol import messages as m
from shared.protocol.session import (
    HandshakeCompleted,
    ProtocolViolation,
    RequestReceived,
    Role,
    SignallingSession,
)
from shared.version import __version__

log = logging.getLogger("parley.relay")

OUTGOING_QUEUE = 1024
# Frames the relay still reads up to (and answers with limit_exceeded); beyond this websockets
# closes the connection with 1009, so a peer cannot make the relay buffer megabytes.
HARD_FRAME_FACTOR = 4


class Connection:
    """One client's signalling connection."""

    def __init__(self, ws: ServerConnection, relay: Relay) -> None:
        self.ws = ws
        self.relay = relay
        limits = relay.config.limits
        self.session = SignallingSession(
            Role.SERVER, agent=f"parley-relay/{__version__}", max_frame_bytes=limits.max_frame_bytes
        )
        remote = ws.remote_address
        self.address = str(remote[0]) if remote else ""
        now = relay.clock()
        self.bucket = TokenBucket(limits.connection_requests_per_second, limits.connection_request_burst, now)
        # Refused requests a connection may pile up before it is closed; refills at the request
        # rate, so a steady flood just over the limit is closed too, not only a burst.
        self.refusals = TokenBucket(limits.connection_requests_per_second, limits.connection_refusals_before_close, now)
        self._sign_in_timer: asyncio.TimerHandle | None = None
        self._user: User | None = None
        self.session_id: str | None = None
        self.meeting_id: str | None = None
        self.participant_id: str | None = None
        self.outgoing: asyncio.Queue[str | None] = asyncio.Queue(OUTGOING_QUEUE)
        self.closing = False

    @property
    def user(self) -> User | None:
        return self._user

    @user.setter
    def user(self, user: User | None) -> None:
        # The sans-I/O session refuses non-public requests until the application signs us in.
        self._user = user
        self.session.authenticated = user is not None
        if user is None and not self.closing:
            self._arm_sign_in_timer()

    def _arm_sign_in_timer(self) -> None:
        """Close this connection unless it tries to sign in within ``sign_in_timeout_seconds``."""
        if self._sign_in_timer is not None:
            self._sign_in_timer.cancel()
        timeout = self.relay.config.limits.sign_in_timeout_seconds
        if timeout > 0:
            self._sign_in_timer = asyncio.get_running_loop().call_later(timeout, self._sign_in_overdue)

    def _sign_in_overdue(self) -> None:
        self._sign_in_timer = None
        if self._user is None and not self.closing:
            self.relay.metrics.connections_refused.labels("sign_in_timeout").inc()
            self.close(1008, "sign in first")

    # --- writing ----------------------------------------------------------------------------

    def _queue(self, frame: str) -> None:
        if self.closing:
            return
        try:
            self.outgoing.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("closing connection from %s: it does not read its messages", self.address)
            self.close(1008, "too slow")

    def flush(self) -> None:
        for frame in self.session.data_to_send():
            self._queue(frame)

    def send_event(self, event: m.Event) -> None:
        self.session.push(event)
        self.flush()

    def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        with contextlib.suppress(asyncio.QueueFull):
            self.outgoing.put_nowait(None)
        self._close_args = (code, reason)

    async def writer(self) -> None:
        try:
            while True:
                frame = await self.outgoing.get()
                if frame is None:
                    code, reason = getattr(self, "_close_args", (1000, ""))
                    await self.ws.close(code, reason)
                    return
                await self.ws.send(frame)
        except ConnectionClosed:
            pass

    # --- reading ----------------------------------------------------------------------------

    async def serve(self) -> None:
        relay = self.relay
        writer = asyncio.get_running_loop().create_task(self.writer())
        relay.connected(self)
        self._arm_sign_in_timer()
        try:
            async for frame in self.ws:
                if self.closing:
                    break
                if not self.bucket.take(relay.clock()):
                    self._rate_limited(frame)
                    continue
                self.session.receive_frame(frame)
                unreadable = ""
                for event in self.session.events_received():
                    if isinstance(event, RequestReceived):
                        if self._user is None and isinstance(event.request, (m.Login, m.Resume)):
                            self._arm_sign_in_timer()  # trying to sign in: the clock starts again
                        await self._answer(event.request)
                    elif isinstance(event, ProtocolViolation):
                        relay.metrics.protocol_errors.labels(event.code.value).inc()
                        if event.fatal:
                            unreadable = event.message
                    elif isinstance(event, HandshakeCompleted):
                        pass
                self.flush()
                if unreadable:  # answered above; no well-behaved peer sends such a frame
                    log.info("closing connection from %s: %s", self.address, unreadable)
                    self.close(1008, "unreadable frame")
                elif self.session.violations > relay.config.limits.max_violations:
                    log.info("closing connection from %s after repeated bad frames", self.address)
                    self.close(1008, "too many bad frames")
        except ConnectionClosed:
            pass
        finally:
            self.closing = True
            if self._sign_in_timer is not None:
                self._sign_in_timer.cancel()
            relay.disconnected(self)
            if not writer.done():
                with contextlib.suppress(asyncio.QueueFull):
                    self.outgoing.put_nowait(None)
                try:
                    await asyncio.wait_for(writer, 2.0)
                except (TimeoutError, asyncio.CancelledError):
                    writer.cancel()

    def _rate_limited(self, frame: str | bytes) -> None:
        self.relay.metrics.rate_limited.labels("connection").inc()
        request_id: int | None = None
        with contextlib.suppress(Exception):
            request_id = msgspec.json.decode(frame, type=dict[str, Any]).get("id")
            if not isinstance(request_id, int):
                request_id = None
        error = RateLimited("Too many requests on this connection. Slow down.", retry_after=self.bucket.retry_after())
        self.session.reply_error(request_id, error)
        self.flush()
        if not self.refusals.take(self.relay.clock()):
            log.info("closing connection from %s: it keeps sending past its rate limit", self.address)
            self.relay.metrics.connections_refused.labels("flooding").inc()
            self.close(1008, "flooding")

    async def _answer(self, request: m.Request) -> None:
        try:
            reply = await self.relay.handle(self, request)
        except ParleyError as error:
            self.session.reply_error(request.id, error)
            return
        except Exception:
            log.exception("handling %s failed", m.tag_of(type(request)))
            self.session.reply_error(request.id, Unavailable("The server could not handle this request."))
            return
        self.session.reply(request, reply)


class RelayServer:
    """Binds the websocket listener and runs until stopped."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.relay = Relay(config)
        self.certificate: tls.Certificate | None = None
        self.server: Server | None = None
        self.connections: set[Connection] = set()
        self.admission: Admission | None = None
        self.port: int = config.server.port
        self.metrics_server: asyncio.Server | None = None
        self.metrics_port: int = 0
        self._stopped = asyncio.Event()

    async def _handler(self, ws: ServerConnection) -> None:
        connection = Connection(ws, self.relay)
        self.connections.add(connection)
        if self.admission is not None:
            self.admission.opened(connection.address)
        try:
            await connection.serve()
        finally:
            self.connections.discard(connection)
            if self.admission is not None:
                self.admission.closed(connection.address)

    def _http(self, ws: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == "/healthz":
            return self._health()
        if path == "/metrics" and not self.config.server.metrics_listen:
            return _metrics_response(self.relay)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return _response(HTTPStatus.NOT_FOUND, "Parley relay: connect with the Parley app.\n", "text/plain")
        remote = ws.remote_address
        if self.admission is not None and self.admission.refusal(str(remote[0]) if remote else ""):
            response = _response(
                HTTPStatus.SERVICE_UNAVAILABLE, "Too many connections. Try again later.\n", "text/plain"
            )
            response.headers["Retry-After"] = "10"
            return response
        return None

    def _health(self) -> Response:
        accepting = self.relay.lifecycle.accepting
        problems = self.relay.ops.problems()
        status = "stopping" if not accepting else "degraded" if problems else "ok"
        body = json.dumps(
            {
                "status": status,
                "version": __version__,
                "connections": len(self.relay.peers),
                "meetings": len(self.relay.meetings.live),
                "participants": self.relay.meetings.participant_count(),
                "problems": problems,
            }
        )
        code = HTTPStatus.OK if status == "ok" else HTTPStatus.SERVICE_UNAVAILABLE
        return _response(code, body, "application/json")

    async def start(self) -> None:
        cfg = self.config
        secure_folder(cfg.data_dir)
        self.certificate = tls.load_or_create(cfg.data_dir, cfg.server.tls_cert, cfg.server.tls_key, cfg.server.host)
        await self.relay.start()
        self.admission = Admission(cfg.limits, self.relay.metrics, raise_fd_limit())
        if cfg.server.metrics_listen:
            host, _, port = cfg.server.metrics_listen.rpartition(":")
            self.metrics_server = await asyncio.start_server(self._serve_metrics, host.strip("[]"), int(port))
            self.metrics_port = self.metrics_server.sockets[0].getsockname()[1]
        self.server = await serve(
            self._handler,
            cfg.server.host,
            cfg.server.port,
            ssl=tls.server_context(self.certificate),
            process_request=self._http,
            max_size=cfg.limits.max_frame_bytes * HARD_FRAME_FACTOR,
            max_queue=64,
            ping_interval=15,
            ping_timeout=15,
            server_header=f"parley-relay/{__version__}",
            ssl_handshake_timeout=10,
        )
        sockets = list(self.server.sockets)
        self.port = sockets[0].getsockname()[1]
        self.relay.links.port = self.port

    async def stop(self, message: str = "The server is restarting.") -> None:
        """Stop taking connections, tell clients, finish in-flight work, close."""
        if self.server is None:
            return
        self.relay.announce_going_away(message)
        self.server.close(close_connections=False)
        for connection in list(self.connections):
            connection.close(1012, "service restart")
        try:
            await asyncio.wait_for(self.server.wait_closed(), self.config.server.shutdown_timeout)
        except TimeoutError:
            log.warning("some connections did not close in time")
        if self.metrics_server is not None:
            self.metrics_server.close()
        await self.relay.stop()
        self.server = None
        self._stopped.set()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    async def _serve_metrics(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The separate metrics listener: plain HTTP/1.1, GET /metrics only, one request each."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            parts = head.split(b"\r\n", 1)[0].split()
            if len(parts) >= 2 and parts[0] == b"GET" and parts[1].split(b"?", 1)[0] == b"/metrics":
                response = _metrics_response(self.relay)
            else:
                response = _response(HTTPStatus.NOT_FOUND, "Not found.\n", "text/plain")
            response.headers["Connection"] = "close"
            status = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
            headers = "".join(f"{k}: {v}\r\n" for k, v in response.headers.raw_items())
            writer.write(status.encode() + headers.encode() + b"\r\n" + response.body)
            await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


def _metrics_response(relay: Relay) -> Response:
    return _response(HTTPStatus.OK, relay.metrics.render().decode(), "text/plain; version=0.0.4")


def _response(status: HTTPStatus, body: str, content_type: str) -> Response:
    data = body.encode()
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return Response(status.value, status.phrase, headers, data)


async def run(config: Config, *, ready: Callable[[RelayServer], Awaitable[None] | None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly."""
    server = RelayServer(config)
    await server.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        result = ready(server)
        if asyncio.iscoroutine(result):
            await result
    await stop.wait()
    await server.stop()
