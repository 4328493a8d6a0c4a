"""The relay's file core on its own (relay/sfu/transfers/): requests and frames in as plain calls
with the time, what to tell whom and which frames go to whom out; no channels, no loop, no clock."""

from __future__ import annotations

import pytest

from relay.config import FilesConfig
from relay.sfu.transfers.outputs import Dropped, Queued, Tell, TellSender
from relay.sfu.transfers.pacing import MAX_QUEUED_BYTES_PER_TRANSFER, Round
from relay.sfu.transfers.requests import FileTransfers
from relay.sfu.transfers.state import Person
from shared import e2e
from shared.errors import BadRequest, Conflict, Forbidden, LimitExceeded, NotFound
from shared.protocol import messages as m
from shared.transfer import chunk_count

M = "meeting-1"
ANN, BOB, CAT = Person("ann", "u-ann", "Ann"), Person("bob", "u-bob", "Bob"), Person("cat", "u-cat", "Cat")
PEOPLE = {p.participant_id: p for p in (ANN, BOB, CAT)}
TID = "cd" * 16
CHUNK = 1024
T0 = 100.0


def offer(size: int = 10 * CHUNK, transfer_id: str = TID, to: list[str] | None = None) -> m.OfferFile:
    return m.OfferFile(
        id=1,
        transfer_id=transfer_id,
        size=size,
        chunk_size=CHUNK,
        chunks=chunk_count(size, CHUNK),
        manifest="sealed",
        sender_key="key",
        wrapped_keys={"bob": "for bob", "cat": "for cat"},
        to=to or [],
    )


def frame(index: int, transfer_id: str = TID, body: bytes = b"s" * 100) -> bytes:
    return e2e.chunk_frame(bytes.fromhex(transfer_id), index, body)


def started(config: FilesConfig | None = None, *accepting: Person) -> FileTransfers:
    core = FileTransfers(config or FilesConfig(), T0)
    core.offer(M, ANN, offer(), PEOPLE, T0)
    for person in accepting:
        core.answer(M, person, m.AnswerFile(id=2, transfer_id=TID, accept=True))
    return core


def forward(core: FileTransfers, *indexes: int, now: float = T0) -> list[tuple[int, list[str]]]:
    """Ann sends chunks ``indexes``; the pacer's rounds forward them (each channel takes it)."""
    for index in indexes:
        assert core.pacer.frame_received((M, "ann"), frame(index)) == [Queued()]
    went = []
    while core.pacer.waiting():
        result = Round()
        for f in core.pacer.round(now, result):
            for r in f.to:
                core.pacer.forwarded(r)
            went.append((f.index, [r.participant_id for r in f.to]))
        assert result.progressed
    return went


def test_an_offer_reaches_its_recipients_and_chunks_only_those_who_accepted() -> None:
    core = FileTransfers(FilesConfig(), T0)
    told = core.offer(M, ANN, offer(), PEOPLE, T0)
    assert [
        (t.key, t.event.wrapped_key) for t in told if isinstance(t, Tell) and isinstance(t.event, m.FileOffered)
    ] == [
        ((M, "bob"), "for bob"),
        ((M, "cat"), "for cat"),
    ]
    (news,) = core.answer(M, BOB, m.AnswerFile(id=2, transfer_id=TID, accept=True))
    assert news == TellSender(
        (M, "ann"), m.FileAnswered(transfer_id=TID, participant_id="bob", accepted=True, reason=""), final=False
    )
    assert forward(core, 0, 1) == [(0, ["bob"]), (1, ["bob"])]  # Cat has not answered
    with pytest.raises(Conflict):
        core.answer(M, BOB, m.AnswerFile(id=3, transfer_id=TID, accept=True))


def test_two_recipients_one_cancelling() -> None:
    core = started(None, BOB, CAT)
    assert forward(core, 0, 1) == [(0, ["bob", "cat"]), (1, ["bob", "cat"])]
    out = core.cancel(M, CAT, m.CancelFile(id=4, transfer_id=TID, reason=""))
    gone = m.FileCancelled(transfer_id=TID, participant_id="cat", reason="Cat cancelled the transfer.")
    assert out == [TellSender((M, "ann"), gone, final=True), Tell((M, "cat"), gone)]
    assert forward(core, 2) == [(2, ["bob"])]
    core.ack(M, BOB, m.AckFile(id=5, transfer_id=TID, received=3))
    with pytest.raises(BadRequest, match="does not match"):  # more than was forwarded
        core.ack(M, BOB, m.AckFile(id=6, transfer_id=TID, received=4))
    forward(core, *range(3, 10))
    (done,) = core.ack(M, BOB, m.AckFile(id=7, transfer_id=TID, received=10, complete=True))
    assert isinstance(done, TellSender) and done.final
    assert core.table.transfers == {} and core.table.by_id == {}  # nobody is in it any more


def test_a_recipient_on_a_new_channel_gets_chunks_again_from_where_it_resumes() -> None:
    core = started(None, BOB)
    forward(core, 0, 1, 2)
    assert core.channel_opened((M, "bob")) == []  # Bob's new connection: chunks wait for him
    assert forward(core, 3) == [(3, [])]
    (news,) = core.resume(M, BOB, m.ResumeFile(id=8, transfer_id=TID, received=2))
    assert news == TellSender(
        (M, "ann"),
        m.FileAcked(transfer_id=TID, participant_id="bob", received=2, complete=False, resume=True),
        final=False,
    )
    assert forward(core, 2, 3, 4) == [(2, ["bob"]), (3, ["bob"]), (4, ["bob"])]
    # Ann on a new connection hears where Bob stands (he has acknowledged 2).
    assert [o.event.received for o in core.channel_opened((M, "ann")) if isinstance(o, TellSender)] == [2]
    with pytest.raises(BadRequest, match="nothing to resume"):
        core.resume(M, BOB, m.ResumeFile(id=9, transfer_id=TID, received=11))


def test_budgets_hold_frames_until_the_time_passed_in_allows_them() -> None:
    config = FilesConfig(relay_bytes_per_second=300, bytes_per_minute_per_user=60 * 10_000)
    core = started(config, BOB)
    size = len(frame(0))  # 121 bytes: the relay's 300-byte budget takes two at once
    for index in range(3):
        core.pacer.frame_received((M, "ann"), frame(index))
    went = []
    for _ in range(3):
        result = Round()
        went += [f.index for f in core.pacer.round(T0, result)]
    assert went == [0, 1] and not result.progressed
    assert result.retry_after == pytest.approx((size - (300 - 2 * size)) / 300)
    late = Round()
    assert [f.index for f in core.pacer.round(T0 + result.retry_after + 1e-9, late)] == [2] and late.progressed


def test_an_offer_over_the_per_user_budget_is_refused_until_it_refills() -> None:
    config = FilesConfig(bytes_per_minute_per_user=6000)
    core = started(config, BOB)
    forward(core, *range(5))  # 605 bytes of Ann's 6000 a minute
    core.pacer.user_bucket("u-ann", T0).take(T0, 5000)
    with pytest.raises(LimitExceeded, match=r"sent 5\.9 KiB in the last minute") as refused:
        core.offer(M, ANN, offer(transfer_id="ef" * 16), PEOPLE, T0)
    assert refused.value.detail == {"limit": "bytes_per_minute_per_user", "value": 6000}
    core.offer(M, ANN, offer(transfer_id="ef" * 16), PEOPLE, T0 + 60)  # a minute later


def test_offers_are_checked() -> None:
    core = FileTransfers(FilesConfig(max_file_bytes=5_000_000, transfers_per_user=1), T0)
    with pytest.raises(LimitExceeded, match=r"This file is 4\.8 MiB; this server accepts files up to 4\.8 MiB"):
        core.offer(M, ANN, offer(size=5_000_001), PEOPLE, T0)
    with pytest.raises(BadRequest, match="empty"):
        core.offer(M, ANN, offer(size=0), PEOPLE, T0)
    with pytest.raises(NotFound, match="not in the meeting"):
        core.offer(M, ANN, offer(to=["dan"]), PEOPLE, T0)
    with pytest.raises(NotFound, match="Nobody else"):
        core.offer(M, ANN, offer(), {"ann": ANN, "bob": Person("bob", "u-bob", "Bob", connected=False)}, T0)
    core.offer(M, ANN, offer(to=["bob"]), PEOPLE, T0)
    with pytest.raises(Conflict):
        core.offer(M, ANN, offer(), PEOPLE, T0)
    with pytest.raises(LimitExceeded, match="at most 1 files at once"):
        core.offer(M, ANN, offer(transfer_id="ef" * 16), PEOPLE, T0)
    with pytest.raises(Forbidden):
        core.answer(M, CAT, m.AnswerFile(id=2, transfer_id=TID, accept=True))


def test_frames_that_do_not_belong_are_dropped_with_a_reason() -> None:
    core = started(None, BOB)
    assert core.pacer.frame_received((M, "ann"), b"short") == [Dropped("malformed")]
    assert core.pacer.frame_received((M, "ann"), "text") == [Dropped("malformed")]
    assert core.pacer.frame_received((M, "ann"), frame(0, "ef" * 16)) == [Dropped("unknown_transfer")]
    assert core.pacer.frame_received((M, "bob"), frame(0)) == [Dropped("not_sender")]
    assert core.pacer.frame_received((M, "ann"), frame(10)) == [Dropped("not_sender")]  # past the end
    core.table.by_id[TID].queued = MAX_QUEUED_BYTES_PER_TRANSFER - 10
    out = core.pacer.frame_received((M, "ann"), frame(0))
    stop = m.FileCancelled(
        transfer_id=TID,
        participant_id="ann",
        reason="The sender sent faster than the server allows; the transfer stopped.",
    )
    assert out == [Dropped("overflow"), Tell((M, "bob"), stop), Tell((M, "cat"), stop), Tell((M, "ann"), stop)]
    assert core.table.transfers == {}


def test_an_offer_again_after_a_restart_is_taken_back_by_the_named_user_only() -> None:
    core = FileTransfers(FilesConfig(), T0)
    again = m.ReofferFile(id=1, transfer_id=TID, size=10 * CHUNK, chunk_size=CHUNK, chunks=10, to_users=["u-bob"])
    (told,) = core.reoffer(M, ANN, again, PEOPLE, T0)
    assert isinstance(told, Tell) and told.key == (M, "bob") and isinstance(told.event, m.FileReoffered)
    with pytest.raises(Forbidden):
        core.resume(M, CAT, m.ResumeFile(id=2, transfer_id=TID, received=0))
    bob_again = Person("bob-2", "u-bob", "Bob")
    (news,) = core.resume(M, bob_again, m.ResumeFile(id=3, transfer_id=TID, received=3))
    assert isinstance(news, TellSender) and news.event.participant_id == "bob-2" and news.event.received == 3
    assert forward(core, 3) == [(3, ["bob-2"])]
    only_ann = m.ReofferFile(id=4, transfer_id="ef" * 16, size=1, chunk_size=CHUNK, chunks=1, to_users=["u-ann"])
    with pytest.raises(BadRequest, match="who was receiving"):  # not the sender's own user
        core.reoffer(M, ANN, only_ann, PEOPLE, T0)


def test_a_freed_seat_ends_what_it_sent_and_drops_it_from_what_it_received() -> None:
    core = started(None, BOB, CAT)
    core.offer(M, BOB, offer(transfer_id="ef" * 16, to=["cat"]), PEOPLE, T0)
    core.publish_key(M, BOB, e2e.b64(b"k" * 32), PEOPLE)
    out = core.seat_freed(M, "bob")
    left = m.FileCancelled(transfer_id=TID, participant_id="bob", reason="The recipient left the meeting.")
    assert TellSender((M, "ann"), left, final=True) in out
    assert [o.key for o in out if isinstance(o, Tell)] == [(M, "cat"), (M, "bob")]  # Bob's own offer ends
    assert list(core.table.by_id) == [TID] and core.keys == {}
    assert forward(core, 0) == [(0, ["cat"])]


def test_keys_are_published_to_the_others() -> None:
    core = FileTransfers(FilesConfig(), T0)
    key = e2e.b64(b"k" * 32)
    keys, told = core.publish_key(M, BOB, key, PEOPLE)
    assert keys == {} and [t.key for t in told if isinstance(t, Tell)] == [(M, "ann"), (M, "cat")]
    keys, _ = core.publish_key(M, ANN, key, PEOPLE)
    assert keys == {"bob": key}
    with pytest.raises(BadRequest, match="32 bytes"):
        core.publish_key(M, ANN, e2e.b64(b"short"), PEOPLE)
