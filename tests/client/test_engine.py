"""The client engine: token storage, certificate trust, and the headless participant."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client.engine.credentials import TokenStore
from client.engine.signalling import ServerUnreachable, SignallingClient, UntrustedCertificate
from tests.conftest import ROOT, RunningRelay, signed_in


def test_token_file_fallback_is_private(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "sub" / "tokens.json", use_keyring=False)
    store.save("relay:1", "alice", "t1")
    store.save("relay:1", "bob", "t2")
    assert (tmp_path / "sub" / "tokens.json").stat().st_mode & 0o777 == 0o600
    assert store.load("relay:1", "alice") == "t1"
    store.forget("relay:1", "alice")
    assert store.load("relay:1", "alice") is None
    assert store.load("relay:1", "bob") == "t2"
    (tmp_path / "sub" / "tokens.json").write_text("{corrupt")
    assert store.load("relay:1", "bob") is None  # a damaged file is not a crash


def test_keyring_backend_is_used_when_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            self.data: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.data.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.data[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.data.pop((service, username), None)

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        store = TokenStore(tmp_path / "tokens.json", use_keyring=True)
        store.save("relay:1", "alice", "secret-token")
        assert backend.data == {("Parley", "relay:1|alice"): "secret-token"}
        assert not (tmp_path / "tokens.json").exists()
        assert store.load("relay:1", "alice") == "secret-token"
        store.forget("relay:1", "alice")
        assert backend.data == {}
    finally:
        keyring.set_keyring(previous)


def _ca_and_server_cert(tmp_path: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Corp CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = tmp_path / "ca.pem", tmp_path / "relay.pem", tmp_path / "relay.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


async def test_ca_signed_certificate_from_config_is_trusted(tmp_path: Path, make_client: Any) -> None:
    ca, cert, key = _ca_and_server_cert(tmp_path)
    config = f'[server]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
    relay = RunningRelay(tmp_path / "data", config).start()
    try:
        assert not (tmp_path / "data" / "tls-cert.pem").exists()  # no self-signed one was made
        trusted = SignallingClient("127.0.0.1", relay.port, cafile=str(ca))
        await trusted.connect()  # verified by the CA, no fingerprint needed
        await trusted.close()
        with pytest.raises(UntrustedCertificate):  # without the CA it is unknown
            await SignallingClient("127.0.0.1", relay.port).connect()
        name = relay.add_user()
        client = await signed_in(make_client, relay, name, fingerprint=None, cafile=str(ca))
        assert client.user.username == name
    finally:
        relay.stop()


async def test_unreachable_server_is_a_sentence() -> None:
    client = SignallingClient("127.0.0.1", 9, fingerprint="AB" * 32)
    with pytest.raises(ServerUnreachable, match=r"The server 127\.0\.0\.1:9 refused the connection"):
        await client.connect()


def _parley(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "client.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_headless_participants_meet(relay: RunningRelay, tmp_path: Path) -> None:
    host, guest = relay.add_user(display="Hana Host"), relay.add_user(display="Gus Guest")
    link = relay.cli("meeting", "create", "--host", host).stdout.strip()
    env = {"PARLEY_TOKEN_FILE": str(tmp_path / "tokens.json")}
    common = ["--server-fingerprint", relay.fingerprint, "--password-stdin", "--camera", "none", "--mic", "none"]
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "client.cli",
            "join",
            link,
            "--headless",
            "--user",
            host,
            *common,
            "--duration",
            "8",
            "--stats",
            str(tmp_path / "host.json"),
            "--json-events",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
    )
    assert first.stdin is not None and first.stdout is not None
    first.stdin.write("correct horse\n")
    first.stdin.close()
    assert json.loads(first.stdout.readline())["event"] == "joined"  # the host is in before the guest comes
    second = _parley(
        "join", link, "--headless", "--user", guest, *common, "--duration", "1", stdin="correct horse\n", env=env
    )
    assert second.returncode == 0, second.stderr
    out = first.stdout.read()
    assert first.wait(60) == 0, first.stderr.read() if first.stderr else ""
    events = [json.loads(line) for line in out.splitlines()]
    assert {"event": "participant_joined", "name": "Gus Guest"}.items() <= next(
        e for e in events if e["event"] == "participant_joined"
    ).items()
    assert any(e["event"] == "participant_left" and e["name"] == "Gus Guest" for e in events)
    stats = json.loads((tmp_path / "host.json").read_text())
    assert stats["participant"] == "Hana Host"


def test_headless_errors_are_sentences(relay: RunningRelay, tmp_path: Path) -> None:
    name = relay.add_user()
    link = relay.cli("meeting", "create", "--host", name).stdout.strip()
    env = {"PARLEY_TOKEN_FILE": str(tmp_path / "tokens.json")}
    cases = [
        (["join", "parley://nowhere/x/y", "--headless"], None, 2, "not a meeting link"),
        (
            ["join", link, "--headless", "--user", name, "--password-stdin", "--server-fingerprint", relay.fingerprint],
            "wrong\n",
            1,
            "Wrong user name or password",
        ),
        (
            ["join", link, "--headless", "--user", name, "--password-stdin", "--server-fingerprint", "12"],
            "x\n",
            1,
            "not a SHA-256 fingerprint",
        ),
        (["join", link, "--headless", "--user", name], None, 1, "presented a certificate"),
        (
            ["join", link, "--headless", "--user", name, "--server-fingerprint", relay.fingerprint],
            None,
            1,
            "No remembered sign-in",
        ),
    ]
    for args, stdin, code, needle in cases:
        result = _parley(*args, stdin=stdin, env=env)
        assert result.returncode == code, (args, result.stderr)
        assert needle in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


async def test_close_while_reconnecting_returns_promptly(tmp_path: Path, make_client: Any) -> None:
    from client.engine import events as ev

    relay = RunningRelay(tmp_path / "data").start()
    try:
        client = await signed_in(make_client, relay)
        meeting = await client.create_meeting()
        await client.join(meeting.meeting_id)
        reconnecting = asyncio.ensure_future(client.wait_for(lambda e: isinstance(e, ev.Reconnecting), timeout=20))
        relay.stop(signal.SIGKILL)
        await reconnecting
        await asyncio.sleep(1.5)  # inside the loop: connect attempts against a dead port
        await asyncio.wait_for(client.close(), 10)
        assert not client.reconnector.running
    finally:
        relay.stop()


async def test_signalling_close_does_not_swallow_its_callers_cancellation() -> None:
    # A reconnect loop cancelled while it closes a connection must stop there (it used to go on
    # retrying for minutes because close() ate the CancelledError).
    client = SignallingClient("127.0.0.1", 9, fingerprint="AB" * 32)
    client._reader = asyncio.ensure_future(asyncio.sleep(3))
    closing = asyncio.ensure_future(client.close())
    await asyncio.sleep(0.1)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert closing.cancelled()
    client._reader.cancel()


async def test_a_link_to_another_relay_is_refused_with_a_sentence(tmp_path: Path) -> None:
    from client.engine.call import ParleyClient
    from shared.errors import NotFound
    from shared.links import MeetingLink

    client = ParleyClient("relay.example:8443", token_store=TokenStore(tmp_path / "t.json", use_keyring=False))
    assert client.link_to("abc") == MeetingLink("relay.example", 8443, "abc")
    client.check_link(MeetingLink("relay.example", 8443, "abc"))
    with pytest.raises(NotFound, match=r"on the server elsewhere\.example:8443, but you are signed in to relay"):
        await client.join(MeetingLink("elsewhere.example", 8443, "abc"))
