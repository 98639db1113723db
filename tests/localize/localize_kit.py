"""Helpers for localize tests: a labeled source, its data map, snapshots and the convergence checks.

The source is :func:`domicile.synthetic.build_labeled_db` (RU, KZ, UA, DE, US people). Which rows
are Russian is decided here independently of the engine: a user or seller is RU when its phone
number (international, or national with the RU plan) belongs to region RU; orders, tickets and
payments follow their order's user (an owner chain: payments.order_id -> orders.id,
orders.user_id -> users.id).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import sqlalchemy as sa

from domicile.app import init_data_dir, open_domicile
from domicile.cells.config import CellConfig, CellsFile, FileKeys
from domicile.cells.schema import localize_jobs, localized_index, localized_items, vault_records
from domicile.localize.datamap import DataMap, parse_datamap
from domicile.localize.items import ItemCipher, ItemRow
from domicile.localize.values import canonical_key, parse_payload
from domicile.service import Domicile
from domicile.settings import DomicileSettings
from domicile.synthetic.labeled_db import build_labeled_db

REPO = Path(__file__).resolve().parents[2]

MAP_YAML = """\
format: domicile.datamap/1
tables:
  users:
    primary_key: [id]
    subject: {key: id}
    residency: {phones: [phone]}
    columns:
      id: {category: null}
      given_name: {category: person_name, field: given_name}
      family_name: {category: person_name, field: family_name}
      patronymic: {category: person_name, field: patronymic}
      email: {category: email, field: email}
      phone: {category: phone, field: phone}
      birth_date: {category: birth_date, field: birth_date, replace: 'null'}
      address: {category: postal_address, field: address}
      passport: {category: ru_passport, field: passport}
      inn: {category: inn, field: inn}
      snils: {category: snils, field: snils}
      last_ip: {category: ip_address}
  orders:
    primary_key: [id]
    subject: {ref: users, column: user_id}
    columns:
      id: {category: null}
      user_id: {category: null}
      shipping_address: {category: postal_address}
  support_tickets:
    primary_key: [id]
    subject: {ref: users, column: user_id}
    columns:
      id: {category: null}
      user_id: {category: null}
      body: {category: phone, categories: [email, person_name, phone], free_text: true}
  payments:
    primary_key: [id]
    subject: {ref: orders, column: order_id}
    columns:
      id: {category: null}
      order_id: {category: null}
      card_number: {category: payment_card}
      card_holder: {category: person_name, replace: 'null'}
  sellers:
    primary_key: [id]
    subject: {key: id}
    residency: {phones: [phone]}
    columns:
      id: {category: null}
      contact_name: {category: person_name}
      inn: {category: inn}
      contact_dob: {category: birth_date}
      phone: {category: phone, field: phone}
"""

TABLES = ("users", "orders", "support_tickets", "payments", "sellers")
SUBJECT_TABLES = ("users", "sellers")
OWNER_COLUMN = {"orders": "user_id", "support_tickets": "user_id"}
CHAIN = {"payments": ("order_id", "orders")}  # dependent table -> (link column, table it names)

Snapshot = dict[str, dict[str, tuple[Any, ...]]]


def datamap() -> DataMap:
    return parse_datamap(MAP_YAML)


def pd_columns(dm: DataMap, table: str) -> list[str]:
    return [c.name for c in dm.table(table).pd_columns]


def make_source(url: str, rows: int = 60, seed: int = 3) -> None:
    """The labeled database with *rows* rows per table (sellers: 20)."""
    build_labeled_db(url, rows=rows, sizes={"sellers": 20}, seed=seed)


def cells_file(ru_url: str | None = None, global_url: str | None = None) -> CellsFile:
    """RU and GLOBAL cells: SQLite in the data folder unless URLs are given."""
    return CellsFile(
        cells=[
            CellConfig(
                name="ru-msk-1",
                jurisdiction="RU",
                location="Moscow",
                url=ru_url or "sqlite:///cells/ru-msk-1.db",
                keys=FileKeys(path=Path("keys/ru-msk-1.json")),
                ledger=Path("ledger/ru-msk-1.jsonl"),
            ),
            CellConfig(
                name="global-1",
                jurisdiction="GLOBAL",
                location="Frankfurt",
                url=global_url or "sqlite:///cells/global-1.db",
                keys=FileKeys(path=Path("keys/global-1.json")),
                ledger=Path("ledger/global-1.jsonl"),
            ),
        ]
    )


def init_data(data_dir: Path, cells: CellsFile | None = None) -> DomicileSettings:
    settings = DomicileSettings(data_dir=data_dir)
    init_data_dir(settings, cells or cells_file())
    return settings


def open_dom(data_dir: Path) -> Domicile:
    return open_domicile(DomicileSettings(data_dir=data_dir))


def close(dom: Domicile) -> None:
    for cell in dom.cells.values():
        cell.close()


def snapshot(url: str) -> Snapshot:
    """Every row of every table, raw driver values, keyed by canonical primary key."""
    engine = sa.create_engine(url)
    out: Snapshot = {}
    try:
        insp = sa.inspect(engine)
        with engine.connect() as conn:
            for name in sorted(insp.get_table_names()):
                pk = insp.get_pk_constraint(name)["constrained_columns"]
                cols = [c["name"] for c in insp.get_columns(name)]
                q = sa.text(f'SELECT {", ".join(cols)} FROM "{name}"')
                rows = {}
                for r in conn.execute(q):
                    m = dict(zip(cols, r, strict=True))
                    rows[canonical_key(tuple(m[c] for c in pk))] = tuple(m[c] for c in cols)
                out[name] = rows
    finally:
        engine.dispose()
    return out


def columns_of(url: str, table: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return [c["name"] for c in sa.inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def _is_ru_phone(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        p = phonenumbers.parse(v, "RU")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(p) and phonenumbers.region_code_for_number(p) == "RU"


def expected_ru(original: Snapshot, url: str) -> dict[str, set[str]]:
    """Canonical keys of the rows that must be localized, per table (an independent oracle)."""
    out: dict[str, set[str]] = {}
    for t in SUBJECT_TABLES:
        phone_at = columns_of(url, t).index("phone")
        out[t] = {k for k, row in original[t].items() if _is_ru_phone(row[phone_at])}
    ru_users = out["users"]
    for t, col in OWNER_COLUMN.items():
        at = columns_of(url, t).index(col)
        out[t] = {k for k, row in original[t].items() if canonical_key((row[at],)) in ru_users}
    for t, (col, ref) in CHAIN.items():
        at = columns_of(url, t).index(col)
        out[t] = {k for k, row in original[t].items() if canonical_key((row[at],)) in out[ref]}
    return out


@dataclass(frozen=True)
class CellState:
    """Row counts and audit head of the RU cell: 'nothing changed' compares two of these."""

    counts: dict[str, int]
    audit_head: str | None
    jobs: tuple[tuple[Any, ...], ...]


def cell_state(dom: Domicile) -> CellState:
    from domicile.operations import audit_head

    cell = dom.home_cell("RU")
    engine = cell.engine  # type: ignore[attr-defined]
    counts = {}
    with engine.connect() as conn:
        for t in (vault_records, localized_items, localized_index, "tokens", "blind_index", "audit_log"):
            table = t if isinstance(t, sa.Table) else sa.table(t)
            counts[table.name] = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        jobs = tuple(tuple(r) for r in conn.execute(sa.select(localize_jobs)))
    head = audit_head(dom, cell.name)
    return CellState(counts, head.to_anchor() if head else None, jobs)


def live_items(dom: Domicile) -> list[ItemRow]:
    cell = dom.home_cell("RU")
    with cell.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(sa.select(localized_items).where(localized_items.c.wrapped_dek.is_not(None)))
        return [ItemRow(**r._mapping) for r in rows]


def check_converged(dom: Domicile, url: str, original: Snapshot, dm: DataMap) -> dict[str, set[str]]:
    """Every RU value is in the cell exactly once, none is left in the source, the rest untouched."""
    ru = expected_ru(original, url)
    after = snapshot(url)
    cell = dom.home_cell("RU")
    cipher = ItemCipher(cell.name, cell.keys)
    items = live_items(dom)
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        table, key, values = parse_payload(cipher.open(item))
        assert item.source_table == table
        assert (table, canonical_key(key)) not in by_key, "a row was localized twice"
        by_key[(table, canonical_key(key))] = values
    assert len(items) == sum(len(v) for v in ru.values()), "item count differs from RU rows"
    leftovers: set[Any] = set()
    shared: set[Any] = set()  # values non-RU rows hold too (a stock sentence in a ticket) are not PD
    for t in TABLES:
        cols = columns_of(url, t)
        pd = pd_columns(dm, t)
        for k, row in original[t].items():
            if k not in ru[t]:
                assert after[t][k] == row, f"non-RU row {t}{k} changed"
                shared.update(row)
                continue
            values = by_key[(t, k)]
            assert values == {c: row[cols.index(c)] for c in pd}, f"cell copy of {t}{k} differs"
            for i, c in enumerate(cols):
                if c in pd:
                    now = after[t][k][i]
                    assert now is None or now != row[i], f"{t}{k}.{c} still holds its value"
                    if row[i] is not None:
                        leftovers.add(row[i])
                else:
                    assert after[t][k][i] == row[i], f"non-PD column {t}{k}.{c} changed"
    leftovers -= shared
    for t, rows in after.items():  # no moved value anywhere in the source, in any column
        for k, row in rows.items():
            hit = [v for v in row if isinstance(v, str) and len(v) >= 6 and v in leftovers]
            assert not hit, f"a moved value is still in {t}{k}"
    with cell.engine.connect() as conn:  # type: ignore[attr-defined]
        subjects = conn.execute(sa.select(sa.func.count()).select_from(vault_records)).scalar_one()
    assert subjects == len(ru["users"]) + len(ru["sellers"]), "subject count differs from RU subject rows"
    return ru


def write_map(path: Path, text: str = MAP_YAML) -> Path:
    path.write_text(text, "utf-8")
    return path


def run_cli(
    args: list[str], env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m domicile ARGS`` in a fresh process."""
    full = {**os.environ, **(env or {})}
    full.pop("DOMICILE_FAULT", None) if env is None or "DOMICILE_FAULT" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "domicile", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )


def killed(proc: subprocess.CompletedProcess[str]) -> bool:
    return proc.returncode == -signal.SIGKILL


def run_outcome(root: Path, seed: int, **options: Any) -> tuple[Any, ...]:
    """Localize a fresh source in *root* with *options*; check it converged; what it left.

    Returns the report's per-table counters, the cell's row counts and the RU rows expected, for
    comparing runs that must differ only in speed (pipeline, workers).
    """
    from domicile.localize.engine import localize
    from domicile.localize.source import open_source

    root.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{root / 'src.db'}"
    make_source(url, rows=90, seed=seed)
    original = snapshot(url)
    init_data(root / "data")
    dom = open_dom(root / "data")
    engine = open_source(url)
    try:
        report = localize(dom, engine, datamap(), **options)
        check_converged(dom, url, original, datamap())
        counts = cell_state(dom).counts
    finally:
        engine.dispose()
        close(dom)
    tables = {t: (p.seen, p.moved, p.skipped_non_ru, p.columns) for t, p in report.tables.items()}
    return tables, counts, expected_ru(original, url)
