"""Company-directory sign-in end to end: a real relay (``auth.mode = "both"``) against a real
OpenLDAP server (tests/slapd.py) over ldaps, signed in from the headless client."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE

from client.engine import events as ev
from client.engine.meetings import MeetingDesk
from shared.errors import BadRequest, Forbidden, RateLimited, Unauthorized
from tests.conftest import RunningRelay, unique_name
from tests.slapd import BASE, HOSTS_GROUP, SERVICE_DN, SERVICE_PW, USERS_GROUP, Slapd

WRONG = "Wrong user name or password."


def directory_config(slapd: Slapd, secret_file: Path, *, url: str = "", extra: str = "") -> str:
    secret_file.write_text(SERVICE_PW + "\n")
    return f"""
[limits]
login_free_failures = 3
login_max_delay_seconds = 0
login_lock_after = 5
login_address_free_failures = 10000
login_address_lock_after = 10000
# Every test here signs in from 127.0.0.1: the per-address pace (tests/relay/test_signin_limits.py)
# would otherwise answer before the account lock these tests are about.
login_attempts_per_address_per_second = 1000
login_address_burst = 1000

[auth]
mode = "both"

[auth.ldap]
urls = ["{url or slapd.url}"]
ca_file = "{slapd.ca_file}"
bind_dn = "{SERVICE_DN}"
bind_password_file = "{secret_file}"
user_base = "ou=people,{BASE}"
user_filter = "(&(objectClass=inetOrgPerson)(uid={{username}}))"
username_attribute = "uid"
disabled_attribute = "employeeType"
disabled_values = ["disabled"]
group_base = "ou=groups,{BASE}"
sync_interval_seconds = 1
timeout_seconds = 2
{extra}
[auth.ldap.groups]
sign_in = ["{USERS_GROUP}"]
host = ["{HOSTS_GROUP}"]
"""


@pytest.fixture(scope="module")
def ldap_relay(slapd: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    folder = tmp_path_factory.mktemp("ldap-relay")
    running = RunningRelay(folder / "data", directory_config(slapd, folder / "ldap-secret")).start()
    yield running
    running.stop()


async def directory_client(make_client: Any, relay: RunningRelay, name: str, password: str) -> Any:
    client = make_client(relay)
    await client.connect()
    await client.sign_in(name, password)
    return client


async def test_directory_user_signs_in_hosts_and_a_colleague_joins(
    slapd: Slapd, ldap_relay: RunningRelay, make_client: Any
) -> None:
    host, guest = unique_name("ann"), unique_name("ben")
    slapd.add_person(host, "ann's directory pw", display="Ann Host", groups=(USERS_GROUP, HOSTS_GROUP))
    slapd.add_person(guest, "ben's directory pw", display="Ben Guest")
    ann = await directory_client(make_client, ldap_relay, host, "ann's directory pw")
    assert ann.user.display_name == "Ann Host"  # the account was made from the directory entry
    meeting = await ann.create_meeting("Directory sync")  # the host group gives host rights
    await ann.join(meeting.meeting_id)

    ben = await directory_client(make_client, ldap_relay, guest.upper(), "ben's directory pw")
    with pytest.raises(Forbidden, match="not create or book"):
        await ben.create_meeting("Not allowed")
    joined = await ben.join(meeting.meeting_id)
    assert sorted(p.display_name for p in joined.participants) == ["Ann Host", "Ben Guest"]

    # The directory password is checked by binding and never stored.
    with sqlite3.connect(ldap_relay.data_dir / "parley.db") as db:
        dump = "\n".join(db.iterdump())
        rows = db.execute("SELECT source, password_hash FROM users WHERE username = ?", (host,)).fetchall()
    assert "ann's directory pw" not in dump and "ben's directory pw" not in dump
    assert rows == [("directory", "!directory")]
    listed = {u["username"]: u for u in json.loads(ldap_relay.cli("user", "list", "--json").stdout)}
    assert listed[host]["source"] == "directory" and listed[host]["may_host"] is True
    assert listed[guest]["may_host"] is False and listed[guest]["is_admin"] is False


async def test_group_change_gives_host_rights_after_a_sync(
    slapd: Slapd, ldap_relay: RunningRelay, make_client: Any
) -> None:
    name = unique_name("cy")
    dn = slapd.add_person(name, "cy's directory pw")
    cy = await directory_client(make_client, ldap_relay, name, "cy's directory pw")
    with pytest.raises(Forbidden):
        await cy.create_meeting()
    slapd.modify(HOSTS_GROUP, {"member": [(MODIFY_ADD, [dn])]})
    ldap_relay.cli("directory", "sync")  # one round now; the relay re-reads rights on each request
    assert (await cy.create_meeting("Now hosting")).title == "Now hosting"
    slapd.modify(HOSTS_GROUP, {"member": [(MODIFY_DELETE, [dn])]})
    ldap_relay.cli("directory", "sync")
    with pytest.raises(Forbidden, match="not create or book"):
        await cy.create_meeting()


async def test_disabled_in_the_directory_ends_the_live_session_within_one_sync(
    slapd: Slapd, ldap_relay: RunningRelay, make_client: Any
) -> None:
    name = unique_name("dee")
    dn = slapd.add_person(name, "dee's directory pw", groups=(USERS_GROUP, HOSTS_GROUP))
    dee = await directory_client(make_client, ldap_relay, name, "dee's directory pw")
    meeting = await dee.create_meeting()
    await dee.join(meeting.meeting_id)
    signed_out = asyncio.ensure_future(dee.wait_for(lambda e: isinstance(e, ev.SignedOut), timeout=15))
    slapd.modify(dn, {"employeeType": [(MODIFY_REPLACE, ["disabled"])]})
    event = await signed_out  # the sync runs every second; every relay then ends the sessions
    assert event.reason == "suspended"
    assert "disabled or removed in the directory" in event.message

    again = make_client(ldap_relay)
    await again.connect()
    with pytest.raises(Forbidden, match="company account is disabled"):
        await again.sign_in(name, "dee's directory pw")
    with pytest.raises(Unauthorized, match=WRONG):  # a wrong password learns nothing more
        await again.sign_in(name, "not dee's password")
    slapd.modify(dn, {"employeeType": [(MODIFY_DELETE, [])]})
    await again.sign_in(name, "dee's directory pw")  # enabled again: the account is lifted


async def test_removed_from_the_directory_signs_out_and_reads_as_unknown(
    slapd: Slapd, ldap_relay: RunningRelay, make_client: Any
) -> None:
    name = unique_name("eve")
    dn = slapd.add_person(name, "eve's directory pw")
    eve = await directory_client(make_client, ldap_relay, name, "eve's directory pw")
    signed_out = asyncio.ensure_future(eve.wait_for(lambda e: isinstance(e, ev.SignedOut), timeout=15))
    slapd.modify(USERS_GROUP, {"member": [(MODIFY_DELETE, [dn])]})
    slapd.delete(dn)
    assert (await signed_out).reason == "suspended"
    fresh = make_client(ldap_relay)
    await fresh.connect()
    with pytest.raises(Unauthorized, match=WRONG):
        await fresh.sign_in(name, "eve's directory pw")


async def test_wrong_password_unknown_user_injection_and_no_access_each_read_safely(
    slapd: Slapd, ldap_relay: RunningRelay, make_client: Any
) -> None:
    name, outsider = unique_name("fay"), unique_name("gus")
    slapd.add_person(name, "fay's directory pw")
    slapd.add_person(outsider, "gus's directory pw", groups=())
    client = make_client(ldap_relay)
    await client.connect()
    refusals = []
    for user, password in [
        (name, "wrong password"),
        (unique_name("nobody"), "fay's directory pw"),
        ("*", "fay's directory pw"),  # a wildcard would match every entry if not escaped
        ("*)(uid=*", "fay's directory pw"),
        (f"{name})(|(uid=*", "fay's directory pw"),
        (name, ""),  # an empty password would be an anonymous bind, which the directory accepts
    ]:
        with pytest.raises(Unauthorized) as refused:
            await client.sign_in(user, password)
        refusals.append(refused.value.message)
    assert refusals == [WRONG] * 6  # nothing about which names exist or the directory's structure
    with pytest.raises(Forbidden) as no_access:
        await client.sign_in(outsider, "gus's directory pw")
    assert "not among those allowed to use Parley" in no_access.value.message
    assert "ou=" not in no_access.value.message and "cn=" not in no_access.value.message
    await client.sign_in(name, "fay's directory pw")


async def test_lockout_applies_to_directory_accounts(slapd: Slapd, ldap_relay: RunningRelay, make_client: Any) -> None:
    name = unique_name("hal")
    slapd.add_person(name, "hal's directory pw")
    client = make_client(ldap_relay)
    await client.connect()
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await client.sign_in(name, "guessing")
    with pytest.raises(RateLimited, match="locked after too many failed sign-ins"):
        await client.sign_in(name, "hal's directory pw")  # locked by the relay before the directory is asked


async def test_people_search_finds_directory_colleagues_and_a_booking_invites_them(
    slapd: Slapd, ldap_relay: RunningRelay, make_client: Any
) -> None:
    stem = unique_name("qz")
    host = f"{stem}host"
    slapd.add_person(host, "host's directory pw", display=f"Quinn {stem} Host", groups=(USERS_GROUP, HOSTS_GROUP))
    colleague = f"{stem}col"
    slapd.add_person(colleague, "col's directory pw", display=f"Colin {stem} Colleague")
    local = ldap_relay.add_user(f"{stem}loc", display=f"Lou {stem} Local")
    client = await directory_client(make_client, ldap_relay, host, "host's directory pw")
    desk = MeetingDesk(client)

    found = await desk.find_people(stem)
    assert {p.username for p in found.people} == {colleague, local}  # not the searcher; never signed in yet
    assert found.note == ""
    assert [p.display_name for p in (await desk.find_people(f"colin {stem}")).people] == [f"Colin {stem} Colleague"]
    assert len((await desk.find_people(stem, limit=1)).people) == 1
    assert (await desk.find_people("*)(uid=*")).people == []  # escaped: a literal, not a wildcard
    with pytest.raises(BadRequest, match="at least 2 characters"):
        await desk.find_people("q")

    ldap_relay.cli("room", "add", f"{stem}-room", "--capacity", "10")
    rooms = await desk.rooms()
    room = next(r for r in rooms if r.name == f"{stem}-room")
    start = time.time() + 3600
    saved = await desk.book(room.name, "Planning", start, start + 1800, "UTC", invitees=[colleague, local])
    assert sorted(saved.booking.invitees) == sorted([colleague, local])  # the colleague's account was made

    # Searching is held to what a person types: a script cannot harvest the directory through Parley.
    refused = []
    for _ in range(60):
        try:
            await desk.find_people("q")
        except BadRequest:
            continue
        except RateLimited as exc:
            refused.append(exc.message)
            break
    assert refused == ["You are searching faster than anyone types. Wait a moment."]


async def test_a_local_account_is_linked_when_its_owner_signs_in_with_the_directory_password(
    slapd: Slapd, ldap_relay: RunningRelay, make_client: Any
) -> None:
    name = unique_name("lee")
    ldap_relay.add_user(name, password="lee's old local pw", display="Lee Local")
    slapd.add_person(name, "lee's directory pw", display="Lee Directory")
    client = make_client(ldap_relay)
    await client.connect()
    assert (await client.sign_in(name, "lee's old local pw")).display_name == "Lee Local"  # mode both: local works
    await client.sign_out()
    assert (await client.sign_in(name, "lee's directory pw")).display_name == "Lee Directory"  # now linked
    await client.sign_out()
    with pytest.raises(Unauthorized, match=WRONG):
        await client.sign_in(name, "lee's old local pw")  # the directory is the truth from now on


async def test_the_sync_of_one_relay_signs_people_out_on_every_relay(
    slapd: Slapd, tmp_path: Path, make_client: Any
) -> None:
    """Two relays on one database: the one whose sync sees the change is not the one the person is on."""
    shared = f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "shared.db"}"\n'
    syncing = directory_config(slapd, tmp_path / "secret")
    quiet = syncing.replace("sync_interval_seconds = 1", "sync_interval_seconds = 3600")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = RunningRelay(tmp_path / "a" / "data", shared + syncing).start()
    second = RunningRelay(tmp_path / "b" / "data", shared + quiet).start()
    try:
        name = unique_name("max")
        dn = slapd.add_person(name, "max's directory pw")
        client = await directory_client(make_client, second, name, "max's directory pw")
        signed_out = asyncio.ensure_future(client.wait_for(lambda e: isinstance(e, ev.SignedOut), timeout=15))
        slapd.modify(dn, {"employeeType": [(MODIFY_REPLACE, ["disabled"])]})
        assert (await signed_out).reason == "suspended"
    finally:
        second.stop()
        first.stop()
