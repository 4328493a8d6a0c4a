"""Connections under attack against a live relay (issue #15 item 3 and parts of 12): caps per
address and in total with /healthz still answering, sockets that never sign in are closed, a
steady flood over the rate limit is closed, /metrics on a listener of its own, and a relay.json
left by a killed relay is not believed."""

from __future__ import annotations

import asyncio
import signal
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from client.engine.explain import SERVER_BUSY, Cause
from client.engine.signalling import ServerUnreachable, SignallingClient
from shared.protocol import messages as m
from tests.abuse import AddressedClient, close_all, connected, paced_flood
from tests.conftest import RunningRelay


async def test_connection_caps_and_the_sign_in_timeout(tmp_path: Path) -> None:
    config = """
[limits]
max_connections = 6
max_connections_per_address = 4
sign_in_timeout_seconds = 2
"""
    relay = RunningRelay(tmp_path / "data", config).start()
    proc = relay.proc
    assert proc is not None and proc.stderr is not None
    opened: list[AddressedClient] = []
    try:
        name = relay.add_user()
        signed = await connected(relay.port, relay.fingerprint, "127.0.5.1")
        assert isinstance(await signed.request(m.Login(id=0, username=name, password="correct horse")), m.LoginOk)
        opened.append(signed)
        opened += [await connected(relay.port, relay.fingerprint, "127.0.5.1") for _ in range(3)]
        with pytest.raises(InvalidStatus, match="503"):  # a fifth from the same address
            await connected(relay.port, relay.fingerprint, "127.0.5.1")
        opened += [await connected(relay.port, relay.fingerprint, "127.0.5.2") for _ in range(2)]
        with pytest.raises(InvalidStatus, match="503"):  # a seventh in all
            await connected(relay.port, relay.fingerprint, "127.0.5.3")
        status, body = relay.http_get("/healthz")  # operators' checks still answer
        assert status == 200, body
        _, metrics = relay.http_get("/metrics")
        assert 'parley_connections_refused_total{reason="per_address"} 1.0' in metrics
        assert 'parley_connections_refused_total{reason="total"} 1.0' in metrics

        # The five that never signed in are closed after 2 seconds; the signed-in one stays.
        idle = opened[1:]
        await asyncio.wait_for(asyncio.gather(*(c.closed.wait() for c in idle)), 15)
        assert isinstance(await signed.request(m.Ping(id=0)), m.Pong)
        # Their places are free again.
        opened.append(await connected(relay.port, relay.fingerprint, "127.0.5.3"))
    finally:
        await close_all(opened)
        relay.stop()
    log = relay.log
    assert "refusing new connections from 127.0.5.1" in log


async def test_people_are_told_the_server_is_busy(tmp_path: Path) -> None:
    relay = RunningRelay(tmp_path / "data", "[limits]\nmax_connections_per_address = 1\n").start()
    first = SignallingClient("127.0.0.1", relay.port, fingerprint=relay.fingerprint)
    try:
        await first.connect()
        with pytest.raises(ServerUnreachable) as refused:
            await SignallingClient("127.0.0.1", relay.port, fingerprint=relay.fingerprint).connect()
        assert refused.value.explanation.cause is Cause.SERVER
        assert str(refused.value.explanation.sentence) == SERVER_BUSY.format(f"127.0.0.1:{relay.port}")
    finally:
        await first.close()
        relay.stop()


async def test_open_files_are_kept_for_health_checks(tmp_path: Path) -> None:
    # With 200 open files allowed, the relay used to take connections until accept() failed
    # (EMFILE) and then answered nobody, /healthz included, and logged nothing.
    relay = RunningRelay(tmp_path / "data", "[limits]\nfd_reserve = 150\nsign_in_timeout_seconds = 0\n")
    relay.open_files = 200
    relay.start()
    proc = relay.proc
    assert proc is not None and proc.stderr is not None
    opened: list[AddressedClient] = []
    refused = 0
    try:
        for i in range(220):
            try:
                opened.append(await connected(relay.port, relay.fingerprint, f"127.0.6.{1 + i // 50}"))
            except InvalidStatus:
                refused += 1
        assert len(opened) == 50 and refused == 170
        status, body = relay.http_get("/healthz")
        assert status == 200, body
        assert relay.cli("meeting", "create", "--host", relay.add_user()).returncode == 0  # the database too
    finally:
        await close_all(opened)
        relay.stop()
    log = relay.log
    assert "only 200 open files are allowed: at most 50 connections" in log


async def test_a_steady_flood_is_closed(tmp_path: Path) -> None:
    # The bucket refills 20 requests a second, so a socket sending 1,000 a second gets one
    # through every 50 ms: it used to be answered rate_limited forever.
    config = """
[limits]
connection_requests_per_second = 20
connection_request_burst = 10
connection_refusals_before_close = 50
"""
    relay = RunningRelay(tmp_path / "data", config).start()
    try:
        client = await connected(relay.port, relay.fingerprint)
        await paced_flood(client, per_second=1000, seconds=20)
        await asyncio.wait_for(client.closed.wait(), 10)
        await client.close()
        other = await connected(relay.port, relay.fingerprint)
        assert isinstance(await other.request(m.Ping(id=0)), m.Pong)
        await other.close()
        _, metrics = relay.http_get("/metrics")
        assert 'parley_connections_refused_total{reason="flooding"} 1.0' in metrics
    finally:
        relay.stop()


def test_metrics_on_a_listener_of_their_own(tmp_path: Path) -> None:
    relay = RunningRelay(tmp_path / "data", '[server]\nmetrics_listen = "127.0.0.1:0"\n').start()
    try:
        line = next(line for line in relay.output if line.startswith("metrics on http://"))
        url = line.split(" on ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200
            assert "parley_connections" in resp.read().decode()
        status, _ = relay.http_get("/metrics")  # no longer on the port clients reach
        assert status == 404
        assert relay.http_get("/healthz")[0] == 200
    finally:
        relay.stop()


def test_relay_json_of_a_killed_relay_is_not_believed(tmp_path: Path) -> None:
    relay = RunningRelay(tmp_path / "data", "[server]\nport = 8443\n").start()
    host = relay.add_user()
    dead_port = relay.port
    assert (relay.data_dir / "relay.json").exists()
    relay.stop(signal.SIGKILL)
    assert (relay.data_dir / "relay.json").exists()  # nothing could remove it
    link = relay.cli("meeting", "create", "--host", host).stdout.strip()
    assert f":{dead_port}/" not in link and ":8443/" in link, link
    assert not (relay.data_dir / "relay.json").exists()
    # A live relay's file is believed.
    relay.start()
    try:
        link = relay.cli("meeting", "create", "--host", host).stdout.strip()
        assert f":{relay.port}/" in link
        assert (relay.data_dir / "relay.json").exists()
    finally:
        relay.stop()
