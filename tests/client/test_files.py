"""File transfer through a real relay: E2E encrypted chunks over data channels, limits, bad input."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiortc.rtcsctptransport import DataChunk, SackChunk

from client.engine import events as ev
from client.engine.files import CHUNK_SIZE
from shared.errors import BadRequest, LimitExceeded, ParleyError
from shared.protocol import messages as m
from shared.webrtc.sctp import watch_chunks
from tests.client.files_helpers import file_participant, final, random_file, sha256, wait_keys
from tests.media_fixtures import join, leave, metric, start_media_relay, wait_until

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def files_relay(tmp_path_factory: pytest.TempPathFactory):
    relay = start_media_relay(
        tmp_path_factory.mktemp("files"),
        "[files]\ntransfers_per_user = 2\nmax_file_bytes = 5000000\nbytes_per_minute_per_user = 2000000\n",
    )
    yield relay
    relay.stop()


async def _pair(relay, tmp_path: Path, auto: bool = True, **kw):
    a, b = relay.add_user(display="Ann"), relay.add_user(display="Bob")
    meeting = relay.create_meeting(a)
    ann = await file_participant(relay, a, meeting)
    bob = await file_participant(relay, b, meeting, download_dir=tmp_path / "down" if auto else None, **kw)
    await wait_keys(ann[2], 1)
    return ann, bob


async def _close(*parts) -> None:
    for client, session, files in parts:
        await files.stop()
        await leave(client, session)


async def test_small_file_arrives_with_matching_hash(files_relay, tmp_path: Path) -> None:
    ann, bob = await _pair(files_relay, tmp_path)
    try:
        src = tmp_path / "report.bin"
        digest = random_file(src, 300_000)
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=30))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=30))
        await ann[2].send_file(src)
        got = await done
        assert got.state == "complete", got.message
        assert Path(got.path).name == "report.bin" and sha256(Path(got.path)) == digest
        assert (await sent).state == "complete"
        assert not list((tmp_path / "down").glob(".*parley-part"))
    finally:
        await _close(ann, bob)


MARKER = b"PLAINTEXT-MARKER-7d41c9"


async def test_relay_forwards_only_ciphertext(files_relay, tmp_path: Path) -> None:
    """Every data-channel message the relay forwarded reaches the recipient unchanged; none of them
    (nor the offer the relay saw) contains the marker planted throughout the file."""
    before = metric(files_relay, "parley_file_forwarded_bytes_total")
    ann, bob = await _pair(files_relay, tmp_path)
    forwarded: list[bytes] = []
    bob[1].channel.on("message", forwarded.append)
    seen_by_relay: list[str] = []
    original_request = ann[0].request

    async def spy(request):
        seen_by_relay.append(repr(request))
        return await original_request(request)

    ann[0].request = spy
    # The relay delays its SACKs on file traffic (shared.webrtc.sctp), as Bob does towards it.
    sctp = ann[1].publish_pc.sctp
    counts = {"data": 0, "sack": 0}

    def counting_send(chunk):
        counts["data"] += isinstance(chunk, DataChunk)

    def counting_receive(chunk):
        counts["sack"] += isinstance(chunk, SackChunk)

    watch_chunks(sctp, sent=counting_send, received=counting_receive)
    try:
        src = tmp_path / (MARKER.decode() + ".bin")
        digest = random_file(src, 1_500_000, marker=MARKER)
        assert src.read_bytes().count(MARKER) >= 2
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=60))
        await ann[2].send_file(src)
        got = await done
        assert got.state == "complete" and sha256(Path(got.path)) == digest
        assert sum(len(f) for f in forwarded) == metric(files_relay, "parley_file_forwarded_bytes_total") - before
        assert len(forwarded) == -(-1_500_000 // ann[2].chunk_size)
        for frame in forwarded:
            assert MARKER not in frame and MARKER[:12] not in frame
        assert not any(MARKER.decode() in text for text in seen_by_relay)  # the name is sealed too
        # Stock aiortc answers every DATA packet with a SACK; delayed, about one per 3 (more under load).
        assert counts["data"] > 1200 and counts["sack"] < counts["data"] * 0.8, counts
    finally:
        await _close(ann, bob)


async def test_offers_over_the_limits_are_refused_with_the_limit(files_relay, tmp_path: Path) -> None:
    ann, bob = await _pair(files_relay, tmp_path, auto=False)
    try:
        big = tmp_path / "big.bin"
        random_file(big, 5_000_001)
        with pytest.raises(LimitExceeded) as too_big:
            await ann[2].send_file(big)
        assert too_big.value.detail == {"limit": "max_file_bytes", "value": 5000000}
        assert "4.8 MiB" in too_big.value.message

        small = tmp_path / "small.bin"
        random_file(small, 10_000)
        await ann[2].send_file(small)
        await ann[2].send_file(small)
        with pytest.raises(LimitExceeded) as too_many:
            await ann[2].send_file(small)
        assert too_many.value.detail["limit"] == "transfers_per_user" and too_many.value.detail["value"] == 2

        empty = tmp_path / "empty.txt"
        empty.write_bytes(b"")
        with pytest.raises(ParleyError, match="empty"):
            await ann[2].send_file(empty)
        with pytest.raises(BadRequest, match="empty"):  # the relay refuses it too
            await ann[0].request(
                m.OfferFile(
                    id=0,
                    transfer_id="ab" * 16,
                    size=0,
                    chunk_size=65000,
                    chunks=0,
                    manifest="",
                    sender_key="",
                    wrapped_keys={},
                )
            )
    finally:
        await _close(ann, bob)


async def test_reoffers_are_checked_and_only_the_named_users_take_them_back(files_relay, tmp_path: Path) -> None:
    """files.reoffer (what a sender sends after a relay restart) against a live relay: the same
    limits as an offer, only the named users are told and may take it back, ids stay unique."""
    ann, bob = await _pair(files_relay, tmp_path, auto=False)
    c = files_relay.add_user(display="Cat")
    cat = await file_participant(files_relay, c, ann[0].meeting.meeting_id)
    try:
        bob_user = ann[0].participants[bob[0].participant_id].user_id
        bob_events: list[Any] = []
        cat_events: list[Any] = []
        bob[0].push_handlers.append(lambda e: isinstance(e, m.FileReoffered) and bob_events.append(e))
        cat[0].push_handlers.append(lambda e: isinstance(e, m.FileReoffered) and cat_events.append(e))
        acks: list[Any] = []
        ann[0].push_handlers.append(
            lambda e: isinstance(e, m.FileAcked) and e.transfer_id == "cd" * 16 and acks.append(e)
        )

        def reoffer(**kw: Any) -> m.ReofferFile:
            fields: dict[str, Any] = {"transfer_id": "cd" * 16, "size": 100_000, "chunk_size": 65_536}
            fields.update(kw)
            fields.setdefault("chunks", -(-fields["size"] // fields["chunk_size"]))
            fields.setdefault("to_users", [bob_user])
            return m.ReofferFile(id=0, **fields)

        with pytest.raises(LimitExceeded) as too_big:
            await ann[0].request(reoffer(size=5_000_001))
        assert too_big.value.detail == {"limit": "max_file_bytes", "value": 5000000}
        with pytest.raises(BadRequest, match="chunk"):
            await ann[0].request(reoffer(chunks=1))
        with pytest.raises(BadRequest, match="who was receiving"):
            await ann[0].request(reoffer(to_users=[]))
        with pytest.raises(BadRequest, match="transfer id"):
            await ann[0].request(reoffer(transfer_id="not hex"))

        await ann[0].request(reoffer())
        await wait_until(lambda: bob_events, 10, "Bob to hear of the offer again")
        event = bob_events[0]
        assert (event.transfer_id, event.from_participant_id, event.from_name) == (
            "cd" * 16,
            ann[0].participant_id,
            "Ann",
        )
        with pytest.raises(ParleyError, match="already in progress"):
            await ann[0].request(reoffer())
        # Cat was not named: she hears nothing and cannot take it.
        with pytest.raises(ParleyError, match="not offered to you"):
            await cat[0].request(m.ResumeFile(id=0, transfer_id="cd" * 16, received=0))
        assert cat_events == []
        await bob[0].request(m.ResumeFile(id=0, transfer_id="cd" * 16, received=1))
        await wait_until(lambda: acks, 10, "Ann to hear that Bob took it back")
        resumed = acks[0]
        assert (resumed.participant_id, resumed.received, resumed.resume) == (bob[0].participant_id, 1, True)
        with pytest.raises(ParleyError, match="nothing to resume"):  # taken once; then like any resume
            await bob[0].request(m.ResumeFile(id=0, transfer_id="cd" * 16, received=99))
        await ann[0].request(m.CancelFile(id=0, transfer_id="cd" * 16, reason="test over"))
    finally:
        await _close(ann, bob, cat)


async def test_bytes_per_minute_limit(files_relay, tmp_path: Path) -> None:
    ann, bob = await _pair(files_relay, tmp_path)
    try:
        src = tmp_path / "a.bin"
        random_file(src, 1_990_000)
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=60))
        await ann[2].send_file(src)
        assert (await done).state == "complete"
        with pytest.raises(LimitExceeded) as limited:
            await ann[2].send_file(src)
        assert limited.value.detail == {"limit": "bytes_per_minute_per_user", "value": 2000000}
        assert "in the last minute" in limited.value.message
    finally:
        await _close(ann, bob)


async def test_tampered_chunk_fails_cleanly(files_relay, tmp_path: Path) -> None:
    ann, bob = await _pair(files_relay, tmp_path)
    ann[2].tamper = lambda index, sealed: sealed[:-1] + bytes([sealed[-1] ^ 1]) if index == 1 else sealed
    try:
        src = tmp_path / "t.bin"
        random_file(src, 600_000)
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=30))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=30))
        await ann[2].send_file(src)
        got = await done
        assert got.state == "failed" and "altered" in got.message
        assert (await sent).state == "failed"
        assert list((tmp_path / "down").iterdir()) == []  # no final file, no temporary left
    finally:
        await _close(ann, bob)


async def test_file_that_changes_while_sent(files_relay, tmp_path: Path) -> None:
    ann, bob = await _pair(files_relay, tmp_path)
    src = tmp_path / "growing.log"
    random_file(src, 600_000)

    def grow(index: int, sealed: bytes) -> bytes:
        if index == 0:
            with src.open("ab") as handle:
                handle.write(b"more")
        return sealed

    ann[2].tamper = grow
    try:
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=30))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=30))
        await ann[2].send_file(src)
        out = await sent
        assert out.state == "failed" and "changed while it was being sent" in out.message
        assert (await done).state == "cancelled"
        assert list((tmp_path / "down").iterdir()) == []
    finally:
        await _close(ann, bob)


async def test_recipient_leaves_mid_transfer(files_relay, tmp_path: Path) -> None:
    ann, bob = await _pair(files_relay, tmp_path)
    try:
        src = tmp_path / "l.bin"
        # Past this relay's 2 MB-per-minute budget: the last ~0.5 MB trickles, so Bob leaves mid-way.
        random_file(src, 2_500_000)
        moving = asyncio.ensure_future(
            bob[0].wait_for(lambda e: isinstance(e, ev.FileTransferChanged) and e.done_bytes > 0, timeout=30)
        )
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=30))
        await ann[2].send_file(src)
        await moving
        await _close(bob)
        out = await sent
        assert out.state == "failed" and "left the meeting" in out.message
        assert list((tmp_path / "down").iterdir()) == []
    finally:
        await _close(ann)


async def test_recipient_whose_disk_is_full_declines(files_relay, tmp_path: Path) -> None:
    small_disk = tmp_path / "down"
    small_disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small_disk)], check=True)  # noqa: ASYNC221
    try:
        ann, bob = await _pair(files_relay, tmp_path)
        try:
            src = tmp_path / "d.bin"
            random_file(src, 1_500_000)
            sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=30))
            await ann[2].send_file(src)
            out = await sent
            assert out.state == "declined" and "not enough free space" in out.message
            assert list(small_disk.iterdir()) == []
        finally:
            await _close(ann, bob)
    finally:
        subprocess.run(["umount", str(small_disk)], check=True)  # noqa: ASYNC221


async def _drop_and_resume(relay, tmp_path: Path, who: str) -> None:
    """Drop ``who``'s websocket (and so its media) mid-transfer: the client reconnects by itself,
    media restarts on new connections, and the transfer continues where it stopped."""
    a, b = relay.add_user(display="Ann"), relay.add_user(display="Bob")
    meeting = relay.create_meeting(a)
    ann = await file_participant(relay, a, meeting, window=4)  # ~1 MiB in flight: slow enough to catch
    bob = await file_participant(relay, b, meeting, download_dir=tmp_path / "down")
    await wait_keys(ann[2], 1)
    dropped = ann if who == "sender" else bob
    try:
        src = tmp_path / "resume.bin"
        digest = random_file(src, 8_000_000)
        moving = asyncio.ensure_future(
            bob[0].wait_for(lambda e: isinstance(e, ev.FileTransferChanged) and e.done_bytes > 1_000_000, timeout=60)
        )
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=90))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=90))
        back = asyncio.ensure_future(dropped[0].wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=60))
        resumes: list[Any] = []  # what says the transfer went on from where it stopped
        if who == "sender":
            ann[0].push_handlers.append(lambda e: isinstance(e, m.FileAcked) and e.resume and resumes.append(e))
        else:
            request = bob[0].request

            async def spy(req):
                if isinstance(req, m.ResumeFile):
                    resumes.append(req)
                return await request(req)

            bob[0].request = spy
        await ann[2].send_file(src)
        at = (await moving).done_bytes
        old_channel = dropped[1].channel
        # The network goes away: the websocket drops, and so does the connection under the data
        # channel (nothing more arrives on it; the relay keeps its end until the seat is freed).
        dropped[0].signalling.ws.transport.abort()
        await dropped[1].publish_pc.close()
        await back
        got = await done
        assert got.state == "complete", got.message
        assert sha256(Path(got.path)) == digest
        assert (await sent).state == "complete"
        assert dropped[1].channel is not old_channel
        assert len(resumes) == 1 and 0 < resumes[0].received < 8_000_000 // CHUNK_SIZE, resumes
        assert at < 8_000_000
        assert not list((tmp_path / "down").glob(".*parley-part"))
    finally:
        await _close(ann, bob)


@pytest.fixture(scope="module")
def roomy_relay(tmp_path_factory: pytest.TempPathFactory):
    """Default file limits (the module's other relay allows only small files)."""
    relay = start_media_relay(tmp_path_factory.mktemp("files-resume"))
    yield relay
    relay.stop()


async def test_transfer_resumes_after_the_recipient_reconnects(roomy_relay, tmp_path: Path) -> None:
    await _drop_and_resume(roomy_relay, tmp_path, "recipient")


async def test_transfer_resumes_after_the_sender_reconnects(roomy_relay, tmp_path: Path) -> None:
    await _drop_and_resume(roomy_relay, tmp_path, "sender")


async def test_participants_without_microphone_or_camera_exchange_files(files_relay, tmp_path: Path) -> None:
    """No sources at all: the publish connection exists for the data channel alone."""
    from client.engine.files import FileService

    a, b = files_relay.add_user(display="Ann"), files_relay.add_user(display="Bob")
    meeting = files_relay.create_meeting(a)
    parts = []
    for name, folder in ((a, None), (b, tmp_path / "down")):
        client, session = await join(files_relay, name, meeting, camera="none", mic="none")
        assert session.local_tracks == {} and session.publish_pc is not None
        files = FileService(client, session, download_dir=folder, auto_accept=folder is not None)
        await files.start()
        parts.append((client, session, files))
    ann, bob = parts
    try:
        await wait_keys(ann[2], 1)
        src = tmp_path / "notes.bin"
        digest = random_file(src, 200_000)
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=30))
        await ann[2].send_file(src)
        got = await done
        assert got.state == "complete" and sha256(Path(got.path)) == digest
        assert "m=audio" not in ann[1].publish_pc.localDescription.sdp
    finally:
        await _close(ann, bob)


async def test_sender_hears_of_completion_that_happened_while_it_was_away(roomy_relay, tmp_path: Path) -> None:
    """The recipient finishes while the sender's websocket is down: the relay keeps the news and
    the sender, once back, shows the file as delivered."""
    a, b = roomy_relay.add_user(display="Ann"), roomy_relay.add_user(display="Bob")
    meeting = roomy_relay.create_meeting(a)
    ann = await file_participant(roomy_relay, a, meeting)
    bob = await file_participant(roomy_relay, b, meeting, download_dir=tmp_path / "down")
    await wait_keys(ann[2], 1)
    try:
        src = tmp_path / "quick.bin"
        digest = random_file(src, 3_000_000)
        moving = asyncio.ensure_future(
            bob[0].wait_for(lambda e: isinstance(e, ev.FileTransferChanged) and e.done_bytes > 0, timeout=30)
        )
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=30))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=40))
        attempt = ann[0].reconnector._attempt

        async def after_bob_finished(meeting_id: str | None) -> bool:
            await asyncio.shield(done)  # Ann stays away until Bob has the whole file
            return await attempt(meeting_id)

        ann[0].reconnector._attempt = after_bob_finished
        await ann[2].send_file(src)
        await moving
        back = asyncio.ensure_future(ann[0].wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=40))
        ann[0].signalling.ws.transport.abort()  # her data channel keeps going; only the websocket drops
        got = await done
        assert got.state == "complete" and sha256(Path(got.path)) == digest
        assert not sent.done()  # she has not heard yet
        out = await sent
        assert out.state == "complete" and "delivered to Bob" in out.message
        await back
    finally:
        await _close(ann, bob)
