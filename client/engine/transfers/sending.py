"""`Outgoing`: one file this participant sends, as a sans-I/O state machine.

Inputs: the relay's answers, acknowledgements and cancels (`handle`), the chunks the shell read
from disk (`seal`, `sent`), "nothing was acknowledged for a while" (`stalled`), "we are on a new
seat" (`seat_lost`), our own cancel or a failure (`cancel`, `abort`), the outcomes of the requests
it asked for, and the time ``now``. Outputs (client.engine.transfers.outputs): requests for the
relay, progress events, wake-ups for the sending loop, the end.

It decides which chunk goes next: at most ``window`` chunks beyond the slowest acknowledgement of
the recipients who accepted, from the first chunk again for a recipient who accepts late and from
where the relay says a recipient stands after a reconnect. No asyncio, sockets, clock or disk here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from client.engine import events as ev
from client.engine.transfers.outputs import After, Ask, Emit, Failure, Output, Settled, Wake
from client.engine.transfers.progress import Progress
from shared import e2e
from shared.errors import NotFound, ParleyError
from shared.protocol import messages as m
from shared.transfer import chunk_count, chunk_length

ACTIVE = ("waiting", "transferring")

SenderEvent = m.FileAnswered | m.FileAcked | m.FileCancelled


class SourceChanged(Exception):
    """The file changed on disk while it was being sent; the message says so to people."""


@dataclass
class Recipient:
    participant_id: str
    name: str
    user_id: str = ""
    state: str = "offered"  # offered, accepted, complete, declined, cancelled
    acked: int = 0
    reason: str = ""
    # False after the relay restarted, until their new seat takes the transfer back (files.resume).
    claimed: bool = True


def choose_recipients(
    to: list[str] | None, me: str | None, present: list[str], keys: Mapping[str, bytes], name_of: Mapping[str, str]
) -> list[str]:
    """Who gets the file: ``to`` (participant ids), or everyone ``present`` but us. Everyone named
    must have published a key; ParleyError with a sentence otherwise, or when nobody can receive."""
    targets = list(to) if to else [pid for pid in present if pid != me]
    missing = [pid for pid in targets if pid not in keys]
    if to and missing:
        raise ParleyError(
            f"{', '.join(name_of.get(p, p) for p in missing)} cannot receive files yet (no encryption key)."
        )
    targets = [pid for pid in targets if pid in keys]
    if not targets:
        raise NotFound("Nobody else in the meeting can receive files right now.")
    return targets


class Outgoing:
    """A file offered to some participants, sent in sealed chunks over our data channel."""

    def __init__(
        self,
        *,
        transfer_id: str,
        path: Path,
        size: int,
        chunk_size: int,
        key: bytes,
        stat: tuple[int, int],
        recipients: dict[str, Recipient],
        now: float,
    ) -> None:
        self.transfer_id = transfer_id
        self.raw_id = bytes.fromhex(transfer_id)
        self.path = path
        self.name = path.name
        self.size = size
        self.chunk_size = chunk_size
        self.chunks = chunk_count(size, chunk_size)
        self.key = key
        self.stat = stat  # (size, mtime in ns) when offered: the file must not change under us
        self.recipients = recipients
        self.state = "waiting"  # waiting, transferring, complete, declined, cancelled, failed
        self.message = ""
        self.cursor = 0  # the next chunk to send
        self.progress = Progress(now)

    @classmethod
    def offer(
        cls,
        *,
        path: Path,
        stat: tuple[int, int],
        sha256: str,
        chunk_size: int,
        keys: Mapping[str, bytes],
        recipients: list[Recipient],
        now: float,
        transfer_id: str | None = None,
    ) -> tuple[Outgoing, m.OfferFile]:
        """A new transfer of ``path`` and the offer that announces it: a fresh file key, wrapped
        for each recipient's published key, and the name, size and SHA-256 sealed under it."""
        transfer_id = transfer_id or secrets.token_hex(16)
        size = stat[0]
        key = e2e.new_file_key()
        ephemeral, ephemeral_public = e2e.ephemeral_key()
        manifest = json.dumps({"name": path.name, "size": size, "sha256": sha256}).encode()
        targets = [r.participant_id for r in recipients]
        wrapped = {pid: e2e.wrap_key(key, ephemeral, keys[pid], transfer_id, pid) for pid in targets}
        transfer = cls(
            transfer_id=transfer_id,
            path=path,
            size=size,
            chunk_size=chunk_size,
            key=key,
            stat=stat,
            recipients={r.participant_id: r for r in recipients},
            now=now,
        )
        request = m.OfferFile(
            id=0,
            transfer_id=transfer_id,
            size=size,
            chunk_size=chunk_size,
            chunks=transfer.chunks,
            manifest=e2e.seal_manifest(key, transfer_id, manifest),
            sender_key=e2e.b64(ephemeral_public),
            wrapped_keys=wrapped,
            to=targets,
        )
        return transfer, request

    # --- state ---------------------------------------------------------------------------------

    @property
    def over(self) -> bool:
        return self.state not in ACTIVE

    def active(self) -> list[Recipient]:
        """Recipients still in it (not yet complete, declined or cancelled)."""
        return [r for r in self.recipients.values() if r.state in ("offered", "accepted")]

    def _floor(self) -> tuple[list[Recipient], int]:
        accepted = [r for r in self.active() if r.state == "accepted" and r.claimed]
        return accepted, min((r.acked for r in accepted), default=0)

    # --- chunks --------------------------------------------------------------------------------

    def next_chunk(self, window: int) -> int | None:
        """The chunk to send now, or None: nobody takes chunks yet, all were sent, or ``window``
        chunks are in flight beyond the slowest acknowledgement."""
        accepted, floor = self._floor()
        if accepted and self.cursor < self.chunks and self.cursor < floor + window:
            return self.cursor
        return None

    def stalled(self) -> None:
        """Nothing was acknowledged for a while: what was in flight was lost (a channel closed under
        it); the relay forwards each recipient only the chunk it needs next, so sending again from
        the slowest acknowledgement is safe."""
        accepted, floor = self._floor()
        if accepted and self.cursor > floor:
            self.cursor = floor

    def check_source(self, stat: tuple[int, int]) -> None:
        """SourceChanged when the file's size or modification time (``stat``) is not as offered."""
        if stat != self.stat:
            raise SourceChanged(f"{self.name} changed while it was being sent; send it again.")

    def seal(self, index: int, plain: bytes) -> bytes:
        """Chunk ``index`` sealed for the recipients; SourceChanged when ``plain`` (read from disk)
        is not as long as that chunk must be."""
        if len(plain) != chunk_length(self.size, self.chunk_size, index):
            raise SourceChanged(f"{self.name} changed while it was being sent; send it again.")
        return e2e.seal_chunk(self.key, self.transfer_id, index, plain)

    def frame(self, index: int, sealed: bytes) -> bytes:
        """The data-channel frame that carries a sealed chunk (shared.e2e)."""
        return e2e.chunk_frame(self.raw_id, index, sealed)

    def sent(self, index: int) -> None:
        """Chunk ``index`` is on its way."""
        self.cursor = index + 1

    # --- the relay's news ----------------------------------------------------------------------

    def handle(self, event: SenderEvent, now: float, *, me: str | None, user_id: str = "") -> list[Output]:
        """A recipient answered, acknowledged or dropped out, or the relay stopped the transfer
        (cancelled with our own participant id). ``user_id`` is the user of the participant the
        event names: after a relay restart their new seat takes the transfer back."""
        if self.over:
            return []
        r = self.recipients.get(event.participant_id)
        if isinstance(event, m.FileCancelled) and event.participant_id == me:
            self.state, self.message = "failed", event.reason
            for other in self.active():
                other.state = "cancelled"
            return self.finish(now)
        if r is None and isinstance(event, m.FileAcked) and event.resume:
            r = self._claimed_by(event.participant_id, user_id)
        if r is None:
            return []
        if isinstance(event, m.FileAnswered):
            r.state = "accepted" if event.accepted else "declined"
            r.reason = event.reason or ("" if event.accepted else "declined")
            if event.accepted:
                self.state = "transferring"
                self.cursor = 0  # the relay forwards them everything from the first chunk
        elif isinstance(event, m.FileAcked):
            r.acked = event.received
            if event.resume:
                self.cursor = min(self.cursor, event.received)
            if event.complete:
                r.state = "complete"
        else:
            r.state = "cancelled"
            r.reason = event.reason
        if not self.active():
            return [Wake(self.transfer_id), *self.finish(now)]
        return [Wake(self.transfer_id), *self.progress_event(now)]

    def _claimed_by(self, participant_id: str, user_id: str) -> Recipient | None:
        """A recipient's new seat took the transfer back after the relay restarted."""
        r = next((r for r in self.active() if not r.claimed and r.user_id and r.user_id == user_id), None)
        if r is None:
            return None
        del self.recipients[r.participant_id]
        r.participant_id, r.claimed = participant_id, True
        self.recipients[participant_id] = r
        if all(x.claimed for x in self.active()):
            self.message = ""
        return r

    # --- ending --------------------------------------------------------------------------------

    def cancel(self, reason: str, now: float) -> list[Output]:
        """We cancel the whole offer: the relay is told, then the transfer ends."""
        if self.over:
            return []
        self.state, self.message = "cancelled", reason or "You cancelled the transfer."
        for r in self.active():
            r.state = "cancelled"
        return [Ask(m.CancelFile(id=0, transfer_id=self.transfer_id, reason=reason), self._finish_after)]

    def abort(self, message: str) -> list[Output]:
        """Sending failed (``message`` says why): the relay is told, then the transfer ends."""
        if self.over:
            return []
        self.state, self.message = "failed", message
        for r in self.active():
            r.state = "cancelled"
        return [Ask(m.CancelFile(id=0, transfer_id=self.transfer_id, reason=message), self._finish_after)]

    def _finish_after(self, _error: Failure | None, now: float) -> list[Output]:
        return self.finish(now)

    def finish(self, now: float) -> list[Output]:
        """The end: complete when anyone got the file, naming who did not and why."""
        if not self.over:
            complete = [r for r in self.recipients.values() if r.state == "complete"]
            if complete:
                self.state = "complete"
                others = [r for r in self.recipients.values() if r.state != "complete"]
                self.message = f"{self.name} was delivered to {', '.join(r.name for r in complete)}."
                if others:
                    self.message += " Not delivered to " + ", ".join(
                        f"{r.name} ({r.reason or r.state})" for r in others
                    )
            else:
                reasons = "; ".join(f"{r.name}: {r.reason or r.state}" for r in self.recipients.values())
                declined = all(r.state == "declined" for r in self.recipients.values())
                self.state = "declined" if declined else "failed"
                self.message = f"{self.name} was not delivered ({reasons})."
        return [Wake(self.transfer_id), Settled(self.transfer_id), *self.progress_event(now, force=True)]

    # --- after a relay restart -----------------------------------------------------------------

    def seat_lost(self, now: float, resume_wait: float) -> list[Output]:
        """We are on a new seat: the relay forgot the transfer. Offer it again to the users who were
        receiving it; whoever has not taken it back within ``resume_wait`` seconds is dropped. An
        offer nobody had answered is gone with the old relay."""
        if self.over:
            return []
        for r in self.active():
            if r.state == "offered":
                r.state, r.reason = "cancelled", "the offer was lost when the server restarted"
            else:
                r.claimed = False
        if not self.active():
            return self.finish(now)  # failed, naming why for each recipient
        self.message = "Reconnected to the server; waiting for the recipients to take the file back."
        request = m.ReofferFile(
            id=0,
            transfer_id=self.transfer_id,
            size=self.size,
            chunk_size=self.chunk_size,
            chunks=self.chunks,
            to_users=[r.user_id for r in self.active() if r.user_id],
        )

        def reoffered(error: Failure | None, now: float) -> list[Output]:
            if error is not None:
                return self.abort(f"{self.name} could not be offered again after the server restarted: {error}")
            return [*self.progress_event(now, force=True), After(resume_wait, self._resume_wait_over)]

        return [Wake(self.transfer_id), Ask(request, reoffered)]

    def _resume_wait_over(self, now: float) -> list[Output]:
        if self.over:
            return []
        for r in self.active():
            if not r.claimed:
                r.state, r.reason = "cancelled", "did not take the file back after reconnecting"
        if not self.active():
            finished = self.finish(now)  # first: the relay's answer to the cancel is then old news
            return [*finished, Ask(m.CancelFile(id=0, transfer_id=self.transfer_id, reason=self.message))]
        return [Wake(self.transfer_id), *self.progress_event(now, force=True)]

    # --- progress ------------------------------------------------------------------------------

    def progress_event(self, now: float, force: bool = False) -> list[Output]:
        """A progress event, unless one went out less than PROGRESS_INTERVAL ago (``force``: always)."""
        accepted = [r for r in self.recipients.values() if r.state in ("accepted", "complete")]
        done_chunks = min((r.acked for r in accepted), default=0)
        done = min(self.size, done_chunks * self.chunk_size)
        if all(r.state == "complete" for r in accepted) and accepted:
            done = self.size
        if not self.progress.due(done, now, force):
            return []
        return [
            Emit(
                ev.FileTransferChanged(
                    transfer_id=self.transfer_id,
                    direction="outgoing",
                    name=self.name,
                    size=self.size,
                    peer=", ".join(r.name for r in self.recipients.values()),
                    state=self.state,
                    done_bytes=done,
                    speed=self.progress.speed,
                    seconds_left=self.progress.seconds_left(self.size - done),
                    path=str(self.path),
                    message=self.message,
                )
            )
        ]
