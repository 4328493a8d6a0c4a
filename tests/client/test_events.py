"""Engine events are never named after protocol messages (``ev.X`` and ``m.X`` would mean two things)."""

from __future__ import annotations

import inspect
import typing

from client.engine import events as ev
from shared.protocol import messages as m


def classes_of(module: object) -> set[str]:
    return {name for name, value in vars(module).items() if inspect.isclass(value)}


def test_no_engine_event_shares_a_name_with_a_protocol_message() -> None:
    events = {name for name in classes_of(ev) if getattr(ev, name).__module__ == ev.__name__}
    assert events, "no engine events found"
    clashes = sorted(events & classes_of(m))
    assert not clashes, f"rename these engine events (past tense, their own name): {clashes}"


def test_every_engine_event_is_in_the_union() -> None:
    events = {getattr(ev, name) for name in classes_of(ev) if getattr(ev, name).__module__ == ev.__name__}
    assert events == set(typing.get_args(ev.EngineEvent))
