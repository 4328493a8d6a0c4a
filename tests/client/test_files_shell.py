"""FileService, the I/O shell, driven with the fakes next to it (client/engine/transfers/fakes.py):
real files on disk, frames on a fake channel, the relay's answers and events played by hand."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.files import FileService
from client.engine.transfers.fakes import FakeChannel, FakeFileClient, FakeMedia, ok
from client.engine.transfers.sending import Outgoing, Recipient
from shared import e2e
from shared.errors import Unavailable
from shared.protocol import messages as m

pytestmark = pytest.mark.asyncio
CHUNK = 1024
BOB = m.ParticipantInfo(participant_id="bob", user_id="u-bob", display_name="Bob")


def service(client: FakeFileClient, channel: FakeChannel, **kw: Any) -> FileService:
    return FileService(client, FakeMedia(channel), chunk_size=CHUNK, **kw)  # type: ignore[arg-type]


def final(client: FakeFileClient, direction: str) -> list[ev.FileTransferChanged]:
    return [
        e
        for e in client.events
        if isinstance(e, ev.FileTransferChanged)
        and e.direction == direction
        and e.state in ("complete", "failed", "cancelled", "declined")
    ]


async def test_the_sender_keeps_its_window_in_flight_and_goes_on_with_each_acknowledgement(tmp_path: Path) -> None:
    client, channel = FakeFileClient("ann", [BOB]), FakeChannel()
    ann = service(client, channel, window=2)
    client.push(m.FileKeyPublished(meeting_id="m", participant_id="bob", public_key=e2e.KeyPair().public_b64))
    src = tmp_path / "five.bin"
    src.write_bytes(os.urandom(5 * CHUNK - 10))
    transfer = await ann.send_file(src)
    (offer,) = client.requests
    assert isinstance(offer, m.OfferFile) and offer.chunks == 5 and offer.to == ["bob"]
    client.push(m.FileAnswered(transfer_id=offer.transfer_id, participant_id="bob", accepted=True))
    assert len(await channel.wait_sent(2)) == 2
    client.push(m.FileAcked(transfer_id=offer.transfer_id, participant_id="bob", received=2))
    frames = await channel.wait_sent(4)
    assert [e2e.parse_chunk_frame(f)[1] for f in frames] == [0, 1, 2, 3]  # type: ignore[index]
    client.push(m.FileAcked(transfer_id=offer.transfer_id, participant_id="bob", received=4))
    await channel.wait_sent(5)
    client.push(m.FileAcked(transfer_id=offer.transfer_id, participant_id="bob", received=5, complete=True))
    await transfer.done.wait()
    assert transfer.state == "complete" and final(client, "outgoing")[0].message == "five.bin was delivered to Bob."
    await ann.stop()


async def test_a_received_file_whose_last_acknowledgement_was_lost_says_it_again_on_the_next_channel(
    tmp_path: Path,
) -> None:
    lost: list[m.Request] = []

    def flaky(request: m.Request) -> m.Reply | Exception:
        if isinstance(request, m.AckFile) and request.complete and not lost:
            lost.append(request)
            return Unavailable("The connection to the server was lost.")
        return ok(request)

    client, channel = FakeFileClient("bob", answer=flaky), FakeChannel()
    bob = service(client, channel, download_dir=tmp_path, auto_accept=True)
    data = os.urandom(3 * CHUNK)
    ann, offer = Outgoing.offer(
        path=Path("notes.txt"),
        stat=(len(data), 1),
        sha256=hashlib.sha256(data).hexdigest(),
        chunk_size=CHUNK,
        keys={"bob": bob.keypair.public_bytes},
        recipients=[Recipient("bob", "Bob")],
        now=0.0,
    )
    client.push(
        m.FileOffered(
            meeting_id="m",
            transfer_id=offer.transfer_id,
            from_participant_id="ann",
            from_name="Ann",
            size=offer.size,
            chunk_size=CHUNK,
            chunks=offer.chunks,
            manifest=offer.manifest,
            sender_key=offer.sender_key,
            wrapped_key=offer.wrapped_keys["bob"],
        )
    )
    await client.until(lambda: any(isinstance(r, m.AnswerFile) for r in client.requests))
    for index in range(3):
        channel.deliver(ann.frame(index, ann.seal(index, data[index * CHUNK : (index + 1) * CHUNK])))
    await client.until(lambda: bool(lost))
    transfer = bob.incoming[offer.transfer_id]
    await transfer.done.wait()
    assert transfer.state == "complete" and (tmp_path / "notes.txt").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]  # noqa: ASYNC240 (no partial file left)
    bob.media.new_channel(FakeChannel())  # type: ignore[attr-defined]  # back on a new connection
    again = m.AckFile(id=0, transfer_id=offer.transfer_id, received=3, complete=True)
    await client.until(lambda: client.requests.count(again) == 2)
    await bob.stop()
