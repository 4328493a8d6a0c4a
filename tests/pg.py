"""A private PostgreSQL server for tests: initdb in a temp folder, unix socket only, no TCP.

PostgreSQL refuses to run as root, so the server runs as the ``postgres`` system user that
Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise AssertionError("PostgreSQL is not installed (make test installs Debian's postgresql)")
    return found[-1]


def _as_postgres(*cmd: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)


class PostgresServer:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "pgdata"
        self.socket_dir = base / "sock"

    def start(self) -> PostgresServer:
        self.base.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        subprocess.run(
            _as_postgres(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_postgres(
                _bin("pg_ctl"),
                "-D",
                str(self.data),
                "-w",
                "-l",
                str(self.base / "log"),
                "start",
                "-o",
                f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off",
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_postgres(_bin("createdb"), "-h", str(self.socket_dir), "-U", "postgres", "parley"),
            check=True,
            capture_output=True,
        )
        return self

    @property
    def url(self) -> str:
        return self.url_of("parley")

    def url_of(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> None:
        """Another empty database on this server, for a test that needs its own."""
        subprocess.run(
            _as_postgres(_bin("createdb"), "-h", str(self.socket_dir), "-U", "postgres", name),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(_as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"), capture_output=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="parley-pg-"))
    os.chmod(base, 0o755)
    server = PostgresServer(base / "server").start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
