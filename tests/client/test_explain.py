"""Errors named by their real cause (client/engine/explain.py), made by real parts: a full disk (a
1 MiB tmpfs), a port where nothing listens, a certificate that is not the one trusted, and a relay
that died. Each gives its own sentence, with no technical text in it; the technical text is kept
as details. Every sentence has a zh_CN translation with the same placeholders."""

from __future__ import annotations

import asyncio
import errno
import re
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.engine import events as ev
from client.engine import explain as ex
from client.engine.call import ParleyClient, describe_error
from client.engine.credentials import TokenStore
from client.engine.signalling import ConnectionLost, ServerUnreachable, SignallingClient, UntrustedCertificate
from shared.errors import ParleyError
from shared.protocol import messages as m
from tests.conftest import ROOT, RunningRelay
from tests.full_disk import full_tmpfs
from tests.test_reconnect import free_port

TECHNICAL = re.compile(r"Errno|errno|Traceback|Connect call failed|\(\d+, |OSError|ssl\.|SSL")


def sentence_is_for_people(text: str) -> None:
    assert text and not TECHNICAL.search(text), text


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    with full_tmpfs(tmp_path) as mount:
        yield mount


async def refused_port() -> ServerUnreachable:
    with pytest.raises(ServerUnreachable) as caught:
        await SignallingClient("127.0.0.1", free_port(), fingerprint="AB" * 32).connect()
    return caught.value


async def test_a_full_disk_when_remembering_the_sign_in(full_disk: Path, relay: RunningRelay) -> None:
    name = relay.add_user()
    store = TokenStore(full_disk / "parley" / "tokens.json", use_keyring=False)
    client = ParleyClient(relay.server, fingerprint=relay.fingerprint, token_store=store)
    try:
        await client.connect()
        with pytest.raises(ParleyError) as caught:
            await client.sign_in(name, "correct horse", remember=True)
        explanation = ex.explain(caught.value)
        assert explanation.cause is ex.Cause.DISK_FULL
        assert "disk is full" in caught.value.message and str(store.path) in caught.value.message
        sentence_is_for_people(caught.value.message)
        assert "No space left" in explanation.details or "28" in explanation.details
        assert client.user is None  # nothing half done: not signed in, nothing remembered
        assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]  # no leftovers
        # Without remembering, the same sign-in works on the same full disk.
        assert (await client.sign_in(name, "correct horse", remember=False)).username == name
    finally:
        await client.close()


async def test_a_refused_port_a_bad_certificate_and_a_dead_relay_each_have_their_own_sentence(
    tmp_path: Path, relay: RunningRelay
) -> None:
    refused = await refused_port()
    assert ex.explain(refused).cause is ex.Cause.REFUSED
    assert "refused the connection" in refused.message
    assert "Connect call failed" in ex.explain(refused).details or "111" in ex.explain(refused).details

    with pytest.raises(UntrustedCertificate) as bad:
        await SignallingClient("127.0.0.1", relay.port, fingerprint="AB" * 32).connect()
    assert ex.explain(bad.value).cause is ex.Cause.CERTIFICATE

    # A relay that dies under signed-in clients: a request after it died, and the reconnecting
    # client giving up.
    dying = RunningRelay(tmp_path / "data", port=free_port()).start()
    name, other = dying.add_user(), dying.add_user()
    client = ParleyClient(dying.server, fingerprint=dying.fingerprint, token_store=TokenStore(tmp_path / "t.json"))
    plain = ParleyClient(dying.server, fingerprint=dying.fingerprint, auto_reconnect=False)
    client.reconnector.give_up_after = 2.0
    try:
        for c, user in ((client, name), (plain, other)):
            await c.connect()
            await c.sign_in(user, "correct horse", remember=False)
        gone = client.wait_for(lambda e: isinstance(e, ev.Disconnected), 30)
        signalling = plain.signalling
        assert signalling is not None
        dying.stop(signal.SIGKILL)
        disconnected = await gone
        assert isinstance(disconnected, ev.Disconnected) and disconnected.explanation is not None
        assert disconnected.explanation.cause is ex.Cause.SERVER_GONE
        assert dying.server in disconnected.message and "stopped answering" in disconnected.message
        await asyncio.wait_for(signalling.closed.wait(), 10)
        with pytest.raises(ConnectionLost) as lost:
            await signalling.request(m.Ping(id=0))
        assert ex.explain(lost.value).cause is ex.Cause.SERVER_GONE
    finally:
        await client.close()
        await plain.close()
        dying.stop()

    sentences = [refused.message, bad.value.message, disconnected.message, describe_error(OSError(errno.ENOSPC, "x"))]
    for text in sentences:
        sentence_is_for_people(text)
    assert len(set(sentences)) == 4


async def test_causes_of_plain_exceptions() -> None:
    cases: list[tuple[BaseException, ex.Cause]] = [
        (OSError(errno.ENOSPC, "No space left on device"), ex.Cause.DISK_FULL),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/rec"), ex.Cause.NO_PERMISSION),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "tokens.tmp"), ex.Cause.FILE),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), ex.Cause.REFUSED),
        (ConnectionResetError(errno.ECONNRESET, "reset"), ex.Cause.SERVER_GONE),
        (TimeoutError(), ex.Cause.NETWORK),
        (RuntimeError('Cannot handle offer in signaling state "closed"'), ex.Cause.UNKNOWN),
    ]
    for error, cause in cases:
        explanation = ex.explain(error)
        assert explanation.cause is cause, (error, explanation)
        sentence_is_for_people(str(explanation.sentence))
    # The case: a file race is not "the network failed".
    assert "network" not in describe_error(FileNotFoundError(errno.ENOENT, "No such file", "tokens.tmp")).lower()


def test_every_sentence_has_a_translation_with_the_same_placeholders() -> None:
    tree = ET.parse(ROOT / "resources" / "translations" / "parley_zh_CN.ts")
    errors = next(c for c in tree.getroot() if c.findtext("name") == "errors")
    catalogue = {m.findtext("source"): m.findtext("translation") or "" for m in errors.iter("message")}
    sentences: dict[str, Any] = {
        name: value for name, value in vars(ex).items() if name.isupper() and isinstance(value, str) and " " in value
    }
    assert len(sentences) >= 30
    for name, template in sentences.items():
        assert template in catalogue, f"{name} is not in the zh_CN catalogue"
        translated = catalogue[template]
        assert re.search(r"[\u4e00-\u9fff]", translated), name
        assert sorted(re.findall(r"\{\d\}", translated)) == sorted(re.findall(r"\{\d\}", template)), name
