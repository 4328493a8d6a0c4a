"""`FileService`: end-to-end encrypted file transfer during a call. No Qt here.

Offers, answers, acknowledgements and cancels go over the signalling websocket, where the relay
enforces its limits; the file itself goes as sealed chunks (shared.e2e) over the publish
connection's "parley" data channel, through the relay, to each recipient. The sender keeps at most
``window`` unacknowledged chunks in flight; a recipient checks every chunk's index and tag, writes
to a temporary name, compares the SHA-256 with the sealed manifest, and only then gives the file
its final, sanitized, never-overwriting name.

This module is the I/O shell. What to do with each relay event, frame, reply and timer is decided
by sans-I/O state machines in client/engine/transfers/ (`Outgoing` per file we send, `Incoming`
per file offered to us); FileService feeds them, with the time, and does what they return
(client/engine/transfers/outputs.py): requests to the relay, engine events, disk actions, timers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiortc import RTCDataChannel

from client.engine.transfers import disk
from client.engine.transfers.channel import FileChannel, send_chunks
from client.engine.transfers.outputs import After, Ask, Discard, Emit, Output, Resume, Save, Settled, Wake, Write
from client.engine.transfers.receiving import receive_offer
from client.engine.transfers.records import IncomingTransfer, OutgoingTransfer
from client.engine.transfers.sending import Outgoing, Recipient, choose_recipients
from shared import e2e
from shared.errors import NotFound, ParleyError
from shared.protocol import messages as m

if TYPE_CHECKING:
    from client.engine.call import ParleyClient
    from client.engine.media.session import MediaSession

log = logging.getLogger("parley.files")

# Plaintext per chunk: sealed and framed it is exactly 256 KiB, the largest message aiortc (the
# relay and every Parley client) accepts; fewer, bigger messages cost less per byte everywhere.
CHUNK_SIZE = 262144 - e2e.CHUNK_OVERHEAD - e2e.FRAME_HEADER.size
WINDOW = 32  # chunks in flight beyond the slowest recipient's acknowledgement (~8 MiB)
# After the relay restarted under a transfer: how long the other side has to come back.
RESUME_WAIT = 45.0
CHANNEL_WAIT = 30.0  # how long an accepted file waits for our data channel to open


def default_downloads_dir() -> Path:
    """Where accepted files go when the settings name no folder."""
    return Path.home() / "Downloads"


class FileService:
    """Sends and receives files in the current meeting.

    ``download_dir`` with ``auto_accept`` accepts every offer into that folder (headless mode).
    Survives a reconnect: ``attach`` it to the new client and media session and unfinished
    incoming transfers continue from the last chunk written.
    """

    def __init__(
        self,
        client: ParleyClient,
        media: MediaSession,
        *,
        download_dir: Path | None = None,
        auto_accept: bool = False,
        window: int = WINDOW,
        chunk_size: int = CHUNK_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keypair = e2e.KeyPair()
        self.download_dir = download_dir
        self.auto_accept = auto_accept
        self.window = window
        self.chunk_size = chunk_size
        self.clock = clock
        self.keys: dict[str, bytes] = {}  # participant id -> X25519 public key
        self.outgoing: dict[str, OutgoingTransfer] = {}
        self.incoming: dict[str, IncomingTransfer] = {}
        self._by_raw: dict[bytes, IncomingTransfer] = {}
        self.channel = FileChannel()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.keys_changed = asyncio.Event()
        self._seat: str | None = None  # our participant id when the transfers were made
        # Test hook: a function that may alter each sealed chunk before it is sent.
        self.tamper: Callable[[int, bytes], bytes] | None = None
        self.client = client
        self.media = media
        self._attach_hooks()

    # --- wiring --------------------------------------------------------------------------------

    def _attach_hooks(self) -> None:
        self.client.push_handlers.append(self._on_push)
        self.media.channel_listeners.append(self._use_channel)
        hooks = getattr(self.client, "reconnect_hooks", None)
        if hooks is not None:
            hooks.append(self._reconnected)
        if self.media.channel is not None:
            self._use_channel(self.media.channel)

    def detach(self) -> None:
        """Stop listening to the client and the media session (before `attach` or at the end)."""
        with contextlib.suppress(ValueError):
            self.client.push_handlers.remove(self._on_push)
        with contextlib.suppress(ValueError):
            self.media.channel_listeners.remove(self._use_channel)
        with contextlib.suppress(ValueError, AttributeError):
            self.client.reconnect_hooks.remove(self._reconnected)
        self.channel.drop()

    async def attach(self, client: ParleyClient, media: MediaSession) -> None:
        """Continue on a new connection (after a reconnect); resumes unfinished incoming files."""
        self.detach()
        self.client, self.media = client, media
        self._attach_hooks()
        for transfer in self.incoming.values():
            transfer.machine.reattached()
        await self.start()

    async def start(self) -> None:
        """After joining (and starting media): publish our key, learn everyone else's."""
        self._check_seat()
        reply = await self.client.request(m.PublishFileKey(id=0, public_key=self.keypair.public_b64))
        assert isinstance(reply, m.FileKeys)
        for pid, key in reply.keys.items():
            with contextlib.suppress(e2e.DecryptionFailed):
                self.keys[pid] = e2e.unb64(key)
        self.keys_changed.set()
        if any(t.machine.resume_needed for t in self.incoming.values()):
            self._spawn(self._resume_incoming())

    async def stop(self) -> None:
        """Stop everything this service started (leaving; incoming partial files are removed)."""
        for transfer in list(self.outgoing.values()):
            if not transfer.machine.over:
                await self.cancel(transfer.transfer_id, "The sender left the meeting.")
        for incoming in list(self.incoming.values()):
            self._apply(incoming.machine.left(self.clock()))
        self.detach()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _reconnected(self) -> None:
        """The client took its seat back by itself (client.engine.reconnect) and media restarted
        on new connections: publish our key again; the new channel resumes the transfers."""
        self._check_seat()
        try:
            await self.start()
        except (ParleyError, OSError) as exc:
            log.info("file key not published after reconnecting: %s", exc)

    def _check_seat(self) -> None:
        """Notice when we are back on a new seat: the relay restarted (or, rarely, we were away
        longer than it keeps a seat) and knows nothing of our transfers any more. The sender's
        app offers them again; recipients wait for that, then resume from what they wrote."""
        current = self.client.participant_id
        if current is None:
            return
        if self._seat is not None and current != self._seat:
            log.info("new seat after reconnecting: offering unfinished transfers again")
            now = self.clock()
            for transfer in list(self.outgoing.values()):
                self._apply(transfer.machine.seat_lost(now, RESUME_WAIT))
            for incoming in list(self.incoming.values()):
                self._apply(incoming.machine.seat_lost(now, RESUME_WAIT))
        self._seat = current

    def _use_channel(self, channel: RTCDataChannel) -> None:
        self._check_seat()
        if self.channel.current is not None and self.channel.current is not channel:
            # A new connection (reconnect, media restart): what was in flight on the old channel
            # is lost. Recipients ask the relay to go on from what they wrote; as a sender, the
            # relay tells us (FileAcked with resume) where each recipient stands once it has our
            # new channel, and we send again from there.
            for incoming in self.incoming.values():
                self._apply(incoming.machine.channel_changed())
            for outgoing in self.outgoing.values():
                outgoing.changed.set()
            if any(t.machine.resume_needed for t in self.incoming.values()):
                self._spawn(self._resume_incoming())
        self.channel.use(channel, self._on_frame)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _user_of(self, participant_id: str) -> str:
        p = self.client.participants.get(participant_id)
        return p.user_id if p is not None else ""

    # --- sending -------------------------------------------------------------------------------

    async def send_file(self, path: Path, to: list[str] | None = None) -> OutgoingTransfer:
        """Offer ``path`` to the participants ``to`` (ids; None: everyone with a key).

        Raises ParleyError with a sentence (empty file, over a limit, nobody to send to)."""
        path = Path(path)
        try:
            st = path.stat()
        except OSError:
            raise NotFound(f"The file {path} cannot be read.") from None
        if not path.is_file():
            raise ParleyError(f"{path} is not a file.")
        if st.st_size == 0:
            raise ParleyError(f"{path.name} is empty; there is nothing to send.")
        names = {pid: p.display_name for pid, p in self.client.participants.items()}
        targets = choose_recipients(to, self.client.participant_id, list(self.client.participants), self.keys, names)
        digest = await asyncio.get_running_loop().run_in_executor(None, disk.sha256_of, path)
        machine, offer = Outgoing.offer(
            path=path,
            stat=(st.st_size, st.st_mtime_ns),
            sha256=digest,
            chunk_size=self.chunk_size,
            keys=self.keys,
            recipients=[Recipient(pid, names.get(pid, pid), self._user_of(pid)) for pid in targets],
            now=self.clock(),
        )
        transfer = OutgoingTransfer(machine)
        self.outgoing[machine.transfer_id] = transfer
        try:
            await self.client.request(offer)
        except BaseException:
            del self.outgoing[machine.transfer_id]
            raise
        self._apply(machine.progress_event(self.clock()))
        transfer.task = self._spawn(self._send_loop(transfer))
        return transfer

    async def _send_loop(self, transfer: OutgoingTransfer) -> None:
        try:
            with disk.open_source(transfer.path) as handle:
                stopped = await send_chunks(transfer, handle, self.channel, self.window, self.tamper)
        except asyncio.CancelledError:
            raise
        except OSError as exc:
            await self._run(transfer.machine.abort(f"{transfer.name} could not be read ({exc.strerror or exc})."))
        except Exception:
            log.exception("sending %s failed", transfer.transfer_id)
            await self._run(transfer.machine.abort("Sending the file failed."))
        else:
            if stopped is not None:
                await self._run(transfer.machine.abort(stopped))

    async def cancel(self, transfer_id: str, reason: str = "") -> None:
        """Cancel a transfer: the whole offer when we send it, our part when we receive it."""
        if transfer_id in self.outgoing:
            await self._run(self.outgoing[transfer_id].machine.cancel(reason, self.clock()))
            return
        incoming = self.incoming.get(transfer_id)
        if incoming is None:
            raise NotFound("There is no such file transfer.")
        self._apply(incoming.machine.cancel(reason, self.clock()))

    # --- receiving -----------------------------------------------------------------------------

    def _on_offer(self, offer: m.FileOffered) -> None:
        machine, outputs = receive_offer(offer, self.keypair, self.client.participant_id or "", self.clock())
        if machine is not None:
            transfer = IncomingTransfer(machine)
            self.incoming[offer.transfer_id] = transfer
            self._by_raw[bytes.fromhex(offer.transfer_id)] = transfer
        self._apply(outputs)
        if machine is not None and self.auto_accept and self.download_dir is not None:
            self._spawn(self.accept(offer.transfer_id))

    async def accept(self, transfer_id: str, folder: Path | None = None) -> IncomingTransfer:
        """Accept an offered file into ``folder`` (default: the downloads folder)."""
        transfer = self.incoming.get(transfer_id)
        if transfer is None or transfer.state != "offered":
            raise NotFound("This file is no longer on offer.")
        machine = transfer.machine
        target = Path(folder or self.download_dir or default_downloads_dir())
        try:
            free = disk.free_space(target)
        except OSError as exc:
            await self._run(machine.decline(f"The folder {target} cannot be used ({exc.strerror or exc})."))
            return transfer
        refusal = machine.lacks_space(target, free)
        if refusal is not None:
            await self._run(machine.decline(refusal))
            return transfer
        temp_path = machine.part_path(target)
        try:
            transfer.handle = disk.open_part(temp_path)
        except OSError as exc:
            await self._run(machine.decline(f"{target} cannot be written to ({exc.strerror or exc})."))
            return transfer
        machine.accepted(target, temp_path, self.clock())
        # The relay forwards chunks only on an open channel: accept once ours is.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.channel.opened.wait(), CHANNEL_WAIT)
        await self._run(machine.answer_yes())
        return transfer

    async def decline(self, transfer_id: str, reason: str = "") -> None:
        """Decline an offered file; ``reason`` is shown to the sender."""
        transfer = self.incoming.get(transfer_id)
        if transfer is None or transfer.state != "offered":
            raise NotFound("This file is no longer on offer.")
        await self._run(transfer.machine.decline(reason or "declined"))

    def _on_frame(self, channel: RTCDataChannel, data: object) -> None:
        if channel is not self.channel.current or not isinstance(data, bytes):
            return
        parsed = e2e.parse_chunk_frame(data)
        if parsed is None:
            return
        raw_id, index, sealed = parsed
        transfer = self._by_raw.get(raw_id)
        if transfer is not None:
            self._apply(transfer.machine.chunk_received(index, sealed, self.clock()))

    async def _resume_incoming(self) -> None:
        await self.channel.opened.wait()
        self.channel.buffer_low.set()
        for transfer in list(self.incoming.values()):
            await self._run(transfer.machine.resume(self.clock()))

    # --- relay pushes ----------------------------------------------------------------------------

    def _on_push(self, event: m.Event) -> None:
        if isinstance(event, m.FileKeyPublished):
            with contextlib.suppress(e2e.DecryptionFailed):
                self.keys[event.participant_id] = e2e.unb64(event.public_key)
                self.keys_changed.set()
        elif isinstance(event, m.ParticipantLeft):
            self.keys.pop(event.participant_id, None)
        elif isinstance(event, m.FileOffered):
            self._on_offer(event)
        elif isinstance(event, m.FileReoffered):
            incoming = self.incoming.get(event.transfer_id)
            if incoming is not None:
                self._apply(incoming.machine.reoffered(event))
        elif isinstance(event, (m.FileAnswered, m.FileAcked, m.FileCancelled)):
            incoming = self.incoming.get(event.transfer_id)
            if isinstance(event, m.FileCancelled) and incoming is not None:
                self._apply(incoming.machine.cancelled(event, self.clock()))
                return
            outgoing = self.outgoing.get(event.transfer_id)
            if outgoing is not None:
                me, user = self.client.participant_id, self._user_of(event.participant_id)
                self._apply(outgoing.machine.handle(event, self.clock(), me=me, user_id=user))

    # --- doing what the machines ask -------------------------------------------------------------

    def _apply(self, outputs: list[Output]) -> None:
        """Do ``outputs`` now, in order; requests go out in the background (their follow-ups run
        when the reply comes)."""
        for output in outputs:
            if isinstance(output, Ask):
                self._spawn(self._ask(output))
            else:
                self._apply(self._do(output))

    async def _run(self, outputs: list[Output]) -> None:
        """Do ``outputs`` in order, waiting for each request's reply and follow-ups."""
        for output in outputs:
            if isinstance(output, Ask):
                await self._ask(output)
            else:
                await self._run(self._do(output))

    async def _ask(self, ask: Ask) -> None:
        error: ParleyError | OSError | None = None
        try:
            await self.client.request(ask.request)
        except (ParleyError, OSError) as exc:
            error = exc
        if ask.then is not None:
            await self._run(ask.then(error, self.clock()))

    async def _after(self, after: After) -> None:
        await asyncio.sleep(after.seconds)
        await self._run(after.then(self.clock()))

    def _do(self, output: Output) -> list[Output]:
        """Do one output other than a request; returns what its transfer makes of the outcome."""
        if isinstance(output, Emit):
            self.client.emit(output.event)
        elif isinstance(output, Wake):
            if (outgoing := self.outgoing.get(output.transfer_id)) is not None:
                outgoing.changed.set()
        elif isinstance(output, Settled):
            for book in (self.outgoing, self.incoming):
                if (transfer := book.get(output.transfer_id)) is not None:
                    transfer.done.set()
        elif isinstance(output, After):
            self._spawn(self._after(output))
        elif isinstance(output, Resume):
            self._spawn(self._resume_incoming())
        elif isinstance(output, (Write, Save, Discard)):
            return self.incoming[output.transfer_id].perform(output, self.clock())
        return []
