"""Helpers of the hash-bank tests: a stepping clock and a hash-bank store on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from domicile.cells.runtime import make_engine
from domicile.moderation.hashing import HashBankStore, InMemoryHashBankStore
from domicile.moderation.hashing.sql import SqlHashBankStore
from domicile.moderation.queue import upgrade

START = datetime(2024, 11, 1, 12, 0, tzinfo=UTC)
#: Store backends every contract test runs on.
BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class StepClock:
    """Deterministic clock: each call advances one second."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def backend_url(request: pytest.FixtureRequest, backend: str, tmp_path_str: str) -> str:
    """A fresh database URL: a SQLite file under ``tmp_path_str`` or a throwaway PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_str}/banks.db"
    return str(request.getfixturevalue("pg_databases").create("banks"))


@contextmanager
def store_on(backend: str, url: str | None) -> Iterator[HashBankStore]:
    """An empty store: in memory, or SQL on ``url`` with the moderation tables migrated."""
    if backend == "memory" or url is None:
        yield InMemoryHashBankStore(clock=StepClock())
        return
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield SqlHashBankStore(engine, clock=StepClock())
    finally:
        engine.dispose()
