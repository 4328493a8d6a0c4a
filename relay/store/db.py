"""The database: an async SQLAlchemy engine, brought to the newest schema by Alembic on open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revisions() -> set[str]:
    """The newest revision(s) of the schema (several while parallel branches await a merge)."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (backups, the CLI) run beside the serving relay; foreign keys keep sessions
    # tied to users; a busy timeout rides out another process's short write.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """Owns the engine and the session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        # hide_parameters: a failed statement's error (and so the log) never carries its values,
        # which are chat text, names, tokens and hashes; the admin guide promises logs without content.
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=not url.startswith("sqlite"), hide_parameters=True
        )
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""

        def upgrade(connection: Connection) -> None:
            command.upgrade(alembic_config(connection), "heads")

        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade)

    async def current_revisions(self) -> set[str]:
        def read(connection: Connection) -> set[str]:
            return set(MigrationContext.configure(connection).get_current_heads())

        async with self.engine.connect() as conn:
            return await conn.run_sync(read)

    async def close(self) -> None:
        await self.engine.dispose()
