"""Audit fixtures: a store on each backend (memory, SQLite, PostgreSQL) with its raw view.

SQL fixtures share one database per backend for the session and run each test in a
transaction that is rolled back. Tests that commit (transactions, concurrency) use the
root ``db_url`` fixture instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from audit_helpers import (
    BACKENDS,
    CELL,
    KEY,
    Clock,
    Env,
    MemoryRaw,
    SqlRaw,
    backend_engine,
    rolled_back,
    sql_engine,
)

from domicile.audit import AuditStore, MemoryAuditStore, SqlAuditStore


@pytest.fixture(scope="session")
def audit_sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """One SQLite file with the cell schema for the session."""
    engine = sql_engine(f"sqlite:///{tmp_path_factory.mktemp('audit') / 'audit.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def audit_pg_engine(pg_databases: Any) -> Iterator[sa.Engine]:
    """One throwaway PostgreSQL database with the cell schema for the session."""
    engine = sql_engine(pg_databases.create("audit"))
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def sql_conn(request: pytest.FixtureRequest) -> Iterator[sa.Connection]:
    """A connection to a SQL backend, inside a transaction rolled back after the test."""
    with rolled_back(backend_engine(request, request.param)) as conn:
        yield conn


@pytest.fixture(params=["memory", *BACKENDS])
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    """An audit store on each backend with its raw view."""
    if request.param == "memory":
        mem = MemoryAuditStore(CELL, KEY, Clock())

        def make_mem(
            cell: str = CELL, key: bytes = KEY, now: Callable[[], datetime] | None = None
        ) -> AuditStore:
            # Shares the rows; the head row is copied as it is now.
            other = MemoryAuditStore(cell, key, now or Clock())
            other.rows, other.head_row = mem.rows, mem.head_row
            return other

        yield Env("memory", mem, MemoryRaw(mem), make_mem)
        return
    with rolled_back(backend_engine(request, request.param)) as conn:

        def make_sql(
            cell: str = CELL, key: bytes = KEY, now: Callable[[], datetime] | None = None
        ) -> AuditStore:
            return SqlAuditStore(conn, cell, key, now or Clock())

        yield Env(request.param, make_sql(), SqlRaw(conn), make_sql)
