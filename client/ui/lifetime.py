"""Engine listeners that end with the Qt object they serve.

The engine outlives windows (tests open several; the app re-creates screens), and an engine
listener that calls into a deleted widget raises "Internal C++ object already deleted". Every UI
object that listens to the engine does it through `listen`, which drops the listener the first
time its owner is found deleted, and `alive` guards code that may run after the owner is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject


def alive(obj: QObject | None) -> bool:
    """Whether ``obj``'s C++ side still exists."""
    return obj is not None and shiboken6.isValid(obj)


def listen(client: Any, owner: QObject, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """``client.add_listener`` for ``callback`` while ``owner`` lives. Returns what was registered
    (pass it to ``client.remove_listener`` to stop early)."""

    def guarded(event: Any) -> None:
        if not alive(owner):
            client.remove_listener(guarded)
            return
        callback(event)

    client.add_listener(guarded)
    return guarded
