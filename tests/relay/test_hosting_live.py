"""Bookings, the lobby, host controls, the length limit and maintenance against real relays."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.meetings import MeetingDesk
from shared.errors import Conflict, Forbidden, LimitExceeded, NotFound, Unavailable
from shared.protocol import messages as m
from tests.conftest import RunningRelay, signed_in, unique_name
from tests.media_fixtures import wait_until

HOUR = 3600.0


def expect(client: Any, predicate: Any, timeout: float = 10.0) -> asyncio.Task[Any]:
    """Start listening now for an event that the next action causes."""
    return asyncio.ensure_future(client.wait_for(predicate, timeout))


def add_room(relay: RunningRelay, capacity: int = 10) -> str:
    """Add a room straight into the relay's database (the CLI path has its own test)."""
    name = unique_name("room")

    async def add() -> None:
        from relay.config import load_config
        from relay.rooms import Rooms
        from relay.store.db import Database

        config = load_config(relay.config_path, data_dir=relay.data_dir)
        db = Database(config.database_url)
        try:
            await Rooms(db, config).add_room(name, capacity)
        finally:
            await db.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, add()).result(timeout=60)
    return name


async def desk_for(make_client: Any, relay: RunningRelay, name: str | None = None) -> MeetingDesk:
    return MeetingDesk(await signed_in(make_client, relay, name))


def audit(relay: RunningRelay, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(relay.cli("audit", "--json", *args).stdout)
    return rows


async def test_two_users_racing_for_one_slot_exactly_one_wins(relay: RunningRelay, make_client: Any) -> None:
    room = add_room(relay)
    desks = [await desk_for(make_client, relay) for _ in range(4)]
    start = time.time() + 10 * HOUR
    results = await asyncio.gather(
        *(d.book(room, f"Race {i}", start + i * 60, start + HOUR, "Europe/Paris") for i, d in enumerate(desks)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, m.BookingSaved)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(lost) == 3, results
    assert all("is already booked from" in c.message and won[0].booking.title in c.message for c in lost)
    # Everyone sees one booking in the room: the winner's.
    listed = await desks[0].client.request(m.ListRooms(id=0))
    assert isinstance(listed, m.RoomList) and room in [r.name for r in listed.rooms]
    winner = next(d for d in desks if d.client.user.username == won[0].booking.host_username)
    assert [b.booking_id for b in await winner.bookings()] == [won[0].booking.booking_id]


async def test_invitees_see_bookings_and_uninvited_people_wait_in_the_lobby(
    relay: RunningRelay, make_client: Any
) -> None:
    bob_name, carol_name, dave_name = (relay.add_user(display=n) for n in ("Bob", "Carol", "Dave"))
    alice = await desk_for(make_client, relay, relay.add_user(display="Alice"))
    bob, carol, dave = [await desk_for(make_client, relay, n) for n in (bob_name, carol_name, dave_name)]
    room = add_room(relay)
    start = time.time() + 60
    saved = await alice.book(room, "Design review", start, start + HOUR, "America/New_York", [bob_name])
    booking = saved.booking
    assert [b.booking_id for b in await bob.bookings()] == [booking.booking_id]
    assert await carol.bookings() == []
    with pytest.raises(NotFound):  # invitees must exist
        await alice.book(room, "x", start + 2 * HOUR, start + 3 * HOUR, "UTC", ["nobody-" + bob_name])

    await alice.client.join(booking.meeting_id)
    await bob.client.join(booking.meeting_id)  # invited: straight in

    lobby_seen = asyncio.get_running_loop().create_future()

    def on_event(event: Any) -> None:
        if isinstance(event, ev.LobbyQueueChanged) and event.waiting and not lobby_seen.done():
            lobby_seen.set_result(event.waiting)

    alice.client.add_listener(on_event)
    carol_join = asyncio.create_task(carol.client.join(booking.meeting_id))
    waiting = await asyncio.wait_for(lobby_seen, 10)
    assert [w.display_name for w in waiting] == ["Carol"]
    assert not carol_join.done()
    await alice.admit(waiting[0].user_id)
    joined = await asyncio.wait_for(carol_join, 10)
    assert sorted(p.display_name for p in joined.participants) == ["Alice", "Bob", "Carol"]

    dave_join = asyncio.create_task(dave.client.join(booking.meeting_id))
    await alice.client.wait_for(
        lambda e: isinstance(e, ev.LobbyQueueChanged) and any(w.display_name == "Dave" for w in e.waiting)
    )
    # A participant cannot decide who comes in.
    with pytest.raises(Forbidden):
        await bob.host_action("admit_all")
    dave_id = next(w.user_id for w in alice.lobby[booking.meeting_id] if w.display_name == "Dave")
    await alice.deny(dave_id)
    with pytest.raises(Forbidden, match="did not let you in"):
        await asyncio.wait_for(dave_join, 10)

    # Edit and cancel are the host's; cancelling ends the meeting and the link stops working.
    with pytest.raises(Forbidden):
        await bob.edit(booking.booking_id, title="Mine now")
    edited = await alice.edit(booking.booking_id, title="Design review (moved)", ends_at=start + 2 * HOUR)
    assert edited.booking.title == "Design review (moved)"
    ended = expect(bob.client, lambda e: isinstance(e, ev.MeetingLeft) and e.reason == "ended")
    await alice.cancel(booking.booking_id)
    await ended
    with pytest.raises(NotFound):
        await bob.client.join(booking.meeting_id)
    actions = [r["action"] for r in audit(relay, "--actor", alice.client.user.username)]
    assert {"booking.create", "booking.edit", "booking.cancel", "host.admit", "host.deny"} <= set(actions)


async def test_people_hear_when_a_booking_concerning_them_changes(relay: RunningRelay, make_client: Any) -> None:
    """Invitations, changes and cancellations are pushed to the people concerned who are signed
    in (their upcoming list refreshes), and to the host's other devices; nobody else hears."""
    alice_name, bob_name, carol_name = (relay.add_user(display=n) for n in ("Alice", "Bob", "Carol"))
    alice, alice_laptop = [await desk_for(make_client, relay, alice_name) for _ in range(2)]
    bob, carol = [await desk_for(make_client, relay, n) for n in (bob_name, carol_name)]
    heard: dict[str, list[Any]] = {"alice": [], "laptop": [], "bob": [], "carol": []}
    for who, desk in (("alice", alice), ("laptop", alice_laptop), ("bob", bob), ("carol", carol)):
        desk.client.add_listener(lambda e, who=who: isinstance(e, ev.BookingsUpdated) and heard[who].append(e))

    async def settle(who: str, count: int) -> list[Any]:
        await wait_until(lambda: len(heard[who]) >= count, 10, f"{count} booking pushes to {who}")
        return heard[who]

    room = add_room(relay)
    start = time.time() + 2 * HOUR
    saved = await alice.book(room, "Roadmap", start, start + HOUR, "Europe/Paris", [bob_name])
    booking_id = saved.booking.booking_id
    (invited,) = await settle("bob", 1)
    assert (invited.booking_id, invited.message) == (booking_id, "Alice invited you to Roadmap.")
    assert [b.booking_id for b in await bob.bookings()] == [booking_id]
    (other_device,) = await settle("laptop", 1)
    assert other_device.booking_id == booking_id and other_device.message == ""

    await alice.edit(booking_id, title="Roadmap v2", invitees=[carol_name])
    assert [e.message for e in await settle("carol", 1)] == ["Alice invited you to Roadmap v2."]
    assert [e.message for e in await settle("bob", 2)][1] == "You are no longer invited to Roadmap."
    assert await bob.bookings() == []

    await alice.cancel(booking_id)
    assert [e.message for e in await settle("carol", 2)][1] == "Alice cancelled Roadmap v2."
    await asyncio.sleep(0.3)  # anything else would have arrived by now
    assert heard["alice"] == []  # the one who acted is answered, not told
    assert len(heard["bob"]) == 2 and len(heard["laptop"]) == 3


async def test_host_controls(relay: RunningRelay, make_client: Any) -> None:
    names = [relay.add_user(display=n) for n in ("Alice", "Bob", "Carol", "Dave")]
    meeting_id = relay.create_meeting(names[0], "Controls")
    alice, bob, carol, dave = [await desk_for(make_client, relay, n) for n in names]
    for d in (alice, bob, carol):
        await d.client.join(meeting_id)
    pid = {d.client.user.display_name: d.client.participant_id for d in (alice, bob, carol)}

    # Participants cannot use host controls.
    for action, fields in (("mute", {"participant_id": pid["Carol"]}), ("remove", {"participant_id": pid["Alice"]})):
        with pytest.raises(Forbidden):
            await bob.host_action(action, **fields)

    # Mute everyone and forbid unmuting: the relay refuses Bob's unmute until the host allows it.
    muted = expect(
        bob.client,
        lambda e: (
            isinstance(e, ev.ParticipantChanged)
            and e.participant.participant_id == pid["Bob"]
            and e.participant.muted.get("mic")
        ),
    )
    await alice.mute_all(allow_unmute=False)
    await muted
    assert bob.state[meeting_id].unmute_allowed is False
    with pytest.raises(Forbidden, match="does not allow unmuting"):
        await bob.set_muted("mic", False)
    await alice.host_action("allow_unmute")
    unmuted = expect(
        alice.client,
        lambda e: (
            isinstance(e, ev.ParticipantChanged)
            and e.participant.participant_id == pid["Bob"]
            and not e.participant.muted.get("mic")
        ),
    )
    await bob.set_muted("mic", False)
    await unmuted

    # Asking to unmute reaches the person; they decide.
    asked = expect(carol.client, lambda e: isinstance(e, ev.AskedByHost))
    await alice.host_action("ask_unmute", participant_id=pid["Carol"])
    assert (await asked).by == "Alice"  # type: ignore[attr-defined]

    # Hands in order of raising.
    hands = expect(
        alice.client, lambda e: isinstance(e, ev.MeetingStateUpdated) and e.state.hands == [pid["Carol"], pid["Bob"]]
    )
    await carol.raise_hand()
    await bob.raise_hand()
    await hands
    lowered = expect(alice.client, lambda e: isinstance(e, ev.MeetingStateUpdated) and e.state.hands == [pid["Bob"]])
    await alice.host_action("lower_hand", participant_id=pid["Carol"])
    await lowered

    renamed = expect(
        carol.client, lambda e: isinstance(e, ev.ParticipantChanged) and e.participant.display_name == "Robert"
    )
    await alice.rename(pid["Bob"], "Robert")
    await renamed

    # Removed: out at once, and back only through the lobby.
    removed = expect(carol.client, lambda e: isinstance(e, ev.MeetingLeft) and e.reason == "removed")
    await alice.remove(pid["Carol"])
    await removed
    assert carol.client.meeting is None
    in_lobby = expect(alice.client, lambda e: isinstance(e, ev.LobbyQueueChanged) and bool(e.waiting))
    rejoin = asyncio.create_task(carol.client.join(meeting_id))
    changed = await in_lobby
    entry = changed.waiting[0]  # type: ignore[attr-defined]
    assert entry.display_name == "Carol" and entry.removed_before
    await alice.admit(entry.user_id)
    await asyncio.wait_for(rejoin, 10)
    pid["Carol"] = carol.client.participant_id

    # Locked: nobody new.
    await alice.host_action("lock")
    with pytest.raises(Forbidden, match="locked"):
        await dave.client.join(meeting_id)
    await alice.host_action("unlock")

    # Hand the host role over; when that host leaves, the role passes on by itself.
    made_host = expect(
        bob.client,
        lambda e: (
            isinstance(e, ev.ParticipantChanged)
            and e.participant.participant_id == pid["Bob"]
            and e.participant.role == "host"
        ),
    )
    await alice.host_action("make_host", participant_id=pid["Bob"])
    await made_host
    with pytest.raises(Forbidden):
        await alice.host_action("end")
    promoted = expect(
        carol.client,
        lambda e: (
            isinstance(e, ev.ParticipantChanged)
            and e.participant.role == "host"
            and e.participant.participant_id != pid["Bob"]
        ),
    )
    await bob.client.leave()
    new_host = (await promoted).participant  # type: ignore[attr-defined]
    assert new_host.participant_id in (pid["Alice"], pid["Carol"])
    host = alice if new_host.participant_id == pid["Alice"] else carol
    other = carol if host is alice else alice
    ended = expect(other.client, lambda e: isinstance(e, ev.MeetingLeft) and e.reason == "ended")
    await host.host_action("end")
    await ended
    actions = {r["action"] for r in audit(relay, "--since", "1h", "--action", "host")}
    assert {"host.mute_all", "host.remove", "host.admit", "host.lock", "host.make_host", "host.rename"} <= actions
    assert all(r["target"] for r in audit(relay, "--action", "host.mute_all"))


async def stop_relay(relay: RunningRelay, *desks: MeetingDesk) -> None:
    """Sign the clients off first, so the relay need not wait for them when it stops."""
    for desk in desks:
        await desk.client.close()
    relay.stop()


async def test_meeting_length_limit_warns_then_ends(tmp_path: Path, make_client: Any) -> None:
    relay = RunningRelay(tmp_path / "data", "[limits]\nmeeting_length_minutes = 0.05\n").start()
    desks: list[MeetingDesk] = []
    try:
        host = relay.add_user(display="Host")
        meeting_id = relay.create_meeting(host)
        desk = await desk_for(make_client, relay, host)
        desks.append(desk)
        warned = expect(desk.client, lambda e: isinstance(e, ev.MeetingEndAnnounced))
        ended = expect(desk.client, lambda e: isinstance(e, ev.MeetingLeft), timeout=15)
        await desk.client.join(meeting_id)
        warning = await warned
        assert "ends in 1 minute" in warning.message and warning.ends_at > time.time()  # type: ignore[attr-defined]
        left = await ended
        assert left.reason == "ended" and "length limit" in left.message  # type: ignore[attr-defined]
        with pytest.raises(NotFound):
            await desk.client.join(meeting_id)
        # Bookings longer than the limit are refused, naming it.
        room = add_room(relay)
        with pytest.raises(LimitExceeded) as info:
            await desk.book(room, "Long", time.time() + HOUR, time.time() + 2 * HOUR, "UTC")
        assert info.value.detail == {"limit": "meeting_length_minutes", "value": 0.05}
    finally:
        await stop_relay(relay, *desks)


async def test_a_booked_meeting_the_length_limit_ended_does_not_simply_start_again(
    tmp_path: Path, make_client: Any
) -> None:
    """Otherwise the limit means nothing: rejoining the link would start a fresh meeting. It opens
    again before its next booked time, also after a relay restart; a booking with no later time
    stays closed until the host moves it."""
    relay = RunningRelay(tmp_path / "data", "[limits]\nmeeting_length_minutes = 0.05\n").start()
    desks: list[MeetingDesk] = []
    try:
        host = relay.add_user(display="Host")
        desk = await desk_for(make_client, relay, host)
        desks.append(desk)
        room = add_room(relay)
        start = time.time() + 30
        weekly = (await desk.book(room, "Stand-up", start, start + 3, "UTC", weekly_count=2)).booking
        once = (await desk.book(room, "One-off", start + HOUR, start + HOUR + 3, "UTC")).booking

        for booking in (weekly, once):
            ended = expect(desk.client, lambda e: isinstance(e, ev.MeetingLeft), timeout=15)
            await desk.client.join(booking.meeting_id)
            assert "length limit" in (await ended).message  # type: ignore[attr-defined]
        with pytest.raises(LimitExceeded) as weekly_refused:
            await desk.client.join(weekly.meeting_id)
        assert weekly_refused.value.detail == {"limit": "meeting_length_minutes", "value": 0.05}
        assert "opens again at" in weekly_refused.value.message
        with pytest.raises(LimitExceeded, match="no later booked time"):
            await desk.client.join(once.meeting_id)

        await stop_relay(relay, *desks)  # the decision is in the database
        desks.clear()
        relay.start()
        desk = await desk_for(make_client, relay, host)
        desks.append(desk)
        with pytest.raises(LimitExceeded, match="opens again at"):
            await desk.client.join(weekly.meeting_id)

        # The host moves the one-off meeting to a time now (a minute ago): it can be held again.
        now = time.time()
        await desk.edit(once.booking_id, starts_at=now - 1, ends_at=now + 2)
        joined = await desk.client.join(once.meeting_id)
        assert joined.meeting.meeting_id == once.meeting_id
    finally:
        await stop_relay(relay, *desks)


async def test_maintenance_is_announced_and_stops_new_meetings(tmp_path: Path, make_client: Any) -> None:
    relay = RunningRelay(tmp_path / "data").start()
    desks: list[MeetingDesk] = []
    try:
        host = relay.add_user(display="Host")
        waiting_meeting = relay.create_meeting(host)
        desk = await desk_for(make_client, relay, host)
        desks.append(desk)
        refused = relay.cli(
            "maintenance", "schedule", "--start", "+2h", "--duration", "30", "--message", "x", check=False
        )
        assert refused.returncode == 1 and "48 hours ahead" in refused.stderr
        announced = expect(desk.client, lambda e: isinstance(e, ev.MaintenanceNotified) and e.windows)
        started = expect(desk.client, lambda e: isinstance(e, ev.MaintenanceNotified) and e.started, timeout=20)
        out = relay.cli(
            "maintenance", "schedule", "--start", "+3s", "--duration", "5", "--message", "Disk swap", "--emergency"
        ).stdout
        assert "scheduled emergency maintenance" in out
        assert (await announced).windows[0].message == "Disk swap"  # type: ignore[attr-defined]
        event = await started
        assert "Disk swap" in event.message  # type: ignore[attr-defined]
        with pytest.raises(Unavailable, match="maintenance"):
            await desk.client.create_meeting("During maintenance")
        with pytest.raises(Unavailable, match="Disk swap"):
            await desk.client.join(waiting_meeting)
        room = add_room(relay)
        with pytest.raises(Conflict, match="maintenance"):
            await desk.book(room, "Clash", time.time() + 10, time.time() + 60, "UTC")
        # Signing in later shows it too.
        late = await desk_for(make_client, relay, relay.add_user())
        desks.append(late)
        windows = await late.upcoming_maintenance()
        assert [w.message for w in windows] == ["Disk swap"]
        assert [r["action"] for r in audit(relay, "--action", "maintenance")] == ["maintenance.emergency"]
        listed = relay.cli("maintenance", "list").stdout
        assert "Disk swap" in listed and "(emergency)" in listed
    finally:
        await stop_relay(relay, *desks)


def test_room_cli(relay: RunningRelay) -> None:
    name = unique_name("Room ")
    assert relay.cli("room", "add", name, "--capacity", "6", "--description", "by the window").stdout.startswith(
        f"added room {name}"
    )
    listed = json.loads(relay.cli("room", "list", "--json").stdout)
    assert {"name": name, "capacity": 6, "description": "by the window"}.items() <= next(
        r for r in listed if r["name"] == name
    ).items()
    twice = relay.cli("room", "add", name, "--capacity", "6", check=False)
    assert twice.returncode == 1 and f"already a room called {name}" in twice.stderr
    assert relay.cli("room", "remove", name).stdout.strip() == f"removed room {name}"
