"""Give freed native memory back to the system (glibc on Linux; elsewhere these do nothing).

glibc keeps memory freed by C code (decoders, encoders, packet buffers) in per-thread arenas for
reuse, and each thread that allocates may get an arena of its own. A call that starts new decoder
threads at every join (or rebuilt connection) then keeps growing its resident size although the
memory is free: a 22-minute soak grew the desktop app from 434 to 584 MB, and `malloc_trim` gave
177 MB of it back at once (docs/performance.md, "Soak"). So processes that carry media limit the
number of arenas at start (`limit_arenas`) and trim while media flows and after it stops
(`trim`, `trim_periodically`).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import sys

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt parameter (malloc.h)
ARENAS = 2  # enough for the event loop and the media threads to rarely wait on each other
TRIM_EVERY = 30.0  # seconds between trims while media flows

_libc: ctypes.CDLL | None = None
_looked = False


def _glibc() -> ctypes.CDLL | None:
    global _libc, _looked
    if not _looked:
        _looked = True
        if sys.platform == "linux":
            try:
                libc = ctypes.CDLL("libc.so.6")
            except OSError:  # not glibc (e.g. musl)
                libc = None
            if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt"):
                libc.malloc_trim.argtypes = [ctypes.c_size_t]
                libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
                _libc = libc
    return _libc


def limit_arenas(count: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; True when applied."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, count))


def trim() -> bool:
    """Return free heap pages of every arena to the system; True when glibc released any."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))


async def trim_periodically(every: float = TRIM_EVERY) -> None:
    """Trim every ``every`` seconds until cancelled (in a worker thread: a large heap takes a few
    milliseconds to walk, which the event loop should not wait for)."""
    if _glibc() is None:
        return
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(trim)
        except RuntimeError:  # the loop's executor is shutting down
            return
