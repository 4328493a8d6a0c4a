"""The app's event loop: worker threads hand over thousands of callbacks a second without crashing
the interpreter, and callbacks that Qt runs outside ``run_forever`` still see a running loop."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from client.ui.loop import ParleyEventLoop


class _Emitter(QObject):
    fired = Signal(int)


def test_pyside_keeps_references_to_true_and_none(qloop: asyncio.AbstractEventLoop) -> None:
    # PySide6 6.12.0 dropped a reference to True on every emit and to None on every Python
    # override of a virtual (qasync runs each callback from one): the interpreter aborted after a
    # few thousand. pyproject.toml excludes it; this catches a build that brings the bug back.
    emitter, seen = _Emitter(), []
    emitter.fired.connect(seen.append)
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(3000):
        emitter.fired.emit(i)

    async def many_callbacks() -> None:
        for _ in range(3000):
            await asyncio.sleep(0)

    qloop.run_until_complete(many_callbacks())
    assert len(seen) == 3000
    assert sys.getrefcount(True) - before_true > -100
    assert sys.getrefcount(None) - before_none > -100


def test_worker_threads_hand_over_thousands_of_callbacks(qloop: asyncio.AbstractEventLoop) -> None:
    assert isinstance(qloop, ParleyEventLoop)
    threads, per_thread = 4, 5000
    received: dict[int, list[int]] = {t: [] for t in range(threads)}
    queue: asyncio.Queue[int] = asyncio.Queue()

    def worker(t: int) -> None:
        for i in range(per_thread):
            qloop.call_soon_threadsafe(received[t].append, i)
            if i % 10 == 0:  # the way aiortc's decoder thread hands over frames
                asyncio.run_coroutine_threadsafe(queue.put(i), qloop)

    async def run() -> int:
        started = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
        for thread in started:
            thread.start()
        total = 0
        while total < threads * per_thread // 10:
            await asyncio.wait_for(queue.get(), 10)
            total += 1
        for thread in started:
            await asyncio.get_running_loop().run_in_executor(None, thread.join)
        drained = asyncio.Event()  # queued after every worker's callbacks, so it runs after them
        qloop.call_soon_threadsafe(drained.set)
        await drained.wait()
        return total

    assert qloop.run_until_complete(asyncio.wait_for(run(), 60)) == threads * per_thread // 10
    for values in received.values():
        assert values == list(range(per_thread))  # each thread's callbacks run in order, once


def test_cancelled_threadsafe_callback_does_not_run(qloop: asyncio.AbstractEventLoop) -> None:
    ran: list[str] = []

    async def run() -> None:
        handles: list[asyncio.Handle] = []
        # The loop thread waits for the worker here (no await), so nothing is drained before cancel.
        thread = threading.Thread(target=lambda: handles.append(qloop.call_soon_threadsafe(ran.append, "x")))
        thread.start()
        thread.join()
        handles[0].cancel()
        done = asyncio.Event()
        qloop.call_soon_threadsafe(done.set)
        await asyncio.wait_for(done.wait(), 5)

    qloop.run_until_complete(run())
    assert ran == []


def test_callbacks_run_by_qt_outside_the_loop_see_it_running(qloop: asyncio.AbstractEventLoop) -> None:
    # run_until_complete ends with processEvents after clearing the running loop; pytest-qt and
    # widget teardown process events too. A task resumed there must still find its loop.
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen: list[Any] = []

    async def consumer() -> None:
        await queue.get()
        seen.append(asyncio.get_running_loop())
        await queue.get()  # a queue used again after being resumed outside run_forever
        seen.append("second")

    task = qloop.create_task(consumer())
    qloop.run_until_complete(asyncio.sleep(0.01))  # the task now waits on the queue
    qloop.call_soon(queue.put_nowait, "first")
    qloop.call_soon(queue.put_nowait, "again")
    for _ in range(20):
        QCoreApplication.processEvents()
    assert seen == [qloop, "second"]
    assert task.done() and task.exception() is None
