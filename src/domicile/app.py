"""Building a :class:`~domicile.service.Domicile` from settings, and ``init``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domicile.cells.config import CellsFile, default_cells_file, dump_cells_file, load_cells_file, resolve_url
from domicile.cells.migrate import head_revision, require_current, upgrade
from domicile.cells.runtime import SqlCell, make_engine, open_sql_cell
from domicile.cells.store import SqlCellStore
from domicile.core.clock import Clock, SystemClock
from domicile.core.errors import ConfigError
from domicile.jurisdictions.registry import PackRegistry, default_registry
from domicile.service import Domicile
from domicile.settings import DomicileSettings
from domicile.vault.fields import FieldSchema


@dataclass(frozen=True)
class InitReport:
    data_dir: Path
    cells_file: Path
    created_cells_file: bool
    cells: list[tuple[str, str, str]]  # name, jurisdiction, schema revision


def init_data_dir(settings: DomicileSettings, cells: CellsFile | None = None) -> InitReport:
    """Create the data folder, cells file, key files, and bring every cell schema to head.

    Safe to re-run: existing files and keys are kept; schemas are upgraded.
    """
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    cells_path = settings.resolved_cells_file()
    created = False
    if not cells_path.exists():
        cells_path.parent.mkdir(parents=True, exist_ok=True)
        cells_path.write_text(dump_cells_file(cells or default_cells_file()), "utf-8")
        created = True
    config = load_cells_file(cells_path)
    packs = default_registry()
    out = []
    for cell_cfg in config.cells:
        packs[cell_cfg.jurisdiction]
        engine = make_engine(resolve_url(data_dir, cell_cfg.url))
        try:
            upgrade(engine)
            with engine.connect() as conn:
                known = SqlCellStore(conn).get_meta("key_fingerprint_v1")
        finally:
            engine.dispose()
        # new keys only for a new cell: a missing key file of a used cell is an error, not a fresh start
        cell = open_sql_cell(cell_cfg, data_dir, SystemClock(), create_keys=known is None)
        try:
            fp = cell.keys.fingerprint(cell.keys.versions()[0])
            if known is not None and known != fp:
                raise ConfigError(f"cell {cell.name!r}: key file does not match the cell (fingerprint)")
            with cell.session() as s:
                s.store.set_meta("cell", cell.name)
                s.store.set_meta("jurisdiction", cell.jurisdiction)
                s.store.set_meta("key_fingerprint_v1", fp)
        finally:
            cell.close()
        out.append((cell_cfg.name, cell_cfg.jurisdiction, head_revision()))
    return InitReport(data_dir, cells_path, created, out)


def open_domicile(
    settings: DomicileSettings,
    clock: Clock | None = None,
    packs: PackRegistry | None = None,
    schema: FieldSchema | None = None,
) -> Domicile:
    """Open every configured cell (schemas must be current) and build the facade."""
    config = load_cells_file(settings.resolved_cells_file())
    clock = clock or SystemClock()
    cells: list[SqlCell] = []
    try:
        for cell_cfg in config.cells:
            cell = open_sql_cell(cell_cfg, settings.data_dir, clock)
            cells.append(cell)
            require_current(cell.engine, cell.name)
    except Exception:
        for c in cells:
            c.close()
        raise
    return Domicile(
        cells, packs or default_registry(), schema=schema, token_domain=config.token_domain, clock=clock
    )
