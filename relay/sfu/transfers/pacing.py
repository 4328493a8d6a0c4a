"""`FramePacer`: chunk frames in from senders, out to recipients, within the relay's budgets.

A frame is taken when it belongs to a transfer its channel's participant offered, and waits in its
sending user's queue (the relay holds at most MAX_QUEUED_BYTES_PER_TRANSFER of one transfer
before it decides the sender ignores flow control). Rounds go over the queues: each user's next
frame goes when both their ``bytes_per_minute_per_user`` budget and the relay's
``relay_bytes_per_second`` allow it, to each recipient who expects that chunk next. Time is passed
in; the shell runs the rounds, yields the event loop between them and sends on the channels.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass

from relay.config import FilesConfig
from relay.ratelimit import TokenBucket
from relay.sfu.transfers.outputs import Dropped, Key, Output, Queued
from relay.sfu.transfers.state import Recipient, Transfer, TransferTable
from shared.e2e import FRAME_CHUNK
from shared.transfer import chunk_header

# Frames of one transfer the relay holds before it decides the sender ignores flow control.
MAX_QUEUED_BYTES_PER_TRANSFER = 32 * 1024 * 1024


@dataclass(frozen=True)
class Forward:
    """Chunk ``index`` of ``transfer`` (the frame ``data``) goes to each of ``to`` now."""

    transfer: Transfer
    index: int
    data: bytes
    to: list[Recipient]


class Round:
    """What one round did: ``progressed`` when a frame left a queue; ``retry_after`` seconds until
    a budget allows more, when nothing could go."""

    def __init__(self) -> None:
        self.progressed = False
        self.retry_after = 1.0


class FramePacer:
    """Per-user queues of frames waiting to be forwarded, and the budgets they go out within."""

    def __init__(self, config: FilesConfig, table: TransferTable, now: float) -> None:
        self.config = config
        self.table = table
        self.relay_bucket = TokenBucket(config.relay_bytes_per_second, config.relay_bytes_per_second, now)
        self._user_buckets: dict[str, TokenBucket] = {}
        self._queues: dict[str, collections.deque[tuple[Transfer, int, bytes]]] = {}

    def user_bucket(self, user_id: str, now: float) -> TokenBucket:
        """The budget of what ``user_id`` may send (offers are checked against it too)."""
        bucket = self._user_buckets.get(user_id)
        if bucket is None:
            per_minute = self.config.bytes_per_minute_per_user
            bucket = self._user_buckets[user_id] = TokenBucket(per_minute / 60.0, per_minute, now)
        return bucket

    def frame_received(self, key: Key, data: object) -> list[Output]:
        """A frame arrived on the data channel of ``key`` (meeting id, participant id)."""
        if not isinstance(data, bytes) or (header := chunk_header(data)) is None:
            return [Dropped("malformed")]
        kind, raw_id, index = header
        transfer = self.table.transfers.get(raw_id)
        if kind != FRAME_CHUNK or transfer is None:
            return [Dropped("unknown_transfer")]
        if transfer.sender != key or index >= transfer.chunks:
            return [Dropped("not_sender")]
        if transfer.queued + len(data) > MAX_QUEUED_BYTES_PER_TRANSFER:
            reason = "The sender sent faster than the server allows; the transfer stopped."
            return [Dropped("overflow"), *self.table.end(transfer, reason)]
        transfer.queued += len(data)
        self._queues.setdefault(transfer.sender_user_id, collections.deque()).append((transfer, index, data))
        return [Queued()]

    def waiting(self) -> bool:
        """Whether any frame waits."""
        return any(self._queues.values())

    def round(self, now: float, result: Round) -> Iterator[Forward]:
        """One round, round-robin by sending user: at most each user's next frame, when the
        budgets allow it. Lazy: each frame is decided as it is asked for, so what happens between
        two frames (a recipient resuming, a transfer ending) counts; ``result`` says how it went."""
        for user_id, queue in list(self._queues.items()):
            if not queue:
                del self._queues[user_id]
                continue
            transfer, index, data = queue[0]
            if transfer.raw_id not in self.table.transfers:
                queue.popleft()
                result.progressed = True
                continue
            bucket = self.user_bucket(user_id, now)
            if not bucket.take(now, len(data)):
                result.retry_after = min(result.retry_after, bucket.retry_after(len(data)))
                continue
            if not self.relay_bucket.take(now, len(data)):
                bucket.tokens += len(data)  # not spent after all
                result.retry_after = min(result.retry_after, self.relay_bucket.retry_after(len(data)))
                continue
            queue.popleft()
            transfer.queued -= len(data)
            result.progressed = True
            yield Forward(transfer, index, data, transfer.expecting(index))

    @staticmethod
    def forwarded(r: Recipient) -> None:
        """The frame went into ``r``'s channel: the next chunk is theirs next."""
        r.next += 1
