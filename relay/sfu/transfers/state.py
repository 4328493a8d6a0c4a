"""The relay's file transfers as data: who sends what to whom, how far each recipient is, and how
a transfer ends (what to tell whom then: relay/sfu/transfers/outputs.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from relay.sfu.transfers.outputs import Key, Output, Tell, TellSender
from shared.protocol import messages as m


@dataclass(frozen=True)
class Person:
    """A seat as the file core sees it."""

    participant_id: str
    user_id: str
    display_name: str
    connected: bool = True


@dataclass
class Recipient:
    participant_id: str
    accepted: bool | None = None
    next: int = 0  # next chunk index the relay forwards to them
    acked: int = 0
    done: bool = False
    paused: bool = False  # their channel changed; wait for files.resume


@dataclass
class Transfer:
    transfer_id: str
    raw_id: bytes
    meeting_id: str
    sender_id: str
    sender_user_id: str
    size: int
    chunks: int
    recipients: dict[str, Recipient]
    queued: int = 0  # bytes of its frames waiting for the pacer
    # Offered again after a restart (files.reoffer): users who may still take it back.
    claimable: set[str] = field(default_factory=set)

    @property
    def sender(self) -> Key:
        return self.meeting_id, self.sender_id

    def active(self) -> list[Recipient]:
        return [r for r in self.recipients.values() if not r.done]

    def expecting(self, index: int) -> list[Recipient]:
        """Recipients who take chunk ``index`` now: accepted, not paused, and it is their next."""
        return [r for r in self.active() if r.accepted and not r.paused and index == r.next]


class TransferTable:
    """Every transfer in progress on this relay, by raw id (frames) and by id (requests)."""

    def __init__(self) -> None:
        self.transfers: dict[bytes, Transfer] = {}
        self.by_id: dict[str, Transfer] = {}

    def add(self, transfer: Transfer) -> None:
        self.transfers[transfer.raw_id] = transfer
        self.by_id[transfer.transfer_id] = transfer

    def forget(self, transfer: Transfer) -> None:
        self.transfers.pop(transfer.raw_id, None)
        self.by_id.pop(transfer.transfer_id, None)

    def queued_bytes(self) -> int:
        return sum(t.queued for t in self.transfers.values())

    @staticmethod
    def to_sender(transfer: Transfer, event: m.Event) -> TellSender:
        final = isinstance(event, m.FileCancelled) or (isinstance(event, m.FileAcked) and event.complete)
        return TellSender(transfer.sender, event, final)

    def end(self, transfer: Transfer, reason: str) -> list[Output]:
        """Stop a transfer for everyone still in it."""
        self.forget(transfer)
        event = m.FileCancelled(transfer_id=transfer.transfer_id, participant_id=transfer.sender_id, reason=reason)
        pids = [r.participant_id for r in transfer.active()] + [transfer.sender_id]
        return [Tell((transfer.meeting_id, p), event) for p in pids]

    def drop_recipient(self, transfer: Transfer, r: Recipient, reason: str) -> list[Output]:
        """One recipient is out of it (cancelled, left, too slow): they and the sender hear why."""
        r.done = True
        event = m.FileCancelled(transfer_id=transfer.transfer_id, participant_id=r.participant_id, reason=reason)
        return [
            self.to_sender(transfer, event),
            Tell((transfer.meeting_id, r.participant_id), event),
            *self.finish_if_done(transfer),
        ]

    def finish_if_done(self, transfer: Transfer) -> list[Output]:
        """Forget a transfer nobody is in any more (nor may take back after a restart)."""
        if not transfer.active() and not transfer.claimable:
            self.forget(transfer)
        return []
