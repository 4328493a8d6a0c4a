"""What `FileService` holds per transfer: the sans-I/O machine and the I/O that goes with it.

`OutgoingTransfer` adds what its sending loop waits on and ``done``; `IncomingTransfer` adds the
partial file and ``done``, and does the machine's disk actions on that file (`perform`), giving
back what the machine makes of the outcome.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import BinaryIO

from client.engine.transfers import disk
from client.engine.transfers.outputs import Discard, Output, Save, Write
from client.engine.transfers.receiving import Incoming
from client.engine.transfers.sending import Outgoing
from shared.filenames import move_into_place


class OutgoingTransfer:
    """A file we send: its machine, ``changed`` (its sending loop may look again) and ``done``."""

    def __init__(self, machine: Outgoing) -> None:
        self.machine = machine
        self.changed = asyncio.Event()
        self.done = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @property
    def transfer_id(self) -> str:
        return self.machine.transfer_id

    @property
    def name(self) -> str:
        return self.machine.name

    @property
    def size(self) -> int:
        return self.machine.size

    @property
    def path(self) -> Path:
        return self.machine.path

    @property
    def state(self) -> str:
        return self.machine.state

    @property
    def message(self) -> str:
        return self.machine.message


class IncomingTransfer:
    """A file offered to us: its machine, the partial file open for writing (``handle``) and
    ``done``."""

    def __init__(self, machine: Incoming) -> None:
        self.machine = machine
        self.handle: BinaryIO | None = None
        self.done = asyncio.Event()

    @property
    def transfer_id(self) -> str:
        return self.machine.transfer_id

    @property
    def name(self) -> str:
        return self.machine.name

    @property
    def size(self) -> int:
        return self.machine.size

    @property
    def sender_id(self) -> str:
        return self.machine.sender_id

    @property
    def sender_name(self) -> str:
        return self.machine.sender_name

    @property
    def path(self) -> Path | None:
        return self.machine.path

    @property
    def state(self) -> str:
        return self.machine.state

    @property
    def message(self) -> str:
        return self.machine.message

    def perform(self, action: Write | Save | Discard, now: float) -> list[Output]:
        """Do a disk action on the partial file; returns what the machine makes of the outcome."""
        if isinstance(action, Discard):
            disk.discard(self.handle, action.temp_path)
            self.handle = None
            return []
        handle = self.handle
        assert handle is not None
        if isinstance(action, Write):
            try:
                handle.write(action.data)
            except OSError as exc:
                return self.machine.write_failed(exc, now)
            return self.machine.chunk_written(action.data, now)
        try:
            disk.close_durably(handle)
            self.handle = None
            path = move_into_place(action.temp_path, action.folder, action.name)
        except OSError as exc:
            return self.machine.save_failed(exc, now)
        return self.machine.saved(path, now)
