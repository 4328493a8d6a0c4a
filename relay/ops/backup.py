"""Database backups: consistent online copies, checksums, retention, and a restore that checks first.

SQLite: the sqlite3 online backup API copies the database page by page while the relay serves
(WAL mode lets it read beside the relay's writes). PostgreSQL: ``pg_dump --format=custom``.
Each backup ``NAME`` is three files in the backup folder: the data (``NAME.db`` or ``NAME.pgdump``),
``NAME.sha256`` (``sha256sum`` format, so operators can check it by hand) and ``NAME.json``
(format, time, schema revisions, size, whether it was scheduled).

Restore refuses a file whose checksum does not match, a SQLite file that fails its integrity check,
and a schema newer than this relay knows (a revision missing from its migrations).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from relay.config import Config
from relay.ops.private_files import secure_folder
from shared.errors import ParleyError
from shared.version import __version__

Progress = Callable[[int, int], None]  # (done, total) pages or bytes

PAGES_PER_STEP = 512


class BackupError(ParleyError):
    """A backup or restore cannot go ahead; the message says why in a sentence."""


@dataclass(frozen=True)
class BackupInfo:
    name: str
    path: Path
    format: str  # sqlite | pg_dump
    created_at: float
    bytes: int
    sha256: str
    revisions: list[str]
    scheduled: bool
    relay_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "format": self.format,
            "created_at": self.created_at,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "revisions": self.revisions,
            "scheduled": self.scheduled,
            "relay_version": self.relay_version,
        }


def known_revisions() -> set[str]:
    """Every schema revision this relay's migrations know (a backup with another is newer)."""
    from alembic.script import ScriptDirectory

    from relay.store.db import alembic_config

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def backup_folder(config: Config) -> Path:
    return Path(config.backup.folder) if config.backup.folder else config.data_dir / "backups"


def is_sqlite(config: Config) -> bool:
    return config.database_url.startswith("sqlite")


def sqlite_path(config: Config) -> Path:
    database = make_url(config.database_url).database
    if not database:
        raise BackupError("The SQLite database has no file to back up.")
    return Path(database)


def libpq_url(url: str) -> str:
    """SQLAlchemy's ``postgresql+asyncpg://`` as the plain URI pg_dump and pg_restore take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _revisions_of_sqlite(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            return sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))
        except sqlite3.OperationalError:
            return []


# --- create ------------------------------------------------------------------------------------


def create_backup(
    config: Config,
    *,
    scheduled: bool = False,
    progress: Progress | None = None,
    now: float | None = None,
) -> BackupInfo:
    """Take a consistent backup of the relay's database now (safe while the relay serves)."""
    folder = backup_folder(config)
    secure_folder(folder)  # backups hold everything the database does
    created = time.time() if now is None else now
    stamp = datetime.fromtimestamp(created, UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"parley-{stamp}{'-scheduled' if scheduled else ''}"
    if is_sqlite(config):
        fmt, data = "sqlite", folder / f"{name}.db"
        _sqlite_backup(sqlite_path(config), data, progress)
        revisions = _revisions_of_sqlite(data)
    else:
        fmt, data = "pg_dump", folder / f"{name}.pgdump"
        revisions = _pg_dump(config.database_url, data)
    digest = sha256_of(data)
    info = BackupInfo(name, data, fmt, created, data.stat().st_size, digest, revisions, scheduled, __version__)
    _write_atomically(folder / f"{name}.sha256", f"{digest}  {data.name}\n")
    _write_atomically(folder / f"{name}.json", json.dumps(info.to_json(), indent=2))
    secure_folder(folder)  # what was just written, whatever the umask of the process
    return info


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _sqlite_backup(source: Path, dest: Path, progress: Progress | None) -> None:
    if not source.exists():
        raise BackupError(f"There is no database at {source} yet: start the relay once first.")
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as src:
            with contextlib.closing(sqlite3.connect(tmp)) as dst:

                def step(_status: int, remaining: int, total: int) -> None:
                    if progress is not None:
                        progress(total - remaining, total)

                # A few hundred pages per step lets the relay write between steps.
                src.backup(dst, pages=PAGES_PER_STEP, progress=step)
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise BackupError(f"The copy failed its integrity check ({check}); the backup was not kept.")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except sqlite3.OperationalError as exc:
        tmp.unlink(missing_ok=True)
        if "full" in str(exc).lower():
            raise BackupError("The backup folder's disk is full; the backup was not taken.") from None
        raise BackupError(f"The backup failed: {exc}.") from None
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools (postgresql-client).")
    return found


def _pg_dump(url: str, dest: Path) -> list[str]:
    tmp = dest.with_name(dest.name + ".partial")
    dsn = libpq_url(url)
    result = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(tmp), "--dbname", dsn],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1] if result.stderr else 'no output'}")
    os.replace(tmp, dest)
    revisions = subprocess.run(
        [_pg_tool("psql"), "--no-psqlrc", "-At", "-c", "SELECT version_num FROM alembic_version", dsn],
        capture_output=True,
        text=True,
    )
    return sorted(line for line in revisions.stdout.split() if line)


# --- list and retention --------------------------------------------------------------------------


def list_backups(config: Config) -> list[BackupInfo]:
    """Every backup in the backup folder with metadata, oldest first."""
    folder = backup_folder(config)
    found: list[BackupInfo] = []
    if not folder.is_dir():
        return found
    for meta in folder.glob("parley-*.json"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(meta.read_text(encoding="utf-8"))
            found.append(
                BackupInfo(
                    name=data["name"],
                    path=folder / Path(data["path"]).name,
                    format=data["format"],
                    created_at=float(data["created_at"]),
                    bytes=int(data["bytes"]),
                    sha256=data["sha256"],
                    revisions=list(data["revisions"]),
                    scheduled=bool(data["scheduled"]),
                    relay_version=str(data.get("relay_version", "")),
                )
            )
    return sorted(found, key=lambda b: b.created_at)


def newest_backup_time(config: Config) -> float | None:
    backups = list_backups(config)
    return backups[-1].created_at if backups else None


def prune(config: Config) -> list[str]:
    """Delete scheduled backups beyond ``[backup] keep`` (manual backups are the operator's)."""
    scheduled = [b for b in list_backups(config) if b.scheduled]
    doomed = scheduled[: max(0, len(scheduled) - config.backup.keep)]
    for backup in doomed:
        for suffix in (backup.path.suffix, ".sha256", ".json"):
            (backup.path.parent / f"{backup.name}{suffix}").unlink(missing_ok=True)
    return [b.name for b in doomed]


# --- restore -----------------------------------------------------------------------------------


def resolve(config: Config, given: str) -> Path:
    """A backup by path, or by name in the backup folder."""
    path = Path(given)
    if path.exists():
        return path
    for candidate in (backup_folder(config) / given, backup_folder(config) / f"{given}.db"):
        if candidate.exists():
            return candidate
    folder = backup_folder(config)
    matches = sorted(folder.glob(f"{given}.*")) if folder.is_dir() else []
    data = [p for p in matches if p.suffix in (".db", ".pgdump")]
    if data:
        return data[0]
    raise BackupError(f"There is no backup {given}; `parley-relay backup list` shows them.")


def verify(path: Path, known_revisions: set[str]) -> list[str]:
    """Check a backup before restoring it; return its schema revisions. Raises BackupError."""
    checksum_file = path.with_suffix(".sha256")
    if not checksum_file.exists():
        raise BackupError(f"{path.name} has no checksum file ({checksum_file.name}); it cannot be trusted.")
    expected = checksum_file.read_text(encoding="utf-8").split()[0:1]
    if not expected or expected[0].lower() != sha256_of(path):
        raise BackupError(
            f"{path.name} is corrupt: its checksum does not match {checksum_file.name}. Nothing was changed."
        )
    if path.suffix == ".pgdump":
        meta = path.with_suffix(".json")
        try:
            revisions = list(json.loads(meta.read_text(encoding="utf-8"))["revisions"])
        except (OSError, ValueError, KeyError):
            raise BackupError(f"{path.name} has no readable {meta.name}; its schema is unknown.") from None
    else:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError:
            raise BackupError(f"{path.name} is not a readable SQLite database. Nothing was changed.") from None
        if check != "ok":
            raise BackupError(f"{path.name} failed its integrity check ({check}). Nothing was changed.")
        revisions = _revisions_of_sqlite(path)
    if not revisions:
        raise BackupError(f"{path.name} has no schema version; it is not a Parley database.")
    unknown = sorted(set(revisions) - known_revisions)
    if unknown:
        raise BackupError(
            f"{path.name} was made by a newer Parley relay (schema {', '.join(unknown)}). "
            "Upgrade this relay first, then restore."
        )
    return revisions


def restore(config: Config, path: Path, known_revisions: set[str], progress: Progress | None = None) -> Path | None:
    """Replace the relay's database with a verified backup. The relay must be stopped.

    Returns where the previous SQLite database was kept (None for PostgreSQL or a fresh folder)."""
    revisions = verify(path, known_revisions)
    del revisions
    if path.suffix == ".pgdump":
        if is_sqlite(config):
            raise BackupError(f"{path.name} is a PostgreSQL dump, but this relay uses SQLite.")
        result = subprocess.run(
            [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "--dbname", libpq_url(config.database_url), str(path)],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[-300:]}")
        return None
    if not is_sqlite(config):
        raise BackupError(f"{path.name} is a SQLite backup, but this relay uses PostgreSQL.")
    target = sqlite_path(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(target.name + ".restoring")
    incoming.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as src:
        with contextlib.closing(sqlite3.connect(incoming)) as dst:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            src.backup(dst, pages=PAGES_PER_STEP, progress=step)
            dst.execute("PRAGMA journal_mode=WAL")
    kept: Path | None = None
    if target.exists():
        # Keep what was there (with anything still in its WAL) beside it, in case.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        with contextlib.closing(sqlite3.connect(target, timeout=30)) as old:
            with contextlib.closing(sqlite3.connect(kept)) as copy:
                old.backup(copy)
    for extra in ("-wal", "-shm"):
        target.with_name(target.name + extra).unlink(missing_ok=True)
    os.replace(incoming, target)
    return kept


def relay_is_running(config: Config, runtime: dict[str, Any] | None) -> bool:
    if not runtime:
        return False
    pid = runtime.get("pid")
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
