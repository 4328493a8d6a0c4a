"""What the client's transfer cores ask of their shell (`client.engine.files.FileService`).

Every input method of `Outgoing` (sending.py) and `Incoming` (receiving.py) returns a list of these,
in the order they are to be done:

- `Ask`: send a request to the relay; when ``then`` is given, call it with the outcome (the error,
  or None) and the time, and do what it returns. Later outputs in the list need not wait for it.
- `Emit`: give an engine event to whoever listens (the UI, the headless CLI).
- `After`: call ``then`` with the time after ``seconds``.
- `Settled`: the transfer is over (its ``done`` event).
- `Wake`: an outgoing transfer may be able to send again (its sending loop looks again).
- `Resume`: once our data channel is open, ask the relay to go on with each incoming transfer that
  needs it (`Incoming.resume`, one after the other).
- Disk actions on an incoming transfer's partial file: `Write` (append, then tell the transfer
  `chunk_written` or `write_failed`), `Save` (flush to disk, close and move into place under a
  free name, then tell it `saved` or `save_failed`), `Discard` (close and delete it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from client.engine import events as ev
from shared.errors import ParleyError
from shared.protocol import messages as m

# What a request to the relay can fail with (the connection, or the relay's refusal).
Failure = ParleyError | OSError


@dataclass(frozen=True)
class Ask:
    request: m.Request
    then: Callable[[Failure | None, float], list[Output]] | None = None


@dataclass(frozen=True)
class Emit:
    event: ev.FileTransferChanged


@dataclass(frozen=True)
class After:
    seconds: float
    then: Callable[[float], list[Output]]


@dataclass(frozen=True)
class Settled:
    transfer_id: str


@dataclass(frozen=True)
class Wake:
    transfer_id: str


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Write:
    transfer_id: str
    data: bytes


@dataclass(frozen=True)
class Save:
    transfer_id: str
    temp_path: Path
    folder: Path
    name: str


@dataclass(frozen=True)
class Discard:
    transfer_id: str
    temp_path: Path | None


Output = Ask | Emit | After | Settled | Wake | Resume | Write | Save | Discard
