"""Schema migrations of the desk database (Alembic, own version table), run programmatically."""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from domicile.desk.errors import DeskStoreError

__all__ = ["VERSION_TABLE", "current_revision", "head_revision", "require_current", "upgrade"]

VERSION_TABLE = "desk_alembic_version"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("domicile.desk") / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest desk schema revision this version of domicile knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise DeskStoreError("desk migrations are missing from the package")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the desk database is at (None: not initialised).

    Raises:
        DeskStoreError: the database is unreachable.
    """
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return ctx.get_current_revision()
    except sa.exc.OperationalError as exc:
        first = str(exc.orig).strip().splitlines()[0][:200] if str(exc.orig).strip() else "unreachable"
        raise DeskStoreError(f"desk database unreachable ({first})") from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the desk database to ``revision`` in one transaction."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def require_current(engine: Engine) -> None:
    """Refuse to work on a desk database whose schema is missing or older than this code.

    Raises:
        DeskStoreError: not initialised, or at another revision.
    """
    rev = current_revision(engine)
    if rev is None:
        raise DeskStoreError("the desk database is not initialised; run 'domicile desk init'")
    if rev != head_revision():
        raise DeskStoreError(
            f"the desk database is at schema {rev}, expected {head_revision()}; run 'domicile desk init'"
        )
