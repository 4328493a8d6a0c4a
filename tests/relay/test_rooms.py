"""Rooms, bookings and maintenance windows against a migrated SQLite database, with a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from relay.accounts import Accounts
from relay.config import Config
from relay.maintenance import MaintenanceWindows
from relay.rooms import BookingDraft, Rooms
from relay.store.db import Database
from relay.store.models import User
from relay.times import weekly_occurrences
from shared.errors import BadRequest, Conflict, Forbidden, LimitExceeded, NotFound
from shared.protocol import messages as m
from tests.fakes import FakeClock

NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC
HOUR = 3600.0


@dataclass
class World:
    rooms: Rooms
    windows: MaintenanceWindows
    alice: User
    bob: User
    carol: User
    clock: FakeClock
    config: Config


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    config = Config(data_dir=tmp_path)
    config.limits.bookings_per_user = 3
    config.limits.meeting_length_minutes = 120
    db = Database(config.database_url)
    await db.migrate()
    clock = FakeClock()
    accounts = Accounts(db, config.limits, clock)
    users = [await accounts.add_user(name, "correct horse", name.title()) for name in ("alice", "bob", "carol")]
    rooms = Rooms(db, config, clock)
    await rooms.add_room("Blue", 4, "fourth floor")
    await rooms.add_room("Tiny", 1)
    yield World(rooms, MaintenanceWindows(db, config, rooms, clock), *users, clock=clock, config=config)
    await db.close()


def draft(start_h: float = 2, length_h: float = 1, **kw: object) -> BookingDraft:
    fields: dict[str, object] = {
        "room": "Blue",
        "title": "Planning",
        "starts_at": NOW + start_h * HOUR,
        "ends_at": NOW + (start_h + length_h) * HOUR,
        "timezone": "Europe/Paris",
        "invitees": [],
        "weekly_count": 1,
    }
    fields.update(kw)
    return BookingDraft(**fields)  # type: ignore[arg-type]


async def test_book_list_edit_cancel(world: World) -> None:
    booked = await world.rooms.book(world.alice, draft(invitees=["bob"]))
    assert booked.room_name == "Blue" and booked.invitees == ["bob"] and booked.host_username == "alice"
    assert booked.link.endswith(f"/m/{booked.meeting_id}")
    # The invitee sees it; someone else does not.
    assert [b.booking_id for b in await world.rooms.list_for(world.bob)] == [booked.booking_id]
    assert await world.rooms.list_for(world.carol) == []
    edited = await world.rooms.edit(
        world.alice,
        booked.booking_id,
        m.EditBooking(id=0, booking_id=booked.booking_id, title="Planning v2", invitees=["carol"]),
    )
    assert edited.title == "Planning v2" and edited.invitees == ["carol"]
    assert await world.rooms.list_for(world.bob) == []
    with pytest.raises(Forbidden):
        await world.rooms.cancel(world.bob, booked.booking_id)
    await world.rooms.cancel(world.alice, booked.booking_id)
    assert await world.rooms.list_for(world.alice) == []
    # The slot is free again.
    await world.rooms.book(world.bob, draft())


async def test_booking_carries_the_e_mail_addresses_accounts_have(world: World) -> None:
    async with world.rooms.db.sessions() as s, s.begin():
        for user, email in ((world.alice, "alice@example.com"), (world.bob, "bob@example.com")):
            row = await s.get(User, user.id)
            assert row is not None
            row.email = email
    booked = await world.rooms.book(world.alice, draft(invitees=["bob", "carol"]))
    assert booked.host_email == "alice@example.com"
    assert booked.invitee_emails == {"bob": "bob@example.com"}  # carol's account has none


async def test_a_meeting_can_be_booked_without_a_room(world: World) -> None:
    first = await world.rooms.book(world.alice, draft(room="", invitees=["bob"]))
    assert first.room_name == "" and first.invitees == ["bob"] and first.link
    # The person's own "room" holds no slot: two meetings of theirs may overlap, as in any calendar.
    second = await world.rooms.book(world.alice, draft(room="", title="Overlap"))
    assert second.room_id == first.room_id
    assert [r.name for r in await world.rooms.list_rooms()] == ["Blue", "Tiny"]  # never listed
    with pytest.raises(NotFound):  # nor booked by someone else
        await world.rooms.book(world.bob, draft(room=first.room_id))
    assert (await world.rooms.book(world.bob, draft(room=""))).room_id != first.room_id


async def test_overlap_is_refused_with_the_conflicting_slot_named(world: World) -> None:
    await world.rooms.book(world.alice, draft(2, 1, title="Board"))
    with pytest.raises(Conflict) as info:
        await world.rooms.book(world.bob, draft(2.5, 1))
    assert "Blue is already booked from 2027-01-15 11:00 Europe/Paris to 2027-01-15 12:00" in info.value.message
    assert "Board" in info.value.message
    # Back to back is fine, and another room is fine.
    await world.rooms.book(world.bob, draft(3, 1))
    await world.rooms.book(world.bob, draft(2.5, 1, room="Tiny"))


async def test_weekly_recurrence_blocks_later_weeks_and_follows_daylight_saving(world: World) -> None:
    booked = await world.rooms.book(world.alice, draft(2, 1, weekly_count=12))
    assert len(booked.occurrences) == 12
    with pytest.raises(Conflict):
        await world.rooms.book(world.bob, draft(2 + 24 * 7 * 5, 1))
    # 2027-03-28 Europe/Paris switches to summer time: wall-clock 10:00 stays 10:00 local.
    slots = weekly_occurrences(NOW, NOW + HOUR, 12, "Europe/Paris")
    assert slots[11][0] - slots[10][0] == 7 * 24 * HOUR - HOUR


BAD_BOOKINGS: list[tuple[dict[str, object], type[Exception], str]] = [
    ({"start_h": 2, "length_h": -1}, BadRequest, "end after it starts"),
    ({"start_h": 2, "length_h": 0}, BadRequest, "end after it starts"),
    ({"start_h": -5}, BadRequest, "in the past"),
    ({"start_h": 24 * 400}, BadRequest, "365 days ahead"),
    ({"timezone": "Mars/Olympus"}, BadRequest, "not a time zone"),
    ({"timezone": "../../etc/passwd"}, BadRequest, "not a time zone"),
    ({"room": "Nowhere"}, NotFound, "no room called 'Nowhere'"),
    ({"invitees": ["bob", "nobody"]}, NotFound, "no account called nobody"),
    ({"length_h": 3}, LimitExceeded, "at most 2 hours"),
    ({"weekly_count": 53}, LimitExceeded, "1 to 52"),
    ({"title": " "}, BadRequest, "title"),
    ({"room": "Tiny", "invitees": ["bob"]}, LimitExceeded, "holds 1 people"),
]


async def test_bad_bookings_are_refused_in_a_sentence(world: World) -> None:
    for changes, error, words in BAD_BOOKINGS:
        fields = dict(changes)
        start_h = fields.pop("start_h", 2)
        length_h = fields.pop("length_h", 1)
        with pytest.raises(error) as info:
            await world.rooms.book(world.alice, draft(start_h, length_h, **fields))  # type: ignore[arg-type]
        assert words in info.value.message, (changes, info.value)  # type: ignore[attr-defined]
    assert await world.rooms.list_for(world.alice) == []


async def test_bookings_per_user_limit(world: World) -> None:
    for day in range(3):
        await world.rooms.book(world.alice, draft(2 + 24 * day, 1))
    with pytest.raises(LimitExceeded) as info:
        await world.rooms.book(world.alice, draft(2 + 24 * 5, 1))
    assert info.value.detail == {"limit": "bookings_per_user", "value": 3}
    # Past bookings do not count.
    world.clock.now += 24 * 3 * HOUR
    await world.rooms.book(world.alice, draft(2 + 24 * 3, 1))


async def test_maintenance_notice_and_overlap(world: World) -> None:
    booked = await world.rooms.book(world.alice, draft(50, 1))
    with pytest.raises(BadRequest) as info:
        await world.windows.schedule(NOW + 2 * HOUR, 30, "Upgrade")
    assert "48 hours ahead" in info.value.message
    window, clashing = await world.windows.schedule(NOW + 49.5 * HOUR, 120, "Database upgrade")
    assert [b.booking_id for b in clashing] == [booked.booking_id]
    with pytest.raises(Conflict) as info2:
        await world.rooms.book(world.bob, draft(51, 1))
    assert "maintenance" in info2.value.message and "Database upgrade" in info2.value.message
    emergency, _ = await world.windows.schedule(NOW + HOUR, 10, "Security fix", emergency=True)
    assert emergency.emergency
    assert [w.id for w in await world.windows.list()] == [emergency.id, window.id]
    await world.windows.cancel(window.id)
    await world.rooms.book(world.bob, draft(51, 1))
    with pytest.raises(NotFound):
        await world.windows.cancel(999)


async def test_rooms_admin(world: World) -> None:
    with pytest.raises(Conflict):
        await world.rooms.add_room("Blue", 3)
    with pytest.raises(BadRequest):
        await world.rooms.add_room("Zero", 0)
    await world.rooms.book(world.alice, draft())
    with pytest.raises(Conflict) as info:
        await world.rooms.remove_room("Blue")
    assert "1 upcoming booking" in info.value.message
    assert await world.rooms.remove_room("Blue", force=True) == 1
    assert [r.name for r in await world.rooms.list_rooms()] == ["Tiny"]
    assert await world.rooms.list_for(world.alice) == []
