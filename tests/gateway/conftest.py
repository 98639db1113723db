"""Fixtures for the gateway: an app over memory, SQLite or PostgreSQL cells, keys per role and place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_helpers import START, Env, build_env, memory_domicile, sql_domicile

from domicile.core.clock import FixedClock
from domicile.gateway.store import GatewayStore


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def env(tmp_path: Path, clock: FixedClock) -> Iterator[Env]:
    """Memory cells and an in-memory gateway database (fast)."""
    e = build_env(memory_domicile(tmp_path, clock), clock)
    yield e
    e.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """Cells and the gateway database on SQLite files, or on throwaway PostgreSQL databases."""
    clock = FixedClock(START)
    data = tmp_path / "data"
    if request.param == "sqlite":
        dom = sql_domicile(data, "sqlite:///cells/ru-msk-1.db", "sqlite:///cells/global-1.db", clock)
        store = GatewayStore.open(f"sqlite:///{data / 'gateway' / 'gateway.db'}")
    else:
        dbs = request.getfixturevalue("pg_databases")
        dom = sql_domicile(data, dbs.create("ru"), dbs.create("gl"), clock)
        store = GatewayStore.open(dbs.create("gw"))
    e = build_env(dom, clock, store=store)
    yield e
    e.close()
    store.close()
    for cell in dom.cells.values():
        cell.close()
