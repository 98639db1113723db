"""Schema migrations of cell databases (Alembic), run programmatically."""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from domicile.core.errors import StoreError, first_line


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("domicile.cells") / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of domicile knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a cell database is at (None: not initialised)."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except sa.exc.OperationalError as exc:
        first = first_line(exc.orig)
        raise StoreError(f"cell database unreachable ({first})") from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring a cell database to *revision* in one transaction."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def require_current(engine: Engine, cell: str) -> None:
    """Refuse to work on a cell whose schema is missing or older than this code."""
    rev = current_revision(engine)
    if rev is None:
        raise StoreError(f"cell {cell!r} is not initialised; run 'domicile init'")
    if rev != head_revision():
        raise StoreError(f"cell {cell!r} is at schema {rev}, expected {head_revision()}; run 'domicile init'")
