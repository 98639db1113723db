"""Fixtures for the review-queue tests: a queue over memory, SQLite or PostgreSQL, with a fixed clock.

SQL backends are the real thing: a data folder initialised with an RU cell on the backend under
test (plus a SQLite global cell), the moderation tables migrated into the RU cell's database, and
the RU cell's hash-chained audit log.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from modqueue_helpers import T0, QueueEnv, make_env, sql_domicile

from domicile.audit import MemoryAuditStore
from domicile.core.clock import FixedClock
from domicile.moderation.queue import MemoryModerationSpace, space_for


@pytest.fixture(
    scope="session", params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueueEnv]:
    """A queue over memory, a SQLite RU cell, or a PostgreSQL RU cell, shared by the session.

    Tests use their own content ids, look only at their own cases and tasks, and only move the
    shared clock forward, so they do not interfere; one data folder (and one PostgreSQL database)
    per backend keeps the SQL runs fast on a shared machine.
    """
    clock = FixedClock(T0)
    if request.param == "memory":
        yield make_env(MemoryModerationSpace(MemoryAuditStore("ru-mem", b"k" * 32, now=clock.now)), clock)
        return
    tmp_path = tmp_path_factory.mktemp("modq")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ru.db'}"
    else:
        url = request.getfixturevalue("pg_databases").create("mod")
    dom = sql_domicile(tmp_path, url, clock)
    yield make_env(space_for(dom), clock, key=dom.home_cell("RU").keys.audit_key())
    for cell in dom.cells.values():
        cell.close()
