"""`FileTransfers`: the relay's side of file transfer as a sans-I/O core.

Inputs: the file requests of a seated participant (publish a key, offer, offer again, answer,
acknowledge, resume, cancel), a participant's new data channel, a freed seat, and the time
``now``; chunk frames go to its pacer (relay/sfu/transfers/pacing.py). Outputs
(relay/sfu/transfers/outputs.py): events to tell participants and frames refused. A bad request
raises a ParleyError with a sentence, as every relay part does; nothing is changed then.

The relay checks that an offer is within the limits, keeps who may receive which chunk next (so a
recipient that resumes after a reconnect gets exactly what it is missing) and keeps nothing of the
file: it never sees a key or a name, only sealed chunks. No asyncio, sockets, clock or channels.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping

from relay.config import FilesConfig
from relay.sfu.transfers.outputs import Key, Output, Tell
from relay.sfu.transfers.pacing import FramePacer
from relay.sfu.transfers.state import Person, Recipient, Transfer, TransferTable
from shared.errors import BadRequest, Conflict, Forbidden, LimitExceeded, NotFound
from shared.protocol import messages as m
from shared.transfer import chunk_count, size_text, transfer_bytes

log = logging.getLogger("parley.relay.files")

MIN_CHUNK, MAX_CHUNK = 1024, 256 * 1024
MAX_MANIFEST = 8192

People = Mapping[str, Person]  # everyone seated in the meeting, by participant id


def _others(people: People, me: Person) -> list[Person]:
    """Everyone else who is connected."""
    return [p for p in people.values() if p.participant_id != me.participant_id and p.connected]


class FileTransfers:
    """Published keys, the transfers in progress (``table``) and their frames (``pacer``)."""

    def __init__(self, config: FilesConfig, now: float) -> None:
        self.config = config
        self.keys: dict[Key, str] = {}
        self.table = TransferTable()
        self.pacer = FramePacer(config, self.table, now)

    # --- keys ----------------------------------------------------------------------------------

    def publish_key(
        self, meeting_id: str, me: Person, public_key: str, people: People
    ) -> tuple[dict[str, str], list[Output]]:
        """``me`` publishes an X25519 key: everyone else hears it; returns their keys."""
        try:
            raw = base64.b64decode(public_key, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise BadRequest("The public key must be 32 bytes of X25519, in base64.")
        self.keys[(meeting_id, me.participant_id)] = public_key
        event = m.FileKeyPublished(meeting_id=meeting_id, participant_id=me.participant_id, public_key=public_key)
        keys = {
            pid: self.keys[(meeting_id, pid)]
            for pid in people
            if pid != me.participant_id and (meeting_id, pid) in self.keys
        }
        return keys, [Tell((meeting_id, p.participant_id), event) for p in _others(people, me)]

    # --- offers --------------------------------------------------------------------------------

    def offer(self, meeting_id: str, me: Person, req: m.OfferFile, people: People, now: float) -> list[Output]:
        """``me`` offers a file to ``req.to`` (or everyone else): each recipient hears of it."""
        self._check_offer(me, req, now)
        if len(req.manifest) > MAX_MANIFEST or len(req.sender_key) > 64:
            raise BadRequest("The offer's manifest or key is too large.")
        if req.to:
            targets = []
            for pid in dict.fromkeys(req.to):
                target = people.get(pid)
                if target is None or pid == me.participant_id:
                    raise NotFound("A recipient of this file is not in the meeting.")
                targets.append(target)
        else:
            targets = _others(people, me)
        if not targets:
            raise NotFound("Nobody else is in the meeting to receive the file.")
        for target in targets:
            if target.participant_id not in req.wrapped_keys:
                raise BadRequest(f"The offer has no key for {target.display_name}.")
        recipients = {t.participant_id: Recipient(t.participant_id) for t in targets}
        self._add(meeting_id, me, req, recipients=recipients)
        log.info("file transfer %s offered to %d participants", req.transfer_id, len(targets))
        return [
            Tell(
                (meeting_id, t.participant_id),
                m.FileOffered(
                    meeting_id=meeting_id,
                    transfer_id=req.transfer_id,
                    from_participant_id=me.participant_id,
                    from_name=me.display_name,
                    size=req.size,
                    chunk_size=req.chunk_size,
                    chunks=req.chunks,
                    manifest=req.manifest,
                    sender_key=req.sender_key,
                    wrapped_key=req.wrapped_keys[t.participant_id],
                ),
            )
            for t in targets
        ]

    def reoffer(self, meeting_id: str, me: Person, req: m.ReofferFile, people: People, now: float) -> list[Output]:
        """The relay restarted under an unfinished transfer: its sender (on a new seat) offers it
        again to the users who were receiving it, who take it back with files.resume."""
        self._check_offer(me, req, now)
        users = {u for u in req.to_users[:64] if isinstance(u, str) and u and u != me.user_id}
        if not users:
            raise BadRequest("Say who was receiving the file.")
        self._add(meeting_id, me, req, recipients={}, claimable=users)
        log.info("file transfer %s offered again to %d users", req.transfer_id, len(users))
        event = m.FileReoffered(
            meeting_id=meeting_id,
            transfer_id=req.transfer_id,
            from_participant_id=me.participant_id,
            from_name=me.display_name,
        )
        return [Tell((meeting_id, p.participant_id), event) for p in _others(people, me) if p.user_id in users]

    def _check_offer(self, me: Person, req: m.OfferFile | m.ReofferFile, now: float) -> None:
        """What every offer (and offer again) must meet: a new id, the size and the limits."""
        if transfer_bytes(req.transfer_id) in self.table.transfers:
            raise Conflict("A transfer with this id is already in progress.")
        size, chunk_size, chunks = req.size, req.chunk_size, req.chunks
        cfg = self.config
        if size <= 0:
            raise BadRequest("The file is empty; there is nothing to send.")
        if size > cfg.max_file_bytes:
            raise LimitExceeded(
                "max_file_bytes",
                cfg.max_file_bytes,
                f"This file is {size_text(size, binary=True)}; this server accepts files up to "
                f"{size_text(cfg.max_file_bytes, binary=True)}.",
            )
        if not MIN_CHUNK <= chunk_size <= MAX_CHUNK or chunks != chunk_count(size, chunk_size):
            raise BadRequest("The offer's chunk size or chunk count does not match the file size.")
        mine = [t for t in self.table.transfers.values() if t.sender_user_id == me.user_id]
        if len(mine) >= cfg.transfers_per_user:
            raise LimitExceeded(
                "transfers_per_user",
                cfg.transfers_per_user,
                f"You can send at most {cfg.transfers_per_user} files at once; wait for one to finish.",
            )
        bucket = self.pacer.user_bucket(me.user_id, now)
        bucket.take(now, 0)  # refill to now
        if bucket.tokens < min(chunk_size, cfg.bytes_per_minute_per_user):
            raise LimitExceeded(
                "bytes_per_minute_per_user",
                cfg.bytes_per_minute_per_user,
                f"You have sent {size_text(cfg.bytes_per_minute_per_user, binary=True)} in the last minute, the "
                f"most this server allows; try again in {max(1, round(bucket.retry_after(chunk_size)))} seconds.",
            )

    def _add(
        self,
        meeting_id: str,
        me: Person,
        req: m.OfferFile | m.ReofferFile,
        *,
        recipients: dict[str, Recipient],
        claimable: set[str] | None = None,
    ) -> Transfer:
        transfer = Transfer(
            transfer_id=req.transfer_id,
            raw_id=transfer_bytes(req.transfer_id),
            meeting_id=meeting_id,
            sender_id=me.participant_id,
            sender_user_id=me.user_id,
            size=req.size,
            chunks=req.chunks,
            recipients=recipients,
            claimable=claimable or set(),
        )
        self.table.add(transfer)
        return transfer

    # --- recipients' answers -------------------------------------------------------------------

    def _recipient(
        self, meeting_id: str, me: Person, transfer_id: str, *, claim: bool = False
    ) -> tuple[Transfer, Recipient]:
        transfer = self.table.by_id.get(transfer_id)
        if transfer is None or transfer.meeting_id != meeting_id:
            raise NotFound("This file transfer is no longer in progress.")
        r = transfer.recipients.get(me.participant_id)
        if r is None and claim and me.user_id in transfer.claimable:
            # Offered again after a restart: this seat takes back what its user was receiving.
            transfer.claimable.discard(me.user_id)
            r = transfer.recipients[me.participant_id] = Recipient(me.participant_id, accepted=True)
        if r is None:
            raise Forbidden("This file was not offered to you.")
        if r.done:
            raise NotFound("This file transfer is no longer in progress.")
        return transfer, r

    def answer(self, meeting_id: str, me: Person, req: m.AnswerFile) -> list[Output]:
        """A recipient takes the file or not; the sender hears which."""
        transfer, r = self._recipient(meeting_id, me, req.transfer_id)
        if r.accepted is not None:
            raise Conflict("You already answered this offer.")
        r.accepted = req.accept
        if not req.accept:
            r.done = True
        event = m.FileAnswered(
            transfer_id=transfer.transfer_id,
            participant_id=r.participant_id,
            accepted=req.accept,
            reason=req.reason[:300],
        )
        return [self.table.to_sender(transfer, event), *self.table.finish_if_done(transfer)]

    def ack(self, meeting_id: str, me: Person, req: m.AckFile) -> list[Output]:
        """A recipient has written ``req.received`` chunks (all of them when complete)."""
        transfer, r = self._recipient(meeting_id, me, req.transfer_id)
        if not r.accepted or not r.acked <= req.received <= r.next:
            raise BadRequest("This acknowledgement does not match what was forwarded.")
        if req.complete and req.received != transfer.chunks:
            raise BadRequest("A transfer is complete only when every chunk arrived.")
        r.acked = req.received
        r.done = req.complete
        event = m.FileAcked(
            transfer_id=transfer.transfer_id,
            participant_id=r.participant_id,
            received=req.received,
            complete=req.complete,
        )
        return [self.table.to_sender(transfer, event), *self.table.finish_if_done(transfer)]

    def resume(self, meeting_id: str, me: Person, req: m.ResumeFile) -> list[Output]:
        """A recipient on a new channel (or a new seat, after a restart) goes on from chunk
        ``req.received``; all of them means the whole file arrived and only the acknowledgement
        was lost."""
        transfer, r = self._recipient(meeting_id, me, req.transfer_id, claim=True)
        if not r.accepted or not 0 <= req.received <= transfer.chunks:
            raise BadRequest("There is nothing to resume at that position.")
        complete = req.received == transfer.chunks
        r.next = r.acked = req.received
        r.paused, r.done = False, complete
        event = m.FileAcked(
            transfer_id=transfer.transfer_id,
            participant_id=r.participant_id,
            received=req.received,
            complete=complete,
            resume=True,
        )
        return [self.table.to_sender(transfer, event), *(self.table.finish_if_done(transfer) if complete else [])]

    def cancel(self, meeting_id: str, me: Person, req: m.CancelFile) -> list[Output]:
        """The sender stops the transfer for everyone; a recipient stops it for themselves."""
        transfer = self.table.by_id.get(req.transfer_id)
        if transfer is None or transfer.meeting_id != meeting_id:
            raise NotFound("This file transfer is no longer in progress.")
        reason = req.reason[:300] or f"{me.display_name} cancelled the transfer."
        if transfer.sender_id == me.participant_id:
            return self.table.end(transfer, reason)
        _, r = self._recipient(meeting_id, me, req.transfer_id)
        return self.table.drop_recipient(transfer, r, reason)

    # --- channels and seats --------------------------------------------------------------------

    def channel_opened(self, key: Key) -> list[Output]:
        """``key``'s publish connection brought a (new) data channel."""
        outputs: list[Output] = []
        for transfer in self.table.transfers.values():
            if transfer.sender == key:
                # The sender is back on a new connection and may have missed acknowledgements
                # while it was away: tell it where each recipient stands, so it sends from there.
                for waiting in transfer.active():
                    if waiting.accepted:
                        event = m.FileAcked(
                            transfer_id=transfer.transfer_id,
                            participant_id=waiting.participant_id,
                            received=waiting.acked,
                            resume=True,
                        )
                        outputs.append(self.table.to_sender(transfer, event))
            r = transfer.recipients.get(key[1])
            if transfer.meeting_id == key[0] and r is not None and r.accepted and not r.done and r.next > 0:
                # A new connection (the old one may be closed already): what was forwarded on the
                # old one may be lost, so nothing flows until they say where to resume.
                r.paused = True
        return outputs

    def seat_freed(self, meeting_id: str, participant_id: str) -> list[Output]:
        """Someone left (or their reconnect grace ran out): their transfers stop."""
        self.keys.pop((meeting_id, participant_id), None)
        outputs: list[Output] = []
        for transfer in list(self.table.transfers.values()):
            if transfer.meeting_id != meeting_id:
                continue
            if transfer.sender_id == participant_id:
                outputs += self.table.end(transfer, "The sender left the meeting; the transfer stopped.")
            elif participant_id in transfer.recipients and not transfer.recipients[participant_id].done:
                transfer.recipients[participant_id].done = True
                event = m.FileCancelled(
                    transfer_id=transfer.transfer_id,
                    participant_id=participant_id,
                    reason="The recipient left the meeting.",
                )
                outputs += [self.table.to_sender(transfer, event), *self.table.finish_if_done(transfer)]
        return outputs
