"""Our "parley" data channel as file transfers use it, and the loop that sends a file's chunks on it.

`FileChannel` keeps the current channel (a reconnect or media restart brings a new one), whether
it is open, and when its send buffer has room again. `send_chunks` sends one outgoing transfer's
chunks as its machine allows them, reading each from disk just before it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import BinaryIO

from aiortc import RTCDataChannel

from client.engine.transfers import disk
from client.engine.transfers.records import OutgoingTransfer
from client.engine.transfers.sending import SourceChanged
from shared.webrtc.sctp import tune_for_files

BUFFER_HIGH = 1024 * 1024  # bytes queued on our own data channel before we wait
STALL_SECONDS = 5.0  # nothing acknowledged for this long: what was in flight is lost


class FileChannel:
    """The current data channel, ``opened`` while it is open, and ``buffer_low`` when its send
    buffer drained."""

    def __init__(self) -> None:
        self.current: RTCDataChannel | None = None
        self.opened = asyncio.Event()
        self.buffer_low = asyncio.Event()

    def use(self, channel: RTCDataChannel, on_message: Callable[[RTCDataChannel, object], None]) -> None:
        """Send and receive on ``channel`` from now on; ``on_message(channel, data)`` for each frame."""
        self.current = channel
        self.opened.clear()
        channel.bufferedAmountLowThreshold = BUFFER_HIGH // 2
        transport = getattr(channel, "transport", None)  # None on stand-ins without a connection
        if transport is not None:
            tune_for_files(transport)  # we receive files on it: fewer SACKs, cheaper reassembly

        def opened() -> None:
            if self.current is channel:
                self.opened.set()

        channel.on("open", opened)
        channel.on("message", lambda data: on_message(channel, data))
        channel.on("bufferedamountlow", self.buffer_low.set)
        if channel.readyState == "open":
            opened()

    def drop(self) -> None:
        """No channel any more (detached from the connection)."""
        self.current = None
        self.opened.clear()


async def send_chunks(
    transfer: OutgoingTransfer,
    handle: BinaryIO,
    channel: FileChannel,
    window: int,
    tamper: Callable[[int, bytes], bytes] | None = None,
) -> str | None:
    """Send ``transfer``'s chunks from ``handle`` on ``channel`` while anyone is still in it, as
    fast as the channel takes them; returns why it must stop (the file changed), or None.
    ``tamper`` (tests) may alter each sealed chunk before it goes."""
    machine = transfer.machine
    while machine.active():
        index = machine.next_chunk(window)
        current = channel.current
        if index is None or current is None or not channel.opened.is_set():
            transfer.changed.clear()
            waits = [asyncio.ensure_future(transfer.changed.wait()), asyncio.ensure_future(channel.opened.wait())]
            if channel.opened.is_set():
                waits.pop().cancel()
            finished, _ = await asyncio.wait(waits, timeout=STALL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
            if not finished:
                machine.stalled()
            continue
        if current.bufferedAmount > BUFFER_HIGH:
            channel.buffer_low.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(channel.buffer_low.wait(), 1.0)
            continue
        try:
            machine.check_source(disk.identity(handle))
            sealed = machine.seal(index, disk.read_at(handle, index * machine.chunk_size, machine.chunk_size))
        except SourceChanged as exc:
            return str(exc)
        if tamper is not None:
            sealed = tamper(index, sealed)
        try:
            current.send(machine.frame(index, sealed))
        except Exception:
            channel.opened.clear()
            continue
        machine.sent(index)
        if machine.cursor % 2 == 0:
            await asyncio.sleep(0)  # let acknowledgements and media in
    return None
