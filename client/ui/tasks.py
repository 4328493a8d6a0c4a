"""Running engine coroutines from Qt slots.

The app runs Qt and asyncio on one thread (qasync). A button click cannot ``await``, so it starts a
task here; the task's failure becomes a sentence passed to ``on_error`` instead of an unhandled
exception in the loop's log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("parley.ui")

_running: set[asyncio.Task[Any]] = set()


def start(
    coro: Coroutine[Any, Any, Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> asyncio.Task[Any]:
    """Schedule ``coro`` on the running loop; keep a reference so it is not garbage collected."""
    task = asyncio.ensure_future(coro)
    _running.add(task)

    def finished(t: asyncio.Task[Any]) -> None:
        _running.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background task failed", exc_info=exc)
        elif on_done is not None:
            on_done(t.result())

    task.add_done_callback(finished)
    return task


def pending() -> int:
    """How many UI-started tasks are still running (tests wait for zero)."""
    return len(_running)
