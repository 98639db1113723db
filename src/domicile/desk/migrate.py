"""Schema migrations of the desk database (Alembic, own version table), run programmatically."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from domicile.core.migrations import ComponentMigrations
from domicile.desk.errors import DeskStoreError

__all__ = ["VERSION_TABLE", "current_revision", "head_revision", "require_current", "upgrade"]

VERSION_TABLE = "desk_alembic_version"
MIGRATIONS = ComponentMigrations(
    "domicile.desk", "the desk database", "domicile desk init", DeskStoreError, VERSION_TABLE
)


def head_revision() -> str:
    """The newest desk schema revision this version of domicile knows."""
    return MIGRATIONS.head_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the desk database is at (None: not initialised); DeskStoreError if unreachable."""
    return MIGRATIONS.current_revision(engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the desk database to ``revision`` in one transaction."""
    MIGRATIONS.upgrade(engine, revision)


def require_current(engine: Engine) -> None:
    """Refuse to work on a desk database whose schema is missing or older than this code."""
    MIGRATIONS.require_current(engine)
