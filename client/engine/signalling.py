"""The client's signalling connection: a TLS websocket around the sans-I/O `SignallingSession`.

Certificates are verified: a CA-signed certificate for the server name, or a pinned SHA-256
fingerprint. An unknown self-signed certificate is refused with `UntrustedCertificate`, which
carries the fingerprint so a person (or a script with ``--server-fingerprint``) can confirm it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from client.engine import explain as ex
from shared.errors import ParleyError, Unavailable
from shared.fingerprint import fingerprint_of_der, normalize_fingerprint
from shared.protocol import messages as m
from shared.protocol.session import (
    HandshakeCompleted,
    ProtocolViolation,
    PushReceived,
    ReplyReceived,
    Role,
    SignallingSession,
)
from shared.version import __version__

log = logging.getLogger("parley.client")

REQUEST_TIMEOUT = 20.0


class UntrustedCertificate(ParleyError):
    """The server's certificate is not trusted yet; ``fingerprint`` is what it presented."""

    def __init__(self, host: str, port: int, fingerprint: str, expected: str | None = None) -> None:
        server = f"{host}:{port}"
        if expected:
            sentence = ex.Sentence(ex.CERTIFICATE_CHANGED, (server, fingerprint, expected))
        else:
            sentence = ex.Sentence(ex.CERTIFICATE_UNTRUSTED, (server, fingerprint))
        super().__init__(str(sentence), detail={"fingerprint": fingerprint, "expected": expected})
        self.explanation = ex.Explanation(ex.Cause.CERTIFICATE, sentence, f"certificate SHA-256 {fingerprint}")
        self.host, self.port, self.fingerprint, self.expected = host, port, fingerprint, expected


class ServerUnreachable(Unavailable):
    """The server could not be reached; ``explanation`` says why (refused, name, network, TLS)."""

    def __init__(self, explanation: ex.Explanation) -> None:
        super().__init__(str(explanation.sentence), detail={"cause": explanation.cause.value})
        self.explanation = explanation


class ConnectionLost(Unavailable):
    """The connection dropped while a request was waiting for its reply (or was not there)."""

    def __init__(self, template: str = ex.CONNECTION_LOST) -> None:
        super().__init__(template)
        self.explanation = ex.Explanation(ex.Cause.SERVER_GONE, ex.Sentence(template))


def _insecure_context() -> ssl.SSLContext:
    # Used only to read the certificate so it can be compared with a pin; never trusted by itself.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _peer_fingerprint(ws: ClientConnection, server: str) -> str:
    ssl_object = ws.transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    if not der:
        sentence = ex.Sentence(ex.TLS_FAILED, (server,))
        raise ServerUnreachable(ex.Explanation(ex.Cause.CERTIFICATE, sentence, "no peer certificate"))
    return fingerprint_of_der(der)


class SignallingClient:
    """One signalling connection. `request` awaits replies; pushes go to listeners."""

    def __init__(self, host: str, port: int, *, fingerprint: str | None = None, cafile: str | None = None) -> None:
        self.host = host
        self.port = port
        self.pinned = normalize_fingerprint(fingerprint) if fingerprint else None
        self.cafile = cafile
        self.session = SignallingSession(Role.CLIENT, agent=f"parley/{__version__}")
        self.ws: ClientConnection | None = None
        self.server_fingerprint: str | None = None
        self._waiters: dict[int, asyncio.Future[m.Reply]] = {}
        self._listeners: list[Callable[[m.Event], None]] = []
        self._closed_listeners: list[Callable[[BaseException | None], None]] = []
        self._reader: asyncio.Task[None] | None = None
        self._send_lock = asyncio.Lock()
        self.closed = asyncio.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"wss://{host}:{self.port}/"

    def add_listener(self, callback: Callable[[m.Event], None]) -> None:
        """Call ``callback(event)`` for every push from the relay."""
        self._listeners.append(callback)

    def add_closed_listener(self, callback: Callable[[BaseException | None], None]) -> None:
        self._closed_listeners.append(callback)

    async def _open(self, context: ssl.SSLContext, server_hostname: str | None) -> ClientConnection:
        kwargs: dict[str, Any] = {
            "ssl": context,
            "open_timeout": 10,
            "ping_interval": 10,
            "ping_timeout": 10,
            "max_size": 4 * 1024 * 1024,
            "proxy": None,
            "user_agent_header": f"parley/{__version__}",
        }
        if server_hostname is not None:
            kwargs["server_hostname"] = server_hostname
        try:
            return await connect(self.url, **kwargs)
        except ssl.SSLCertVerificationError:
            raise
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            explanation = ex.explain_connection(exc, f"{self.host}:{self.port}")
            log.info("cannot connect to %s:%d (%s): %s", self.host, self.port, explanation.cause, explanation.details)
            raise ServerUnreachable(explanation) from None

    async def connect(self) -> m.HelloOk:
        """Open the websocket, check the certificate, and exchange hello."""
        if self.pinned:
            ws = await self._open(_insecure_context(), None)
            actual = _peer_fingerprint(ws, f"{self.host}:{self.port}")
            if actual != self.pinned:
                await ws.close()
                raise UntrustedCertificate(self.host, self.port, actual, self.pinned)
        else:
            context = ssl.create_default_context(cafile=self.cafile)
            try:
                ws = await self._open(context, None)
            except ssl.SSLCertVerificationError:
                probe = await self._open(_insecure_context(), None)
                actual = _peer_fingerprint(probe, f"{self.host}:{self.port}")
                await probe.close()
                raise UntrustedCertificate(self.host, self.port, actual) from None
            actual = _peer_fingerprint(ws, f"{self.host}:{self.port}")
        self.ws = ws
        self.server_fingerprint = actual
        self._reader = asyncio.get_running_loop().create_task(self._read())
        hello_id = self.session.start()
        reply = await self._exchange(hello_id)
        if not isinstance(reply, m.HelloOk):
            raise Unavailable("The server did not complete the hello exchange.")
        return reply

    async def _flush(self) -> None:
        frames = self.session.data_to_send()
        if not frames or self.ws is None:
            return
        async with self._send_lock:
            for frame in frames:
                await self.ws.send(frame)

    async def _exchange(self, request_id: int) -> m.Reply:
        future: asyncio.Future[m.Reply] = asyncio.get_running_loop().create_future()
        self._waiters[request_id] = future
        try:
            await self._flush()
        except ConnectionClosed:
            self._waiters.pop(request_id, None)
            raise ConnectionLost() from None
        try:
            reply = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        except TimeoutError:
            raise Unavailable(ex.NO_ANSWER) from None
        finally:
            self._waiters.pop(request_id, None)
        if isinstance(reply, m.Error):
            raise ReplyReceived(request_id, reply).error() or ParleyError(reply.message)
        return reply

    async def request(self, request: m.Request) -> m.Reply:
        """Send a request and return its reply; an error reply is raised as its ParleyError."""
        if self.ws is None or self.closed.is_set():
            raise ConnectionLost(ex.NOT_CONNECTED)
        return await self._exchange(self.session.send_request(request))

    async def send_raw(self, frame: str | bytes) -> None:
        """Send a frame as is (tests use it to send what a correct client never would)."""
        assert self.ws is not None
        await self.ws.send(frame)

    async def _read(self) -> None:
        assert self.ws is not None
        error: BaseException | None = None
        try:
            async for frame in self.ws:
                self.session.receive_frame(frame)
                for event in self.session.events_received():
                    if isinstance(event, ReplyReceived):
                        waiter = self._waiters.get(event.request_id)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(event.reply)
                        elif event.request_id == -1:
                            log.warning("server refused a frame: %s", getattr(event.reply, "message", ""))
                    elif isinstance(event, PushReceived):
                        for listener in list(self._listeners):
                            try:
                                listener(event.event)
                            except Exception:
                                log.exception("event listener failed")
                    elif isinstance(event, ProtocolViolation):
                        log.warning("unreadable message from the server: %s", event.message)
                    elif isinstance(event, HandshakeCompleted):
                        pass
        except ConnectionClosed as exc:
            error = exc
        except Exception as exc:  # keep the app alive whatever the transport does
            log.exception("signalling reader failed")
            error = exc
        finally:
            self.closed.set()
            lost = ConnectionLost()
            for waiter in self._waiters.values():
                if not waiter.done():
                    waiter.set_exception(lost)
            for callback in list(self._closed_listeners):
                with contextlib.suppress(Exception):
                    callback(error)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._reader is not None:
            # asyncio.wait neither raises the reader's outcome nor swallows our own cancellation
            # (a reconnect loop being cancelled while it closes must stop, not go on for minutes).
            await asyncio.wait({self._reader}, timeout=5)
        self.closed.set()
