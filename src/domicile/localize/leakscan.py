"""``domicile leakscan``: prove that no localized PD stayed behind in the source database.

Reads **every** text-like column of every table of the source (plus non-text columns a data map
marks as PD), read-only and streamed. Each value gives its fingerprint candidates
(:func:`domicile.localize.fingerprints.candidates`; the map, when given, adds the column's
category), fingerprinted under **every** blind-index key version of the jurisdiction's cell, and
probed in batches (``IN`` lists of ~500 digests) against:

* the cell's ``localized_index`` — values ``domicile localize`` moved (a copied column, a phone
  number inside a ticket body);
* the vault ``blind_index`` — identifiers of subjects written through the API (e-mail, phone,
  passport, INN, SNILS).

Nothing is decrypted. A finding names the table, column, the row's primary key, the kind of
match and the matched item or subject id — never the value (a primary-key value that itself looks
like PD is shown as ``<hidden>``). Some candidates are not probed, because different people share
them and a match would not mean a leak: birth dates, and whole values of one word or shorter than
:data:`MIN_TEXT_CHARS` characters (a family name alone: a Kazakh user called Мельников is not a
leftover of a Russian one). Full names, addresses and identifiers are probed. PD-LOC-1..3.

Each finding has a **strength**. An identifier (:data:`STRONG_KINDS`: e-mail, phone, passport,
INN, SNILS, OGRN, card number) names one person, so its match is ``strong``: a leak. A whole
value matched as text (a full name, an address, any other value) or an IP address can be shared
by different people (``IVAN PETROV`` paying in Almaty is not the Muscovite of that name), so such
a match alone is ``weak``. It becomes strong when the same row corroborates it: a strong match,
or a weak match in another column, for the same subject. :attr:`LeakReport.clean` counts strong
findings only; ``--strict`` (:meth:`LeakReport.passes`) fails on weak ones too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from domicile.audit import AuditEvent
from domicile.cells.store import CellStore
from domicile.core.errors import InputError
from domicile.localize.datamap import DataMap, DataMapError
from domicile.localize.fingerprints import TEXT, candidates, fingerprint
from domicile.localize.items import item_store
from domicile.localize.source import (
    ColumnInfo,
    SourceError,
    TableInfo,
    masked_url,
    open_source,
    read_only,
    reflect,
)
from domicile.service import Domicile
from domicile.vault.keys import KeyPurpose

PROBE_BATCH = 500
MIN_TEXT_CHARS = 10
#: Candidate kinds probed in the vault blind index, and the vault field they name.
VAULT_FIELDS: Mapping[str, str] = {
    "email": "email",
    "phone": "phone",
    "ru_passport": "passport",
    "inn": "inn",
    "snils": "snils",
}
_SKIP_KINDS = frozenset({"birth_date"})
#: Candidate kinds that identify one person: a match is a leak on its own.
STRONG_KINDS = frozenset({"email", "phone", "ru_passport", "inn", "snils", "ogrn", "payment_card"})
STRONG, WEAK = "strong", "weak"

#: Called after each table: (table name, rows read in it, tables done, tables in total).
LeakProgress = Callable[[str, int, int, int], None]


@dataclass(frozen=True)
class LeakFinding:
    """PD of the cell's jurisdiction found in the source (no value, only where and what)."""

    table: str
    column: str
    row: tuple[str, ...]
    kind: str
    matched: str  # "localized_item" | "vault_subject"
    ref: str  # the item id or subject id
    subject_id: str | None
    strength: str = STRONG  # STRONG: an identifier or corroborated; WEAK: a name/address/IP alone


@dataclass(frozen=True)
class LeakReport:
    """What leakscan read and found; ``clean`` when nothing was found."""

    source: str
    cell: str
    jurisdiction: str
    key_versions: tuple[int, ...]
    tables: int
    columns: int
    rows: int
    values: int
    probes: int
    findings: tuple[LeakFinding, ...]
    by_column: Mapping[str, int] = field(default_factory=dict)  # strong findings per table.column
    weak_by_column: Mapping[str, int] = field(default_factory=dict)
    started_at: str = ""
    finished_at: str = ""

    @property
    def leaks(self) -> tuple[LeakFinding, ...]:
        """Strong findings: an identifier, or a name/address corroborated in the same row."""
        return tuple(f for f in self.findings if f.strength == STRONG)

    @property
    def weak(self) -> tuple[LeakFinding, ...]:
        """Weak findings: a full name, address or IP alone, which another person may share."""
        return tuple(f for f in self.findings if f.strength == WEAK)

    @property
    def clean(self) -> bool:
        """No strong finding (weak ones are listed for review)."""
        return not self.leaks

    def passes(self, *, strict: bool = False) -> bool:
        """The gate: no strong finding; with ``strict``, no finding at all."""
        return not self.findings if strict else self.clean


def check_map_names(dm: DataMap, tables: Mapping[str, TableInfo]) -> None:
    """Every table and column a data map names exists in the source.

    Raises:
        DataMapError: Naming the first missing table or column.
    """
    for t in dm.tables:
        src = tables.get(t.name)
        if src is None:
            raise DataMapError(f"data map: tables.{t.name}: no such table in the source")
        names = {c.name for c in src.columns}
        for c in t.columns:
            if c.name not in names:
                raise DataMapError(
                    f"data map: tables.{t.name}.columns.{c.name}: no such column in the source"
                )


@dataclass
class _Hit:
    where: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)  # (column, row, kind)


class _Prober:
    """Collects digests of one table's values and probes the cell in batches."""

    def __init__(self, dom: Domicile, cell_name: str, keys: Mapping[int, bytes]) -> None:
        self.dom, self.cell_name, self.keys = dom, cell_name, keys
        self.cipher = dom.cipher(cell_name)
        self.local: dict[bytes, _Hit] = {}
        self.vault: dict[bytes, tuple[_Hit, str]] = {}
        self.findings: list[LeakFinding] = []
        self.probes = 0

    def add(self, table: str, column: str, row: tuple[str, ...], kind: str, text: str) -> None:
        where = (column, row, kind)
        for key in self.keys.values():
            self.local.setdefault(fingerprint(key, kind, text), _Hit()).where.append(where)
        fld = VAULT_FIELDS.get(kind)
        if fld is not None:
            try:
                digests = self.cipher.query_digests(fld, text, list(self.keys))
            except InputError:  # not a valid value of the field: nothing can match
                digests = []
            for d in digests:
                self.vault.setdefault(d, (_Hit(), kind))[0].where.append(where)

    def pending(self) -> int:
        return len(self.local) + len(self.vault)

    def flush(self, table: str) -> None:
        cell = self.dom.cell(self.cell_name)
        local, vault = self.local, self.vault
        self.local, self.vault = {}, {}
        digests = list(local)
        with cell.session() as s:
            store = item_store(s)
            found: list[tuple[bytes, str]] = []
            for i in range(0, len(digests), PROBE_BATCH):
                found += store.find_items(digests[i : i + PROBE_BATCH])
                self.probes += 1
            owners = {i: r.subject_id for i, r in store.get_items(sorted({i for _, i in found})).items()}
            for digest, item_id in found:
                for column, row, kind in local[digest].where:
                    self.findings.append(
                        LeakFinding(table, column, row, kind, "localized_item", item_id, owners.get(item_id))
                    )
            vd = list(vault)
            for i in range(0, len(vd), PROBE_BATCH):
                for digest, subject in self._bisect(s.store, vd[i : i + PROBE_BATCH]):
                    hit, _ = vault[digest]
                    for column, row, kind in hit.where:
                        self.findings.append(
                            LeakFinding(table, column, row, kind, "vault_subject", subject, subject)
                        )

    def _bisect(self, store: CellStore, digests: Sequence[bytes]) -> Iterable[tuple[bytes, str]]:
        """Which digest matched which subject, with few queries (no hit: one query per batch)."""
        self.probes += 1
        subjects = store.find_subjects(list(digests))
        if not subjects:
            return
        if len(digests) == 1:
            for sub in subjects:
                yield digests[0], sub
            return
        mid = len(digests) // 2
        yield from self._bisect(store, digests[:mid])
        yield from self._bisect(store, digests[mid:])


def _row_key(values: Sequence[object]) -> tuple[str, ...]:
    out = []
    for v in values:
        if isinstance(v, int):
            out.append(str(v))
            continue
        looks_pd = any(k != TEXT for k, _ in candidates(None, v))
        out.append("<hidden>" if looks_pd else str(v))
    return tuple(out)


def _readable(c: ColumnInfo) -> bool:
    """Text, and JSON / array columns (their strings are text a copy can hide in)."""
    return c.is_text or c.python_type is list or c.type_name.upper() in ("JSON", "JSONB")


def _leaves(value: object) -> list[object]:
    """The value itself, or every scalar inside a JSON document / array the driver decoded."""
    if isinstance(value, Mapping):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _leaves(v)]
    return [value]


def _probe_forms(category: str | None, value: object) -> list[tuple[str, str]]:
    return [
        (k, t)
        for k, t in candidates(category, value)
        if k not in _SKIP_KINDS and (k != TEXT or (len(t) >= MIN_TEXT_CHARS and " " in t))
    ]


def leakscan(
    dom: Domicile,
    url: str,
    *,
    dm: DataMap | None = None,
    jurisdiction: str = "RU",
    batch_size: int = PROBE_BATCH,
    progress: LeakProgress | None = None,
    actor: str = "leakscan",
) -> LeakReport:
    """Scan a source database for PD localized to (or stored in) ``jurisdiction``'s cell.

    Args:
        dom: The facade holding the jurisdiction's home cell.
        url: SQLAlchemy URL of the source (read-only access is enough).
        dm: Optional data map: adds categories of mapped columns (and reads mapped non-text PD).
        jurisdiction: Whose cell to probe.
        batch_size: Rows streamed per fetch; digests are probed ~500 per query.
        progress: Called after each table.
        actor: Recorded in the cell's audit entry.

    Raises:
        SourceError: The source cannot be opened or read.
        DataMapError: The map names a table or column the source lacks.
        UnknownCellError: No cell for ``jurisdiction``.
    """
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    cell = dom.home_cell(jurisdiction)
    versions = tuple(cell.keys.versions())
    keys = {v: cell.keys.secret(v, KeyPurpose.BLIND_INDEX) for v in versions}
    prober = _Prober(dom, cell.name, keys)
    engine = open_source(url)
    n_rows = n_values = n_columns = 0
    try:
        tables = reflect(engine)
        if dm is not None:
            check_map_names(dm, tables)
        mapped = {(t.name, c.name): c.category for t in (dm.tables if dm else ()) for c in t.columns}
        for done, (name, info) in enumerate(tables.items(), 1):
            cols = [c.name for c in info.columns if _readable(c) or mapped.get((name, c.name))]
            n_columns += len(cols)
            rows_here = 0
            if cols:
                pk = list(info.primary_key)
                tbl = sa.table(name, *[sa.column(c) for c in dict.fromkeys(pk + cols)])
                query = sa.select(*[tbl.c[c] for c in pk], *[tbl.c[c] for c in cols])
                with engine.connect() as conn, conn.begin():
                    read_only(conn)
                    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(query)
                    for rec in result:
                        rows_here += 1
                        row = _row_key(rec[: len(pk)]) if pk else (f"#{rows_here}",)
                        for col, value in zip(cols, rec[len(pk) :], strict=True):
                            if value is None:
                                continue
                            n_values += 1
                            for part in _leaves(value):
                                for kind, text in _probe_forms(mapped.get((name, col)), part):
                                    prober.add(name, col, row, kind, text)
                        if prober.pending() >= 4 * PROBE_BATCH:
                            prober.flush(name)
                prober.flush(name)
            n_rows += rows_here
            if progress is not None:
                progress(name, rows_here, done, len(tables))
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"cannot read source {masked_url(url)}: {type(exc).__name__}") from None
    finally:
        engine.dispose()
    findings = _grade(_dedupe(prober.findings))
    by_column: dict[str, int] = defaultdict(int)
    weak_by_column: dict[str, int] = defaultdict(int)
    for f in findings:
        (by_column if f.strength == STRONG else weak_by_column)[f"{f.table}.{f.column}"] += 1
    report = LeakReport(
        source=masked_url(url),
        cell=cell.name,
        jurisdiction=jurisdiction,
        key_versions=versions,
        tables=len(tables),
        columns=n_columns,
        rows=n_rows,
        values=n_values,
        probes=prober.probes,
        findings=findings,
        by_column=dict(by_column),
        weak_by_column=dict(weak_by_column),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    with cell.session() as s:
        s.audit.append(
            [
                AuditEvent(
                    actor=actor,
                    action="localize.leakscan",
                    purpose="localize.verify",
                    outcome="leaks_found" if report.leaks else "weak_only" if report.weak else "clean",
                    details={
                        "tables": report.tables,
                        "rows": report.rows,
                        "values": report.values,
                        "findings": len(report.leaks),
                        "weak_findings": len(report.weak),
                    },
                )
            ]
        )
    return report


def _dedupe(findings: Iterable[LeakFinding]) -> tuple[LeakFinding, ...]:
    """One finding per (table, row, column, matched ref); strongest kind (non-text) kept."""
    best: dict[tuple[str, tuple[str, ...], str, str, str], LeakFinding] = {}
    for f in findings:
        key = (f.table, f.row, f.column, f.matched, f.ref)
        if key not in best or (best[key].kind == TEXT and f.kind != TEXT):
            best[key] = f
    return tuple(sorted(best.values(), key=lambda f: (f.table, f.column, f.row, f.ref)))


def _grade(findings: Sequence[LeakFinding]) -> tuple[LeakFinding, ...]:
    """Mark each finding strong or weak (see the module docstring); order kept.

    Findings are grouped by row and matched subject (the item id when an item has no subject):
    a group is strong when it holds an identifier match or matches in two or more columns.
    """
    groups: dict[tuple[str, tuple[str, ...], str], list[LeakFinding]] = defaultdict(list)
    for f in findings:
        groups[(f.table, f.row, f.subject_id or f.ref)].append(f)
    strong = {
        key
        for key, fs in groups.items()
        if any(f.kind in STRONG_KINDS for f in fs) or len({f.column for f in fs}) > 1
    }
    return tuple(
        replace(f, strength=STRONG if (f.table, f.row, f.subject_id or f.ref) in strong else WEAK)
        for f in findings
    )
