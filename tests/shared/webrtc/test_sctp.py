"""The hooks on aiortc's private SCTP internals (shared/webrtc/sctp.py): delayed SACKs, larger
bursts, byte counting in slow start, cheaper reassembly, bigger socket buffers."""

from __future__ import annotations

import asyncio
import os

import pytest
from aiortc.rtcsctptransport import USERDATA_MAX_LENGTH, DataChunk, InboundStream, SackChunk

from shared.webrtc.sctp import (
    SACK_EVERY,
    SOCKET_BUFFER,
    _TailAwareInboundStream,
    bigger_socket_buffers,
    count_acked_bytes_in_slow_start,
    delay_sacks,
    fast_reassembly,
    larger_bursts,
    tune_for_files,
)
from tests.impair import LossyLink
from tests.shared.webrtc.pairs import channel_pair as _pair

pytestmark = pytest.mark.asyncio


def _count_chunks(sctp: object, kind: type) -> list[int]:
    """Count chunks of ``kind`` this transport sends (wraps its private ``_send_chunk``)."""
    count = [0]
    original = sctp._send_chunk  # type: ignore[attr-defined]

    async def send_chunk(chunk: object) -> None:
        if isinstance(chunk, kind):
            count[0] += 1
        await original(chunk)

    sctp._send_chunk = send_chunk  # type: ignore[attr-defined]
    return count


def _window(sctp: object, packets: int = 48) -> None:
    """Pin the sender's congestion window below what a default (208 KiB) socket buffer holds, so
    these tests see no loss on machines where net.core.rmem_max was not raised."""
    sctp._cwnd = sctp._ssthresh = packets * USERDATA_MAX_LENGTH  # type: ignore[attr-defined]


def _sacks_by_kind(sctp: object) -> dict[str, int]:
    """Count the SACKs this transport really sends: in order, or answering a gap/duplicate
    (install before ``delay_sacks``, which wraps what it finds)."""
    kinds = {"in_order": 0, "gap_or_duplicate": 0}
    original = sctp._send_sack  # type: ignore[attr-defined]

    async def send_sack() -> None:
        irregular = sctp._sack_misordered or sctp._sack_duplicates  # type: ignore[attr-defined]
        kinds["gap_or_duplicate" if irregular else "in_order"] += 1
        await original()

    sctp._send_sack = send_sack  # type: ignore[attr-defined]
    return kinds


async def test_receiver_acknowledges_every_twelfth_packet_and_nothing_is_lost() -> None:
    a, b, channel, received = await _pair()
    try:
        kinds = _sacks_by_kind(b.sctp)
        assert delay_sacks(b.sctp) and delay_sacks(b.sctp)  # idempotent
        assert fast_reassembly(b.sctp) and fast_reassembly(b.sctp)
        assert larger_bursts(a.sctp, SACK_EVERY + 4) and larger_bursts(a.sctp, 4)  # the larger value stays
        assert a.sctp._parley_burst_rounds == 4
        assert all(type(s) is _TailAwareInboundStream for s in b.sctp._inbound_streams.values())
        _window(a.sctp)
        data = _count_chunks(a.sctp, DataChunk)
        messages = [os.urandom(250_000) for _ in range(40)]
        for message in messages:
            channel.send(message)
        got = [await asyncio.wait_for(received.get(), 30) for _ in messages]
        assert got == messages
        # The last few packets are acknowledged by the timer: the sender's queue drains.
        for _ in range(100):
            if not a.sctp._sent_queue:
                break
            await asyncio.sleep(0.02)
        assert not a.sctp._sent_queue and a.sctp._flight_size == 0
        assert data[0] >= 8600  # 10 MB in 1160-byte DATA chunks
        # Packets in order are acknowledged every SACK_EVERY-th (a gap is answered at once).
        assert kinds["in_order"] <= data[0] / (SACK_EVERY * 0.8), (kinds, data[0])
    finally:
        await a.close()
        await b.close()


def _new_data_per_sack(sctp: object) -> list[int]:
    """For each SACK this transport handles, how many new DATA chunks it sends in response."""
    bursts: list[int] = []
    inside = [False]
    receive, send = sctp._receive_sack_chunk, sctp._send_chunk  # type: ignore[attr-defined]

    async def receive_sack_chunk(chunk: object) -> None:
        bursts.append(0)
        inside[0] = True
        try:
            await receive(chunk)
        finally:
            inside[0] = False

    async def send_chunk(chunk: object) -> None:
        if inside[0] and isinstance(chunk, DataChunk) and chunk._sent_count == 1:
            bursts[-1] += 1
        await send(chunk)

    sctp._receive_sack_chunk, sctp._send_chunk = receive_sack_chunk, send_chunk  # type: ignore[attr-defined]
    return bursts


@pytest.mark.parametrize("bursts", [False, True])
async def test_sender_bursts_follow_the_receivers_sack_spacing(bursts: bool) -> None:
    """aiortc lets at most 4 new packets out per SACK; a receiver that acknowledges every 12th
    packet needs the sender to answer each SACK with about 12, or data in flight shrinks."""
    a, b, channel, received = await _pair()
    try:
        delay_sacks(b.sctp)
        if bursts:
            larger_bursts(a.sctp, SACK_EVERY + 4)
        _window(a.sctp)
        per_sack = _new_data_per_sack(a.sctp)
        messages = [os.urandom(250_000) for _ in range(12)]
        for message in messages:
            channel.send(message)
        assert [await asyncio.wait_for(received.get(), 60) for _ in messages] == messages
        busy = [n for n in per_sack if n]
        assert busy, per_sack
        mean = sum(busy) / len(busy)  # (a SACK may also release queued messages: a second burst)
        if bursts:
            assert SACK_EVERY * 0.8 <= mean <= SACK_EVERY + 4, busy  # measured 12.3
        else:
            assert mean <= 5, busy  # measured 4.1: the window shrinks by 8 packets per SACK
    finally:
        await a.close()
        await b.close()


@pytest.mark.parametrize("counting", [False, True])
async def test_slow_start_grows_by_the_bytes_acknowledged(counting: bool) -> None:
    """With a SACK every 12th packet aiortc's slow start grows by one packet per SACK (RFC 4960
    7.2.1); byte counting grows it by what the SACK acknowledged, as with a SACK per packet."""
    a, b, channel, received = await _pair()
    try:
        delay_sacks(b.sctp)
        larger_bursts(a.sctp, SACK_EVERY + 4)
        if counting:
            assert count_acked_bytes_in_slow_start(a.sctp, SACK_EVERY)
            assert (
                count_acked_bytes_in_slow_start(a.sctp, 2)
                and a.sctp._parley_abc_limit == SACK_EVERY * USERDATA_MAX_LENGTH
            )
        a.sctp._cwnd = 3 * USERDATA_MAX_LENGTH  # back to the initial window
        a.sctp._ssthresh = 64 * 1024 * 1024  # stay in slow start
        start = a.sctp._cwnd
        payload = 100_000  # the window stays far below what a default socket buffer holds
        messages = [os.urandom(25_000) for _ in range(payload // 25_000)]
        for message in messages:
            channel.send(message)
        assert [await asyncio.wait_for(received.get(), 60) for _ in messages] == messages
        grown = a.sctp._cwnd - start
        # 100 KB is ~86 packets; the window only grows while it is full, i.e. in the first ~45.
        if counting:
            assert grown >= 0.3 * payload, grown  # ~32 packets: it doubles every round trip
        else:
            assert grown <= 0.15 * payload, grown  # ~9 packets: one per SACK
    finally:
        await a.close()
        await b.close()


async def test_tuning_set_before_the_connection_applies_once_it_is_up(caplog: pytest.LogCaptureFixture) -> None:
    """The client tunes its own data channel's transport as soon as the channel exists, before
    the offer (client/engine/transfers/channel.py), when aiortc has no ``_ssthresh`` yet (it is set
    by INIT / INIT-ACK) and ICE has no sockets yet. Byte counting must still apply (no "transport
    changed" warning) and the sockets must still get their bigger buffers."""
    import socket
    from pathlib import Path

    caplog.set_level("WARNING", logger="parley.sctp")
    seen: dict[str, object] = {}

    def tune_early(channel: object) -> None:
        transport = channel.transport  # type: ignore[attr-defined]
        seen["ssthresh_before"] = hasattr(transport, "_ssthresh")
        tune_for_files(transport)

    a, b, channel, received = await _pair(before_connect=tune_early)
    try:
        assert seen["ssthresh_before"] is False  # the situation of the client's own channel
        assert "slow start is left as it is" not in caplog.text
        delay_sacks(b.sctp)
        a.sctp._cwnd = 3 * USERDATA_MAX_LENGTH  # back to the initial window, in slow start
        a.sctp._ssthresh = 64 * 1024 * 1024
        start = a.sctp._cwnd
        payload = 100_000
        messages = [os.urandom(25_000) for _ in range(payload // 25_000)]
        for message in messages:
            channel.send(message)
        assert [await asyncio.wait_for(received.get(), 60) for _ in messages] == messages
        assert a.sctp._cwnd - start >= 0.3 * payload, a.sctp._cwnd - start  # bytes counted
        sockets = [p.transport.get_extra_info("socket") for p in a.sctp.transport.transport._connection._protocols]
        assert sockets
        cap = int(Path("/proc/sys/net/core/rmem_max").read_text())  # noqa: ASYNC240 (one tiny read)
        for sock in sockets:  # Linux reports twice what was granted, capped by rmem_max
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= min(2 * SOCKET_BUFFER, 2 * cap)
        assert "left as it is" not in caplog.text
    finally:
        await a.close()
        await b.close()


async def test_tuned_transfer_survives_loss_and_delay() -> None:
    """Delayed SACKs, larger bursts and byte counting on both ends, through a link that drops 3%
    and delays 20 ms each way: everything arrives intact and in order."""
    link = LossyLink(loss=0.03, delay=0.02, reorder=0.01, seed=5)
    a, b, channel, received = await _pair(link)
    try:
        tune_for_files(a.sctp)
        tune_for_files(b.sctp)
        messages = [os.urandom(n) for n in (200_000, 1, 70_000, 150_000)]
        for message in messages:
            channel.send(message)
        assert [await asyncio.wait_for(received.get(), 90) for _ in messages] == messages
        assert link.totals().dropped > 0
    finally:
        await a.close()
        await b.close()
        link.close()


async def test_stock_transport_acknowledges_every_packet() -> None:
    """The baseline the hook improves on (fails if aiortc starts delaying SACKs itself)."""
    a, b, channel, received = await _pair()
    try:
        sacks, data = _count_chunks(b.sctp, SackChunk), _count_chunks(a.sctp, DataChunk)
        channel.send(os.urandom(200_000))
        await asyncio.wait_for(received.get(), 20)
        assert sacks[0] >= data[0] * 0.8
    finally:
        await a.close()
        await b.close()


async def test_socket_buffers_grow_under_the_association() -> None:
    import socket
    from pathlib import Path

    a, b, _channel, _received = await _pair()
    try:
        sockets = [p.transport.get_extra_info("socket") for p in b.sctp.transport.transport._connection._protocols]
        before = [s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) for s in sockets]
        assert bigger_socket_buffers(b.sctp, 2 * 1024 * 1024) == len(sockets) >= 1
        cap = int(Path("/proc/sys/net/core/rmem_max").read_text())  # noqa: ASYNC240 (one tiny read)
        for sock, old in zip(sockets, before, strict=True):
            # Linux reports twice what was granted (bookkeeping), capped by rmem_max.
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= min(2 * 2 * 1024 * 1024, 2 * cap) > old
    finally:
        await a.close()
        await b.close()


async def test_unknown_transport_is_left_alone() -> None:
    class NotSctp:
        pass

    assert delay_sacks(NotSctp()) is False
    assert fast_reassembly(NotSctp()) is False
    assert larger_bursts(NotSctp(), 16) is False
    assert count_acked_bytes_in_slow_start(NotSctp(), 12) is False
    assert bigger_socket_buffers(NotSctp()) == 0
    tune_for_files(NotSctp())  # logs, does not raise


def _fragments(messages: list[bytes], size: int = 100) -> list[DataChunk]:
    chunks, tsn = [], 1000
    for seq, message in enumerate(messages):
        parts = [message[i : i + size] for i in range(0, len(message), size)]
        for i, part in enumerate(parts):
            chunk = DataChunk(flags=(2 if i == 0 else 0) | (1 if i == len(parts) - 1 else 0))
            chunk.tsn, chunk.stream_id, chunk.stream_seq, chunk.protocol, chunk.user_data = tsn, 0, seq, 53, part
            chunks.append(chunk)
            tsn += 1
    return chunks


@pytest.mark.parametrize("order", ["in order", "shuffled", "reversed"])
async def test_fast_reassembly_pops_what_aiortc_pops(order: str) -> None:
    import random

    messages = [os.urandom(n) for n in (50, 1000, 100, 2345, 1)]
    chunks = _fragments(messages)
    if order == "shuffled":
        random.Random(7).shuffle(chunks)
    elif order == "reversed":
        chunks.reverse()
    results = []
    for stream in (InboundStream(), _TailAwareInboundStream()):
        popped = []
        for chunk in chunks:
            stream.add_chunk(chunk)
            popped.extend(data for _, _, data in stream.pop_messages())
        results.append(popped)
        assert stream.reassembly == []
    assert results[0] == results[1] == messages
