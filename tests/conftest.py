"""Shared fixtures: SQLite and a throwaway PostgreSQL database per test session.

PostgreSQL is the real server on 127.0.0.1:5432 (trust auth, user postgres).
Locally, tests marked ``postgres`` are skipped with a reason when it is down;
with ``CI=true`` a missing server is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"
PG_ADMIN_URL = os.environ.get("DOMICILE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_available() -> str | None:
    """Return None when the server answers, else the reason it does not."""
    try:
        eng = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
        eng.dispose()
    except Exception as exc:  # any driver or network failure
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The admin URL of a reachable PostgreSQL server (fails in CI if down)."""
    reason = _pg_available()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required in CI: {reason}")
        pytest.skip(f"PostgreSQL not reachable: {reason}")
    yield PG_ADMIN_URL


class ThrowawayDatabases:
    """Creates PostgreSQL databases named ``domicile_test_*`` and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self, prefix: str = "t") -> str:
        name = f"domicile_test_{prefix}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return str(sa.make_url(PG_ADMIN_URL).set(database=name))

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases(pg_server: str) -> Iterator[ThrowawayDatabases]:
    """Factory of throwaway PostgreSQL databases, dropped after the session."""
    dbs = ThrowawayDatabases(pg_server)
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cell.db'}"
    dbs: ThrowawayDatabases = request.getfixturevalue("pg_databases")
    return dbs.create()


@pytest.fixture
def fixtures_dir() -> Path:
    """The shared external test material (../shared/fixtures from the repo root)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}")
    return FIXTURES
