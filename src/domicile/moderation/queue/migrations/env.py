"""Alembic environment of the moderation tables; run through :func:`..migrate.upgrade`.

Own version table (``moderation_alembic_version``) and only ``mod_`` tables, so the moderation
schema shares the RU cell's database without meeting the cell's migration history.
"""

from __future__ import annotations

from alembic import context

from domicile.moderation.queue.schema import metadata

VERSION_TABLE = "moderation_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via domicile.moderation.queue.migrate
    raise RuntimeError("moderation migrations run through domicile.moderation.queue.migrate")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table=VERSION_TABLE,
    include_name=lambda name, type_, parent: type_ != "table" or name is None or name.startswith("mod_"),
)
with context.begin_transaction():
    context.run_migrations()
