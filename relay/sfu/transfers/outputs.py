"""What the relay's file core asks of its shell (`relay.sfu.datachannels.FileRelay`).

Every input method of `FileTransfers` (requests.py) and `FramePacer.frame_received` (pacing.py)
returns a list of these, in the order they are to be done:

- `Tell`: an event for one participant (sent when they are seated and connected).
- `TellSender`: an event for a transfer's sender. Kept for them while they are not connected, and
  when ``final`` (the end of it for a recipient, or of the transfer) kept anyway until their next
  data channel opens, in case their connection dropped before the relay noticed.
- `Dropped`: a data-channel frame was refused or not needed (counted, by reason).
- `Queued`: a frame waits for the pacer (its task wakes).

The frames themselves come out of the pacer's rounds (`pacing.Forward`, one frame and the
recipients that expect it), so the shell can yield the event loop between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.protocol import messages as m

Key = tuple[str, str]  # (meeting id, participant id)


@dataclass(frozen=True)
class Tell:
    key: Key
    event: m.Event


@dataclass(frozen=True)
class TellSender:
    key: Key
    event: m.Event
    final: bool


@dataclass(frozen=True)
class Dropped:
    reason: str


@dataclass(frozen=True)
class Queued:
    pass


Output = Tell | TellSender | Dropped | Queued
