"""Desk migrations create exactly the declared schema, with their own version table, on SQLite and PG."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from domicile.cells.migrate import current_revision as cell_revision
from domicile.cells.migrate import head_revision as cell_head
from domicile.cells.migrate import upgrade as cell_upgrade
from domicile.desk.errors import DeskStoreError
from domicile.desk.migrate import VERSION_TABLE, current_revision, head_revision, require_current, upgrade
from domicile.desk.schema import metadata
from domicile.desk.store import make_desk_engine


def test_upgrade_matches_declared_schema(db_url: str) -> None:
    """After 'upgrade head' autogenerate finds no difference between the database and desk/schema.py."""
    engine = make_desk_engine(db_url)
    with pytest.raises(DeskStoreError, match="not initialised"):
        require_current(engine)
    upgrade(engine)
    require_current(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diffs = compare_metadata(ctx, metadata)
    engine.dispose()
    assert diffs == []


def test_desk_and_cell_schemas_share_a_database(tmp_path: Path) -> None:
    """The desk's version table keeps its history apart from a cell's in one database; re-runs are no-ops."""
    engine = make_desk_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    cell_upgrade(engine)
    upgrade(engine)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("insert into desk_meta (key, value) values ('k', 'v')"))
    upgrade(engine)
    assert current_revision(engine) == head_revision() and cell_revision(engine) == cell_head()
    with engine.connect() as conn:
        assert conn.execute(sa.text("select value from desk_meta where key='k'")).scalar() == "v"
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"desk_alembic_version", "alembic_version", "desk_requests", "vault_records"} <= tables


def test_old_revision_is_refused(tmp_path: Path) -> None:
    """A desk database at another revision is refused until 'desk init' upgrades it."""
    engine = make_desk_engine(f"sqlite:///{tmp_path / 'd.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(f"update {VERSION_TABLE} set version_num = 'd0000'"))
    with pytest.raises(DeskStoreError, match="expected"):
        require_current(engine)
    engine.dispose()
