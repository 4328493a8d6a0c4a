"""Writes docs/protocol.md from the message definitions: ``python -m shared.protocol.docgen``.

The reference is generated so it cannot drift from the code; a test fails when it is stale.
"""

from __future__ import annotations

import inspect
import sys
import typing
from pathlib import Path

import msgspec

from shared.errors import ErrorCode
from shared.protocol import messages as m

INTRO = """# Parley signalling protocol (version {version})

This page is generated from `shared/protocol/messages.py` by `python -m shared.protocol.docgen`.

Every frame on the signalling websocket (`wss://HOST:PORT/`) is one JSON object with a `type`
field naming the message. There are three kinds of message:

- **Requests** go from client to relay and carry an integer `id` chosen by the client.
- **Replies** go from relay to client and carry the `id` of the request they answer. A request
  that fails is answered with an [`error`](#error) reply instead.
- **Events** are pushes from the relay that answer no request; they have no `id`.

A session starts with [`hello`](#hello); the relay refuses anything else first, and refuses a
protocol version other than its own with a `bad_request` error naming both versions. Only `hello`,
`login`, `resume` and `ping` are accepted before sign-in; everything else gets `unauthorized`.

Message types are append-only: a tag or field is never renamed, removed or given a new meaning.
New fields have defaults, so older peers keep working.

## Error codes

Every `error` reply has one of these stable codes, a sentence for people in `message`, and
machine-readable `detail` (`limit_exceeded` names the `limit` and its `value`; `rate_limited`
gives `retry_after` seconds).

| code | meaning |
| --- | --- |
{codes}

Frames over the size limit (64 KiB by default, `[limits] max_frame_bytes`) get `limit_exceeded`;
frames far over it close the connection (websocket code 1009). Flooding gets `rate_limited` per
connection and per account; a connection that keeps sending bad frames is closed (code 1008).

"""

CODE_TEXT = {
    ErrorCode.BAD_REQUEST: (
        "the frame is not valid JSON, has an unknown type or wrong field types, or the request makes no sense now"
    ),
    ErrorCode.UNAUTHORIZED: "not signed in, wrong password, or the sign-in ended",
    ErrorCode.FORBIDDEN: "signed in, but not allowed (suspended account, host-only action)",
    ErrorCode.NOT_FOUND: "no such meeting, session or participant (or not yours)",
    ErrorCode.CONFLICT: "clashes with the current state (account already in the meeting, booking overlap)",
    ErrorCode.LIMIT_EXCEEDED: "a configured limit was reached; `detail.limit` and `detail.value` name it",
    ErrorCode.RATE_LIMITED: "too many requests or failed sign-ins; `detail.retry_after` says when to retry, "
    "and `detail.reason` is `load` when the wait is about the server's load (sign-in pace, busy hashing)",
    ErrorCode.UNAVAILABLE: "the relay cannot serve this now (shutting down, internal failure)",
}


def _type_name(tp: object) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return " \\| ".join(f'`"{a}"`' for a in typing.get_args(tp))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    if origin is dict:
        k, v = typing.get_args(tp)
        return f"object ({_type_name(k)} → {_type_name(v)})"
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "null"
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    if tp is typing.Any:
        return "any"
    names: dict[object, str] = {int: "integer", float: "number", str: "string", bool: "boolean"}
    return names.get(tp, str(tp))


def _fields(cls: type[msgspec.Struct]) -> str:
    rows = ["| field | type | default |", "| --- | --- | --- |"]
    for f in msgspec.structs.fields(cls):
        if f.name == "type":
            continue
        if f.default is not msgspec.NODEFAULT:
            default = f"`{msgspec.json.encode(f.default).decode()}`"
        elif f.default_factory is not msgspec.NODEFAULT:
            default = f"`{msgspec.json.encode(f.default_factory()).decode()}`"
        else:
            default = "required"
        rows.append(f"| `{f.name}` | {_type_name(f.type)} | {default} |")
    return "\n".join(rows)


def _doc(cls: type) -> str:
    own = cls.__dict__.get("__doc__")
    return inspect.cleandoc(own) if own else ""


def _section(title: str, classes: tuple[type[m._Msg], ...]) -> list[str]:
    out = [f"## {title}", ""]
    for cls in classes:
        out += [f"### `{m.tag_of(cls)}`", "", f"`{cls.__name__}`. {_doc(cls)}".rstrip(), ""]
        out += [_fields(cls), ""]
    return out


def render() -> str:
    codes = "\n".join(f"| `{c.value}` | {CODE_TEXT[c]} |" for c in ErrorCode)
    lines = [INTRO.format(version=m.PROTOCOL_VERSION, codes=codes)]
    lines += _section("Requests (client → relay)", m.REQUEST_TYPES)
    lines += _section("Replies (relay → client)", m.REPLY_TYPES)
    lines += _section("Events (relay → client)", m.EVENT_TYPES)
    values: list[type[msgspec.Struct]] = [m.UserInfo, m.ParticipantInfo, m.MeetingInfo, m.SessionInfo, m.TrackInfo]
    values += [
        v
        for v in vars(m).values()
        if isinstance(v, type)
        and issubclass(v, msgspec.Struct)
        and v not in values
        and v not in m.ALL_TYPES
        and not v.__name__.startswith("_")
    ]
    lines += ["## Value types", ""]
    for cls in values:
        lines += [f"#### {cls.__name__}", "", _doc(cls), "", _fields(cls), ""]
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
