"""Fixtures shared by the whole suite: a real relay process on loopback, accounts, clients.

`RunningRelay` starts ``parley-relay serve`` as a subprocess (TLS, SQLite, migrations — the real
thing), reads the port and fingerprint it prints, and stops it with SIGTERM at the end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import os
import signal
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

# The private OpenLDAP server (fixture ``slapd``) for the company-directory tests.
pytest_plugins = ["tests.slapd"]

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
os.environ.setdefault("PARLEY_NO_KEYRING", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_names = itertools.count(1)


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}{os.getpid()}x{next(_names)}"


def relay_cli(
    *args: str, data_dir: Path, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``parley-relay ARGS --data-dir DIR`` as operators do."""
    result = subprocess.run(
        [PYTHON, "-m", "relay.cli", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"parley-relay {' '.join(args)} failed: {result.stderr}")
    return result


class RunningRelay:
    """A ``parley-relay serve`` subprocess on 127.0.0.1 with an ephemeral port."""

    def __init__(self, data_dir: Path, config_text: str | None = None, port: int = 0) -> None:
        self.data_dir = data_dir
        self.config_path: Path | None = None
        if config_text is not None:
            self.config_path = data_dir.parent / f"{data_dir.name}.toml"
            self.config_path.write_text(config_text)
        self.requested_port = port
        self._log: list[str] = []
        self._log_reader: threading.Thread | None = None
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.fingerprint = ""
        self.output: list[str] = []
        # Open-files limit (soft and hard) for the relay process; None: inherited.
        self.open_files: int | None = None

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> RunningRelay:
        cmd = [PYTHON, "-m", "relay.cli", "serve", "--data-dir", str(self.data_dir), "--port", str(self.requested_port)]
        if self.config_path:
            cmd += ["--config", str(self.config_path)]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=None if self.open_files is None else self._limit_open_files,
        )
        assert self.proc.stdout is not None
        # Drain the log as it comes, so a chatty relay never blocks on a full pipe.
        self._log_reader = threading.Thread(target=self._read_log, args=(self.proc,), daemon=True)
        self._log_reader.start()
        for _ in range(5):
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(10)
                self._log_reader.join(5)
                raise AssertionError(f"relay did not start: {self.log}")
            self.output.append(line)
            if line.startswith("listening on wss://"):
                self.port = int(line.rsplit(":", 1)[1])
            if line.startswith("certificate SHA-256 fingerprint:"):
                self.fingerprint = line.split(":", 1)[1].strip()
                break
        assert self.port and self.fingerprint, self.output
        return self

    def _limit_open_files(self) -> None:
        import resource

        assert self.open_files is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.proc.stdout:
            self.output.extend(self.proc.stdout.readlines())
        if self._log_reader is not None:
            self._log_reader.join(5)
        self.proc = None
        return code

    def _read_log(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._log.append(line)

    @property
    def log(self) -> str:
        """Everything the relay has written to its log (stderr) so far."""
        return "".join(self._log)

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        extra = ["--config", str(self.config_path)] if self.config_path else []
        return relay_cli(*args, *extra, data_dir=self.data_dir, stdin=stdin, check=check)

    def add_user(self, name: str | None = None, password: str = "correct horse", display: str | None = None) -> str:
        """Add an account straight into the relay's database (the CLI path has its own tests)."""
        name = name or unique_name()

        async def add() -> None:
            from relay.accounts import Accounts
            from relay.config import load_config
            from relay.store.db import Database

            config = load_config(self.config_path, data_dir=self.data_dir)
            db = Database(config.database_url)
            try:
                await Accounts(db, config.limits).add_user(name, password, display or "")
            finally:
                await db.close()

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, add()).result(timeout=60)
        return name

    def create_meeting(self, host: str, title: str = "") -> str:
        out = self.cli("meeting", "create", "--host", host, *(["--title", title] if title else [])).stdout.strip()
        return out.rsplit("/", 1)[1]

    def http_get(self, path: str) -> tuple[int, str]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{self.port}{path}", context=context, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


@pytest.fixture(scope="session")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    """One relay shared by tests that only need a well-behaved server."""
    running = RunningRelay(tmp_path_factory.mktemp("relay") / "data").start()
    yield running
    running.stop()


@pytest.fixture
async def make_client(relay: RunningRelay, tmp_path: Path) -> AsyncIterator[Any]:
    """Factory for signed-out ParleyClients (of the shared relay by default); all closed afterwards."""
    from client.engine.call import ParleyClient
    from client.engine.credentials import TokenStore

    clients: list[ParleyClient] = []

    def make(server: RunningRelay | None = None, **kwargs: Any) -> ParleyClient:
        target = server or relay
        kwargs.setdefault("fingerprint", target.fingerprint)
        kwargs.setdefault("token_store", TokenStore(tmp_path / f"tokens{len(clients)}.json", use_keyring=False))
        client = ParleyClient(target.server, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


async def signed_in(make_client: Any, relay: RunningRelay, name: str | None = None, **kwargs: Any) -> Any:
    """A connected, signed-in client for a fresh account."""
    name = name or relay.add_user()
    client = make_client(relay, **kwargs)
    await client.connect()
    await client.sign_in(name, "correct horse")
    return client
