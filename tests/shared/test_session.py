"""The sans-I/O signalling session, driven with no sockets: one role encodes, the other decodes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest

from shared.errors import ErrorCode, LimitExceeded, RateLimited, Unauthorized, error_from_code
from shared.protocol import messages as m
from shared.protocol.session import (
    HandshakeCompleted,
    ProtocolViolation,
    PushReceived,
    ReplyReceived,
    RequestReceived,
    Role,
    SignallingSession,
    State,
    encode,
)

ROOT = Path(__file__).resolve().parents[2]


def pair() -> tuple[SignallingSession, SignallingSession]:
    client, server = SignallingSession(Role.CLIENT), SignallingSession(Role.SERVER)
    client.start()
    pump(client, server)
    pump(server, client)
    return client, server


def pump(src: SignallingSession, dst: SignallingSession) -> None:
    for frame in src.data_to_send():
        dst.receive_frame(frame)


def test_hello_exchange_opens_both_sides() -> None:
    client, server = SignallingSession(Role.CLIENT, agent="c/1"), SignallingSession(Role.SERVER, agent="s/1")
    client.start()
    pump(client, server)
    assert server.state is State.OPEN
    assert server.events_received() == [HandshakeCompleted(peer="c/1", protocol=m.PROTOCOL_VERSION)]
    pump(server, client)
    events = client.events_received()
    assert client.state is State.OPEN
    assert events[0] == HandshakeCompleted(peer="s/1", protocol=m.PROTOCOL_VERSION)
    assert isinstance(events[1], ReplyReceived) and isinstance(events[1].reply, m.HelloOk)


def test_version_mismatch_names_both_versions() -> None:
    server = SignallingSession(Role.SERVER)
    server.receive_frame(json.dumps({"type": "hello", "id": 1, "protocol": 99, "client": "old"}))
    (frame,) = server.data_to_send()
    error = msgspec.json.decode(frame, type=m.Error)
    assert error.code == "bad_request" and error.id == 1
    assert "99" in error.message and str(m.PROTOCOL_VERSION) in error.message
    assert error.detail == {"client_protocol": 99, "server_protocol": m.PROTOCOL_VERSION}
    assert server.state is State.AWAITING_HELLO


def test_requests_before_hello_are_refused() -> None:
    server = SignallingSession(Role.SERVER)
    server.receive_frame(encode(m.Ping(id=5)))
    (frame,) = server.data_to_send()
    assert msgspec.json.decode(frame, type=m.Error).id == 5
    assert not [e for e in server.events_received() if isinstance(e, RequestReceived)]


def test_replies_match_requests_by_id_and_pushes_are_separate() -> None:
    client, server = pair()
    client.events_received()
    server.events_received()
    first = client.send_request(m.Ping(id=0))
    second = client.send_request(m.Login(id=0, username="a", password="b"))
    assert first != second and client.pending_requests == {first, second}
    pump(client, server)
    received = [e.request for e in server.events_received() if isinstance(e, RequestReceived)]
    assert [type(r) for r in received] == [m.Ping, m.Login]
    # Answer out of order, with a push in between.
    server.reply(received[1], m.Ok(id=0))
    server.push(m.ServerGoingAway(message="bye"))
    server.reply(received[0], m.Pong(id=0, server_time=1.0))
    pump(server, client)
    events = client.events_received()
    assert events[0] == ReplyReceived(request_id=second, reply=m.Ok(id=second))
    assert events[1] == PushReceived(event=m.ServerGoingAway(message="bye"))
    assert isinstance(events[2], ReplyReceived) and events[2].request_id == first
    assert client.pending_requests == set()


def test_error_reply_rebuilds_the_exception() -> None:
    event = ReplyReceived(1, m.Error(id=1, code="unauthorized", message="Sign in first."))
    assert isinstance(event.error(), Unauthorized)
    limit = error_from_code("limit_exceeded", "full", {"limit": "participants_per_meeting", "value": 3})
    assert isinstance(limit, LimitExceeded) and limit.detail["value"] == 3
    assert isinstance(error_from_code("rate_limited", "slow", {"retry_after": 2}), RateLimited)


def test_reply_to_unknown_request_is_a_violation() -> None:
    client, _ = pair()
    client.events_received()
    client.receive_frame(encode(m.Ok(id=777)))
    (event,) = client.events_received()
    assert isinstance(event, ProtocolViolation)


@pytest.mark.parametrize(
    ("frame", "needle", "request_id"),
    [
        ("{not json", "not a JSON object", None),
        ("[1, 2]", "", None),
        ('{"type": "teleport", "id": 3}', "Unknown message type 'teleport'", 3),
        ('{"type": "login", "id": 4, "username": 5, "password": "x"}', "Invalid login message", 4),
        ('{"type": "login", "id": "four", "username": "a", "password": "x"}', "", None),
        ('{"id": 6}', "no type", 6),
    ],
)
def test_bad_frames_get_bad_request_and_the_session_survives(frame: str, needle: str, request_id: int | None) -> None:
    _, server = pair()
    server.events_received()
    server.receive_frame(frame)
    (out,) = server.data_to_send()
    error = msgspec.json.decode(out, type=m.Error)
    assert error.code == "bad_request"
    assert needle in error.message
    assert error.id == request_id
    assert isinstance(server.events_received()[0], ProtocolViolation)
    # Still serving: a good request goes through.
    server.receive_frame(encode(m.Ping(id=9)))
    assert [type(e) for e in server.events_received()] == [RequestReceived]


def test_oversized_frame_is_limit_exceeded() -> None:
    server = SignallingSession(Role.SERVER, max_frame_bytes=1000)
    server.receive_frame(json.dumps({"type": "hello", "id": 1, "protocol": 1, "client": "x" * 2000}))
    error = msgspec.json.decode(server.data_to_send()[0], type=m.Error)
    assert error.code == ErrorCode.LIMIT_EXCEEDED.value
    assert error.detail == {"limit": "max_frame_bytes", "value": 1000}


def test_sign_in_gate_on_the_server_role() -> None:
    _, server = pair()
    server.events_received()
    server.receive_frame(encode(m.JoinMeeting(id=2, meeting_id="x")))
    assert msgspec.json.decode(server.data_to_send()[0], type=m.Error).code == "unauthorized"
    server.authenticated = True
    server.receive_frame(encode(m.JoinMeeting(id=3, meeting_id="x")))
    assert [type(e) for e in server.events_received()][-1] is RequestReceived


def test_violations_count_and_good_requests_reset_them() -> None:
    _, server = pair()
    for _ in range(3):
        server.receive_frame("garbage")
    assert server.violations == 3
    server.receive_frame(encode(m.Ping(id=1)))
    assert server.violations == 0


def _example(cls: type) -> object:
    """A value of every message type, built from its fields' types."""
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(cls):
        if field.default is not msgspec.NODEFAULT or field.default_factory is not msgspec.NODEFAULT:
            continue
        values[field.name] = _value_for(field.type)
    return cls(**values)


def _value_for(tp: object) -> object:
    import typing

    origin = typing.get_origin(tp)
    if tp is int:
        return 7
    if tp is float:
        return 1.5
    if tp is str:
        return "x"
    if tp is bool:
        return True
    if origin is typing.Literal:
        return typing.get_args(tp)[0]
    if origin in (list,):
        return [_value_for(typing.get_args(tp)[0])]
    if origin in (dict,):
        return {}
    if origin in (typing.Union,) or type(tp).__name__ == "UnionType":
        return _value_for(typing.get_args(tp)[0])
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _example(tp)
    raise AssertionError(f"no example for {tp!r}")


@pytest.mark.parametrize("cls", m.REQUEST_TYPES, ids=m.tag_of)
def test_every_request_round_trips_client_to_server(cls: type) -> None:
    _, server = pair()
    server.events_received()
    server.authenticated = True
    message = _example(cls)
    if cls is m.Hello:
        server = SignallingSession(Role.SERVER)
        message = m.Hello(id=1, protocol=m.PROTOCOL_VERSION)
    server.receive_frame(encode(message))  # type: ignore[arg-type]
    events = server.events_received()
    if cls is m.Hello:
        assert isinstance(events[0], HandshakeCompleted)
    else:
        assert events == [RequestReceived(message)]  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", m.REPLY_TYPES + m.EVENT_TYPES, ids=m.tag_of)
def test_every_reply_and_event_round_trips_server_to_client(cls: type) -> None:
    client, _ = pair()
    client.events_received()
    message = _example(cls)
    if cls in m.REPLY_TYPES:
        request_id = client.send_request(m.Ping(id=0))
        message.id = request_id  # type: ignore[attr-defined]
        client.receive_frame(encode(message))  # type: ignore[arg-type]
        assert client.events_received() == [ReplyReceived(request_id, message)]  # type: ignore[arg-type]
    else:
        client.receive_frame(encode(message))  # type: ignore[arg-type]
        assert client.events_received() == [PushReceived(message)]  # type: ignore[arg-type]


def test_tags_are_unique_and_every_message_is_documented() -> None:
    tags = [m.tag_of(t) for t in m.ALL_TYPES]
    assert len(tags) == len(set(tags))
    from shared.protocol.docgen import render

    doc = (ROOT / "docs" / "protocol.md").read_text()
    assert doc == render(), "docs/protocol.md is stale: run python -m shared.protocol.docgen"
    documented = set(re.findall(r"^### `([a-z_.]+)`", doc, flags=re.M))
    assert set(tags) <= documented, f"undocumented: {sorted(set(tags) - documented)}"
    assert documented <= set(tags), f"documented but not defined: {sorted(documented - set(tags))}"


def test_error_codes_are_the_stable_set() -> None:
    assert {c.value for c in ErrorCode} == {
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "conflict",
        "limit_exceeded",
        "rate_limited",
        "unavailable",
    }


@pytest.mark.parametrize(
    ("role", "frame"),
    [
        (Role.SERVER, '{"type": "ping", "id": 1, "x": ' + "[" * 30000 + "]" * 30000 + "}"),
        (Role.SERVER, b'{"type": "hello", "id": 1, "protocol": 1, "client": "\xff"}'),
        (Role.SERVER, b'{"type": "\xff", "id": 1}'),
        (Role.CLIENT, '{"type": "pong", "id": 1, "x": ' + "[" * 30000 + "]" * 30000 + "}"),
        (Role.CLIENT, b'{"type": "\xff", "id": 1}'),
    ],
)
def test_unreadable_frames_are_fatal_violations_not_exceptions(frame: str | bytes, role: Role) -> None:
    session = SignallingSession(role)
    session.receive_frame(frame)
    [event] = session.events_received()
    assert isinstance(event, ProtocolViolation) and event.fatal and event.code is ErrorCode.BAD_REQUEST
    if role is Role.SERVER:
        [reply] = session.data_to_send()
        assert json.loads(reply)["code"] == "bad_request"
