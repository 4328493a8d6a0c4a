"""File transfers across a relay restart: the relay forgets every transfer, both sides come back on
new seats, the sender offers the transfer again (files.reoffer) and each recipient takes it back
from what it has written (files.resume); or, when someone does not come back, a sentence."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine import files as files_module
from client.engine.files import CHUNK_SIZE
from shared.protocol import messages as m
from tests.client.files_helpers import file_participant, final, random_file, sha256, wait_keys
from tests.conftest import RunningRelay
from tests.media_fixtures import MEDIA_CONFIG, leave
from tests.test_reconnect import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

SIZE = 8_000_000


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.relay = RunningRelay(
            tmp_path / "data", MEDIA_CONFIG + "[backup]\ninterval_hours = 0\n", port=free_port()
        ).start()
        self.people: list[Any] = []

    async def join(self, *, accept: bool = True) -> tuple[Any, Any]:
        a, b = self.relay.add_user(display="Ann"), self.relay.add_user(display="Bob")
        meeting = self.relay.create_meeting(a)
        ann = await file_participant(self.relay, a, meeting, window=4)  # ~1 MiB in flight: slow enough
        down = self.tmp / "down" if accept else None
        bob = await file_participant(self.relay, b, meeting, download_dir=down)
        self.people += [ann, bob]
        await wait_keys(ann[2], 1)
        return ann, bob

    def restart(self) -> None:
        port = self.relay.port
        assert self.relay.stop(signal.SIGTERM) == 0
        self.relay.start()
        assert self.relay.port == port

    async def close(self) -> None:
        for client, session, files in self.people:
            await files.stop()
            await leave(client, session)
        self.relay.stop()


def _spy_requests(client: Any, kind: type) -> list[Any]:
    seen: list[Any] = []
    request = client.request

    async def spy(req: Any) -> Any:
        if isinstance(req, kind):
            seen.append(req)
        return await request(req)

    client.request = spy
    return seen


async def test_transfer_continues_through_a_relay_restart(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    try:
        ann, bob = await setup.join()
        src = tmp_path / "restart.bin"
        digest = random_file(src, SIZE)
        reoffers, resumes = _spy_requests(ann[0], m.ReofferFile), _spy_requests(bob[0], m.ResumeFile)
        moving = asyncio.ensure_future(
            bob[0].wait_for(lambda e: isinstance(e, ev.FileTransferChanged) and e.done_bytes > 1_000_000, timeout=60)
        )
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=120))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=120))
        await ann[2].send_file(src)
        await moving
        old_ids = (ann[0].participant_id, bob[0].participant_id)
        bob_user = ann[0].participants[bob[0].participant_id].user_id
        back = [
            asyncio.ensure_future(p[0].wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=60))
            for p in setup.people
        ]
        setup.restart()
        await asyncio.gather(*back)
        got, out = await done, await sent
        assert got.state == "complete", got.message
        assert out.state == "complete", out.message
        assert sha256(Path(got.path)) == digest
        # New seats; the sender offered the transfer again to Bob's user, and Bob went on from
        # the chunks he had written, not from the start.
        assert (ann[0].participant_id, bob[0].participant_id) != old_ids
        assert len(reoffers) == 1 and reoffers[0].to_users == [bob_user]
        assert len(resumes) == 1 and 0 < resumes[0].received < SIZE // CHUNK_SIZE, resumes
        assert not list((tmp_path / "down").glob(".*parley-part"))
        # And the meeting goes on: another file after the restart.
        small = tmp_path / "after.bin"
        small_digest = random_file(small, 300_000)
        again = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=60))
        await ann[2].send_file(small)
        after = await again
        assert after.state == "complete" and sha256(Path(after.path)) == small_digest
    finally:
        await setup.close()


async def test_offer_not_answered_before_a_restart_ends_with_a_sentence(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    try:
        ann, bob = await setup.join(accept=False)  # Bob sees the offer and does not answer
        src = tmp_path / "unanswered.bin"
        random_file(src, 100_000)
        offered = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming", ("offered",)), timeout=30))
        bob_final = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=60))
        ann_final = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=60))
        await ann[2].send_file(src)
        await offered
        back = [
            asyncio.ensure_future(p[0].wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=60))
            for p in setup.people
        ]
        setup.restart()
        await asyncio.gather(*back)
        theirs, mine = await bob_final, await ann_final
        assert theirs.state == "failed" and "lost when the server restarted" in theirs.message, theirs
        assert "Ann" in theirs.message
        assert mine.state == "failed" and "lost when the server restarted" in mine.message, mine
    finally:
        await setup.close()


async def test_recipient_who_does_not_come_back_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_module, "RESUME_WAIT", 3.0)
    setup = Setup(tmp_path)
    try:
        ann, bob = await setup.join()
        src = tmp_path / "gone.bin"
        random_file(src, SIZE)
        moving = asyncio.ensure_future(
            bob[0].wait_for(lambda e: isinstance(e, ev.FileTransferChanged) and e.done_bytes > 1_000_000, timeout=60)
        )
        ann_final = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=90))
        await ann[2].send_file(src)
        await moving
        back = asyncio.ensure_future(ann[0].wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=60))
        assert setup.relay.stop(signal.SIGTERM) == 0
        # Bob's computer goes away while the server is down: he never comes back.
        client, session, files = setup.people.pop()
        await files.stop()
        await session.stop()
        await client.close()
        setup.relay.start()
        await back
        out = await ann_final
        assert out.state == "failed", out
        assert "Bob" in out.message and "did not take the file back after reconnecting" in out.message, out.message
        assert not list((tmp_path / "down").glob(".*parley-part"))  # Bob's app removed its partial file
    finally:
        await setup.close()


def _lose_final_ack(client: Any, then: Any) -> list[Any]:
    """The connection goes down just as ``client`` sends the acknowledgement that completes a
    transfer: the request fails (as it would), ``then()`` runs; later requests go through."""
    from shared.errors import Unavailable

    lost: list[Any] = []
    request = client.request

    async def flaky(req: Any) -> Any:
        if isinstance(req, m.AckFile) and req.complete and not lost:
            lost.append(req)
            await then()
            raise Unavailable("The connection to the server was lost.")
        return await request(req)

    client.request = flaky
    return lost


@pytest.mark.parametrize("how", ["reconnect", "restart"])
async def test_lost_final_acknowledgement_is_said_again(tmp_path: Path, how: str) -> None:
    """The file is saved but its last acknowledgement is lost with the connection: once back
    (same seat after a reconnect, or a new seat after a restart) the recipient says it again and
    the sender's transfer completes instead of waiting for ever."""
    setup = Setup(tmp_path)
    try:
        ann, bob = await setup.join()
        src = tmp_path / "last.bin"
        digest = random_file(src, 1_500_000)
        back = []

        async def drop() -> None:
            people = setup.people if how == "restart" else [bob]
            back.extend(
                asyncio.ensure_future(p[0].wait_for(lambda e: isinstance(e, ev.Reconnected), timeout=60))
                for p in people
            )
            if how == "restart":
                setup.restart()
            else:
                bob[0].signalling.ws.transport.abort()
                await bob[1].publish_pc.close()

        lost = _lose_final_ack(bob[0], drop)
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=60))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=90))
        await ann[2].send_file(src)
        got = await done
        assert got.state == "complete" and sha256(Path(got.path)) == digest
        await asyncio.gather(*back)
        out = await sent
        assert lost and out.state == "complete", out.message
        assert "delivered to Bob" in out.message
    finally:
        await setup.close()
