"""The receiving side's state machine on its own (client/engine/transfers/receiving.py), fed what
the sending machine produces: offers and chunks sealed with one role, opened with the other. Plain
calls; no relay, no loop, no clock, no disk (the disk actions come out as outputs)."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from client.engine.transfers.outputs import After, Ask, Discard, Emit, Output, Resume, Save, Settled, Write
from client.engine.transfers.receiving import Incoming, receive_offer
from client.engine.transfers.sending import Outgoing, Recipient
from shared import e2e
from shared.errors import NotFound, Unavailable
from shared.protocol import messages as m

CHUNK = 1024
T0 = 100.0
DOWN = Path("/home/bob/Downloads")


class Pair:
    """Ann's outgoing machine and Bob's incoming one for the same file."""

    def __init__(self, size: int = 10 * CHUNK, *, digest: str | None = None) -> None:
        self.data = os.urandom(size)
        bob = e2e.KeyPair()
        self.ann, offer = Outgoing.offer(
            path=Path("/home/ann/../notes.txt"),
            stat=(size, 1),
            sha256=digest or hashlib.sha256(self.data).hexdigest(),
            chunk_size=CHUNK,
            keys={"bob": bob.public_bytes},
            recipients=[Recipient("bob", "Bob", "user-bob")],
            now=T0,
        )
        offered = m.FileOffered(
            meeting_id="m",
            transfer_id=offer.transfer_id,
            from_participant_id="ann",
            from_name="Ann",
            size=offer.size,
            chunk_size=offer.chunk_size,
            chunks=offer.chunks,
            manifest=offer.manifest,
            sender_key=offer.sender_key,
            wrapped_key=offer.wrapped_keys["bob"],
        )
        bob_in, first = receive_offer(offered, bob, "bob", T0)
        assert bob_in is not None and [type(o) for o in first] == [Emit]
        self.bob: Incoming = bob_in
        self.tid = offer.transfer_id

    def accept(self) -> None:
        self.bob.accepted(DOWN, self.bob.part_path(DOWN), T0)

    def chunk(self, index: int) -> tuple[int, bytes]:
        frame = self.ann.frame(index, self.ann.seal(index, self.data[index * CHUNK : (index + 1) * CHUNK]))
        parsed = e2e.parse_chunk_frame(frame)
        assert parsed is not None and parsed[0] == self.ann.raw_id
        return parsed[1], parsed[2]

    def arrive(self, index: int, now: float = T0) -> list[Output]:
        """Chunk ``index`` arrives and, when Bob writes it, is written."""
        out = self.bob.chunk_received(*self.chunk(index), now)
        writes = [o for o in out if isinstance(o, Write)]
        if not writes:
            return out
        assert writes == [Write(self.tid, self.data[index * CHUNK : (index + 1) * CHUNK])] and out == writes
        return self.bob.chunk_written(writes[0].data, now)


def asks(outputs: list[Output]) -> list[Ask]:
    return [o for o in outputs if isinstance(o, Ask)]


def events(outputs: list[Output]) -> list[str]:
    return [o.event.state for o in outputs if isinstance(o, Emit)]


def test_the_offer_opens_with_a_safe_name_and_a_folder_must_have_room() -> None:
    p = Pair()
    assert (p.bob.name, p.bob.size, p.bob.sender_name, p.bob.state) == ("notes.txt", 10 * CHUNK, "Ann", "offered")
    assert p.bob.part_path(DOWN) == DOWN / f".notes.txt.{p.tid[:8]}.parley-part"
    assert p.bob.lacks_space(DOWN, 10 * CHUNK) is None
    assert (
        p.bob.lacks_space(DOWN, 9000)
        == f"There is not enough free space in {DOWN} for notes.txt (10.2 KB needed, 9.0 KB free)."
    )
    offered = m.FileOffered(
        meeting_id="m",
        transfer_id=p.tid,
        from_participant_id="ann",
        from_name="Ann",
        size=1,
        chunk_size=CHUNK,
        chunks=1,
        manifest="bm90IHNlYWxlZA==",
        sender_key=e2e.b64(os.urandom(32)),
        wrapped_key="bm90IHdyYXBwZWQ=",
    )
    assert receive_offer(offered, e2e.KeyPair(), "bob", T0) == (
        None,
        [Ask(m.AnswerFile(id=0, transfer_id=p.tid, accept=False, reason="The file could not be decrypted."))],
    )


def test_chunks_in_order_are_written_acknowledged_one_at_a_time_and_saved() -> None:
    p = Pair()
    p.accept()
    assert not asks(p.arrive(0) + p.arrive(1) + p.arrive(2))
    (first,) = asks(p.arrive(3))  # one acknowledgement per 4 chunks
    assert first.request == m.AckFile(id=0, transfer_id=p.tid, received=4, complete=False)
    for index in range(4, 9):
        assert not asks(p.arrive(index))  # one acknowledgement in flight at a time
    assert first.then is not None
    (second,) = asks(first.then(None, T0))  # the reply: then the newest count
    assert second.request == m.AckFile(id=0, transfer_id=p.tid, received=9, complete=False) and p.bob.acked == 4
    last = p.arrive(9)
    assert last == [Save(p.tid, p.bob.part_path(DOWN), DOWN, "notes.txt")]  # the hash matched
    out = p.bob.saved(DOWN / "notes.txt", T0)
    assert p.bob.state == "complete" and events(out) == ["complete"] and not asks(out)  # the 9 is still out
    assert second.then is not None
    (final,) = asks(second.then(None, T0))
    assert final.request == m.AckFile(id=0, transfer_id=p.tid, received=10, complete=True)
    assert final.then is not None and final.then(None, T0) == [Settled(p.tid)]
    assert p.bob.message == f"notes.txt from Ann was saved as {DOWN / 'notes.txt'}."


def test_resume_after_a_reconnect_from_the_chunk_written() -> None:
    p = Pair()
    p.accept()
    for index in range(5):
        p.arrive(index)
    assert p.bob.channel_changed() == [] and p.bob.resume_needed
    assert p.bob.chunk_received(*p.chunk(5), T0) == []  # nothing is taken until the relay is told
    (resume,) = p.bob.resume(T0)
    assert isinstance(resume, Ask) and resume.request == m.ResumeFile(id=0, transfer_id=p.tid, received=5)
    assert p.bob.resume(T0) == []  # asked once
    assert [type(o) for o in p.bob.chunk_received(*p.chunk(5), T0)] == [Write]  # taken from now on
    p.bob.chunk_written(p.data[5 * CHUNK : 6 * CHUNK], T0)
    assert resume.then is not None
    resume.then(None, T0 + 1)
    assert p.bob.acked == 6
    assert p.bob.chunk_received(*p.chunk(7), T0)[:1] == [Discard(p.tid, p.bob.part_path(DOWN))]
    assert p.bob.state == "failed" and "missing" in p.bob.message


def test_a_failed_resume_ends_it_without_a_word_to_the_relay() -> None:
    p = Pair()
    p.accept()
    p.bob.reattached()
    (resume,) = p.bob.resume(T0)
    assert isinstance(resume, Ask) and resume.then is not None
    out = resume.then(NotFound("This file transfer is no longer in progress."), T0)
    assert p.bob.state == "failed" and not asks(out) and Settled(p.tid) in out
    assert p.bob.message == "notes.txt could not be resumed: This file transfer is no longer in progress."


def finished_with_lost_ack(p: Pair) -> Ask:
    """Bob writes all of a 4-chunk file; the acknowledgement that says so is lost."""
    p.accept()
    assert p.bob.chunks == 4 and not asks(p.arrive(0) + p.arrive(1) + p.arrive(2))
    assert isinstance(p.arrive(3)[0], Save)
    (final,) = asks(p.bob.saved(DOWN / "notes.txt", T0))
    assert isinstance(final.request, m.AckFile) and final.request.complete and final.then is not None
    assert final.then(Unavailable("The connection to the server was lost."), T0) == [Settled(p.tid)]
    assert p.bob.final_ack_pending
    return final


def test_a_lost_final_acknowledgement_is_repeated_on_the_next_channel() -> None:
    p = Pair(4 * CHUNK)
    finished_with_lost_ack(p)
    (again,) = p.bob.channel_changed()
    assert isinstance(again, Ask) and again.request == m.AckFile(id=0, transfer_id=p.tid, received=4, complete=True)
    assert again.then is not None and again.then(None, T0) == [] and not p.bob.final_ack_pending
    assert p.bob.channel_changed() == []  # said once it was heard


def test_a_lost_final_acknowledgement_is_repeated_after_a_restart_to_the_reoffered_transfer() -> None:
    p = Pair(4 * CHUNK)
    finished_with_lost_ack(p)
    assert p.bob.seat_lost(T0, 45.0) == [] and p.bob.channel_changed() == []  # wait for the sender
    reoffered = m.FileReoffered(meeting_id="m", transfer_id=p.tid, from_participant_id="ann-2", from_name="Ann")
    (claim,) = p.bob.reoffered(reoffered)
    assert isinstance(claim, Ask) and claim.request == m.ResumeFile(id=0, transfer_id=p.tid, received=4)


def test_the_relay_refusing_a_final_acknowledgement_is_not_repeated() -> None:
    p = Pair(CHUNK)
    p.accept()
    assert isinstance(p.arrive(0)[0], Save)
    (final,) = asks(p.bob.saved(DOWN / "notes.txt", T0))
    assert final.then is not None
    final.then(NotFound("This file transfer is no longer in progress."), T0)
    assert not p.bob.final_ack_pending


def test_after_a_restart_it_waits_for_the_sender_then_resumes_or_gives_up() -> None:
    p = Pair()
    p.accept()
    p.arrive(0)
    out = p.bob.seat_lost(T0, 45.0)
    assert events(out) == ["transferring"] and p.bob.message == "Reconnected to the server; waiting for Ann to go on."
    wait = out[-1]
    assert isinstance(wait, After) and wait.seconds == 45.0
    assert p.bob.resume(T0) == []  # not before the sender offered it again
    reoffered = m.FileReoffered(meeting_id="m", transfer_id=p.tid, from_participant_id="ann-2", from_name="Ann B.")
    assert p.bob.reoffered(reoffered) == [Resume()] and p.bob.sender_id == "ann-2"
    assert [a.request for a in asks(p.bob.resume(T0))] == [m.ResumeFile(id=0, transfer_id=p.tid, received=1)]
    assert wait.then(T0 + 45) == []  # it went on: nothing to give up

    q = Pair()
    q.accept()
    later = q.bob.seat_lost(T0, 45.0)[-1]
    assert isinstance(later, After)
    gave_up = later.then(T0 + 45)
    assert q.bob.state == "failed" and not asks(gave_up) and Discard(q.tid, q.bob.part_path(DOWN)) in gave_up
    assert q.bob.message == "Ann did not go on with the transfer after reconnecting; ask them to send notes.txt again."


def test_an_offer_not_answered_before_a_restart_is_lost() -> None:
    p = Pair()
    out = p.bob.seat_lost(T0, 45.0)
    assert p.bob.state == "failed" and not asks(out)
    assert p.bob.message == "The offer was lost when the server restarted; ask Ann to send notes.txt again."


def test_damage_on_the_way_or_on_disk_fails_cleanly_and_tells_the_sender() -> None:
    p = Pair(digest="0" * 64)
    p.accept()
    for index in range(9):
        p.arrive(index)
    out = p.arrive(9)
    assert out[:2] == [Discard(p.tid, p.bob.part_path(DOWN)), Settled(p.tid)]
    assert asks(out)[0].request == m.CancelFile(id=0, transfer_id=p.tid, reason=p.bob.message)
    assert "SHA-256 mismatch" in p.bob.message and events(out) == ["failed"]

    q = Pair()
    q.accept()
    index, sealed = q.chunk(0)
    assert q.bob.chunk_received(index, sealed[:-1] + bytes([sealed[-1] ^ 1]), T0)[0] == Discard(
        q.tid, q.bob.part_path(DOWN)
    )
    assert "altered" in q.bob.message

    r = Pair()
    r.accept()
    r.bob.write_failed(OSError(errno.ENOSPC, "No space left on device"), T0)
    assert r.bob.message == "Your disk is full; notes.txt could not be saved."
    assert r.bob.fail("failed", "again", T0) == []  # over once


def test_declining_tells_the_relay_then_says_so() -> None:
    p = Pair()
    settled, answer = p.bob.decline("Not now")
    assert settled == Settled(p.tid) and isinstance(answer, Ask)
    assert answer.request == m.AnswerFile(id=0, transfer_id=p.tid, accept=False, reason="Not now")
    assert answer.then is not None and events(answer.then(None, T0)) == ["declined"]


def test_progress_events_are_throttled_by_the_time_passed_in() -> None:
    p = Pair()
    p.accept()
    assert events(p.arrive(0, T0 + 0.1)) == ["transferring"]
    assert events(p.arrive(1, T0 + 0.2)) == []  # 0.1 s after the last
    assert events(p.arrive(2, T0 + 0.36)) == ["transferring"]
    out = p.arrive(3, T0 + 0.5)
    assert events(out) == []
    out = p.arrive(4, T0 + 0.7)
    (event,) = [o.event for o in out if isinstance(o, Emit)]
    assert event.done_bytes == 5 * CHUNK and event.speed > 0 and event.seconds_left is not None
