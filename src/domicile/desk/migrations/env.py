"""Alembic environment for the desk database; run through :func:`domicile.desk.migrate.upgrade`.

The desk keeps its own version table (``desk_alembic_version``), so a desk schema may share a
database with a cell's without the two migration histories meeting.
"""

from __future__ import annotations

from alembic import context

from domicile.desk.schema import metadata

VERSION_TABLE = "desk_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via domicile.desk.migrate
    raise RuntimeError("desk migrations run through domicile.desk.migrate, with a connection")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table=VERSION_TABLE,
    include_name=lambda name, type_, parent: type_ != "table" or name is None or name.startswith("desk_"),
)
with context.begin_transaction():
    context.run_migrations()
