"""Alembic environment: runs on a connection the relay hands over (see relay.store.db.migrate)."""

from __future__ import annotations

from alembic import context

from relay.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through relay.store.db.Database.migrate or parley-relay.")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
