"""Schema migrations of the moderation tables (Alembic, own version table), run programmatically."""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from domicile.moderation.actions.errors import ModerationStoreError

__all__ = ["VERSION_TABLE", "current_revision", "head_revision", "require_current", "upgrade"]

VERSION_TABLE = "moderation_alembic_version"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("domicile.moderation.queue") / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest moderation schema revision this version of domicile knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise ModerationStoreError("moderation migrations are missing from the package")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the moderation tables are at (``None``: not initialised).

    Raises:
        ModerationStoreError: The database is unreachable.
    """
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return ctx.get_current_revision()
    except sa.exc.OperationalError as exc:
        first = str(exc.orig).strip().splitlines()[0][:200] if str(exc.orig).strip() else "unreachable"
        raise ModerationStoreError(f"moderation database unreachable ({first})") from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the moderation tables to ``revision`` in one transaction (safe to re-run)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def require_current(engine: Engine) -> None:
    """Refuse to work on moderation tables that are missing or older than this code.

    Raises:
        ModerationStoreError: Not initialised, or at another revision.
    """
    rev = current_revision(engine)
    if rev is None:
        raise ModerationStoreError(
            "the moderation tables are not initialised; run 'domicile moderation init'"
        )
    if rev != head_revision():
        raise ModerationStoreError(
            f"the moderation tables are at schema {rev}, expected {head_revision()}; "
            "run 'domicile moderation init'"
        )
