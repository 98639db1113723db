"""Schema migrations of cell databases (Alembic), run programmatically."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from domicile.core.errors import StoreError
from domicile.core.migrations import ComponentMigrations

MIGRATIONS = ComponentMigrations("domicile.cells", "the cell database", "domicile init", StoreError)


def head_revision() -> str:
    """The newest schema revision this version of domicile knows."""
    return MIGRATIONS.head_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision a cell database is at (None: not initialised)."""
    return MIGRATIONS.current_revision(engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring a cell database to *revision* in one transaction."""
    MIGRATIONS.upgrade(engine, revision)


def require_current(engine: Engine, cell: str) -> None:
    """Refuse to work on a cell whose schema is missing or older than this code."""
    ComponentMigrations("domicile.cells", f"cell {cell!r}", "domicile init", StoreError).require_current(
        engine
    )
