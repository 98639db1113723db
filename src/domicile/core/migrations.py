"""Running a component's Alembic migrations programmatically (cells, desk, moderation).

Each component ships its own ``migrations/`` folder and may keep its own version
table, so several components can share one database without their histories meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from domicile.core.errors import DomicileError, first_line


@dataclass(frozen=True)
class ComponentMigrations:
    """The migrations of one component.

    Args:
        package: Package holding the ``migrations`` folder (e.g. ``domicile.desk``).
        what: How messages name the schema (e.g. ``"the desk database"``).
        init_command: The command that initialises it (e.g. ``"domicile desk init"``).
        error: The typed error raised on failures.
        version_table: Alembic's version table (``None``: Alembic's default).
        folder: The migrations folder inside *package*.
    """

    package: str
    what: str
    init_command: str
    error: type[DomicileError]
    version_table: str | None = None
    folder: str = "migrations"

    def _config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files(self.package) / self.folder))
        return cfg

    def head_revision(self) -> str:
        """The newest revision this version of domicile knows."""
        head = ScriptDirectory.from_config(self._config()).get_current_head()
        if head is None:  # pragma: no cover - the package ships its revisions
            raise self.error(f"migrations of {self.what} are missing from the package")
        return head

    def current_revision(self, engine: Engine) -> str | None:
        """The revision the database is at (None: not initialised); the typed error if unreachable."""
        opts = {"version_table": self.version_table} if self.version_table else {}
        try:
            with engine.connect() as conn:
                return MigrationContext.configure(conn, opts=opts).get_current_revision()
        except sa.exc.OperationalError as exc:
            raise self.error(f"{self.what} is unreachable ({first_line(exc.orig)})") from None

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        """Bring the schema to *revision* in one transaction (safe to re-run)."""
        cfg = self._config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def require_current(self, engine: Engine) -> None:
        """Refuse to work on a schema that is missing or at another revision than this code's."""
        rev = self.current_revision(engine)
        if rev is None:
            raise self.error(f"{self.what} is not initialised; run '{self.init_command}'")
        if rev != self.head_revision():
            raise self.error(
                f"{self.what} is at schema {rev}, expected {self.head_revision()}; run '{self.init_command}'"
            )
