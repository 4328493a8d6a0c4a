"""The sending side's state machine on its own (client/engine/transfers/sending.py): relay events,
chunks and the time go in as plain calls, outputs come out; no relay, no loop, no clock, no disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.engine.transfers.outputs import After, Ask, Emit, Output, Settled, Wake
from client.engine.transfers.sending import Outgoing, Recipient, SourceChanged, choose_recipients
from shared import e2e
from shared.errors import NotFound, ParleyError
from shared.protocol import messages as m

TID = "ab" * 16
CHUNK = 1000
T0 = 100.0  # any monotonic time


def outgoing(size: int = 10_000, *people: str) -> Outgoing:
    names = people or ("bob", "cat")
    return Outgoing(
        transfer_id=TID,
        path=Path("/home/ann/report.pdf"),
        size=size,
        chunk_size=CHUNK,
        key=e2e.new_file_key(),
        stat=(size, 1),
        recipients={p: Recipient(p, p.title(), f"user-{p}") for p in names},
        now=T0,
    )


def answered(pid: str, accepted: bool = True) -> m.FileAnswered:
    return m.FileAnswered(transfer_id=TID, participant_id=pid, accepted=accepted, reason="")


def acked(pid: str, received: int, *, complete: bool = False, resume: bool = False) -> m.FileAcked:
    return m.FileAcked(transfer_id=TID, participant_id=pid, received=received, complete=complete, resume=resume)


def events(outputs: list[Output]) -> list[tuple[str, int]]:
    return [(o.event.state, o.event.done_bytes) for o in outputs if isinstance(o, Emit)]


def send(t: Outgoing, window: int) -> list[int]:
    """Send every chunk the window allows now; the indexes sent."""
    sent = []
    while (index := t.next_chunk(window)) is not None:
        t.sent(index)
        sent.append(index)
    return sent


def test_offer_accepted_by_two_recipients_one_cancelling() -> None:
    t = outgoing()
    assert t.chunks == 10 and t.next_chunk(3) is None  # nobody has accepted yet
    assert Wake(TID) in t.handle(answered("bob"), T0, me="ann")
    assert t.state == "transferring" and send(t, 3) == [0, 1, 2]  # a window of 3 beyond Bob's 0
    t.handle(answered("cat"), T0, me="ann")
    assert send(t, 3) == [0, 1, 2]  # Cat gets everything from the first chunk
    t.handle(acked("bob", 3), T0, me="ann")
    t.handle(acked("cat", 1), T0, me="ann")
    assert send(t, 3) == [3]  # the slowest acknowledgement holds the window
    out = t.handle(m.FileCancelled(transfer_id=TID, participant_id="cat", reason="Cat cancelled."), T0, me="ann")
    assert events(out) == [] and t.state == "transferring"  # throttled: less than 0.25 s since the last
    assert send(t, 3) == [4, 5]  # Cat no longer holds anyone back
    send(t, 10)
    out = t.handle(acked("bob", 10, complete=True), T0 + 1, me="ann")
    assert Wake(TID) in out and Settled(TID) in out
    assert events(out) == [("complete", 10_000)]
    assert t.message == "report.pdf was delivered to Bob. Not delivered to Cat (Cat cancelled.)"
    assert t.handle(acked("bob", 10, complete=True), T0 + 2, me="ann") == []  # over: news is old


def test_everyone_declining_ends_it_declined() -> None:
    t = outgoing()
    t.handle(m.FileAnswered(transfer_id=TID, participant_id="bob", accepted=False, reason="busy"), T0, me="ann")
    out = t.handle(answered("cat", accepted=False), T0, me="ann")
    assert t.state == "declined" and Settled(TID) in out
    assert t.message == "report.pdf was not delivered (Bob: busy; Cat: declined)."


def test_a_recipient_resuming_after_a_reconnect_is_sent_what_it_lacks() -> None:
    t = outgoing(10_000, "bob")
    t.handle(answered("bob"), T0, me="ann")
    assert send(t, 8) == list(range(8))
    t.handle(acked("bob", 5, resume=True), T0, me="ann")  # the relay: Bob is on a new channel at 5
    assert t.next_chunk(8) == 5 and send(t, 8) == [5, 6, 7, 8, 9]


def test_nothing_acknowledged_for_a_while_sends_again_from_the_slowest_acknowledgement() -> None:
    t = outgoing(10_000, "bob")
    t.handle(answered("bob"), T0, me="ann")
    send(t, 4)
    t.handle(acked("bob", 2), T0, me="ann")
    send(t, 4)
    assert t.cursor == 6 and t.next_chunk(4) is None
    t.stalled()
    assert t.next_chunk(4) == 2


def test_the_file_changing_on_disk_stops_the_transfer() -> None:
    t = outgoing(2500, "bob")
    t.check_source((2500, 1))
    with pytest.raises(SourceChanged, match="changed while it was being sent"):
        t.check_source((2504, 2))
    assert len(t.seal(2, b"x" * 500)) == 500 + e2e.CHUNK_OVERHEAD  # the last chunk is shorter
    with pytest.raises(SourceChanged):
        t.seal(2, b"x" * 499)
    (ask,) = t.abort("report.pdf changed while it was being sent; send it again.")
    assert isinstance(ask, Ask) and ask.request == m.CancelFile(id=0, transfer_id=TID, reason=t.message)
    assert ask.then is not None
    out = ask.then(None, T0)  # the relay heard it: now it ends
    assert t.state == "failed" and events(out) == [("failed", 0)] and Settled(TID) in out
    assert t.abort("again") == []


def test_we_cancel_the_relay_hears_it_then_it_ends() -> None:
    t = outgoing()
    (ask,) = t.cancel("", T0)
    assert isinstance(ask, Ask) and ask.request == m.CancelFile(id=0, transfer_id=TID, reason="")
    assert t.state == "cancelled" and t.message == "You cancelled the transfer."
    assert ask.then is not None and events(ask.then(ParleyError("offline"), T0)) == [("cancelled", 0)]


def test_after_a_relay_restart_it_is_offered_again_and_taken_back_by_the_same_user() -> None:
    t = outgoing()
    t.handle(answered("bob"), T0, me="ann")
    send(t, 4)
    t.handle(acked("bob", 3), T0, me="ann")
    out = t.seat_lost(T0 + 1, resume_wait=45.0)
    # Cat never answered: that offer was lost with the old relay. Bob's user gets it again.
    assert t.recipients["cat"].state == "cancelled" and "lost when the server restarted" in t.recipients["cat"].reason
    ask = out[1]
    assert out[0] == Wake(TID) and isinstance(ask, Ask)
    assert ask.request == m.ReofferFile(
        id=0, transfer_id=TID, size=10_000, chunk_size=CHUNK, chunks=10, to_users=["user-bob"]
    )
    assert t.next_chunk(4) is None  # nothing goes until Bob's new seat takes it back
    assert ask.then is not None
    later = ask.then(None, T0 + 2)
    assert events(later) == [("transferring", 3000)] and isinstance(later[-1], After) and later[-1].seconds == 45.0
    t.handle(acked("bob-2", 3, resume=True), T0 + 3, me="ann-2", user_id="user-bob")
    assert set(t.recipients) == {"bob-2", "cat"} and t.message == "" and t.next_chunk(4) == 3
    assert Settled(TID) not in later[-1].then(T0 + 47)  # taken back in time: it goes on


def test_after_a_relay_restart_a_recipient_who_does_not_come_back_is_named() -> None:
    t = outgoing(10_000, "bob")
    t.handle(answered("bob"), T0, me="ann")
    (_, ask) = t.seat_lost(T0, resume_wait=45.0)
    assert isinstance(ask, Ask) and ask.then is not None
    after = ask.then(None, T0)[-1]
    assert isinstance(after, After)
    out = after.then(T0 + 45)
    assert t.state == "failed" and Settled(TID) in out
    assert t.message == "report.pdf was not delivered (Bob: did not take the file back after reconnecting)."
    assert out[-1] == Ask(m.CancelFile(id=0, transfer_id=TID, reason=t.message))  # after the end


def test_after_a_relay_restart_an_offer_the_relay_refuses_again_fails() -> None:
    t = outgoing(10_000, "bob")
    t.handle(answered("bob"), T0, me="ann")
    (_, ask) = t.seat_lost(T0, resume_wait=45.0)
    assert isinstance(ask, Ask) and ask.then is not None
    (cancel,) = ask.then(NotFound("Not now."), T0)
    assert isinstance(cancel, Ask) and isinstance(cancel.request, m.CancelFile) and cancel.then is not None
    assert t.message == "report.pdf could not be offered again after the server restarted: Not now."
    assert t.state == "failed" and Settled(TID) in cancel.then(None, T0)


def test_progress_events_are_throttled_by_the_time_passed_in() -> None:
    t = outgoing(10_000, "bob")
    assert events(t.progress_event(T0)) == [("waiting", 0)]
    assert events(t.handle(answered("bob"), T0 + 0.1, me="ann")) == []  # 0.1 s after the last
    assert events(t.handle(acked("bob", 4), T0 + 0.3, me="ann")) == [("transferring", 4000)]
    assert events(t.handle(acked("bob", 8), T0 + 0.5, me="ann")) == []
    out = t.handle(acked("bob", 8), T0 + 0.6, me="ann")
    assert events(out) == [("transferring", 8000)]
    event = next(o.event for o in out if isinstance(o, Emit))
    assert event.speed > 0 and event.seconds_left is not None  # measured over the times passed in
    assert events(t.handle(acked("bob", 10, complete=True), T0 + 0.61, me="ann")) == [("complete", 10_000)]


def test_recipients_are_those_named_or_everyone_with_a_key() -> None:
    keys = {"bob": b"k", "cat": b"k"}
    names = {"dan": "Dan"}
    assert choose_recipients(None, "ann", ["ann", "bob", "cat", "dan"], keys, names) == ["bob", "cat"]
    assert choose_recipients(["cat"], "ann", ["ann", "bob", "cat"], keys, names) == ["cat"]
    with pytest.raises(ParleyError, match="Dan cannot receive files yet"):
        choose_recipients(["bob", "dan"], "ann", [], keys, names)
    with pytest.raises(NotFound, match="Nobody else"):
        choose_recipients(None, "ann", ["ann", "dan"], keys, names)


def test_the_offer_opens_only_for_its_recipients() -> None:
    bob = e2e.KeyPair()
    t, offer = Outgoing.offer(
        path=Path("/home/ann/report.pdf"),
        stat=(2500, 1),
        sha256="0" * 64,
        chunk_size=CHUNK,
        keys={"bob": bob.public_bytes},
        recipients=[Recipient("bob", "Bob")],
        now=T0,
    )
    assert offer.chunks == t.chunks == 3 and offer.to == ["bob"] and "report" not in offer.manifest
    key = e2e.unwrap_key(offer.wrapped_keys["bob"], bob, e2e.unb64(offer.sender_key), t.transfer_id, "bob")
    assert key == t.key
    with pytest.raises(e2e.DecryptionFailed):
        e2e.unwrap_key(offer.wrapped_keys["bob"], e2e.KeyPair(), e2e.unb64(offer.sender_key), t.transfer_id, "bob")
