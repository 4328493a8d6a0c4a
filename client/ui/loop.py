"""The app's event loop: qasync's Qt+asyncio loop, made safe for worker threads and for tests.

Two faults of ``qasync.QEventLoop`` (0.28) under PySide6 6.12 are fixed here, once, for every
piece of code that runs in the app (the UI, the media engine, aiortc's decoder threads):

1. ``call_soon_threadsafe`` emits a Qt signal from the calling thread. PySide6 6.12 corrupts
   reference counts when a signal (of any type, even ``Signal(int)``) is emitted from a Python
   thread that Qt did not start, while the UI thread runs Python too: the interpreter aborts with
   "bool_dealloc" / "none_dealloc" within seconds at a few hundred emissions a second (see
   tests/client/ui/test_loop.py). aiortc hands every decoded frame to the loop this way, and so do
   the engine's capture threads. Here a worker thread touches no Qt object at all: it appends an
   ``asyncio.Handle`` to a deque and, when no wake-up is pending, writes one byte to a socket pair
   whose read end the loop watches (a ``QSocketNotifier`` made on the loop's own thread).

2. qasync runs callbacks from Qt timers, and Qt also fires those timers when events are processed
   outside ``run_forever``: ``run_until_complete`` itself ends with ``processEvents`` after it has
   cleared the running loop, and so do pytest-qt, modal dialogs opened before the loop runs and
   widget teardown. A task resumed there finds no running loop ("no running event loop", "Queue ...
   is bound to a different event loop"). Every callback is therefore run with this loop set as the
   running loop when no other loop is.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import threading
from collections.abc import Callable
from contextvars import Context
from typing import Any

import qasync


class _RunningLoopHandle:
    """What qasync's timer runs: the real handle, with this loop as the running loop."""

    __slots__ = ("handle", "loop")

    def __init__(self, handle: asyncio.Handle, loop: asyncio.AbstractEventLoop) -> None:
        self.handle = handle
        self.loop = loop

    @property
    def _cancelled(self) -> bool:
        return self.handle._cancelled  # type: ignore[attr-defined,no-any-return]

    def _run(self) -> None:
        if asyncio.events._get_running_loop() is not None:
            self.handle._run()  # type: ignore[attr-defined]
            return
        asyncio.events._set_running_loop(self.loop)
        try:
            self.handle._run()  # type: ignore[attr-defined]
        finally:
            asyncio.events._set_running_loop(None)

    def __repr__(self) -> str:
        return repr(self.handle)


class ParleyEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """``qasync.QEventLoop`` whose ``call_soon_threadsafe`` makes no Qt call on the caller's thread."""

    def __init__(self, app: Any = None, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._incoming: collections.deque[asyncio.Handle] = collections.deque()
        self._wake_lock = threading.Lock()
        self._wake_pending = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.add_reader(self._wake_r.fileno(), self._run_incoming)
        self.threadsafe_calls = 0  # handed over by call_soon_threadsafe (tests and benches read it)

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        self._timer.add_callback(_RunningLoopHandle(handle, self), delay)
        return handle

    def call_soon_threadsafe(
        self, callback: Callable[..., Any], *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        """Schedule ``callback(*args)`` from any thread; safe at thousands of calls a second."""
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context=context)
        self._incoming.append(handle)
        with self._wake_lock:
            if self._wake_pending:
                return handle
            self._wake_pending = True
        # Full buffer: a wake-up is already waiting. Closed: the loop is closing and drops the work.
        with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
            self._wake_w.send(b"\0")
        return handle

    def _run_incoming(self) -> None:
        with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
            while self._wake_r.recv(4096):
                pass
        with self._wake_lock:
            self._wake_pending = False
        # Only what is queued now: callbacks that queue more wait for the next wake-up, so a busy
        # worker cannot starve Qt's own events.
        for _ in range(len(self._incoming)):
            handle = self._incoming.popleft()
            self.threadsafe_calls += 1
            if not handle._cancelled:  # type: ignore[attr-defined]
                handle._run()  # type: ignore[attr-defined]
        if self._incoming:
            with self._wake_lock:
                if self._wake_pending:
                    return
                self._wake_pending = True
            with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
                self._wake_w.send(b"\0")

    def close(self) -> None:
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        with contextlib.suppress(Exception):
            self.remove_reader(self._wake_r.fileno())
        super().close()
        self._wake_r.close()
        self._wake_w.close()
        self._incoming.clear()


def new_event_loop(app: Any = None) -> ParleyEventLoop:
    """The loop the app (and its tests and benches) run Qt and asyncio on."""
    return ParleyEventLoop(app)
