"""`Incoming`: one file offered to this participant, as a sans-I/O state machine.

Inputs: the offer (`receive_offer`), our answer (`accepted`, `decline`), the chunk frames that
arrive on our data channel (`chunk_received`) and what became of writing them (`chunk_written`,
`write_failed`, `saved`, `save_failed`), the relay's cancel and offer-again, a new channel or seat,
the outcomes of the requests it asked for, and the time ``now``. Outputs
(client.engine.transfers.outputs): disk actions on the partial file, acknowledgements and other
requests for the relay, progress events, the end.

Every chunk must come in order, open under the file key at its index and have the right length;
one acknowledgement is in flight at a time (always the newest count, one per ``ACK_EVERY``
chunks); the SHA-256 of everything written must match the sealed manifest before the file is
saved under its final name. No asyncio, sockets, clock or disk here.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
from pathlib import Path

from client.engine import events as ev
from client.engine.transfers.outputs import (
    After,
    Ask,
    Discard,
    Emit,
    Failure,
    Output,
    Resume,
    Save,
    Settled,
    Write,
)
from client.engine.transfers.progress import Progress
from shared import e2e
from shared.errors import Forbidden, NotFound
from shared.filenames import sanitize_filename
from shared.protocol import messages as m
from shared.transfer import chunk_length, size_text

log = logging.getLogger("parley.files")

ACK_EVERY = 4  # an acknowledgement per ~1 MiB received
FINAL = ("complete", "failed", "cancelled", "declined")


class Incoming:
    """A file someone offered us: offered, then transferring, then complete (or not)."""

    def __init__(
        self,
        *,
        transfer_id: str,
        sender_id: str,
        sender_name: str,
        name: str,
        size: int,
        chunk_size: int,
        chunks: int,
        sha256: str,
        key: bytes,
        now: float,
    ) -> None:
        self.transfer_id = transfer_id
        self.sender_id = sender_id
        self.sender_name = sender_name
        self.name = name
        self.size = size
        self.chunk_size = chunk_size
        self.chunks = chunks
        self.sha256 = sha256
        self.key = key
        self.state = "offered"  # offered, transferring, complete, declined, cancelled, failed
        self.message = ""
        self.folder: Path | None = None
        self.temp_path: Path | None = None
        self.path: Path | None = None
        self.hasher = hashlib.sha256()
        self.received = 0  # chunks written
        self.acked = 0  # chunks the relay heard we have
        self.resume_needed = False  # a new channel: nothing is taken until the relay is told where we are
        # The relay restarted: the sender must offer it again (files.reoffered) before it can resume.
        self.awaiting_reoffer = False
        self.reoffered_early = False  # files.reoffered arrived before we noticed our new seat
        self.final_ack_pending = False  # complete here, but the relay never heard it (connection lost)
        self.progress = Progress(now)
        self._ack_in_flight = False
        self._ack_wanted = False

    # --- answering the offer -------------------------------------------------------------------

    def lacks_space(self, folder: Path, free: int) -> str | None:
        """Why ``folder``, with ``free`` bytes free, cannot take the file; None when it can."""
        if free >= self.size:
            return None
        return (
            f"There is not enough free space in {folder} for {self.name} "
            f"({size_text(self.size)} needed, {size_text(free)} free)."
        )

    def part_path(self, folder: Path) -> Path:
        """Where the file is written until it is whole and checked (a hidden name in ``folder``)."""
        return folder / f".{self.name[:60]}.{self.transfer_id[:8]}.parley-part"

    def accepted(self, folder: Path, temp_path: Path, now: float) -> None:
        """We take it into ``folder``; the shell opened ``temp_path`` for writing."""
        self.folder, self.temp_path = folder, temp_path
        self.state = "transferring"
        self.progress = Progress(now)

    def answer_yes(self) -> list[Output]:
        """Tell the relay we take it (once our channel is open: it forwards chunks only there)."""
        return [Ask(m.AnswerFile(id=0, transfer_id=self.transfer_id, accept=True, reason=""), self._said)]

    def decline(self, reason: str) -> list[Output]:
        """We do not take it; ``reason`` is shown to the sender."""
        self.state, self.message = "declined", reason
        answer = m.AnswerFile(id=0, transfer_id=self.transfer_id, accept=False, reason=reason)
        return [Settled(self.transfer_id), Ask(answer, self._said)]

    def _said(self, _error: Failure | None, now: float) -> list[Output]:
        return self.progress_event(now, force=True)

    # --- chunks --------------------------------------------------------------------------------

    def chunk_received(self, index: int, sealed: bytes, now: float) -> list[Output]:
        """A chunk frame for this transfer arrived: write it when it is the next one and intact."""
        if self.state != "transferring" or self.resume_needed:
            return []
        if index != self.received:
            what = "repeated" if index < self.received else "missing"
            return self.fail("failed", f"A piece of {self.name} was {what} on the way; the transfer was stopped.", now)
        try:
            plain = e2e.open_chunk(self.key, self.transfer_id, index, sealed)
        except e2e.DecryptionFailed:
            return self.fail("failed", f"A piece of {self.name} was altered on the way; the transfer was stopped.", now)
        if len(plain) != chunk_length(self.size, self.chunk_size, index):
            return self.fail("failed", f"A piece of {self.name} has the wrong size; it was stopped.", now)
        return [Write(self.transfer_id, plain)]

    def chunk_written(self, data: bytes, now: float) -> list[Output]:
        """The chunk ``data`` is in the partial file: count it, acknowledge, check the whole."""
        self.hasher.update(data)
        self.received += 1
        if self.received == self.chunks:
            return self._complete(now)
        acks = self._want_ack() if self.received - self.acked >= ACK_EVERY else []
        return [*acks, *self.progress_event(now)]

    def write_failed(self, exc: OSError, now: float) -> list[Output]:
        if exc.errno == errno.ENOSPC:
            return self.fail("failed", f"Your disk is full; {self.name} could not be saved.", now)
        return self.fail("failed", f"{self.name} could not be saved ({exc.strerror or exc}).", now)

    def _complete(self, now: float) -> list[Output]:
        if self.hasher.hexdigest() != self.sha256:
            message = f"{self.name} arrived different from what was sent (SHA-256 mismatch); it was discarded."
            return self.fail("failed", message, now)
        assert self.temp_path is not None and self.folder is not None
        return [Save(self.transfer_id, self.temp_path, self.folder, self.name)]

    def saved(self, path: Path, now: float) -> list[Output]:
        """The whole file is on disk as ``path``."""
        self.path = path
        self.state = "complete"
        self.message = f"{self.name} from {self.sender_name} was saved as {path}."
        return [*self._want_ack(), *self.progress_event(now, force=True)]

    def save_failed(self, exc: OSError, now: float) -> list[Output]:
        return self.fail("failed", f"{self.name} could not be saved ({exc.strerror or exc}).", now)

    # --- acknowledgements ----------------------------------------------------------------------

    def _want_ack(self) -> list[Output]:
        """One acknowledgement in flight at a time, always the newest count."""
        if self._ack_in_flight:
            self._ack_wanted = True
            return []
        self._ack_wanted = False
        if self.state not in ("transferring", "complete") or self.resume_needed:
            return []
        received, complete = self.received, self.state == "complete"
        self._ack_in_flight = True

        def acked(error: Failure | None, _now: float) -> list[Output]:
            self._ack_in_flight = False
            if error is not None:
                log.info("acknowledgement of %s failed: %s", self.transfer_id, error)
                if complete and not isinstance(error, (NotFound, Forbidden)):
                    self.final_ack_pending = True  # said again once we are back (_final_ack)
            self.acked = received
            if complete:
                return [Settled(self.transfer_id)]
            return self._want_ack() if self._ack_wanted else []

        request = m.AckFile(id=0, transfer_id=self.transfer_id, received=received, complete=complete)
        return [Ask(request, acked)]

    def _final_ack(self, *, claim: bool) -> list[Output]:
        """Tell the relay (and so the sender) that a file we saved arrived whole, after the
        acknowledgement was lost with the connection. On the same seat that is the ordinary
        acknowledgement; on a new seat (``claim``) it takes the re-offered transfer back at its end."""
        request: m.Request
        if claim:
            request = m.ResumeFile(id=0, transfer_id=self.transfer_id, received=self.chunks)
        else:
            request = m.AckFile(id=0, transfer_id=self.transfer_id, received=self.chunks, complete=True)

        def said(error: Failure | None, _now: float) -> list[Output]:
            if error is not None:
                log.info("final acknowledgement of %s not delivered: %s", self.transfer_id, error)
            else:
                self.final_ack_pending = False
            return []

        return [Ask(request, said)]

    # --- new channels, new seats ---------------------------------------------------------------

    def reattached(self) -> None:
        """We continue on a new connection: resume from the last chunk written."""
        if self.state == "transferring":
            self.resume_needed = True

    def channel_changed(self) -> list[Output]:
        """A new data channel (reconnect, media restart): what was in flight on the old one is lost.
        Resume from what we wrote; say a lost final acknowledgement again."""
        if self.state == "transferring":
            self.resume_needed = True
        elif self.final_ack_pending and not self.awaiting_reoffer:
            return self._final_ack(claim=False)
        return []

    def resume(self, now: float) -> list[Output]:
        """Our channel is open: ask the relay to go on from what we wrote (when this one needs it).
        Chunks flow as soon as the relay has the request, so they are taken from now on."""
        if not self.resume_needed or self.state != "transferring":
            return []
        self.resume_needed = False
        if self.awaiting_reoffer:
            self.resume_needed = True  # once the sender offered it again (reoffered)
            return []

        def resumed(error: Failure | None, now: float) -> list[Output]:
            if error is not None:
                return self.fail("failed", f"{self.name} could not be resumed: {error}", now, tell=False)
            self.acked = self.received
            return self.progress_event(now, force=True)

        return [Ask(m.ResumeFile(id=0, transfer_id=self.transfer_id, received=self.received), resumed)]

    def seat_lost(self, now: float, resume_wait: float) -> list[Output]:
        """We are on a new seat: the relay restarted and forgot the transfer. Its sender's app
        offers it again; we wait for that (at most ``resume_wait`` seconds), then resume."""
        if self.state == "offered":
            message = f"The offer was lost when the server restarted; ask {self.sender_name} to send {self.name} again."
            return self.fail("failed", message, now, tell=False)
        if self.state == "complete" and self.final_ack_pending:
            # Saved, but the sender never heard: tell it through the re-offered transfer.
            if self.reoffered_early:
                self.reoffered_early = False
                return self._final_ack(claim=True)
            self.awaiting_reoffer = True
        elif self.state == "transferring" and self.reoffered_early:
            self.reoffered_early = False
            self.resume_needed = True  # resumed on the new channel like any reconnect
        elif self.state == "transferring":
            self.awaiting_reoffer = self.resume_needed = True
            self.message = f"Reconnected to the server; waiting for {self.sender_name} to go on."
            return [*self.progress_event(now, force=True), After(resume_wait, self._give_up_waiting)]
        return []

    def _give_up_waiting(self, now: float) -> list[Output]:
        if not (self.awaiting_reoffer and self.state == "transferring"):
            return []
        message = (
            f"{self.sender_name} did not go on with the transfer after reconnecting; ask them to "
            f"send {self.name} again."
        )
        return self.fail("failed", message, now, tell=False)

    def reoffered(self, event: m.FileReoffered) -> list[Output]:
        """The sender, back on a new seat after a relay restart, offered the transfer again."""
        waiting_ack = self.state == "complete" and self.final_ack_pending
        if self.state != "transferring" and not waiting_ack:
            return []
        self.sender_id, self.sender_name = event.from_participant_id, event.from_name
        if not self.awaiting_reoffer:
            # The sender was quicker than our own media restart: resume once we see our new seat.
            self.reoffered_early = True
            return []
        self.awaiting_reoffer = False
        if waiting_ack:
            return self._final_ack(claim=True)
        self.resume_needed = True
        self.message = ""
        return [Resume()]

    # --- ending --------------------------------------------------------------------------------

    def fail(self, state: str, message: str, now: float, *, tell: bool = True) -> list[Output]:
        """End it as ``state`` (failed or cancelled) with ``message``: the partial file goes, and
        (``tell``) the relay hears it, as a declined offer or a cancelled transfer."""
        if self.state in FINAL:
            return []
        was_offered = self.state == "offered"
        self.state, self.message = state, message
        outputs: list[Output] = [Discard(self.transfer_id, self.temp_path), Settled(self.transfer_id)]
        if tell:
            request: m.Request
            if was_offered:
                request = m.AnswerFile(id=0, transfer_id=self.transfer_id, accept=False, reason=message)
            else:
                request = m.CancelFile(id=0, transfer_id=self.transfer_id, reason=message)
            outputs.append(Ask(request))
        return [*outputs, *self.progress_event(now, force=True)]

    def cancel(self, reason: str, now: float) -> list[Output]:
        """We cancel it; the relay tells the sender."""
        return self.fail("cancelled", reason or "You cancelled the transfer.", now)

    def cancelled(self, event: m.FileCancelled, now: float) -> list[Output]:
        """The sender (or the relay) cancelled it."""
        return self.fail("cancelled", event.reason or "The transfer was cancelled.", now, tell=False)

    def left(self, now: float) -> list[Output]:
        """We are leaving the meeting before it arrived."""
        return self.fail("cancelled", "You left the meeting before the file arrived.", now, tell=False)

    # --- progress ------------------------------------------------------------------------------

    def progress_event(self, now: float, force: bool = False) -> list[Output]:
        """A progress event, unless one went out less than PROGRESS_INTERVAL ago (``force``: always)."""
        done = self.size if self.state == "complete" else min(self.size, self.received * self.chunk_size)
        if not self.progress.due(done, now, force):
            return []
        return [
            Emit(
                ev.FileTransferChanged(
                    transfer_id=self.transfer_id,
                    direction="incoming",
                    name=self.name,
                    size=self.size,
                    peer=self.sender_name,
                    state=self.state,
                    done_bytes=done,
                    speed=self.progress.speed,
                    seconds_left=self.progress.seconds_left(self.size - done),
                    path=str(self.path or ""),
                    message=self.message,
                )
            )
        ]


def receive_offer(
    offer: m.FileOffered, keypair: e2e.KeyPair, me: str, now: float
) -> tuple[Incoming | None, list[Output]]:
    """The incoming transfer an offer announces (its key unwrapped with ``keypair``, its manifest
    opened) and its first event; or None and a refusal when it cannot be opened by us."""
    try:
        key = e2e.unwrap_key(offer.wrapped_key, keypair, e2e.unb64(offer.sender_key), offer.transfer_id, me)
        manifest = json.loads(e2e.open_manifest(key, offer.transfer_id, offer.manifest))
        name, size, digest = str(manifest["name"]), int(manifest["size"]), str(manifest["sha256"])
        if size != offer.size or len(digest) != 64:
            raise ValueError("manifest does not match the offer")
    except (e2e.DecryptionFailed, ValueError, KeyError, TypeError):
        refusal = m.AnswerFile(
            id=0, transfer_id=offer.transfer_id, accept=False, reason="The file could not be decrypted."
        )
        return None, [Ask(refusal)]
    transfer = Incoming(
        transfer_id=offer.transfer_id,
        sender_id=offer.from_participant_id,
        sender_name=offer.from_name,
        name=sanitize_filename(name),
        size=offer.size,
        chunk_size=offer.chunk_size,
        chunks=offer.chunks,
        sha256=digest,
        key=key,
        now=now,
    )
    return transfer, transfer.progress_event(now, force=True)
