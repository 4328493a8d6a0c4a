"""Frames the decoder cannot even walk (issue #15 item 9): JSON nested deeper than the decoder's
recursion allows, and a binary frame that is not UTF-8. Each is answered ``bad_request``, counted,
and its connection closed; the relay logs one line, never a traceback, and serves everyone else."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import RunningRelay, signed_in

DEEP = '{"type": "ping", "id": 7, "x": ' + "[" * 30000 + "]" * 30000 + "}"
NOT_UTF8 = b'{"type": "hello", "id": 7, "protocol": 1, "client": "\xff\xfe"}'


@pytest.fixture(scope="module")
def own_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    running = RunningRelay(tmp_path_factory.mktemp("unreadable") / "data").start()
    yield running
    running.stop()


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _errors_counted(relay: RunningRelay) -> float:
    _, metrics = relay.http_get("/metrics")
    found = re.search(r'^parley_protocol_errors_total\{code="bad_request"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize("frame", [DEEP, NOT_UTF8], ids=["deep-nesting", "invalid-utf8"])
async def test_unreadable_frame_is_answered_counted_and_closed(
    own_relay: RunningRelay, make_client: Any, frame: str | bytes
) -> None:
    before = _errors_counted(own_relay)
    for _ in range(20):  # a burst of them, as an attacker would send
        async with connect(f"wss://{own_relay.server}", ssl=_tls(), max_size=None) as ws:
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["type"] == "error" and reply["code"] == "bad_request"
            assert "nested too deeply" in reply["message"] or "UTF-8" in reply["message"]
            with pytest.raises(ConnectionClosed):  # the relay closes this connection
                await asyncio.wait_for(ws.recv(), 10)
    assert _errors_counted(own_relay) >= before + 20
    # Everyone else is served, and the log has a sentence per connection, not a traceback.
    status, _ = own_relay.http_get("/healthz")
    assert status == 200
    client = await signed_in(make_client, own_relay)
    meeting = await client.create_meeting("after the bad frames")
    assert meeting.meeting_id
    assert "Traceback" not in own_relay.log
    assert "RecursionError" not in own_relay.log and "UnicodeDecodeError" not in own_relay.log
