"""Hosts' decisions survive a relay restart (SIGTERM, same port): co-hosts, removed people, the
lock and the recording indicator come back from the database (relay/meeting_state.py)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.meetings import MeetingDesk
from shared.errors import Forbidden
from shared.protocol import messages as m
from tests.conftest import RunningRelay, signed_in
from tests.media_fixtures import wait_until
from tests.test_reconnect import free_port


def expect(client: Any, predicate: Any, timeout: float = 30.0) -> asyncio.Task[Any]:
    return asyncio.ensure_future(client.wait_for(predicate, timeout))


def meeting_state_rows(relay: RunningRelay) -> int:
    with sqlite3.connect(relay.data_dir / "parley.db") as conn:
        return int(conn.execute("SELECT count(*) FROM meeting_state").fetchone()[0])


def role_of(client: Any, user_id: str) -> str:
    return next((p.role for p in client.participants.values() if p.user_id == user_id), "")


async def test_cohost_removal_lock_and_recording_survive_a_restart(tmp_path: Path, make_client: Any) -> None:
    relay = RunningRelay(tmp_path / "data", "[backup]\ninterval_hours = 0\n", port=free_port()).start()
    try:
        names = {n: relay.add_user(display=n) for n in ("Alice", "Bob", "Carol", "Dave", "Erin")}
        meeting = relay.create_meeting(names["Alice"], "Board")
        c = {n: await signed_in(make_client, relay, names[n]) for n in names}
        for n in ("Alice", "Bob", "Carol", "Erin"):
            await c[n].join(meeting)
        alice = MeetingDesk(c["Alice"])
        uid = {n: c[n].user.user_id for n in names}
        pid = {n: c[n].participant_id for n in ("Alice", "Bob", "Carol")}
        await c["Erin"].leave()  # admitted earlier: may come back into the locked meeting

        await alice.host_action("make_cohost", participant_id=pid["Bob"])
        await alice.remove(pid["Carol"])
        await alice.host_action("lock")
        started = await c["Alice"].request(m.StartRecording(id=0))
        assert isinstance(started, m.RecordingStatus) and started.state.recording
        assert role_of(c["Alice"], uid["Bob"]) == "cohost"

        back = [expect(c[n], lambda e: isinstance(e, ev.Reconnected)) for n in ("Alice", "Bob")]
        assert relay.stop(signal.SIGTERM) == 0
        with sqlite3.connect(relay.data_dir / "parley.db") as conn:
            row = conn.execute("SELECT locked, removed, recording_by_user_id FROM meeting_state").fetchone()
        assert row[0] == 1 and uid["Carol"] in row[1] and row[2] == uid["Alice"]
        relay.start()
        await asyncio.gather(*back)

        # Bob is a co-host again, in everyone's list.
        await wait_until(lambda: role_of(c["Alice"], uid["Bob"]) == "cohost", 15, "bob to be co-host again")
        await wait_until(lambda: role_of(c["Bob"], uid["Bob"]) == "cohost", 15, "bob to see himself co-host")

        # The meeting is still locked: nobody new.
        with pytest.raises(Forbidden, match="locked"):
            await c["Dave"].join(meeting)

        # Carol, removed before the restart, waits for the host, who can say no.
        in_lobby = expect(c["Alice"], lambda e: isinstance(e, ev.LobbyQueueChanged) and bool(e.waiting))
        rejoin = asyncio.create_task(c["Carol"].join(meeting))
        entry = (await in_lobby).waiting[0]
        assert entry.user_id == uid["Carol"] and entry.removed_before
        await alice.host_action("deny", user_id=uid["Carol"])
        with pytest.raises(Forbidden):
            await asyncio.wait_for(rejoin, 10)

        # Erin, joining late, sees that Alice is recording.
        told: asyncio.Future[m.RecordingChanged] = asyncio.get_running_loop().create_future()
        c["Erin"].push_handlers.append(
            lambda e: told.done() or not isinstance(e, m.RecordingChanged) or told.set_result(e)
        )
        await c["Erin"].join(meeting)
        state = (await asyncio.wait_for(told, 10)).state
        assert state.recording and state.by_name == "Alice"
        assert state.by_participant_id == c["Alice"].participant_id  # the recorder's new seat

        # Alice stops recording: written through, and gone after another restart.
        await c["Alice"].request(m.StopRecording(id=0))
        with sqlite3.connect(relay.data_dir / "parley.db") as conn:
            assert conn.execute("SELECT recording_by_user_id FROM meeting_state").fetchone()[0] == ""

        # Ending the meeting forgets its decisions.
        await alice.host_action("end")
        await wait_until(lambda: meeting_state_rows(relay) == 0, 10, "the meeting's state to be deleted")
        for n in c:
            await c[n].close()
    finally:
        relay.stop()


async def test_a_host_handed_over_stays_host_after_a_restart(tmp_path: Path, make_client: Any) -> None:
    """Alice created the meeting and handed the host role to Bob: after a restart Bob is still the
    host (whoever of them comes back first) and Alice is not; the next meeting starts afresh."""
    relay = RunningRelay(tmp_path / "data", "[backup]\ninterval_hours = 0\n", port=free_port()).start()
    try:
        names = {n: relay.add_user(display=n) for n in ("Alice", "Bob", "Carol")}
        meeting = relay.create_meeting(names["Alice"], "Handover")
        c = {n: await signed_in(make_client, relay, names[n]) for n in names}
        for n in ("Alice", "Bob"):
            await c[n].join(meeting)
        uid = {n: c[n].user.user_id for n in names}
        await MeetingDesk(c["Alice"]).host_action("make_host", participant_id=c["Bob"].participant_id)
        await wait_until(lambda: role_of(c["Alice"], uid["Bob"]) == "host", 10, "bob to be host")
        await MeetingDesk(c["Bob"]).host_action("make_cohost", participant_id=c["Alice"].participant_id)
        await wait_until(lambda: role_of(c["Bob"], uid["Alice"]) == "cohost", 10, "alice to be co-host")
        # Everyone leaves and comes back (no restart): Bob is still the host.
        await c["Alice"].leave()
        await c["Bob"].leave()
        joined = await c["Alice"].join(meeting)
        assert next(p.role for p in joined.participants if p.user_id == uid["Alice"]) != "host"
        await c["Bob"].join(meeting)
        await wait_until(lambda: role_of(c["Alice"], uid["Bob"]) == "host", 10, "bob host again")
        await MeetingDesk(c["Bob"]).host_action("make_cohost", participant_id=c["Alice"].participant_id)
        await wait_until(lambda: role_of(c["Bob"], uid["Alice"]) == "cohost", 10, "alice co-host again")

        back = [expect(c[n], lambda e: isinstance(e, ev.Reconnected)) for n in ("Alice", "Bob")]
        assert relay.stop(signal.SIGTERM) == 0
        relay.start()
        await asyncio.gather(*back)
        for viewer in ("Alice", "Bob"):
            await wait_until(lambda v=viewer: role_of(c[v], uid["Bob"]) == "host", 15, f"{viewer} to see Bob host")
            await wait_until(lambda v=viewer: role_of(c[v], uid["Alice"]) == "cohost", 15, f"{viewer}: Alice co-host")
        await c["Carol"].join(meeting)
        assert role_of(c["Carol"], uid["Bob"]) == "host" and role_of(c["Carol"], uid["Alice"]) == "cohost"
        assert [p.role for p in c["Carol"].participants.values()].count("host") == 1

        # Only the host ends it for everyone; then the handover is forgotten with the meeting.
        with pytest.raises(Forbidden):
            await MeetingDesk(c["Alice"]).host_action("make_host", participant_id=c["Carol"].participant_id)
        await MeetingDesk(c["Bob"]).host_action("end")
        await wait_until(lambda: meeting_state_rows(relay) == 0, 10, "the meeting's state to be deleted")
        for n in c:
            await c[n].close()
    finally:
        relay.stop()


async def test_a_host_mute_survives_a_restart_until_the_person_unmutes(tmp_path: Path) -> None:
    """Alice (host) mutes Bob, whose client keeps sending its microphone (as a headless
    participant does). After a restart Bob's new seat is muted again before his media comes
    back, so Carol still hears nothing of him; when Bob unmutes himself the mute is lifted and
    no longer stored."""
    from tests.media_fixtures import MEDIA_CONFIG, frames, join, leave

    relay = RunningRelay(tmp_path / "data", MEDIA_CONFIG + "[backup]\ninterval_hours = 0\n", port=free_port()).start()
    people: dict[str, Any] = {}
    try:
        names = {n: relay.add_user(display=n) for n in ("Alice", "Bob", "Carol")}
        meeting = relay.create_meeting(names["Alice"], "Quiet please")
        people["Alice"] = await join(relay, names["Alice"], meeting, camera="none", mic="none")
        people["Bob"] = await join(relay, names["Bob"], meeting, camera="none", mic="synthetic")
        people["Carol"] = await join(relay, names["Carol"], meeting, camera="none", mic="none")
        alice, (bob, bob_media), (carol, carol_media) = people["Alice"][0], people["Bob"], people["Carol"]
        bob_user = bob.user.user_id
        await wait_until(lambda: frames(carol_media, bob.participant_id, "mic") > 20, 40, "Carol to hear Bob")

        def bob_seat_muted(viewer: Any) -> bool:
            seat = next((p for p in viewer.participants.values() if p.user_id == bob_user), None)
            return seat is not None and bool(seat.muted.get("mic"))

        await MeetingDesk(alice).host_action("mute", participant_id=bob.participant_id)
        await wait_until(lambda: bob_seat_muted(carol), 10, "Carol to see Bob muted")
        assert bob_media.local_tracks["mic"].muted is False  # Bob's client still sends sound

        back = [expect(c, lambda e: isinstance(e, ev.Reconnected), 60) for c in (alice, bob, carol)]
        assert relay.stop(signal.SIGTERM) == 0
        relay.start()
        await asyncio.gather(*back)

        await wait_until(lambda: bob_seat_muted(carol) and bob_seat_muted(bob), 20, "Bob muted after the restart")
        bob_now = bob.participant_id
        await wait_until(
            lambda: any(i.participant_id == bob_now and i.source == "mic" for i in carol_media.remote.values()),
            40,
            "Bob's microphone track to reach Carol again",
        )
        before = frames(carol_media, bob_now, "mic")  # counters go on across the restart
        await asyncio.sleep(1.5)  # 75 frames' worth: a forwarded microphone would show
        assert frames(carol_media, bob_now, "mic") - before <= 2, "Bob is heard although the host muted him"

        await bob_media.set_muted("mic", False)  # allowed: the host did not forbid unmuting
        await wait_until(lambda: frames(carol_media, bob_now, "mic") > before + 20, 20, "Carol to hear Bob again")
        await wait_until(lambda: not bob_seat_muted(carol), 10, "Carol to see Bob unmuted")

        def stored_mutes() -> str:
            with sqlite3.connect(relay.data_dir / "parley.db") as conn:
                return str(conn.execute("SELECT host_muted FROM meeting_state").fetchone()[0])

        await wait_until(lambda: stored_mutes() == "{}", 10, "the lifted mute to be stored")
        for who in ("Carol", "Bob", "Alice"):
            await leave(*people.pop(who))
    finally:
        for client, media in people.values():
            await media.stop()
            await client.close()
        relay.stop()
