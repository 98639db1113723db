"""Fixtures for the core: a Domicile over memory, SQLite or PostgreSQL cells."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domicile.app import init_data_dir, open_domicile
from domicile.cells.config import CellConfig, CellsFile, FileKeys
from domicile.core.clock import FixedClock
from domicile.jurisdictions import default_registry
from domicile.service import Domicile
from domicile.settings import DomicileSettings
from domicile.testing import MemoryCell, fake_kms_provider


def cells_file(ru_url: str, global_url: str) -> CellsFile:
    return CellsFile(
        cells=[
            CellConfig(
                name="ru-msk-1",
                jurisdiction="RU",
                location="Moscow",
                url=ru_url,
                keys=FileKeys(path=Path("keys/ru-msk-1.json")),
                ledger=Path("ledger/ru-msk-1.jsonl"),
            ),
            CellConfig(
                name="global-1",
                jurisdiction="GLOBAL",
                location="Frankfurt",
                url=global_url,
                keys=FileKeys(path=Path("keys/global-1.json")),
                ledger=Path("ledger/global-1.jsonl"),
            ),
        ]
    )


def sql_domicile(data_dir: Path, ru_url: str, global_url: str, clock: FixedClock | None = None) -> Domicile:
    settings = DomicileSettings(data_dir=data_dir)
    init_data_dir(settings, cells_file(ru_url, global_url))
    return open_domicile(settings, clock=clock)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which storage the cells use."""
    return str(request.param)


@pytest.fixture
def dom(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Domicile]:
    """A Domicile with an RU cell and a GLOBAL cell on the chosen backend."""
    data = tmp_path / "data"
    if backend == "memory":
        cells = [
            MemoryCell("ru-msk-1", "RU", fake_kms_provider("ru-msk-1"), data / "ledger" / "ru.jsonl"),
            MemoryCell("global-1", "GLOBAL", fake_kms_provider("global-1"), data / "ledger" / "gl.jsonl"),
        ]
        d = Domicile(cells, default_registry())
    elif backend == "sqlite":
        d = sql_domicile(data, "sqlite:///cells/ru-msk-1.db", "sqlite:///cells/global-1.db")
    else:
        dbs = request.getfixturevalue("pg_databases")
        d = sql_domicile(data, dbs.create("ru"), dbs.create("gl"))
    yield d
    for cell in d.cells.values():
        cell.close()


@pytest.fixture
def memory_dom(tmp_path: Path) -> Domicile:
    """A Domicile over in-memory cells with KMS-backed keys."""
    data = tmp_path / "data"
    cells = [
        MemoryCell("ru-msk-1", "RU", fake_kms_provider("ru-msk-1"), data / "ledger" / "ru.jsonl"),
        MemoryCell("global-1", "GLOBAL", fake_kms_provider("global-1"), data / "ledger" / "gl.jsonl"),
    ]
    return Domicile(cells, default_registry())


@pytest.fixture
def sqlite_dom(tmp_path: Path) -> Iterator[Domicile]:
    """A Domicile on SQLite files with a fixed clock."""
    d = sql_domicile(
        tmp_path / "data",
        "sqlite:///cells/ru-msk-1.db",
        "sqlite:///cells/global-1.db",
        FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)),
    )
    yield d
    for cell in d.cells.values():
        cell.close()
