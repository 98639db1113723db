"""Fixtures for the regulator desk: a Desk over an in-memory RU cell and a SQLite/PostgreSQL desk DB."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from desk_kit import T0, DeskKit

from domicile.core.clock import FixedClock
from domicile.desk.adapter import ExampleAppAdapter
from domicile.desk.calendar import ProductionCalendar, load_ru_calendar
from domicile.desk.catalog import RequestCatalog, load_ru_catalog
from domicile.desk.clocks import ClockRegistry, load_ru_clocks
from domicile.desk.config import Limits
from domicile.desk.deadlines import DeadlineEngine
from domicile.desk.migrate import upgrade
from domicile.desk.notifiers import Notifier
from domicile.desk.sealed import SealedStore
from domicile.desk.service import Desk
from domicile.desk.signing import Signer
from domicile.desk.store import DeskDatabase, make_desk_engine
from domicile.jurisdictions import default_registry
from domicile.service import Domicile
from domicile.testing import MemoryCell, fake_kms_provider


@pytest.fixture(scope="session")
def ru_calendar() -> ProductionCalendar:
    """The packaged production calendar (loaded once)."""
    return load_ru_calendar()


@pytest.fixture(scope="session")
def ru_clocks() -> ClockRegistry:
    """The packaged RU clocks."""
    return load_ru_clocks()


@pytest.fixture(scope="session")
def ru_catalog(ru_clocks: ClockRegistry) -> RequestCatalog:
    """The packaged RU request catalog."""
    return load_ru_catalog(ru_clocks)


@pytest.fixture
def make_kit(
    tmp_path: Path, ru_calendar: ProductionCalendar, ru_clocks: ClockRegistry, ru_catalog: RequestCatalog
) -> Iterator[Callable[..., DeskKit]]:
    """Factory: a DeskKit over a desk database URL (default in-memory SQLite), memory cells, fixed clock."""
    made: list[DeskKit] = []

    def make(
        url: str | None = None,
        *,
        notifiers: Sequence[Notifier] = (),
        limits: Limits | None = None,
        name: str = "k",
    ) -> DeskKit:
        root = tmp_path / name
        clock = FixedClock(T0)
        cells = [
            MemoryCell("ru-msk-1", "RU", fake_kms_provider("ru-msk-1"), root / "ledger" / "ru.jsonl", clock),
            MemoryCell(
                "global-1", "GLOBAL", fake_kms_provider("global-1"), root / "ledger" / "gl.jsonl", clock
            ),
        ]
        dom = Domicile(cells, default_registry(), clock=clock)
        engine = make_desk_engine(url or "sqlite://")
        upgrade(engine)
        adapter = ExampleAppAdapter(clock)
        cell = dom.home_cell("RU")
        signer = Signer.create(root / "keys" / "rep.json", "rep:office-1")
        desk = Desk(
            db=DeskDatabase(engine),
            dom=dom,
            cell=cell,
            catalog=ru_catalog,
            engine=DeadlineEngine(ru_calendar, ru_clocks),
            sealed=SealedStore(cell, root / "blobs", clock),
            adapter=adapter,
            notifiers=notifiers,
            limits=limits,
            clock=clock,
            signer=signer,
        )
        desk.register_signer(signer, actor="admin")
        kit = DeskKit(desk, clock, adapter, dom, signer, root)
        made.append(kit)
        return kit

    yield make
    for kit in made:
        kit.close()


@pytest.fixture
def kit(make_kit: Callable[..., DeskKit]) -> DeskKit:
    """A desk on in-memory SQLite."""
    return make_kit()


@pytest.fixture
def any_kit(make_kit: Callable[..., DeskKit], db_url: str) -> DeskKit:
    """A desk on SQLite and on a throwaway PostgreSQL database."""
    return make_kit(db_url)
