"""Alembic environment for cell databases; run through :func:`domicile.cells.migrate.upgrade`."""

from __future__ import annotations

from alembic import context

from domicile.cells.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via domicile.cells.migrate
    raise RuntimeError("cell migrations run through domicile.cells.migrate, with a connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
