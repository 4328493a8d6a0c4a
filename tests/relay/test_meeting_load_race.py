"""Joins racing to open a meeting that is not live yet (everyone rejoining a restarted relay)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from relay.background import Background
from relay.config import Config
from relay.controls import ControlsBook
from relay.links import Links
from relay.meeting_state import MeetingStates
from relay.meetings import Meetings
from relay.recording import RecordingBook


class SlowDatabase:
    """Every query takes a while, so joins that arrive together overlap while loading."""

    url = "sqlite+aiosqlite://"

    def __init__(self, row: Any) -> None:
        self.row = row

    def sessions(self) -> SlowDatabase:
        return self

    async def __aenter__(self) -> SlowDatabase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def execute(self, query: Any) -> Any:
        await asyncio.sleep(0.05)
        return SimpleNamespace(first=lambda: (self.row, None, None, None))


async def test_simultaneous_first_joins_share_one_live_meeting(tmp_path: Path) -> None:
    row = SimpleNamespace(id="M1", title="Stand-up", host_user_id="u0", ended_at=None, closed_until=None)
    config = Config(data_dir=tmp_path)
    db: Any = SlowDatabase(row)
    meetings = Meetings(db, config.limits, Links("relay.example", 8443))
    controls = ControlsBook()
    states = MeetingStates(db, controls, meetings, RecordingBook(), time.time, Background())
    users: list[Any] = [SimpleNamespace(id=f"u{i}", display_name=f"Person {i}") for i in range(4)]

    async def join(user: Any) -> Any:
        ctl = await states.load("M1")
        meeting = meetings.open(ctl.meeting_id, ctl.title, ctl.host_now)
        meetings.seat(meeting, user, SimpleNamespace())
        return meeting, ctl

    joined = await asyncio.gather(*(join(u) for u in users))
    live = {id(meeting) for meeting, *_ in joined}
    assert len(live) == 1, "every join must land in the same live meeting"
    assert len(meetings.live["M1"].participants) == 4
    assert len({id(ctl) for _, ctl in joined}) == 1, "the meeting's saved decisions are restored once"
