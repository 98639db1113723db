"""``domicile scan``: sample every table and column of a source database and draft a data map.

Read-only: on PostgreSQL each table is read in a ``READ ONLY`` transaction, on SQLite the
connection is set to ``PRAGMA query_only``. Sampling (``sample_rows`` = N per table):

* a table of at most N rows is read whole;
* PostgreSQL: ``TABLESAMPLE SYSTEM`` (random pages, cheap) sized for ~4N rows, limited to N,
  falling back to ``ORDER BY random() LIMIT N`` when the pages held too few rows;
* SQLite: ``ORDER BY random() LIMIT N`` up to :data:`RANDOM_SCAN_MAX_ROWS` rows, else the first N;
* other backends: the first N rows.

Each column goes through :func:`domicile.recognizers.classify_column`; the map keeps the category,
confidence and recognizer evidence as counts (never a value). Then the subjects are found:

* **references**: reflected foreign keys, and columns named ``<x>_id`` / ``<x>id`` where a table
  ``x``, ``xs`` or ``xes`` exists (``user_id`` -> ``users.id``);
* **subject tables**: tables with PD and a one-column primary key that other tables reference, or
  that hold a direct identifier (e-mail, phone, passport, INN, SNILS); a candidate that references
  another subject table, directly or through other tables, is a dependent instead
  (``orders.user_id`` -> ``users``);
* **dependents**: tables with PD referencing a subject table get ``subject: {ref, column}``; so do
  tables referencing a dependent (an owner chain, ``payments.order_id`` -> ``orders`` ->
  ``users``; the shortest chain wins, foreign keys before names; a table without PD is linked
  when a chain passes through it). A link found by column name only gets a ``# REVIEW:`` note;
* PD without an identifiable subject: ``subject`` stays empty with a review note; ``load_datamap``
  refuses the map until a person fills it in (PD-LOC-1: nothing is moved on a guess).

Subject tables also get vault ``field`` suggestions and ``residency`` columns (phones; columns
named like country / citizenship / residence holding ISO 3166 alpha-2 codes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import yaml

from domicile.localize.datamap import (
    ColumnMap,
    DataMap,
    RecognizerHit,
    Replace,
    Residency,
    SubjectLink,
    TableMap,
    dump_datamap,
)
from domicile.localize.source import SourceError, TableInfo, masked_url, open_source, read_only, reflect
from domicile.recognizers import ClassifierConfig, ColumnClassification, RecognizerRegistry, classify_column
from domicile.recognizers.base import column_tokens
from domicile.vault.fields import FieldSchema

RANDOM_SCAN_MAX_ROWS = 200_000
TOKEN_LEN = 64

#: Categories whose presence makes a row a person on its own.
DIRECT_IDENTIFIERS = frozenset({"email", "phone", "ru_passport", "inn", "snils"})
#: category -> vault field (person names are split by column name, see :func:`_name_field`).
FIELD_FOR_CATEGORY: Mapping[str, str] = {
    "email": "email",
    "phone": "phone",
    "ru_passport": "passport",
    "inn": "inn",
    "snils": "snils",
    "birth_date": "birth_date",
    "postal_address": "address",
}
_NAME_FIELDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("patronymic", frozenset({"patronymic", "middle", "otchestvo", "отчество", "mname"})),
    ("family_name", frozenset({"family", "last", "surname", "lastname", "фамилия", "lname", "sname"})),
    ("given_name", frozenset({"given", "first", "firstname", "forename", "имя", "fname"})),
)
_RESIDENCY_NAMES: tuple[tuple[str, frozenset[str]], ...] = (
    ("citizenship", frozenset({"citizenship", "nationality", "гражданство"})),
    ("ip_country", frozenset({"ip", "geo", "geoip"})),  # together with a country token
    ("residence", frozenset({"residence", "resident", "country", "страна", "residency"})),
)
_COUNTRY_TOKENS = frozenset({"country", "страна", "cc"})
_ISO2 = re.compile(r"^[A-Za-z]{2}$")

#: Called after each table: (table name, tables done, tables in total).
ScanProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScanResult:
    """A drafted data map and the notes a reviewer must read (no values in either)."""

    datamap: DataMap
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sampling: Mapping[str, str] = field(default_factory=dict)

    def yaml(self) -> str:
        """The data map as YAML with each table's notes as ``# REVIEW:`` comments above it."""
        return annotate_yaml(dump_datamap(self.datamap), self.notes)


@dataclass
class _Ref:
    column: str
    target: str
    via: str  # "foreign key" | "name"


# -- reading ----------------------------------------------------------------------------------------
def _sample(conn: sa.Connection, info: TableInfo, rows: int, n: int) -> tuple[dict[str, list[object]], str]:
    tbl = sa.table(info.name, *[sa.column(c.name) for c in info.columns])
    query: sa.Select[Any]
    dialect = conn.dialect.name
    if rows <= n:
        how, query = "all rows", sa.select(tbl)
    elif dialect == "postgresql":
        pct = min(100.0, max(0.0001, 400.0 * n / rows))
        how = f"TABLESAMPLE SYSTEM ({pct:.4g} %)"
        query = sa.select(sa.tablesample(tbl, sa.func.system(pct))).limit(n)
    elif dialect == "sqlite" and rows <= RANDOM_SCAN_MAX_ROWS:
        how, query = "random rows", sa.select(tbl).order_by(sa.func.random()).limit(n)
    else:
        how, query = "first rows", sa.select(tbl).limit(n)
    fetched = conn.execute(query).all()
    if dialect == "postgresql" and rows > n and len(fetched) < min(n, rows) // 2:
        how = "random rows"
        fetched = conn.execute(sa.select(tbl).order_by(sa.func.random()).limit(n)).all()
    cols: dict[str, list[object]] = {c.name: [] for c in info.columns}
    for row in fetched:
        for c, v in zip(info.columns, row, strict=True):
            cols[c.name].append(v)
    return cols, f"{how}: {len(fetched)} of {rows}"


# -- subjects ---------------------------------------------------------------------------------------
def _name_target(column: str, tables: Mapping[str, TableInfo], own: str) -> str | None:
    low = column.lower()
    stem = low[:-3] if low.endswith("_id") else low[:-2] if low.endswith("id") and len(low) > 2 else None
    if not stem:
        return None
    for cand in (stem, stem + "s", stem + "es", stem[:-1] + "ies" if stem.endswith("y") else ""):
        if cand and cand != own and cand in tables and len(tables[cand].primary_key) == 1:
            return cand
    return None


def _references(
    name: str, info: TableInfo, tables: Mapping[str, TableInfo], fks: Sequence[Mapping[str, Any]]
) -> list[_Ref]:
    refs: list[_Ref] = []
    seen: set[str] = set()
    for fk in fks:
        cols, target = fk.get("constrained_columns") or [], fk.get("referred_table")
        if not isinstance(target, str):
            continue
        if len(cols) == 1 and target in tables and target != name and len(tables[target].primary_key) == 1:
            refs.append(_Ref(cols[0], str(target), "foreign key"))
            seen.add(cols[0])
    for c in info.columns:
        if c.name in seen or c.name in info.primary_key:
            continue
        target = _name_target(c.name, tables, name)
        if target is not None:
            refs.append(_Ref(c.name, target, "name"))
    return refs


def _choose_subjects(
    pd_tables: Mapping[str, set[str]], refs: Mapping[str, list[_Ref]], tables: Mapping[str, TableInfo]
) -> set[str]:
    """Subject tables: referenced or directly identifying PD tables that reference no other subject."""
    referenced_by: dict[str, set[str]] = {}
    for src, rs in refs.items():
        for r in rs:
            referenced_by.setdefault(r.target, set()).add(src)
    candidates = [
        t
        for t, cats in pd_tables.items()
        if len(tables[t].primary_key) == 1 and (t in referenced_by or cats & DIRECT_IDENTIFIERS)
    ]
    candidates.sort(
        key=lambda t: (-len(referenced_by.get(t, ())), -len(pd_tables[t] & DIRECT_IDENTIFIERS), t)
    )
    chosen: list[str] = []
    for t in candidates:
        if not any(r.target in chosen for r in refs.get(t, ())):
            chosen.append(t)
    # a table chosen before the subject it references, directly or through other tables (it
    # ranked higher), becomes its dependent
    final = set(chosen)
    for t in chosen:
        if _reaches(t, final - {t}, refs):
            final.discard(t)
    return final


def _reaches(start: str, goals: set[str], refs: Mapping[str, list[_Ref]]) -> bool:
    """Whether a chain of references leads from ``start`` to one of ``goals`` (not through them)."""
    seen, todo = {start}, [start]
    while todo:
        for r in refs.get(todo.pop(), ()):
            if r.target in goals:
                return True
            if r.target not in seen:
                seen.add(r.target)
                todo.append(r.target)
    return False


def _owner_links(
    subjects: set[str], refs: Mapping[str, list[_Ref]], pd_tables: set[str]
) -> tuple[dict[str, _Ref], dict[str, list[_Ref]]]:
    """Each table's link towards a subject table: shortest owner chains, foreign keys first.

    Breadth first from the subject tables: a table referencing a subject table gets depth 1, one
    referencing a depth-1 table depth 2, and so on, so chains never cycle. Tables without PD are
    kept only as links of a chain that a PD table needs (``payments`` -> ``orders`` -> ``users``).
    Returns the chosen link per table and the other references of the same depth (for a note).
    """
    depth = dict.fromkeys(subjects, 0)
    chosen: dict[str, _Ref] = {}
    alternatives: dict[str, list[_Ref]] = {}
    level = 0
    while True:
        found: dict[str, list[_Ref]] = {}
        for name, rs in refs.items():
            if name in depth:
                continue
            hits = [r for r in rs if depth.get(r.target) == level]
            if hits:
                found[name] = sorted(hits, key=lambda r: r.via != "foreign key")  # stable: FK first
        if not found:
            break
        level += 1
        for name, hits in found.items():
            depth[name] = level
            chosen[name] = hits[0]
            if len(hits) > 1:
                alternatives[name] = hits[1:]
    needed: set[str] = set()
    for start in pd_tables & set(chosen):
        at = start
        while at in chosen and at not in needed:
            needed.add(at)
            at = chosen[at].target
    return {n: r for n, r in chosen.items() if n in needed}, {
        n: a for n, a in alternatives.items() if n in needed
    }


def _link_notes(
    name: str,
    owners: Mapping[str, _Ref],
    subjects: set[str],
    others: Sequence[_Ref],
) -> list[str]:
    """Review notes for a drafted owner link: inferred by name, a chain, other candidates."""
    notes: list[str] = []
    hops: list[_Ref] = []
    at = name
    while at not in subjects:
        hops.append(owners[at])
        at = owners[at].target
    path = name + "".join(f".{r.column} -> {r.target}" for r in hops)
    sources = [name] + [h.target for h in hops[:-1]]
    by_name = [f"{src}.{r.column}" for src, r in zip(sources, hops, strict=True) if r.via == "name"]
    if len(by_name) == len(hops):
        notes.append(f"owner inferred from column names (no foreign key): {path}; check it")
    elif by_name:
        notes.append(f"owner inferred partly from column names ({', '.join(by_name)}): {path}; check it")
    elif len(hops) > 1:
        notes.append(f"owner found through a chain of foreign keys: {path}")
    if others:
        alt = ", ".join(f"{o.column} -> {o.target}" for o in others)
        notes.append(f"rows also reference {alt}; check that {hops[0].column} is the owner")
    return notes


# -- columns ----------------------------------------------------------------------------------------
def _hits(verdict: ColumnClassification) -> tuple[RecognizerHit, ...]:
    out: list[RecognizerHit] = []
    for ev in verdict.evidence:
        if ev.category not in verdict.categories:
            continue
        single = len(ev.recognizers) == 1  # checksum counts are per category, not per recognizer
        for name, hits in ev.recognizers:
            out.append(RecognizerHit(name, hits, ev.checksum_passed if single else 0, ev.context_word))
    return tuple(out)


def _name_field(column: str) -> str | None:
    tokens = set(column_tokens(column))
    joined = column.lower().replace("_", "")
    for fld, words in _NAME_FIELDS:
        if tokens & words or any(w in joined for w in words if len(w) > 4):
            return fld
    return None


def _residency_kind(column: str, values: Iterable[object]) -> str | None:
    tokens = set(column_tokens(column))
    kind = None
    for k, words in _RESIDENCY_NAMES:
        if tokens & words and (k != "ip_country" or tokens & _COUNTRY_TOKENS):
            kind = k
            break
    if kind is None:
        return None
    texts = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not texts or sum(1 for t in texts if _ISO2.match(t)) < 0.9 * len(texts):
        return None
    return kind


def _default_replace(info: TableInfo, column: str, notes: list[str]) -> Replace:
    c = info.column(column)
    if c.is_text and (c.length is None or c.length >= TOKEN_LEN):
        return Replace.TOKEN
    if c.nullable:
        return Replace.NULL
    notes.append(
        f"column {column} ({c.type_name}, NOT NULL) can hold neither a {TOKEN_LEN}-character token "
        "nor NULL: widen it or make it nullable before localize"
    )
    return Replace.TOKEN


def _build_table(
    info: TableInfo,
    verdicts: Mapping[str, ColumnClassification],
    samples: Mapping[str, list[object]],
    rows: int,
    *,
    subject: SubjectLink | None,
    link_columns: set[str],
    fields: set[str],
    notes: list[str],
) -> TableMap:
    is_subject = subject is not None and subject.is_subject_table
    used_fields: set[str] = set()
    columns: list[ColumnMap] = []
    phones: list[str] = []
    res: dict[str, str] = {}
    ordered = sorted(
        info.columns, key=lambda c: -(verdicts[c.name].confidence if verdicts[c.name].is_pd else 0)
    )
    by_name: dict[str, ColumnMap] = {}
    for c in ordered:
        v = verdicts[c.name]
        if not v.is_pd:
            by_name[c.name] = ColumnMap(c.name, None, round(v.confidence, 3))
            if is_subject:
                kind = _residency_kind(c.name, samples[c.name])
                if kind is not None and kind not in res:
                    res[kind] = c.name
            continue
        if c.name in info.primary_key or c.name in link_columns:
            notes.append(
                f"column {c.name} looks like {v.category} but is a key column: left unmapped "
                "(a key cannot be replaced); review it"
            )
            by_name[c.name] = ColumnMap(c.name, None, None)
            continue
        fld = None
        if is_subject and not v.free_text:
            fld = _name_field(c.name) if v.category == "person_name" else FIELD_FOR_CATEGORY.get(v.category)
            if fld is not None and (fld in used_fields or fld not in fields):
                fld = None
            if fld is not None:
                used_fields.add(fld)
            if v.category == "phone":
                phones.append(c.name)
        by_name[c.name] = ColumnMap(
            name=c.name,
            category=v.category,
            confidence=round(v.confidence, 3),
            field=fld,
            replace=_default_replace(info, c.name, notes),
            categories=v.categories,
            free_text=v.free_text,
            recognizers=_hits(v),
        )
    columns = [by_name[c.name] for c in info.columns]
    residency = Residency(
        phones=tuple(sorted(phones, key=[c.name for c in info.columns].index)),
        citizenship=res.get("citizenship"),
        residence=res.get("residence"),
        ip_country=res.get("ip_country"),
    )
    return TableMap(info.name, info.primary_key, tuple(columns), subject, residency, rows)


# -- the scan ---------------------------------------------------------------------------------------
def scan_with_notes(
    url: str,
    *,
    sample_rows: int = 1000,
    registry: RecognizerRegistry | None = None,
    progress: ScanProgress | None = None,
    fields: FieldSchema | None = None,
) -> ScanResult:
    """Scan a source database read-only and draft its data map, with review notes.

    Args:
        url: SQLAlchemy URL of the source.
        sample_rows: Rows sampled per table (see the module docstring for how).
        registry: Recognizers (default: all built-in packs).
        progress: Called after each table.
        fields: Vault field schema for ``field`` suggestions (default: the built-in fields).

    Raises:
        SourceError: The source cannot be opened or read.
        InputError: ``sample_rows`` < 1.
    """
    from domicile.core.errors import InputError

    if sample_rows < 1:
        raise InputError("sample rows must be >= 1")
    reg = registry or RecognizerRegistry.default()
    field_names = set((fields or FieldSchema()).names())
    config = ClassifierConfig(max_values=max(sample_rows, 1))
    engine = open_source(url)
    try:
        tables = reflect(engine)
        insp = sa.inspect(engine)
        fks = {name: insp.get_foreign_keys(name) for name in tables}
        verdicts: dict[str, dict[str, ColumnClassification]] = {}
        samples: dict[str, dict[str, list[object]]] = {}
        counts: dict[str, int] = {}
        sampling: dict[str, str] = {}
        for i, (name, info) in enumerate(tables.items(), 1):
            with engine.connect() as conn, conn.begin():
                read_only(conn)
                tbl = sa.table(name)
                counts[name] = int(conn.execute(sa.select(sa.func.count()).select_from(tbl)).scalar_one())
                samples[name], sampling[name] = _sample(conn, info, counts[name], sample_rows)
            verdicts[name] = {
                c.name: classify_column(c.name, samples[name][c.name], reg, config) for c in info.columns
            }
            if progress is not None:
                progress(name, i, len(tables))
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"cannot read source {masked_url(url)}: {type(exc).__name__}") from None
    finally:
        engine.dispose()
    return _draft(url, tables, fks, verdicts, samples, counts, sampling, field_names, sample_rows)


def _draft(
    url: str,
    tables: Mapping[str, TableInfo],
    fks: Mapping[str, Sequence[Mapping[str, Any]]],
    verdicts: Mapping[str, Mapping[str, ColumnClassification]],
    samples: Mapping[str, Mapping[str, list[object]]],
    counts: Mapping[str, int],
    sampling: Mapping[str, str],
    field_names: set[str],
    sample_rows: int,
) -> ScanResult:
    refs = {name: _references(name, info, tables, fks[name]) for name, info in tables.items()}
    key_cols = {name: {r.column for r in refs[name]} for name in tables}
    pd_tables = {
        name: {
            v.category
            for col, v in verdicts[name].items()
            if v.is_pd
            and not v.free_text
            and col not in tables[name].primary_key
            and col not in key_cols[name]
        }
        for name in tables
        if any(
            v.is_pd and col not in tables[name].primary_key and col not in key_cols[name]
            for col, v in verdicts[name].items()
        )
    }
    subjects = _choose_subjects(pd_tables, refs, tables)
    owners, alternatives = _owner_links(subjects, refs, set(pd_tables))
    notes: dict[str, list[str]] = {name: [] for name in tables}
    out: list[TableMap] = []
    for name, info in tables.items():
        if not info.primary_key and name not in pd_tables and name not in owners:
            notes[name].append("no primary key and no PD found: left out of the map")
            continue
        link: SubjectLink | None = None
        if name in subjects:
            link = SubjectLink(key=info.primary_key[0])
        elif name in owners:
            r = owners[name]
            link = SubjectLink(ref=r.target, column=r.column)
            notes[name] += _link_notes(name, owners, subjects, alternatives.get(name, ()))
        elif name in pd_tables:
            via = ", ".join(f"{r.column} -> {r.target} ({r.via})" for r in refs[name]) or "none"
            why = (
                "no one-column primary key"
                if len(info.primary_key) != 1
                else "no link to a subject table, directly or through other tables"
            )
            notes[name].append(
                f"PD found but no data subject identified ({why}; references: {via}). Fill in "
                "subject: {key: <pk column>} or subject: {ref: <owner table>, column: <its key column>}"
            )
        out.append(
            _build_table(
                info,
                verdicts[name],
                samples[name],
                counts[name],
                subject=link,
                link_columns={link.column} if link is not None and link.column else set(),
                fields=field_names,
                notes=notes[name],
            )
        )
    dm = DataMap(
        tables=tuple(out),
        source=masked_url(url),
        scanned_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        sample_rows=sample_rows,
    )
    return ScanResult(dm, {k: tuple(v) for k, v in notes.items() if v}, dict(sampling))


def scan(
    url: str,
    *,
    sample_rows: int = 1000,
    registry: RecognizerRegistry | None = None,
    progress: ScanProgress | None = None,
) -> DataMap:
    """Scan a source database read-only and draft its data map (see :func:`scan_with_notes`)."""
    return scan_with_notes(url, sample_rows=sample_rows, registry=registry, progress=progress).datamap


def annotate_yaml(text: str, notes: Mapping[str, Sequence[str]]) -> str:
    """Insert ``# REVIEW:`` comment lines above each noted table of a dumped data map."""
    if not notes:
        return text
    lines = text.splitlines(keepends=True)
    for table, msgs in notes.items():
        key = "  " + yaml.safe_dump({table: None}, allow_unicode=True).split(": null")[0].strip() + ":"
        for i, line in enumerate(lines):
            if line.rstrip("\n") == key:
                lines[i:i] = [f"  # REVIEW: {m}\n" for m in msgs]
                break
    return "".join(lines)
