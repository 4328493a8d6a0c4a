"""The relay as clients see it: TLS websocket, sign-in, meetings, health, metrics, shutdown."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine.signalling import SignallingClient, UntrustedCertificate
from shared.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from shared.protocol import messages as m
from tests.conftest import RunningRelay, signed_in, unique_name


def test_serve_prints_address_and_fingerprint(relay: RunningRelay) -> None:
    assert relay.output[0].startswith("listening on wss://127.0.0.1:")
    fingerprint = relay.fingerprint
    assert len(fingerprint.split(":")) == 32
    cert = (relay.data_dir / "tls-cert.pem").read_bytes()
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    loaded = x509.load_pem_x509_certificate(cert)
    assert isinstance(loaded.public_key(), ec.EllipticCurvePublicKey)
    from shared.fingerprint import fingerprint_of_der

    assert fingerprint_of_der(loaded.public_bytes(serialization.Encoding.DER)) == fingerprint
    assert (relay.data_dir / "tls-key.pem").stat().st_mode & 0o777 == 0o600


def test_healthz_and_metrics_on_the_same_port(relay: RunningRelay) -> None:
    status, body = relay.http_get("/healthz")
    assert status == 200
    assert json.loads(body)["status"] == "ok"
    status, body = relay.http_get("/metrics")
    assert status == 200
    assert "parley_connections" in body and "parley_logins_total" in body
    status, _ = relay.http_get("/nothing-here")
    assert status == 404


async def test_two_clients_meet_and_see_each_other(relay: RunningRelay, make_client: Any) -> None:
    host_name = relay.add_user(display="Alice Host")
    guest_name = relay.add_user(display="Bob Guest")
    meeting_id = relay.create_meeting(host_name, "Weekly sync")
    host = await signed_in(make_client, relay, host_name)
    guest = await signed_in(make_client, relay, guest_name)

    joined = await host.join(meeting_id)
    assert joined.meeting.title == "Weekly sync"
    assert joined.meeting.link.endswith(f"/m/{meeting_id}")
    assert [p.display_name for p in joined.participants] == ["Alice Host"]
    assert joined.participants[0].role == "host"

    seen = asyncio.ensure_future(host.wait_for(lambda e: isinstance(e, ev.ParticipantChanged) and e.change == "joined"))
    await guest.join(meeting_id)
    event = await seen
    assert event.participant.display_name == "Bob Guest"
    assert sorted(p.display_name for p in guest.participants.values()) == ["Alice Host", "Bob Guest"]
    assert guest.participants[guest.participant_id].role == "participant"

    gone = asyncio.ensure_future(host.wait_for(lambda e: isinstance(e, ev.ParticipantDeparted)))
    await guest.leave()
    assert (await gone).reason == "left"
    assert [p.display_name for p in host.participants.values()] == ["Alice Host"]


async def test_client_creates_an_instant_meeting(relay: RunningRelay, make_client: Any) -> None:
    client = await signed_in(make_client, relay)
    meeting = await client.create_meeting("Quick chat")
    assert meeting.link.startswith(f"parley://127.0.0.1:{relay.port}/m/")
    joined = await client.join(meeting.meeting_id)
    assert joined.participants[0].role == "host"


async def test_same_account_cannot_hold_two_seats(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    meeting_id = relay.create_meeting(name)
    first = await signed_in(make_client, relay, name)
    second = await signed_in(make_client, relay, name)
    await first.join(meeting_id)
    with pytest.raises(Conflict, match="already in this meeting"):
        await second.join(meeting_id)


async def test_dropped_connection_keeps_the_seat_for_the_grace_period(relay: RunningRelay, make_client: Any) -> None:
    host_name, guest_name = relay.add_user(), relay.add_user()
    meeting_id = relay.create_meeting(host_name)
    host = await signed_in(make_client, relay, host_name)
    await host.join(meeting_id)
    guest = await signed_in(make_client, relay, guest_name)
    joined = await guest.join(meeting_id)

    dropped = asyncio.ensure_future(
        host.wait_for(lambda e: isinstance(e, ev.ParticipantChanged) and not e.participant.connected)
    )
    assert guest.signalling is not None and guest.signalling.ws is not None
    guest.signalling.ws.transport.abort()  # the network goes away, no goodbye
    await dropped

    again = make_client(relay)
    await again.connect()
    assert await again.resume(guest_name) is None  # token store of a new device is empty
    await again.sign_in(guest_name, "correct horse")
    back = await again.join(meeting_id)
    assert back.resumed is True
    assert back.participant_id == joined.participant_id
    assert len(host.participants) == 2


async def test_seat_is_freed_after_the_grace_period(tmp_path: Path, make_client: Any) -> None:
    fast = RunningRelay(tmp_path / "data", "[limits]\nreconnect_grace_seconds = 0.5\n").start()
    try:
        host_name, guest_name = fast.add_user(), fast.add_user()
        meeting_id = fast.create_meeting(host_name)
        host = await signed_in(make_client, fast, host_name)
        guest = await signed_in(make_client, fast, guest_name)
        await host.join(meeting_id)
        await guest.join(meeting_id)
        left = asyncio.ensure_future(host.wait_for(lambda e: isinstance(e, ev.ParticipantDeparted), timeout=10))
        await guest.close()
        assert (await left).reason == "disconnected"
        assert len(host.participants) == 1
    finally:
        fast.stop()


async def test_wrong_password_and_unknown_user_read_the_same(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    client = make_client(relay)
    await client.connect()
    with pytest.raises(Unauthorized) as wrong:
        await client.sign_in(name, "wrong password")
    with pytest.raises(Unauthorized) as unknown:
        await client.sign_in(unique_name("ghost"), "wrong password")
    assert wrong.value.message == unknown.value.message == "Wrong user name or password."


async def test_token_resume_and_revocation(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    laptop = await signed_in(make_client, relay, name)
    phone = make_client(relay, token_store=laptop.tokens)
    await phone.connect()
    assert (await phone.resume(name)) is not None  # the remembered token signs in
    sessions = await laptop.list_sessions()
    assert len(sessions) == 1  # resume reuses the session
    other = await signed_in(make_client, relay, name)
    sessions = await laptop.list_sessions()
    assert len(sessions) == 2
    current = [s for s in sessions if s.current]
    assert len(current) == 1
    target = next(s for s in sessions if not s.current)
    assert target.session_id == other.session_id

    ended = asyncio.ensure_future(other.wait_for(lambda e: isinstance(e, ev.SignedOut)))
    await laptop.revoke_session(other.session_id)
    assert (await ended).reason == "revoked"
    with pytest.raises(NotFound):
        await laptop.revoke_session(other.session_id)


async def test_another_users_session_or_meeting_is_out_of_reach(relay: RunningRelay, make_client: Any) -> None:
    alice = await signed_in(make_client, relay)
    mallory = await signed_in(make_client, relay)
    with pytest.raises(NotFound):
        await mallory.revoke_session(alice.session_id)  # someone else's session: not even its existence
    meeting = await alice.create_meeting("Alice's")
    with pytest.raises(Forbidden, match="Only the host"):
        await mallory.request(m.EndMeeting(id=0, meeting_id=meeting.meeting_id))
    with pytest.raises(NotFound):
        await mallory.join("no-such-meeting")
    with pytest.raises(NotFound):
        await mallory.join("x" * 500)
    # Alice's meeting is untouched.
    assert (await alice.join(meeting.meeting_id)).meeting.title == "Alice's"


async def test_host_ends_the_meeting_for_everyone(relay: RunningRelay, make_client: Any) -> None:
    host = await signed_in(make_client, relay)
    guest = await signed_in(make_client, relay)
    meeting = await host.create_meeting()
    await host.join(meeting.meeting_id)
    await guest.join(meeting.meeting_id)
    ended = asyncio.ensure_future(guest.wait_for(lambda e: isinstance(e, ev.MeetingLeft)))
    await host.end_meeting()
    assert (await ended).reason == "ended"
    with pytest.raises(NotFound, match="ended"):
        await guest.join(meeting.meeting_id)


async def test_suspension_ends_live_sessions_at_once(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    client = await signed_in(make_client, relay, name)
    meeting = await client.create_meeting()
    await client.join(meeting.meeting_id)
    signed_out = asyncio.ensure_future(client.wait_for(lambda e: isinstance(e, ev.SignedOut), timeout=10))
    relay.cli("user", "suspend", name)
    event = await signed_out
    assert event.reason == "suspended"
    fresh = make_client(relay)
    await fresh.connect()
    with pytest.raises(Forbidden, match="suspended"):
        await fresh.sign_in(name, "correct horse")
    relay.cli("user", "resume", name)
    await fresh.sign_in(name, "correct horse")


async def test_password_reset_ends_sessions(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    client = await signed_in(make_client, relay, name)
    signed_out = asyncio.ensure_future(client.wait_for(lambda e: isinstance(e, ev.SignedOut), timeout=10))
    relay.cli("user", "reset-password", name, stdin="a brand new secret\n")
    await signed_out
    fresh = make_client(relay)
    await fresh.connect()
    with pytest.raises(Unauthorized):
        await fresh.sign_in(name, "correct horse")
    await fresh.sign_in(name, "a brand new secret")


async def test_unknown_certificate_is_refused_with_its_fingerprint(relay: RunningRelay) -> None:
    client = SignallingClient("127.0.0.1", relay.port)
    with pytest.raises(UntrustedCertificate) as info:
        await client.connect()
    assert info.value.fingerprint == relay.fingerprint
    assert relay.fingerprint in info.value.message


async def test_wrong_pinned_fingerprint_is_refused(relay: RunningRelay) -> None:
    wrong = "AB:" * 31 + "AB"
    client = SignallingClient("127.0.0.1", relay.port, fingerprint=wrong)
    with pytest.raises(UntrustedCertificate, match="does not match"):
        await client.connect()


async def test_sigterm_tells_clients_and_stops_cleanly(tmp_path: Path, make_client: Any) -> None:
    own = RunningRelay(tmp_path / "data").start()
    name = own.add_user()
    client = await signed_in(make_client, own, name)
    meeting = await client.create_meeting()
    await client.join(meeting.meeting_id)
    going = asyncio.ensure_future(client.wait_for(lambda e: isinstance(e, ev.ServerShutdownAnnounced), timeout=10))
    assert own.proc is not None
    own.proc.send_signal(signal.SIGTERM)
    assert "restarting" in (await going).message
    code = await asyncio.to_thread(own.stop)
    assert code == 0
    assert own.output[-1].strip() == "stopped"
    assert not (own.data_dir / "relay.json").exists()
    with sqlite3.connect(own.data_dir / "parley.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 1


async def test_logout_ends_the_token(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    client = await signed_in(make_client, relay, name)
    token = client.tokens.load(client.server, name)
    assert token
    await client.sign_out()
    assert client.tokens.load(client.server, name) is None
    fresh = make_client(relay)
    await fresh.connect()
    with pytest.raises(Unauthorized):
        await fresh.request(m.Resume(id=0, token=token))


async def test_double_login_on_one_connection_is_refused(relay: RunningRelay, make_client: Any) -> None:
    name = relay.add_user()
    client = await signed_in(make_client, relay, name)
    with pytest.raises(BadRequest, match="already signed in"):
        await client.sign_in(name, "correct horse")


async def test_engine_events_as_an_async_iterator(relay: RunningRelay, make_client: Any) -> None:
    host = await signed_in(make_client, relay)
    guest = await signed_in(make_client, relay)
    meeting = await host.create_meeting()
    await host.join(meeting.meeting_id)
    stream = host.events()
    first = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0)  # the iterator is listening before anything happens
    await guest.join(meeting.meeting_id)
    event = await asyncio.wait_for(first, 10)
    assert isinstance(event, ev.ParticipantChanged) and event.participant.user_id == guest.user.user_id
    await guest.leave()
    event = await asyncio.wait_for(stream.__anext__(), 10)
    assert isinstance(event, ev.ParticipantDeparted)
    await stream.aclose()
