"""`FileService`: end-to-end encrypted file transfer during a call. No Qt here.

Offers, answers, acknowledgements and cancels go over the signalling websocket, where the relay
enforces its limits; the file itself goes as sealed chunks (shared.e2e) over the publish
connection's "parley" data channel, through the relay, to each recipient. The sender keeps at most
``window`` unacknowledged chunks in flight; a recipient checks every chunk's index and tag, writes
to a temporary name, compares the SHA-256 with the sealed manifest, and only then gives the file
its final, sanitized, never-overwriting name.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from client.engine import events as ev
from shared import e2e
from shared.errors import Forbidden, NotFound, ParleyError
from shared.filenames import move_into_place, sanitize_filename
from shared.protocol import messages as m
from shared.webrtc.sctp import tune_for_files

if TYPE_CHECKING:
    from client.engine.call import ParleyClient
    from client.engine.media.session import MediaSession

log = logging.getLogger("parley.files")

# Plaintext per chunk: sealed and framed it is exactly 256 KiB, the largest message aiortc (the
# relay and every Parley client) accepts; fewer, bigger messages cost less per byte everywhere.
CHUNK_SIZE = 262144 - e2e.CHUNK_OVERHEAD - e2e.FRAME_HEADER.size
WINDOW = 32  # chunks in flight beyond the slowest recipient's acknowledgement (~8 MiB)
ACK_EVERY = 4  # an acknowledgement per ~1 MiB received
BUFFER_HIGH = 1024 * 1024  # bytes queued on our own data channel before we wait
PROGRESS_INTERVAL = 0.25
STALL_SECONDS = 5.0
# After the relay restarted under a transfer: how long the other side has to come back.
RESUME_WAIT = 45.0


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} bytes"


@dataclass
class _Progress:
    started: float = field(default_factory=time.monotonic)
    last_emit: float = 0.0
    speed: float = 0.0
    last_bytes: int = 0
    last_time: float = field(default_factory=time.monotonic)

    def update(self, done: int, now: float) -> None:
        elapsed = now - self.last_time
        if elapsed >= 0.2:
            instant = (done - self.last_bytes) / elapsed
            self.speed = instant if self.speed == 0 else 0.6 * self.speed + 0.4 * instant
            self.last_bytes, self.last_time = done, now

    def due(self, done: int, now: float, force: bool) -> bool:
        """Record ``done`` bytes; True when a progress event should go out now (throttled)."""
        self.update(done, now)
        if not force and now - self.last_emit < PROGRESS_INTERVAL:
            return False
        self.last_emit = now
        return True


@dataclass
class _Recipient:
    participant_id: str
    name: str
    user_id: str = ""
    state: str = "offered"  # offered, accepted, complete, declined, cancelled
    acked: int = 0
    reason: str = ""
    # False after the relay restarted, until their new seat takes the transfer back (files.resume).
    claimed: bool = True


@dataclass
class OutgoingTransfer:
    transfer_id: str
    path: Path
    name: str
    size: int
    chunks: int
    key: bytes
    stat: tuple[int, int]
    recipients: dict[str, _Recipient]
    state: str = "waiting"
    message: str = ""
    cursor: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    progress: _Progress = field(default_factory=_Progress)
    task: asyncio.Task[None] | None = None

    @property
    def raw_id(self) -> bytes:
        return bytes.fromhex(self.transfer_id)

    def active(self) -> list[_Recipient]:
        return [r for r in self.recipients.values() if r.state in ("offered", "accepted")]


@dataclass
class IncomingTransfer:
    transfer_id: str
    sender_id: str
    sender_name: str
    name: str
    size: int
    chunk_size: int
    chunks: int
    sha256: str
    key: bytes
    state: str = "offered"
    folder: Path | None = None
    temp_path: Path | None = None
    path: Path | None = None
    handle: BinaryIO | None = None
    hasher: Any = field(default_factory=hashlib.sha256)
    received: int = 0
    acked: int = 0
    message: str = ""
    resume_needed: bool = False
    # The relay restarted: the sender must offer it again (files.reoffered) before it can resume.
    awaiting_reoffer: bool = False
    reoffered_early: bool = False  # files.reoffered arrived before we noticed our new seat
    final_ack_pending: bool = False  # complete here, but the relay never heard it (connection lost)
    progress: _Progress = field(default_factory=_Progress)
    ack_wanted: asyncio.Event = field(default_factory=asyncio.Event)
    ack_task: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


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
    ) -> None:
        self.keypair = e2e.KeyPair()
        self.download_dir = download_dir
        self.auto_accept = auto_accept
        self.window = window
        self.chunk_size = chunk_size
        self.keys: dict[str, bytes] = {}  # participant id -> X25519 public key
        self.outgoing: dict[str, OutgoingTransfer] = {}
        self.incoming: dict[str, IncomingTransfer] = {}
        self._by_raw: dict[bytes, IncomingTransfer] = {}
        self._channel: Any = None
        self._channel_open = asyncio.Event()
        self._buffer_low = asyncio.Event()
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
        with contextlib.suppress(ValueError):
            self.client.push_handlers.remove(self._on_push)
        with contextlib.suppress(ValueError):
            self.media.channel_listeners.remove(self._use_channel)
        with contextlib.suppress(ValueError, AttributeError):
            self.client.reconnect_hooks.remove(self._reconnected)
        self._channel = None
        self._channel_open.clear()

    async def attach(self, client: ParleyClient, media: MediaSession) -> None:
        """Continue on a new connection (after a reconnect); resumes unfinished incoming files."""
        self.detach()
        self.client, self.media = client, media
        self._attach_hooks()
        for transfer in self.incoming.values():
            if transfer.state == "transferring":
                transfer.resume_needed = True
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
        if any(t.resume_needed for t in self.incoming.values()):
            self._spawn(self._resume_incoming())

    async def stop(self) -> None:
        """Stop everything this service started (leaving; incoming partial files are removed)."""
        for transfer in list(self.outgoing.values()):
            if transfer.state in ("waiting", "transferring"):
                await self.cancel(transfer.transfer_id, "The sender left the meeting.")
        for incoming in list(self.incoming.values()):
            if incoming.state in ("offered", "transferring"):
                self._fail_incoming(incoming, "cancelled", "You left the meeting before the file arrived.", tell=False)
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
            self._seat_lost()
        self._seat = current

    def _seat_lost(self) -> None:
        log.info("new seat after reconnecting: offering unfinished transfers again")
        for transfer in list(self.outgoing.values()):
            if transfer.state not in ("waiting", "transferring"):
                continue
            for r in transfer.active():
                if r.state == "offered":  # never answered: their offer is gone with the old relay
                    r.state, r.reason = "cancelled", "the offer was lost when the server restarted"
                else:
                    r.claimed = False
            if not transfer.active():
                self._finish_out(transfer)  # failed, naming why for each recipient
                continue
            transfer.message = "Reconnected to the server; waiting for the recipients to take the file back."
            transfer.changed.set()
            self._spawn(self._reoffer(transfer))
        for incoming in list(self.incoming.values()):
            if incoming.state == "offered":
                self._fail_incoming(
                    incoming,
                    "failed",
                    f"The offer was lost when the server restarted; ask {incoming.sender_name} to send "
                    f"{incoming.name} again.",
                    tell=False,
                )
            elif incoming.state == "complete" and incoming.final_ack_pending:
                # Saved, but the sender never heard: tell it through the re-offered transfer.
                if incoming.reoffered_early:
                    incoming.reoffered_early = False
                    self._spawn(self._final_ack(incoming, claim=True))
                else:
                    incoming.awaiting_reoffer = True
            elif incoming.state == "transferring" and incoming.reoffered_early:
                incoming.reoffered_early = False
                incoming.resume_needed = True  # resumed on the new channel like any reconnect
            elif incoming.state == "transferring":
                incoming.awaiting_reoffer = incoming.resume_needed = True
                incoming.message = f"Reconnected to the server; waiting for {incoming.sender_name} to go on."
                self._emit_in(incoming, force=True)
                self._spawn(self._give_up_waiting(incoming))

    async def _reoffer(self, transfer: OutgoingTransfer) -> None:
        users = [r.user_id for r in transfer.active() if r.user_id]
        try:
            await self.client.request(
                m.ReofferFile(
                    id=0,
                    transfer_id=transfer.transfer_id,
                    size=transfer.size,
                    chunk_size=self.chunk_size,
                    chunks=transfer.chunks,
                    to_users=users,
                )
            )
        except (ParleyError, OSError) as exc:
            await self._abort_out(
                transfer, f"{transfer.name} could not be offered again after the server restarted: {exc}"
            )
            return
        self._emit_out(transfer, force=True)
        await asyncio.sleep(RESUME_WAIT)
        if transfer.state not in ("waiting", "transferring"):
            return
        for r in transfer.active():
            if not r.claimed:
                r.state, r.reason = "cancelled", "did not take the file back after reconnecting"
        if not transfer.active():
            self._finish_out(transfer)  # first: the relay's answer to the cancel is then old news
            with contextlib.suppress(ParleyError, OSError):
                await self.client.request(m.CancelFile(id=0, transfer_id=transfer.transfer_id, reason=transfer.message))
        else:
            transfer.changed.set()
            self._emit_out(transfer, force=True)

    async def _give_up_waiting(self, transfer: IncomingTransfer) -> None:
        await asyncio.sleep(RESUME_WAIT)
        if transfer.awaiting_reoffer and transfer.state == "transferring":
            self._fail_incoming(
                transfer,
                "failed",
                f"{transfer.sender_name} did not go on with the transfer after reconnecting; ask them to "
                f"send {transfer.name} again.",
                tell=False,
            )

    def _on_reoffered(self, event: m.FileReoffered) -> None:
        transfer = self.incoming.get(event.transfer_id)
        waiting_ack = transfer is not None and transfer.state == "complete" and transfer.final_ack_pending
        if transfer is None or (transfer.state != "transferring" and not waiting_ack):
            return
        transfer.sender_id, transfer.sender_name = event.from_participant_id, event.from_name
        if not transfer.awaiting_reoffer:
            # The sender was quicker than our own media restart: resume once we see our new seat.
            transfer.reoffered_early = True
            return
        transfer.awaiting_reoffer = False
        if waiting_ack:
            self._spawn(self._final_ack(transfer, claim=True))
            return
        transfer.resume_needed = True
        transfer.message = ""
        self._spawn(self._resume_incoming())

    async def _final_ack(self, transfer: IncomingTransfer, *, claim: bool) -> None:
        """Tell the relay (and so the sender) that a file we saved arrived whole, after the
        acknowledgement was lost with the connection. On the same seat that is the ordinary
        acknowledgement; on a new seat (``claim``) it takes the re-offered transfer back at its end."""
        request: m.Request
        if claim:
            request = m.ResumeFile(id=0, transfer_id=transfer.transfer_id, received=transfer.chunks)
        else:
            request = m.AckFile(id=0, transfer_id=transfer.transfer_id, received=transfer.chunks, complete=True)
        try:
            await self.client.request(request)
        except (ParleyError, OSError) as exc:
            log.info("final acknowledgement of %s not delivered: %s", transfer.transfer_id, exc)
            return
        transfer.final_ack_pending = False

    def _use_channel(self, channel: Any) -> None:
        self._check_seat()
        if self._channel is not None and self._channel is not channel:
            # A new connection (reconnect, media restart): what was in flight on the old channel
            # is lost. Recipients ask the relay to go on from what they wrote; as a sender, the
            # relay tells us (FileAcked with resume) where each recipient stands once it has our
            # new channel, and we send again from there.
            for incoming in self.incoming.values():
                if incoming.state == "transferring":
                    incoming.resume_needed = True
                elif incoming.final_ack_pending and not incoming.awaiting_reoffer:
                    self._spawn(self._final_ack(incoming, claim=False))
            for outgoing in self.outgoing.values():
                outgoing.changed.set()
            if any(t.resume_needed for t in self.incoming.values()):
                self._spawn(self._resume_incoming())
        self._channel = channel
        self._channel_open.clear()
        channel.bufferedAmountLowThreshold = BUFFER_HIGH // 2
        transport = getattr(channel, "transport", None)
        if transport is not None:
            tune_for_files(transport)  # we receive files on it: fewer SACKs, cheaper reassembly

        def opened() -> None:
            if self._channel is channel:
                self._channel_open.set()

        channel.on("open", opened)
        channel.on("message", lambda data: self._on_frame(channel, data))
        channel.on("bufferedamountlow", self._buffer_low.set)
        if channel.readyState == "open":
            opened()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _name_of(self, participant_id: str) -> str:
        p = self.client.participants.get(participant_id)
        return p.display_name if p is not None else participant_id

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
        me = self.client.participant_id
        targets = list(to) if to else [pid for pid in self.client.participants if pid != me]
        missing = [pid for pid in targets if pid not in self.keys]
        if to and missing:
            raise ParleyError(
                f"{', '.join(self._name_of(p) for p in missing)} cannot receive files yet (no encryption key)."
            )
        targets = [pid for pid in targets if pid in self.keys]
        if not targets:
            raise NotFound("Nobody else in the meeting can receive files right now.")
        digest = await asyncio.get_running_loop().run_in_executor(None, _sha256_of, path)
        transfer_id = secrets.token_hex(16)
        key = e2e.new_file_key()
        ephemeral, ephemeral_public = e2e.ephemeral_key()
        chunks = -(-st.st_size // self.chunk_size)
        manifest = json.dumps({"name": path.name, "size": st.st_size, "sha256": digest}).encode()
        wrapped = {pid: e2e.wrap_key(key, ephemeral, self.keys[pid], transfer_id, pid) for pid in targets}
        transfer = OutgoingTransfer(
            transfer_id=transfer_id,
            path=path,
            name=path.name,
            size=st.st_size,
            chunks=chunks,
            key=key,
            stat=(st.st_size, st.st_mtime_ns),
            recipients={pid: _Recipient(pid, self._name_of(pid), self._user_of(pid)) for pid in targets},
        )
        self.outgoing[transfer_id] = transfer
        try:
            await self.client.request(
                m.OfferFile(
                    id=0,
                    transfer_id=transfer_id,
                    size=st.st_size,
                    chunk_size=self.chunk_size,
                    chunks=chunks,
                    manifest=e2e.seal_manifest(key, transfer_id, manifest),
                    sender_key=e2e.b64(ephemeral_public),
                    wrapped_keys=wrapped,
                    to=targets,
                )
            )
        except BaseException:
            del self.outgoing[transfer_id]
            raise
        self._emit_out(transfer)
        transfer.task = self._spawn(self._send_loop(transfer))
        return transfer

    async def _send_loop(self, transfer: OutgoingTransfer) -> None:
        try:
            with transfer.path.open("rb") as handle:
                await self._pump(transfer, handle)
        except asyncio.CancelledError:
            raise
        except OSError as exc:
            await self._abort_out(transfer, f"{transfer.name} could not be read ({exc.strerror or exc}).")
        except Exception:
            log.exception("sending %s failed", transfer.transfer_id)
            await self._abort_out(transfer, "Sending the file failed.")

    async def _pump(self, transfer: OutgoingTransfer, handle: BinaryIO) -> None:
        raw_id = transfer.raw_id
        while transfer.active():
            accepted = [r for r in transfer.active() if r.state == "accepted" and r.claimed]
            floor = min((r.acked for r in accepted), default=0)
            channel = self._channel
            can_send = (
                accepted
                and transfer.cursor < transfer.chunks
                and transfer.cursor < floor + self.window
                and channel is not None
                and self._channel_open.is_set()
            )
            if not can_send:
                transfer.changed.clear()
                waits = [
                    asyncio.ensure_future(transfer.changed.wait()),
                    asyncio.ensure_future(self._channel_open.wait()),
                ]
                if self._channel_open.is_set():
                    waits.pop().cancel()
                finished, _ = await asyncio.wait(waits, timeout=STALL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                for w in waits:
                    w.cancel()
                if not finished and accepted and transfer.cursor > floor:
                    # Nothing acknowledged for a while: what was in flight was lost (a channel
                    # closed under it); the relay forwards each recipient only the chunk it needs
                    # next, so sending again from the slowest acknowledgement is safe.
                    transfer.cursor = floor
                continue
            if channel.bufferedAmount > BUFFER_HIGH:
                self._buffer_low.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._buffer_low.wait(), 1.0)
                continue
            index = transfer.cursor
            st = os.fstat(handle.fileno())
            if (st.st_size, st.st_mtime_ns) != transfer.stat:
                await self._abort_out(transfer, f"{transfer.name} changed while it was being sent; send it again.")
                return
            handle.seek(index * self.chunk_size)
            plain = handle.read(self.chunk_size)
            expected = min(self.chunk_size, transfer.size - index * self.chunk_size)
            if len(plain) != expected:
                await self._abort_out(transfer, f"{transfer.name} changed while it was being sent; send it again.")
                return
            sealed = e2e.seal_chunk(transfer.key, transfer.transfer_id, index, plain)
            if self.tamper is not None:
                sealed = self.tamper(index, sealed)
            try:
                channel.send(e2e.chunk_frame(raw_id, index, sealed))
            except Exception:
                self._channel_open.clear()
                continue
            transfer.cursor += 1
            if transfer.cursor % 2 == 0:
                await asyncio.sleep(0)  # let acknowledgements and media in

    async def _abort_out(self, transfer: OutgoingTransfer, message: str) -> None:
        if transfer.state not in ("waiting", "transferring"):
            return
        transfer.state, transfer.message = "failed", message
        for r in transfer.active():
            r.state = "cancelled"
        with contextlib.suppress(ParleyError, OSError):
            await self.client.request(m.CancelFile(id=0, transfer_id=transfer.transfer_id, reason=message))
        self._finish_out(transfer)

    async def cancel(self, transfer_id: str, reason: str = "") -> None:
        """Cancel a transfer: the whole offer when we send it, our part when we receive it."""
        if transfer_id in self.outgoing:
            transfer = self.outgoing[transfer_id]
            if transfer.state not in ("waiting", "transferring"):
                return
            transfer.state, transfer.message = "cancelled", reason or "You cancelled the transfer."
            for r in transfer.active():
                r.state = "cancelled"
            with contextlib.suppress(ParleyError, OSError):
                await self.client.request(m.CancelFile(id=0, transfer_id=transfer_id, reason=reason))
            self._finish_out(transfer)
            return
        incoming = self.incoming.get(transfer_id)
        if incoming is None:
            raise NotFound("There is no such file transfer.")
        self._fail_incoming(incoming, "cancelled", reason or "You cancelled the transfer.")

    def _finish_out(self, transfer: OutgoingTransfer) -> None:
        if transfer.state in ("waiting", "transferring"):
            complete = [r for r in transfer.recipients.values() if r.state == "complete"]
            if complete:
                transfer.state = "complete"
                others = [r for r in transfer.recipients.values() if r.state != "complete"]
                transfer.message = f"{transfer.name} was delivered to {', '.join(r.name for r in complete)}."
                if others:
                    transfer.message += " Not delivered to " + ", ".join(
                        f"{r.name} ({r.reason or r.state})" for r in others
                    )
            else:
                reasons = "; ".join(f"{r.name}: {r.reason or r.state}" for r in transfer.recipients.values())
                transfer.state = (
                    "declined" if all(r.state == "declined" for r in transfer.recipients.values()) else "failed"
                )
                transfer.message = f"{transfer.name} was not delivered ({reasons})."
        transfer.changed.set()
        transfer.done.set()
        self._emit_out(transfer, force=True)

    def _emit_out(self, transfer: OutgoingTransfer, force: bool = False) -> None:
        now = time.monotonic()
        accepted = [r for r in transfer.recipients.values() if r.state in ("accepted", "complete")]
        done_chunks = min((r.acked for r in accepted), default=0)
        done = min(transfer.size, done_chunks * self.chunk_size)
        if all(r.state == "complete" for r in accepted) and accepted:
            done = transfer.size
        if not transfer.progress.due(done, now, force):
            return
        speed = transfer.progress.speed
        self.client.emit(
            ev.FileTransferChanged(
                transfer_id=transfer.transfer_id,
                direction="outgoing",
                name=transfer.name,
                size=transfer.size,
                peer=", ".join(r.name for r in transfer.recipients.values()),
                state=transfer.state,
                done_bytes=done,
                speed=speed,
                seconds_left=(transfer.size - done) / speed if speed > 0 else None,
                path=str(transfer.path),
                message=transfer.message,
            )
        )

    def _on_sender_event(self, event: m.FileAnswered | m.FileAcked | m.FileCancelled) -> None:
        transfer = self.outgoing.get(event.transfer_id)
        if transfer is None or transfer.state not in ("waiting", "transferring"):
            return
        r = transfer.recipients.get(event.participant_id)
        if isinstance(event, m.FileCancelled) and event.participant_id == self.client.participant_id:
            transfer.state, transfer.message = "failed", event.reason
            for other in transfer.active():
                other.state = "cancelled"
            self._finish_out(transfer)
            return
        if r is None and isinstance(event, m.FileAcked) and event.resume:
            r = self._claimed_by(transfer, event.participant_id)
        if r is None:
            return
        if isinstance(event, m.FileAnswered):
            r.state = "accepted" if event.accepted else "declined"
            r.reason = event.reason or ("" if event.accepted else "declined")
            if event.accepted:
                transfer.state = "transferring"
                transfer.cursor = 0  # the relay forwards them everything from the first chunk
        elif isinstance(event, m.FileAcked):
            r.acked = event.received
            if event.resume:
                transfer.cursor = min(transfer.cursor, event.received)
            if event.complete:
                r.state = "complete"
        else:
            r.state = "cancelled"
            r.reason = event.reason
        transfer.changed.set()
        if not transfer.active():
            self._finish_out(transfer)
        else:
            self._emit_out(transfer)

    def _claimed_by(self, transfer: OutgoingTransfer, participant_id: str) -> _Recipient | None:
        """A recipient's new seat took the transfer back after the relay restarted."""
        user = self._user_of(participant_id)
        r = next((r for r in transfer.active() if not r.claimed and r.user_id and r.user_id == user), None)
        if r is None:
            return None
        del transfer.recipients[r.participant_id]
        r.participant_id, r.claimed = participant_id, True
        transfer.recipients[participant_id] = r
        if all(x.claimed for x in transfer.active()):
            transfer.message = ""
        return r

    # --- receiving -----------------------------------------------------------------------------

    def _on_offer(self, offer: m.FileOffered) -> None:
        me = self.client.participant_id or ""
        try:
            key = e2e.unwrap_key(offer.wrapped_key, self.keypair, e2e.unb64(offer.sender_key), offer.transfer_id, me)
            manifest = json.loads(e2e.open_manifest(key, offer.transfer_id, offer.manifest))
            name, size, digest = str(manifest["name"]), int(manifest["size"]), str(manifest["sha256"])
            if size != offer.size or len(digest) != 64:
                raise ValueError("manifest does not match the offer")
        except (e2e.DecryptionFailed, ValueError, KeyError, TypeError):
            self._spawn(self._answer(offer.transfer_id, False, "The file could not be decrypted."))
            return
        transfer = IncomingTransfer(
            transfer_id=offer.transfer_id,
            sender_id=offer.from_participant_id,
            sender_name=offer.from_name,
            name=sanitize_filename(name),
            size=offer.size,
            chunk_size=offer.chunk_size,
            chunks=offer.chunks,
            sha256=digest,
            key=key,
        )
        self.incoming[offer.transfer_id] = transfer
        self._by_raw[bytes.fromhex(offer.transfer_id)] = transfer
        self._emit_in(transfer, force=True)
        if self.auto_accept and self.download_dir is not None:
            self._spawn(self.accept(offer.transfer_id))

    async def accept(self, transfer_id: str, folder: Path | None = None) -> IncomingTransfer:
        """Accept an offered file into ``folder`` (default: the downloads folder)."""
        transfer = self.incoming.get(transfer_id)
        if transfer is None or transfer.state != "offered":
            raise NotFound("This file is no longer on offer.")
        target = Path(folder or self.download_dir or Path.home() / "Downloads")
        try:
            target.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (one quick call)
            free = shutil.disk_usage(target).free
        except OSError as exc:
            await self._decline(transfer, f"The folder {target} cannot be used ({exc.strerror or exc}).")
            return transfer
        if free < transfer.size:
            await self._decline(
                transfer,
                f"There is not enough free space in {target} for {transfer.name} "
                f"({_size(transfer.size)} needed, {_size(free)} free).",
            )
            return transfer
        transfer.folder = target
        transfer.temp_path = target / f".{transfer.name[:60]}.{transfer_id[:8]}.parley-part"
        try:
            transfer.handle = transfer.temp_path.open("wb")
        except OSError as exc:
            await self._decline(transfer, f"{target} cannot be written to ({exc.strerror or exc}).")
            return transfer
        transfer.state = "transferring"
        transfer.progress = _Progress()
        # The relay forwards chunks only on an open channel: accept once ours is.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._channel_open.wait(), 30)
        transfer.ack_task = self._spawn(self._ack_loop(transfer))
        await self._answer(transfer_id, True)
        self._emit_in(transfer, force=True)
        return transfer

    async def decline(self, transfer_id: str, reason: str = "") -> None:
        transfer = self.incoming.get(transfer_id)
        if transfer is None or transfer.state != "offered":
            raise NotFound("This file is no longer on offer.")
        await self._decline(transfer, reason or "declined")

    async def _decline(self, transfer: IncomingTransfer, reason: str) -> None:
        transfer.state, transfer.message = "declined", reason
        transfer.done.set()
        await self._answer(transfer.transfer_id, False, reason)
        self._emit_in(transfer, force=True)

    async def _answer(self, transfer_id: str, accept: bool, reason: str = "") -> None:
        with contextlib.suppress(ParleyError, OSError):
            await self.client.request(m.AnswerFile(id=0, transfer_id=transfer_id, accept=accept, reason=reason))

    def _on_frame(self, channel: Any, data: Any) -> None:
        if channel is not self._channel or not isinstance(data, bytes):
            return
        parsed = e2e.parse_chunk_frame(data)
        if parsed is None:
            return
        raw_id, index, sealed = parsed
        transfer = self._by_raw.get(raw_id)
        if transfer is None or transfer.state != "transferring" or transfer.resume_needed:
            return
        if index != transfer.received:
            what = "repeated" if index < transfer.received else "missing"
            self._fail_incoming(
                transfer, "failed", f"A piece of {transfer.name} was {what} on the way; the transfer was stopped."
            )
            return
        try:
            plain = e2e.open_chunk(transfer.key, transfer.transfer_id, index, sealed)
        except e2e.DecryptionFailed:
            self._fail_incoming(
                transfer, "failed", f"A piece of {transfer.name} was altered on the way; the transfer was stopped."
            )
            return
        expected = min(transfer.chunk_size, transfer.size - index * transfer.chunk_size)
        if len(plain) != expected:
            self._fail_incoming(transfer, "failed", f"A piece of {transfer.name} has the wrong size; it was stopped.")
            return
        assert transfer.handle is not None
        try:
            transfer.handle.write(plain)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                message = f"Your disk is full; {transfer.name} could not be saved."
            else:
                message = f"{transfer.name} could not be saved ({exc.strerror or exc})."
            self._fail_incoming(transfer, "failed", message)
            return
        transfer.hasher.update(plain)
        transfer.received += 1
        if transfer.received == transfer.chunks:
            self._complete(transfer)
        elif transfer.received - transfer.acked >= ACK_EVERY:
            transfer.ack_wanted.set()
        self._emit_in(transfer)

    def _complete(self, transfer: IncomingTransfer) -> None:
        assert transfer.handle is not None and transfer.temp_path is not None and transfer.folder is not None
        if transfer.hasher.hexdigest() != transfer.sha256:
            self._fail_incoming(
                transfer,
                "failed",
                f"{transfer.name} arrived different from what was sent (SHA-256 mismatch); it was discarded.",
            )
            return
        try:
            transfer.handle.flush()
            os.fsync(transfer.handle.fileno())
            transfer.handle.close()
            transfer.handle = None
            transfer.path = move_into_place(transfer.temp_path, transfer.folder, transfer.name)
        except OSError as exc:
            self._fail_incoming(transfer, "failed", f"{transfer.name} could not be saved ({exc.strerror or exc}).")
            return
        transfer.state = "complete"
        transfer.message = f"{transfer.name} from {transfer.sender_name} was saved as {transfer.path}."
        transfer.ack_wanted.set()
        self._emit_in(transfer, force=True)

    async def _ack_loop(self, transfer: IncomingTransfer) -> None:
        """One acknowledgement in flight at a time, always the newest count."""
        while True:
            await transfer.ack_wanted.wait()
            transfer.ack_wanted.clear()
            if transfer.state not in ("transferring", "complete") or transfer.resume_needed:
                if transfer.state != "transferring":
                    return
                continue
            received, complete = transfer.received, transfer.state == "complete"
            try:
                await self.client.request(
                    m.AckFile(id=0, transfer_id=transfer.transfer_id, received=received, complete=complete)
                )
            except (ParleyError, OSError) as exc:
                log.info("acknowledgement of %s failed: %s", transfer.transfer_id, exc)
                if complete and not isinstance(exc, (NotFound, Forbidden)):
                    transfer.final_ack_pending = True  # said again once we are back (_final_ack)
            transfer.acked = received
            if complete:
                transfer.done.set()
                return

    async def _resume_incoming(self) -> None:
        await self._channel_open.wait()
        self._buffer_low.set()
        for transfer in list(self.incoming.values()):
            if not transfer.resume_needed or transfer.state != "transferring":
                continue
            # Frames on the new channel flow only once the relay has this; take them from now on.
            transfer.resume_needed = False
            if transfer.awaiting_reoffer:
                transfer.resume_needed = True  # once the sender offered it again (_on_reoffered)
                continue
            try:
                await self.client.request(
                    m.ResumeFile(id=0, transfer_id=transfer.transfer_id, received=transfer.received)
                )
            except (ParleyError, OSError) as exc:
                self._fail_incoming(transfer, "failed", f"{transfer.name} could not be resumed: {exc}", tell=False)
                continue
            transfer.acked = transfer.received
            self._emit_in(transfer, force=True)

    def _fail_incoming(self, transfer: IncomingTransfer, state: str, message: str, *, tell: bool = True) -> None:
        if transfer.state in ("complete", "failed", "cancelled", "declined"):
            return
        was_offered = transfer.state == "offered"
        transfer.state, transfer.message = state, message
        if transfer.handle is not None:
            with contextlib.suppress(OSError):
                transfer.handle.close()
            transfer.handle = None
        if transfer.temp_path is not None:
            with contextlib.suppress(OSError):
                transfer.temp_path.unlink()
        transfer.ack_wanted.set()
        transfer.done.set()
        if tell:
            if was_offered:
                self._spawn(self._answer(transfer.transfer_id, False, message))
            else:
                self._spawn(self._tell_cancel(transfer.transfer_id, message))
        self._emit_in(transfer, force=True)

    async def _tell_cancel(self, transfer_id: str, reason: str) -> None:
        with contextlib.suppress(ParleyError, OSError):
            await self.client.request(m.CancelFile(id=0, transfer_id=transfer_id, reason=reason))

    def _emit_in(self, transfer: IncomingTransfer, force: bool = False) -> None:
        now = time.monotonic()
        done = (
            transfer.size
            if transfer.state == "complete"
            else min(transfer.size, transfer.received * transfer.chunk_size)
        )
        if not transfer.progress.due(done, now, force):
            return
        speed = transfer.progress.speed
        self.client.emit(
            ev.FileTransferChanged(
                transfer_id=transfer.transfer_id,
                direction="incoming",
                name=transfer.name,
                size=transfer.size,
                peer=transfer.sender_name,
                state=transfer.state,
                done_bytes=done,
                speed=speed,
                seconds_left=(transfer.size - done) / speed if speed > 0 else None,
                path=str(transfer.path or ""),
                message=transfer.message,
            )
        )

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
            self._on_reoffered(event)
        elif isinstance(event, (m.FileAnswered, m.FileAcked)):
            self._on_sender_event(event)
        elif isinstance(event, m.FileCancelled):
            incoming = self.incoming.get(event.transfer_id)
            if incoming is not None:
                self._fail_incoming(incoming, "cancelled", event.reason or "The transfer was cancelled.", tell=False)
            else:
                self._on_sender_event(event)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def describe(event: ev.FileTransferChanged) -> dict[str, Any]:
    """A headless/JSON line for a transfer event."""
    info: dict[str, Any] = {
        "event": f"file_{event.state}",
        "direction": event.direction,
        "name": event.name,
        "size": event.size,
        "peer": event.peer,
    }
    if event.state == "transferring":
        info["done"] = event.done_bytes
        info["speed_mb_s"] = round(event.speed / 1e6, 2)
        if event.seconds_left is not None:
            info["seconds_left"] = round(event.seconds_left, 1)
    if event.path and event.direction == "incoming":
        info["path"] = event.path
    if event.message:
        info["message"] = event.message
    return info
