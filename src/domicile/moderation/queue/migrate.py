"""Schema migrations of the moderation tables (Alembic, own version table), run programmatically."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from domicile.core.migrations import ComponentMigrations
from domicile.moderation.actions.errors import ModerationStoreError

__all__ = ["VERSION_TABLE", "current_revision", "head_revision", "require_current", "upgrade"]

VERSION_TABLE = "moderation_alembic_version"
MIGRATIONS = ComponentMigrations(
    "domicile.moderation.queue",
    "the moderation tables",
    "domicile moderation init",
    ModerationStoreError,
    VERSION_TABLE,
)


def head_revision() -> str:
    """The newest moderation schema revision this version of domicile knows."""
    return MIGRATIONS.head_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the moderation tables are at (None: not initialised)."""
    return MIGRATIONS.current_revision(engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the moderation tables to ``revision`` in one transaction (safe to re-run)."""
    MIGRATIONS.upgrade(engine, revision)


def require_current(engine: Engine) -> None:
    """Refuse to work on moderation tables that are missing or older than this code."""
    MIGRATIONS.require_current(engine)
