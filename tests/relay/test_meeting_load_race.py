"""Joins racing to open a meeting that is not live yet (everyone rejoining a restarted relay)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from relay.config import Config
from relay.meetings import Meetings


class SlowDatabase:
    """Every query takes a while, so joins that arrive together overlap while loading."""

    def __init__(self, row: Any) -> None:
        self.row = row

    def sessions(self) -> SlowDatabase:
        return self

    async def __aenter__(self) -> SlowDatabase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def scalar(self, query: Any) -> Any:
        await asyncio.sleep(0.05)
        return self.row


async def test_simultaneous_first_joins_share_one_live_meeting(tmp_path: Path) -> None:
    row = SimpleNamespace(id="M1", title="Stand-up", host_user_id="u0", ended_at=None)
    meetings = Meetings(SlowDatabase(row), Config(data_dir=tmp_path))  # type: ignore[arg-type]
    users = [SimpleNamespace(id=f"u{i}", display_name=f"Person {i}") for i in range(4)]
    joined = await asyncio.gather(*(meetings.join(u, SimpleNamespace(), "M1") for u in users))  # type: ignore[arg-type]
    live = {id(meeting) for meeting, *_ in joined}
    assert len(live) == 1, "every join must land in the same live meeting"
    assert len(meetings.live["M1"].participants) == 4
