"""shared/memory.py: freed native memory goes back to the system when trimmed (glibc only)."""

from __future__ import annotations

import asyncio
import ctypes
import os
import sys

import pytest

from shared import memory

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="glibc's allocator is what is trimmed")

BLOCK = 64 * 1024  # below glibc's mmap threshold: served from the heap, kept there when freed
BLOCKS = 1600  # 100 MiB


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_trim_gives_freed_heap_memory_back() -> None:
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallopt(-1, 2**30)  # M_TRIM_THRESHOLD: free() alone never shrinks the heap here
    try:
        blocks = [libc.malloc(BLOCK) for _ in range(BLOCKS)]
        pin = libc.malloc(64)  # above them all: the heap's top cannot shrink past it
        for block in blocks:
            ctypes.memset(block, 1, BLOCK)  # touched: resident
        for block in blocks:
            libc.free(block)
        kept = rss_mib()
        assert memory.trim() is True
        assert kept - rss_mib() > 80  # of the 100 MiB freed and kept
        libc.free(pin)
    finally:
        libc.mallopt(-1, 128 * 1024)


def test_arenas_can_be_limited() -> None:
    assert memory.limit_arenas(8) is True


async def test_periodic_trim_runs_until_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    loop = asyncio.get_running_loop()
    thrice = asyncio.Event()

    def counted() -> bool:  # runs in a worker thread
        calls.append(1)
        if len(calls) == 3:
            loop.call_soon_threadsafe(thrice.set)
        return True

    monkeypatch.setattr(memory, "trim", counted)
    task = asyncio.create_task(memory.trim_periodically(every=0.01))
    await asyncio.wait_for(thrice.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
