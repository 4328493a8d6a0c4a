"""The delayed-SACK hook on aiortc's private SCTP internals (shared/sctp_tuning.py)."""

from __future__ import annotations

import asyncio
import os

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.rtcsctptransport import DataChunk, InboundStream, SackChunk

from client.engine import peer
from shared.sctp_tuning import (
    _TailAwareInboundStream,
    bigger_socket_buffers,
    delay_sacks,
    fast_reassembly,
    tune_for_files,
)

pytestmark = pytest.mark.asyncio


async def _pair() -> tuple[RTCPeerConnection, RTCPeerConnection, object, asyncio.Queue[bytes]]:
    peer.use_host_addresses(["127.0.0.1"])
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channel = a.createDataChannel("parley")
    received: asyncio.Queue[bytes] = asyncio.Queue()
    b.on("datachannel", lambda ch: ch.on("message", received.put_nowait))
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await asyncio.wait_for(opened.wait(), 10)
    return a, b, channel, received


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


async def test_receiver_acknowledges_every_third_packet_and_nothing_is_lost() -> None:
    a, b, channel, received = await _pair()
    try:
        assert delay_sacks(b.sctp) and delay_sacks(b.sctp)  # idempotent
        assert fast_reassembly(b.sctp) and fast_reassembly(b.sctp)
        assert all(type(s) is _TailAwareInboundStream for s in b.sctp._inbound_streams.values())
        sacks, data = _count_chunks(b.sctp, SackChunk), _count_chunks(a.sctp, DataChunk)
        messages = [os.urandom(250_000) for _ in range(40)]
        for message in messages:
            channel.send(message)
        got = [await asyncio.wait_for(received.get(), 20) for _ in messages]
        assert got == messages
        # The last few packets are acknowledged by the timer: the sender's queue drains.
        for _ in range(100):
            if not a.sctp._sent_queue:
                break
            await asyncio.sleep(0.02)
        assert not a.sctp._sent_queue and a.sctp._flight_size == 0
        assert data[0] >= 1700  # 2 MB in ~1160-byte DATA chunks
        assert sacks[0] <= data[0] / 2.5, (sacks[0], data[0])
    finally:
        await a.close()
        await b.close()


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
