"""Alembic migrations create exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from domicile.cells.config import load_cells_file
from domicile.cells.migrate import current_revision, head_revision, require_current, upgrade
from domicile.cells.runtime import make_engine
from domicile.cells.schema import metadata
from domicile.core.errors import ConfigError, StoreError


def test_upgrade_matches_declared_schema(db_url: str) -> None:
    """After 'upgrade head' autogenerate finds no difference between the database and schema.py."""
    engine = make_engine(db_url)
    with pytest.raises(StoreError):
        require_current(engine, "x")
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diffs == []


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    """Running the migrations twice changes nothing and keeps data."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("insert into cell_meta (key, value) values ('k', 'v')"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select value from cell_meta where key='k'")).scalar() == "v"
    engine.dispose()


def test_sqlite_cells_zero_freed_pages(tmp_path: Path) -> None:
    """SQLite cells run with secure_delete, so deleted rows leave no bytes behind."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    marker = "MARKER-" + "x" * 40
    with engine.begin() as conn:
        conn.execute(sa.text("insert into cell_meta (key, value) values ('m', :v)"), {"v": marker})
    with engine.begin() as conn:
        assert conn.execute(sa.text("pragma secure_delete")).scalar() == 1
        conn.execute(sa.text("delete from cell_meta where key='m'"))
    engine.dispose()
    assert marker.encode() not in (tmp_path / "c.db").read_bytes()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("cells: []\n", "at least one cell"),
        (
            "cells:\n  - {name: RU, jurisdiction: RU, url: 'sqlite:///x', keys: {path: k}, ledger: l}\n",
            "cell names",
        ),
        ("cells:\n  - {name: ru-1, jurisdiction: RU, url: 'nope', keys: {path: k}, ledger: l}\n", "URL"),
        (
            "cells:\n  - {name: ru-1, jurisdiction: RU, url: 'sqlite:///x', keys: {source: hsm}, "
            "ledger: l}\n",
            "keys",
        ),
        ("token_domain: [\n", "not valid YAML"),
    ],
)
def test_cells_file_validation(tmp_path: Path, body: str, needle: str) -> None:
    """A malformed cells file is one ConfigError saying what is wrong."""
    path = tmp_path / "cells.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_cells_file(path)
    assert needle in str(err.value)
