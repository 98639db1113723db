"""Building a :class:`~domicile.desk.service.Desk` from the data folder, and ``desk init``.

Nothing heavy happens at import time; the CLI and the gateway call :func:`open_desk` once.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domicile.cells.config import resolve_path, resolve_url
from domicile.core.clock import Clock, SystemClock
from domicile.desk.adapter import ExampleAppAdapter, PlatformAdapter
from domicile.desk.calendar import ProductionCalendar, load_ru_calendar
from domicile.desk.calendar_provisional import with_local_years
from domicile.desk.catalog import load_ru_catalog
from domicile.desk.clocks import ClockRegistry, load_ru_clocks
from domicile.desk.config import (
    DeskConfig,
    ExampleAdapterConfig,
    ImportAdapterConfig,
    dump_desk_config,
    load_desk_config,
)
from domicile.desk.deadlines import DeadlineEngine
from domicile.desk.errors import DeskConfigError
from domicile.desk.migrate import head_revision, require_current, upgrade
from domicile.desk.notifiers import Notifier, build_notifiers
from domicile.desk.sealed import SealedStore
from domicile.desk.service import Desk
from domicile.desk.signing import Signer
from domicile.desk.store import DeskDatabase, make_desk_engine
from domicile.service import Domicile
from domicile.settings import DomicileSettings

__all__ = [
    "DeskInitReport",
    "build_adapter",
    "desk_config_path",
    "init_desk",
    "open_desk",
    "packaged_calendar",
    "packaged_clocks",
]


@functools.cache
def packaged_calendar() -> ProductionCalendar:
    """The packaged production calendar, parsed once per process (it is immutable data)."""
    return load_ru_calendar()


@functools.cache
def packaged_clocks() -> ClockRegistry:
    """The packaged RU clocks, parsed once per process (immutable; overrides return a new registry)."""
    return load_ru_clocks()


@dataclass(frozen=True)
class DeskInitReport:
    """What ``desk init`` did."""

    config_file: Path
    created_config: bool
    backend: str
    revision: str
    inbox: Path
    blob_dir: Path


def desk_config_path(settings: DomicileSettings) -> Path:
    """``<data_dir>/desk.yaml``."""
    return settings.data_dir / "desk.yaml"


def init_desk(settings: DomicileSettings, config: DeskConfig | None = None) -> DeskInitReport:
    """Write ``desk.yaml`` (kept if present), create the folders, bring the desk schema to head.

    Safe to re-run.
    """
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    path = desk_config_path(settings)
    created = False
    if not path.exists():
        path.write_text(dump_desk_config(config or DeskConfig()), "utf-8")
        created = True
    cfg = load_desk_config(path)
    engine = make_desk_engine(resolve_url(data_dir, cfg.url))
    try:
        upgrade(engine)
        db = DeskDatabase(engine)
        with db.unit() as unit:
            unit.store.set_meta("country", cfg.country)
            unit.store.set_meta("location", cfg.location[:400])
    finally:
        engine.dispose()
    inbox = resolve_path(data_dir, cfg.inbox)
    blobs = resolve_path(data_dir, cfg.blob_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    blobs.mkdir(parents=True, exist_ok=True)
    return DeskInitReport(path, created, engine.dialect.name, head_revision(), inbox, blobs)


def build_adapter(
    config: ExampleAdapterConfig | ImportAdapterConfig, data_dir: Path, clock: Clock
) -> PlatformAdapter:
    """The platform adapter named in ``desk.yaml``.

    Raises:
        DeskConfigError: an import factory cannot be loaded or returns no adapter.
    """
    if isinstance(config, ExampleAdapterConfig):
        state = resolve_path(data_dir, config.state_file) if config.state_file else None
        return ExampleAppAdapter(clock, state)
    module, _, attr = config.factory.partition(":")
    try:
        factory: Callable[[], Any] = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        raise DeskConfigError(f"adapter factory {config.factory!r} cannot be imported") from None
    adapter = factory()
    if not isinstance(adapter, PlatformAdapter):
        raise DeskConfigError(f"adapter factory {config.factory!r} did not return a PlatformAdapter")
    return adapter


def open_desk(
    settings: DomicileSettings,
    *,
    dom: Domicile | None = None,
    clock: Clock | None = None,
    adapter: PlatformAdapter | None = None,
    notifiers: Sequence[Notifier] | None = None,
    signer: Signer | None = None,
) -> Desk:
    """Open the desk of a data folder (its schema must be current).

    Args:
        settings: where the data folder is.
        dom: the domicile facade (default: opened from the same settings).
        clock: time source (default: the system clock, or ``dom``'s).
        adapter: platform adapter (default: from ``desk.yaml``).
        notifiers: escalation notifiers (default: from ``desk.yaml``).
        signer: the representative's key (default: the key file, when it exists).

    Raises:
        DeskConfigError: ``desk.yaml`` is missing or invalid, or the desk cell is not in Russia.
        DeskStoreError: the desk database is unreachable or not initialised.
    """
    cfg = load_desk_config(desk_config_path(settings))
    if dom is None:
        from domicile.app import open_domicile

        dom = open_domicile(settings, clock=clock)
    clock = clock or dom.clock or SystemClock()
    cell = dom.cell(cfg.cell) if cfg.cell else dom.home_cell("RU")
    if cell.jurisdiction != cfg.country:
        raise DeskConfigError(f"desk cell {cell.name!r} is not in {cfg.country} (PD-LOC-1)")
    clocks = packaged_clocks()
    if cfg.clock_overrides:
        clocks = clocks.with_overrides(cfg.clock_overrides, label="desk.yaml")
    catalog = load_ru_catalog(clocks)
    engine = make_desk_engine(resolve_url(settings.data_dir, cfg.url))
    require_current(engine)
    key_path = resolve_path(settings.data_dir, cfg.signer_key)
    if signer is None and key_path.exists():
        signer = Signer.load(key_path)
    return Desk(
        db=DeskDatabase(engine),
        dom=dom,
        cell=cell,
        catalog=catalog,
        engine=DeadlineEngine(with_local_years(packaged_calendar(), settings.data_dir), clocks),
        sealed=SealedStore(cell, resolve_path(settings.data_dir, cfg.blob_dir), clock),
        adapter=adapter or build_adapter(cfg.adapter, settings.data_dir, clock),
        notifiers=build_notifiers(cfg.notifiers) if notifiers is None else notifiers,
        limits=cfg.limits,
        clock=clock,
        operator=cfg.operator,
        signer=signer,
    )
