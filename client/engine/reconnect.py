"""Coming back by itself: when the signalling connection drops, reconnect with backoff and jitter,
sign back in with the session token, take the seat back, and let media start over.

`ParleyClient` owns one `Reconnector`; it starts when a signed-in connection closes without the
client asking for it. The person sees `Reconnecting` (a banner), then `Reconnected`; only when
the token is no longer accepted or the server stays away for `give_up_after` seconds does the
client report `Disconnected`.

The reconnector sees the client through `ReconnectingClient`, the few public things it uses, so
this module does not import the client's (the import goes one way: call -> reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from client.engine import events as ev
from client.engine import explain as ex
from shared.errors import Forbidden, NotFound, ParleyError, Unauthorized
from shared.protocol import messages as m

log = logging.getLogger("parley.client")


class Backoff:
    """Exponential backoff with jitter: ``first`` doubling up to ``cap``, each delay scaled by a
    random factor in [1 - jitter, 1] so clients of a restarted relay do not come back in step."""

    def __init__(self, first: float = 0.25, cap: float = 3.0, jitter: float = 0.5, rng: random.Random | None = None):
        self.first, self.cap, self.jitter = first, cap, jitter
        self.rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self, floor: float = 0.0) -> float:
        base = min(self.cap, self.first * (2**self.attempt))
        self.attempt += 1
        return float(max(floor, base * (1.0 - self.jitter * self.rng.random())))


class ReconnectingClient(Protocol):
    """What the reconnector needs of a client (`client.engine.call.ParleyClient` is one)."""

    reconnects: int  # how many times the client came back
    server: str  # host:port

    @property
    def meeting(self) -> m.MeetingInfo | None: ...

    def emit(self, event: ev.EngineEvent) -> None: ...

    async def connect(self) -> None: ...

    async def resume_session(self, token: str) -> m.UserInfo: ...

    async def join(self, meeting: str, *, lobby_timeout: float | None = None) -> m.MeetingJoined: ...

    def clear_meeting(self) -> None: ...

    async def drop_signalling(self) -> None: ...

    def end_session(self, reason: str, message: str, *, forget_token: bool) -> None: ...


class Reconnector:
    """Brings a client back after its connection dropped."""

    def __init__(self, client: ReconnectingClient, *, give_up_after: float = 300.0) -> None:
        self.client = client
        self.give_up_after = give_up_after
        self.token: str | None = None  # kept in memory even when the sign-in is not remembered
        self.retry_after = 0.0  # the relay's hint from server.going_away
        self.hooks: list[Callable[[], Awaitable[None]]] = []  # media etc., after the seat is back
        self.task: asyncio.Task[None] | None = None
        self.backoff_factory: Callable[[], Backoff] = Backoff

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        if self.running:
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        client = self.client
        meeting_id = client.meeting.meeting_id if client.meeting else None
        lost_at = time.monotonic()
        backoff = self.backoff_factory()
        floor, self.retry_after = self.retry_after, 0.0
        attempt = 0
        last_error: BaseException | None = None
        await self._drop_signalling()
        while time.monotonic() - lost_at < self.give_up_after:
            attempt += 1
            delay = backoff.next_delay(floor if attempt == 1 else 0.0)
            client.emit(
                ev.Reconnecting(
                    attempt=attempt,
                    delay=round(delay, 3),
                    message="Connection lost. Reconnecting...",
                    meeting_id=meeting_id,
                )
            )
            await asyncio.sleep(delay)
            try:
                resumed = await self._attempt(meeting_id)
            except Unauthorized as exc:
                self._signed_out(exc.message)
                return
            except asyncio.CancelledError:
                raise
            except (ParleyError, OSError, TimeoutError) as exc:
                last_error = exc
                log.info("reconnect attempt %d failed: %s", attempt, ex.explain(exc).details or ex.technical(exc))
                await self._drop_signalling()
                continue
            client.reconnects += 1
            client.emit(
                ev.Reconnected(
                    attempts=attempt,
                    resumed=resumed,
                    seconds=round(time.monotonic() - lost_at, 3),
                    meeting_id=meeting_id,
                )
            )
            return
        await self._drop_signalling()
        explanation = self._gave_up(last_error)
        client.emit(ev.Disconnected(message=str(explanation.sentence), explanation=explanation))

    def _gave_up(self, last_error: BaseException | None) -> ex.Explanation:
        """Why the server stayed away, from the last attempt: it stopped (nothing listens, or it
        drops us), or the network does not reach it."""
        cause = ex.explain(last_error).cause if last_error is not None else ex.Cause.SERVER_GONE
        details = ex.explain(last_error).details if last_error is not None else ""
        if cause in (ex.Cause.NETWORK, ex.Cause.NAME):
            sentence = ex.Sentence(ex.NETWORK_LOST, (self.client.server,))
            return ex.Explanation(cause, sentence, details)
        return ex.Explanation(ex.Cause.SERVER_GONE, ex.Sentence(ex.SERVER_DEAD, (self.client.server,)), details)

    async def _attempt(self, meeting_id: str | None) -> bool:
        """One try: connect, resume the session, take the seat back, restart media."""
        client = self.client
        if not self.token:
            raise Unauthorized("Sign in again: this sign-in cannot be resumed.")
        await client.connect()
        await client.resume_session(self.token)
        resumed = False
        if meeting_id is not None:
            try:
                joined = await client.join(meeting_id, lobby_timeout=60.0)
            except (NotFound, Forbidden) as exc:
                # The meeting ended (or the host no longer lets us in) while we were away.
                client.clear_meeting()
                client.emit(ev.MeetingLeft(meeting_id=meeting_id, reason="ended", message=exc.message))
                return False
            resumed = joined.resumed
        for hook in list(self.hooks):
            await hook()
        return resumed

    async def _drop_signalling(self) -> None:
        await self.client.drop_signalling()

    def _signed_out(self, message: str) -> None:
        self.token = None
        self.client.end_session("expired", message, forget_token=True)
        self.client.emit(ev.Disconnected(message=message))
