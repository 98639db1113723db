"""The data map: which columns of a source database hold PD, whose PD it is, and what replaces it.

``domicile scan`` writes it, a privacy engineer reviews and edits it, ``domicile localize`` and
``domicile leakscan`` read it. It is YAML (format ``domicile.datamap/1``)::

    format: domicile.datamap/1
    source: postgresql+psycopg://app@db/app      # password never written
    scanned_at: '2026-11-29T03:10:00+00:00'
    sample_rows: 1000
    tables:
      users:
        primary_key: [id]
        rows: 1000000                            # rows counted at scan time (informational)
        subject: {key: id}                       # every row is one data subject
        residency: {phones: [phone], residence: country}
        columns:
          email:
            category: email                      # a recognizer category; null = not PD
            confidence: 0.98
            field: email                         # vault field it fills (optional)
            replace: token                       # token | null | keep
            recognizers: [{name: email, hits: 997}]
      orders:
        primary_key: [id]
        subject: {ref: users, column: user_id}   # rows belong to the users row whose key = user_id
        columns:
          shipping_address: {category: postal_address, replace: token}
      payments:
        primary_key: [id]
        subject: {ref: orders, column: order_id} # a chain: payments -> orders -> users
        columns:
          card_number: {category: payment_card, replace: token}

Rules checked by :func:`load_datamap` (PD-LOC-1..3: every Russian subject's PD must be found and
moved, so an incomplete or contradictory map is refused before anything is written):

* a PD column (``category`` set) must be replaced (``token`` or ``null``), never ``keep``;
* ``field`` names a vault field and is only allowed in subject tables;
* a subject table has ``subject.key`` (a primary-key column); a dependent table has ``subject.ref``
  naming another table and a column of its own holding that table's key; no table is both;
* ``ref`` may name a subject table or another dependent (an *owner chain*, see
  :meth:`DataMap.owner_chain`): every chain ends at a subject table, has no cycle, and a dependent
  named by ``ref`` has a one-column primary key (the value its referrers hold);
* ``residency`` names columns of the same table; a dependent table may omit it (the owner decides);
* every column named anywhere is listed under ``columns`` of that table.

Checks against the live database (columns exist, types fit a token, nullability) are done by
:func:`domicile.localize.source.check_map_against_source`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from domicile.core.errors import InputError

FORMAT = "domicile.datamap/1"


class DataMapError(InputError):
    """The data map is not valid YAML or breaks a rule; the message names where."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping.

    Plain YAML keeps the last one silently: a table or column listed twice would drop the
    first entry's PD columns from localization without a word.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int) and key in seen:
                line = key_node.start_mark.line + 1
                raise DataMapError(f"data map (line {line}): {key!r} is listed twice in the same mapping")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class Replace(StrEnum):
    """What replaces a localized value in the source."""

    TOKEN = "token"  # a token (format-preserving for e-mail and phone columns)
    NULL = "null"  # SQL NULL (column must be nullable)
    KEEP = "keep"  # left as is (only for non-PD columns)


@dataclass(frozen=True)
class RecognizerHit:
    """Evidence: a recognizer that fired on a column (counts only, never values)."""

    name: str
    hits: int
    checksum_passed: int = 0
    context_word: str | None = None


@dataclass(frozen=True)
class ColumnMap:
    """One column: its PD category (None = not PD), the vault field it fills and its replacement."""

    name: str
    category: str | None = None
    confidence: float | None = None
    field: str | None = None
    replace: Replace = Replace.KEEP
    categories: tuple[str, ...] = ()
    free_text: bool = False
    recognizers: tuple[RecognizerHit, ...] = ()

    def __post_init__(self) -> None:
        if self.category and not self.categories:
            object.__setattr__(self, "categories", (self.category,))

    @property
    def is_pd(self) -> bool:
        return self.category is not None


@dataclass(frozen=True)
class Residency:
    """Columns that feed the residency resolver (citizenship / residence / IP country are ISO codes)."""

    phones: tuple[str, ...] = ()
    citizenship: str | None = None
    residence: str | None = None
    ip_country: str | None = None

    def columns(self) -> tuple[str, ...]:
        return self.phones + tuple(c for c in (self.citizenship, self.residence, self.ip_country) if c)


@dataclass(frozen=True)
class SubjectLink:
    """How a table's rows belong to a subject: ``key`` (subject table) or ``ref`` + ``column``."""

    key: str | None = None
    ref: str | None = None
    column: str | None = None

    @property
    def is_subject_table(self) -> bool:
        return self.key is not None


@dataclass(frozen=True)
class TableMap:
    name: str
    primary_key: tuple[str, ...]
    columns: tuple[ColumnMap, ...]
    subject: SubjectLink | None = None
    residency: Residency = field(default_factory=Residency)
    rows: int | None = None

    def column(self, name: str) -> ColumnMap:
        for c in self.columns:
            if c.name == name:
                return c
        raise DataMapError(f"table {self.name}: no column {name!r} in the map")

    @property
    def pd_columns(self) -> tuple[ColumnMap, ...]:
        return tuple(c for c in self.columns if c.is_pd)


@dataclass(frozen=True)
class DataMap:
    tables: tuple[TableMap, ...]
    source: str = ""
    scanned_at: str = ""
    sample_rows: int | None = None

    def table(self, name: str) -> TableMap:
        for t in self.tables:
            if t.name == name:
                return t
        raise DataMapError(f"no table {name!r} in the data map")

    def owner_chain(self, table: str) -> tuple[tuple[str, str], ...]:
        """The hops from ``table`` to the subject owning its rows, as ``(table, column)`` pairs.

        Each pair but the last is a dependent table and its link column, which holds the key of
        the next table (a subject table's ``subject.key``, else its one-column primary key); the
        last pair is the subject table and its key. ``payments`` -> ``(("payments", "order_id"),
        ("orders", "user_id"), ("users", "id"))``; a subject table -> ``(("users", "id"),)``.

        Raises:
            DataMapError: ``table`` (or a table on its chain) has no subject link or names a table
                not in the map, or the chain runs in a cycle (the cycle is named).
        """
        hops: list[tuple[str, str]] = []
        seen: list[str] = []
        name = table
        while True:
            if name in seen:
                cycle = " -> ".join([*seen[seen.index(name) :], name])
                raise _fail(f"tables.{name}.subject.ref", f"owner links form a cycle: {cycle}")
            seen.append(name)
            where = f"tables.{seen[-2]}.subject.ref" if len(seen) > 1 else f"tables.{name}"
            try:
                t = self.table(name)
            except DataMapError:
                raise _fail(where, f"no table {name!r} in the map") from None
            link = t.subject
            if link is None:
                path = " -> ".join(seen)
                raise _fail(
                    where,
                    f"owner chain {path} ends at {name!r}, which has no subject "
                    "(give it subject: {key: ...} or subject: {ref: ..., column: ...})",
                )
            if link.key is not None:
                hops.append((name, link.key))
                return tuple(hops)
            assert link.ref is not None and link.column is not None  # parse guarantees both
            hops.append((name, link.column))
            name = link.ref

    def localizable(self) -> tuple[TableMap, ...]:
        """Tables with PD and a subject link, each after the table its ``ref`` names.

        Subject tables come first, then dependents by the length of their owner chain (map order
        within one length), so every owner is processed before the tables that point to it.
        """
        with_pd = [t for t in self.tables if t.pd_columns and t.subject is not None]
        depth = {t.name: len(self.owner_chain(t.name)) for t in with_pd}
        return tuple(sorted(with_pd, key=lambda t: depth[t.name]))


# -- YAML -----------------------------------------------------------------------------------------
def _fail(where: str, msg: str) -> DataMapError:
    return DataMapError(f"data map: {where}: {msg}")


def _str(v: object, where: str, *, optional: bool = False) -> str | None:
    if v is None and optional:
        return None
    if not isinstance(v, str) or not v.strip():
        raise _fail(where, "expected a non-empty string")
    return v


def _mapping(v: object, where: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise _fail(where, "expected a mapping")
    return v


def _known_keys(m: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(str(k) for k in m if k not in allowed)
    if extra:
        raise _fail(where, f"unknown key(s) {extra}; allowed: {sorted(allowed)}")


def _column(name: str, raw: object, where: str) -> ColumnMap:
    m = _mapping(raw if raw is not None else {}, where)
    _known_keys(
        m,
        {"category", "confidence", "field", "replace", "categories", "free_text", "recognizers"},
        where,
    )
    category = _str(m.get("category"), f"{where}.category", optional=True)
    conf = m.get("confidence")
    if conf is not None and (not isinstance(conf, int | float) or not 0 <= conf <= 1):
        raise _fail(f"{where}.confidence", "expected a number between 0 and 1")
    default = Replace.TOKEN if category else Replace.KEEP
    raw_replace = m.get("replace", default.value)
    if "replace" in m and raw_replace is None:  # YAML `replace: null` parses as None: it means NULL
        raw_replace = Replace.NULL.value
    try:
        replace = Replace(raw_replace)
    except ValueError:
        raise _fail(f"{where}.replace", f"expected one of {[r.value for r in Replace]}") from None
    if category and replace is Replace.KEEP:
        raise _fail(where, f"a PD column ({category}) cannot be kept; use replace: token or null")
    hits = []
    for i, h in enumerate(m.get("recognizers") or ()):
        hm = _mapping(h, f"{where}.recognizers[{i}]")
        hits.append(
            RecognizerHit(
                name=str(hm.get("name", "")),
                hits=int(hm.get("hits", 0)),
                checksum_passed=int(hm.get("checksum_passed", 0)),
                context_word=hm.get("context_word"),
            )
        )
    cats = m.get("categories") or ([category] if category else [])
    if not isinstance(cats, list | tuple) or not all(isinstance(c, str) for c in cats):
        raise _fail(f"{where}.categories", "expected a list of category names")
    return ColumnMap(
        name=name,
        category=category,
        confidence=float(conf) if conf is not None else None,
        field=_str(m.get("field"), f"{where}.field", optional=True),
        replace=replace,
        categories=tuple(cats),
        free_text=bool(m.get("free_text", False)),
        recognizers=tuple(hits),
    )


def _table(name: str, raw: object) -> TableMap:
    where = f"tables.{name}"
    m = _mapping(raw, where)
    _known_keys(m, {"primary_key", "columns", "subject", "residency", "rows"}, where)
    pk_raw = m.get("primary_key")
    if isinstance(pk_raw, str):
        pk_raw = [pk_raw]
    if not isinstance(pk_raw, list) or not pk_raw or not all(isinstance(c, str) for c in pk_raw):
        raise _fail(f"{where}.primary_key", "expected a list of column names")
    cols_raw = _mapping(m.get("columns"), f"{where}.columns")
    columns = tuple(_column(str(c), v, f"{where}.columns.{c}") for c, v in cols_raw.items())
    subject = None
    if m.get("subject") is not None:
        sm = _mapping(m["subject"], f"{where}.subject")
        _known_keys(sm, {"key", "ref", "column"}, f"{where}.subject")
        subject = SubjectLink(
            key=_str(sm.get("key"), f"{where}.subject.key", optional=True),
            ref=_str(sm.get("ref"), f"{where}.subject.ref", optional=True),
            column=_str(sm.get("column"), f"{where}.subject.column", optional=True),
        )
        if (subject.key is None) == (subject.ref is None):
            raise _fail(f"{where}.subject", "give either key (a subject table) or ref + column")
        if subject.ref is not None and subject.column is None:
            raise _fail(f"{where}.subject", "ref needs column (the column holding the owner's key)")
    rm = _mapping(m.get("residency") or {}, f"{where}.residency")
    _known_keys(rm, {"phones", "citizenship", "residence", "ip_country"}, f"{where}.residency")
    phones = rm.get("phones") or []
    if isinstance(phones, str):
        phones = [phones]
    if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
        raise _fail(f"{where}.residency.phones", "expected a list of column names")
    residency = Residency(
        phones=tuple(phones),
        citizenship=_str(rm.get("citizenship"), f"{where}.residency.citizenship", optional=True),
        residence=_str(rm.get("residence"), f"{where}.residency.residence", optional=True),
        ip_country=_str(rm.get("ip_country"), f"{where}.residency.ip_country", optional=True),
    )
    rows = m.get("rows")
    if rows is not None and (not isinstance(rows, int) or rows < 0):
        raise _fail(f"{where}.rows", "expected a whole number >= 0")
    return TableMap(name, tuple(pk_raw), columns, subject, residency, rows)


def _check_table(t: TableMap, by_name: Mapping[str, TableMap], fields: set[str] | None) -> None:
    where = f"tables.{t.name}"
    listed = {c.name for c in t.columns}
    named = list(t.primary_key) + list(t.residency.columns())
    if t.subject is not None:
        named += [c for c in (t.subject.key, t.subject.column) if c]
    missing = sorted({c for c in named if c not in listed})
    if missing:
        raise _fail(where, f"column(s) {missing} are used but not listed under columns")
    for c in t.columns:
        if c.field is not None:
            if t.subject is None or not t.subject.is_subject_table:
                raise _fail(f"{where}.columns.{c.name}.field", "fields are only allowed in a subject table")
            if fields is not None and c.field not in fields:
                raise _fail(f"{where}.columns.{c.name}.field", f"unknown vault field {c.field!r}")
            if not c.is_pd:
                raise _fail(f"{where}.columns.{c.name}", "a column with a field must have a category")
    if t.subject is not None and t.subject.key is not None and t.subject.key not in t.primary_key:
        raise _fail(f"{where}.subject.key", "the subject key must be a primary-key column")
    if t.subject is not None and t.subject.ref is not None:
        owner = by_name.get(t.subject.ref)
        if owner is None:
            raise _fail(f"{where}.subject.ref", f"no table {t.subject.ref!r} in the map")
        if owner.subject is not None and owner.subject.ref is not None and len(owner.primary_key) != 1:
            raise _fail(
                f"{where}.subject.ref",
                f"table {owner.name!r} has a {len(owner.primary_key)}-column primary key; "
                "a ref needs a table with a one-column key",
            )
    if t.pd_columns and t.subject is None:
        raise _fail(where, "a table with PD columns needs subject (key, or ref + column)")
    for c in t.pd_columns:
        if c.name in t.primary_key:
            raise _fail(f"{where}.columns.{c.name}", "a primary-key column cannot be replaced")
        if t.subject is not None and c.name in (t.subject.key, t.subject.column):
            raise _fail(f"{where}.columns.{c.name}", "the subject link column cannot be replaced")


def parse_datamap(text: str, *, fields: set[str] | None = None) -> DataMap:
    """Parse and validate a data map (``fields``: the vault's field names, checked when given)."""
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"
        raise DataMapError(f"data map is not valid YAML ({where}): {getattr(exc, 'problem', exc)}") from None
    m = _mapping(doc, "document")
    _known_keys(m, {"format", "source", "scanned_at", "sample_rows", "tables"}, "document")
    if m.get("format") != FORMAT:
        raise _fail("format", f"expected {FORMAT!r}")
    tables_raw = _mapping(m.get("tables"), "tables")
    if not tables_raw:
        raise _fail("tables", "the map lists no tables")
    tables = tuple(_table(str(n), v) for n, v in tables_raw.items())
    by_name = {t.name: t for t in tables}
    for t in tables:
        _check_table(t, by_name, fields)
    sample = m.get("sample_rows")
    dm = DataMap(
        tables=tables,
        source=str(m.get("source") or ""),
        scanned_at=str(m.get("scanned_at") or ""),
        sample_rows=sample if isinstance(sample, int) else None,
    )
    for t in tables:
        if t.subject is not None and t.subject.ref is not None:
            dm.owner_chain(t.name)  # ends at a subject table, no cycle
    return dm


def load_datamap(path: Path, *, fields: set[str] | None = None) -> DataMap:
    """Read and validate a data map file; :class:`DataMapError` names the problem and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataMapError(f"cannot read data map {path}: {type(exc).__name__}") from None
    return parse_datamap(text, fields=fields)


def _column_doc(c: ColumnMap) -> dict[str, Any]:
    d: dict[str, Any] = {"category": c.category}
    if c.confidence is not None:
        d["confidence"] = round(c.confidence, 3)
    if c.field:
        d["field"] = c.field
    d["replace"] = c.replace.value
    if len(c.categories) > 1:
        d["categories"] = list(c.categories)
    if c.free_text:
        d["free_text"] = True
    if c.recognizers:
        d["recognizers"] = [
            {k: v for k, v in vars(h).items() if v not in (None, 0) or k == "hits"} for h in c.recognizers
        ]
    return d


def dump_datamap(dm: DataMap) -> str:
    """YAML text for a data map (round-trips through :func:`parse_datamap`)."""
    tables: dict[str, Any] = {}
    for t in dm.tables:
        td: dict[str, Any] = {"primary_key": list(t.primary_key)}
        if t.rows is not None:
            td["rows"] = t.rows
        if t.subject is not None:
            td["subject"] = {k: v for k, v in vars(t.subject).items() if v is not None}
        res = {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(t.residency).items() if v}
        if res:
            td["residency"] = res
        td["columns"] = {c.name: _column_doc(c) for c in t.columns}
        tables[t.name] = td
    doc = {
        "format": FORMAT,
        "source": dm.source,
        "scanned_at": dm.scanned_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sample_rows": dm.sample_rows,
        "tables": tables,
    }
    header = (
        "# domicile data map: review every table and column before `domicile localize`.\n"
        "# category: null = not PD; replace: token | null | keep (keep only for non-PD columns).\n"
    )
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)
