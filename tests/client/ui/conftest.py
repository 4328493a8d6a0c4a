"""Fixtures for the desktop app: one offscreen QApplication, a qasync loop, an app wired to tmp dirs."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = os.environ.get("PARLEY_TEST_QPA", "offscreen")
os.environ.setdefault("PARLEY_NO_KEYRING", "1")

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop that runs Qt and asyncio together, as in the app."""
    from client.ui.app import make_application
    from client.ui.loop import new_event_loop

    make_application()
    loop = new_event_loop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()


class Driver:
    """Runs the loop until something is true (no sleeps: wait on the condition with a timeout)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 20.0) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def until(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        async def poll() -> Any:
            deadline = time.monotonic() + timeout
            while True:
                value = predicate()
                if value:
                    return value
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out waiting for {what or predicate}")
                await asyncio.sleep(0.02)

        return self.loop.run_until_complete(poll())

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (a click, a key press) while the loop runs: Qt may deliver socket events in
        it, and asyncio callbacks need a running loop."""

        async def inside() -> Any:
            return fn()

        return self.run(inside())

    def settle(self, seconds: float = 0.1) -> None:
        self.loop.run_until_complete(asyncio.sleep(seconds))


@pytest.fixture
def drive(qloop: asyncio.AbstractEventLoop) -> Driver:
    return Driver(qloop)


@pytest.fixture
def settings_dirs(tmp_path: Path) -> dict[str, Path]:
    dirs = {"policy_dir": tmp_path / "policy", "machine_dir": tmp_path / "machine", "user_dir": tmp_path / "user"}
    for folder in dirs.values():
        folder.mkdir()
    return dirs


@pytest.fixture
def make_ctx(qloop: Any, settings_dirs: dict[str, Path], tmp_path: Path) -> Iterator[Callable[..., Any]]:
    from client.engine.credentials import TokenStore
    from client.ui.context import AppContext

    made: list[Any] = []

    def make() -> Any:
        ctx = AppContext.create(settings_dirs, state_file=tmp_path / f"state{len(made)}.ini")
        ctx.session.token_store = TokenStore(tmp_path / "tokens.json", use_keyring=False)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        try:
            qloop.run_until_complete(asyncio.wait_for(ctx.media.stop(), 5))
            qloop.run_until_complete(asyncio.wait_for(ctx.session.close(), 5))
        except Exception:
            pass


@pytest.fixture
def window(make_ctx: Callable[..., Any], qtbot: Any, qloop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    from client.ui.main_window import MainWindow

    win = MainWindow(make_ctx())
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.prejoin.preview.stop()
    # Stop media and the connection while the loop still runs, before pytest-qt closes widgets
    # (which processes Qt events, and so socket notifications, with no asyncio loop running).
    try:
        qloop.run_until_complete(asyncio.wait_for(win.ctx.media.stop(), 10))
        qloop.run_until_complete(asyncio.wait_for(win.ctx.session.close(), 10))
    except Exception:
        pass
