"""What a localize run knows: its context, each table's plan, and one source row on its way.

:class:`RunContext` is shared by the engine and its helpers (ids, replacements, audit events);
:class:`TablePlan` says what is read and replaced in one table and how its rows find their
subject; :class:`Row` carries one source row through a batch.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from domicile.audit import AuditEvent
from domicile.cells.runtime import Cell
from domicile.localize.datamap import ColumnMap, DataMap, Replace, TableMap
from domicile.localize.faults import FaultPlan
from domicile.localize.items import ItemCipher, ItemRow
from domicile.localize.owners import OwnerLookup, owner_chain
from domicile.localize.source import TableInfo
from domicile.localize.sourcesql import SourceTable
from domicile.localize.tokens import replacement
from domicile.localize.values import canonical_key, row_payload
from domicile.residency.resolver import Signals
from domicile.service import Domicile
from domicile.vault.records import RecordCipher

if TYPE_CHECKING:
    from domicile.localize.prep import RowPrep

_AUDIT_SAFE = re.compile(r"^[A-Za-z0-9_.:/=+,#~-]{1,200}$")
_ID_PREFIX = {"subject": "sub", "item": "itm"}
NO_SIGNALS = Signals()  # frozen: one shared empty value instead of one per row


def make_id(ns: bytes, prefix: str, table: str, ckey: str) -> str:
    """Deterministic ``sub_``/``itm_`` id of a table row under a job's namespace secret."""
    mac = hmac.digest(ns, f"{prefix}\0{table}\0{ckey}".encode(), "sha256").hex()
    return f"{_ID_PREFIX[prefix]}_{mac[:32]}"


@dataclass
class RunContext:
    """One run's fixed facts: where it writes, under which keys, for which job."""

    dom: Domicile
    cell: Cell
    jurisdiction: str
    job: str
    actor: str
    faults: FaultPlan
    dry_run: bool
    kv: int
    items: ItemCipher
    cipher: RecordCipher
    ns: bytes = b""  # the job's namespace secret (set when the job is opened)

    def id(self, prefix: str, table: str, ckey: str) -> str:
        """Deterministic ``sub_``/``itm_`` id of a table row under the job's namespace secret."""
        return make_id(self.ns, prefix, table, ckey)

    def event(self, action: str, table: str | None = None, **details: int) -> AuditEvent:
        """A PD-free audit event of this job (the table name only when it is audit-safe)."""
        extra: dict[str, str | int | bool | None] = {"job": self.job, **details}
        if table is not None and _AUDIT_SAFE.match(table):
            extra["table"] = table
        return AuditEvent(self.actor, action, "localization", "ok", None, extra)

    def replacement(
        self, plan: TablePlan, r: Row, kv: int, directory: Mapping[str, str]
    ) -> dict[str, str | None]:
        """What replaces the row's PD in the source (NULL stays NULL)."""
        repl = replacement(
            plan.replaced,
            ns=self.ns,
            cell=self.cell.name,
            kv=kv,
            item_id=r.item_id,
            domain=self.dom.token_domain,
            directory=directory,
        )
        return {c: (None if r.raw[c] is None else v) for c, v in repl.items()}


@dataclass(frozen=True)
class TablePlan:
    """One table: the columns read and replaced, and how its rows find their subject."""

    table: TableMap
    src: SourceTable
    replaced: tuple[ColumnMap, ...]
    subject_key: str | None  # subject tables: the key column
    owner: str | None  # dependent tables: the subject table at the end of the owner chain
    link: str | None  # dependent tables: the column holding the next table's key
    lookup: OwnerLookup | None  # chains of two or more hops: the batch join along the chain

    @property
    def name(self) -> str:
        return self.table.name


def build_plan(dialect: sa.Dialect, dm: DataMap, t: TableMap, infos: Mapping[str, TableInfo]) -> TablePlan:
    """The plan of a localizable table *t* (its map was checked against the source)."""
    replaced = tuple(c for c in t.columns if c.is_pd and c.replace is not Replace.KEEP)
    assert t.subject is not None
    link = t.subject.column if t.subject.ref else None
    read = [c.name for c in replaced] + list(t.residency.columns())
    read += [x for x in (t.subject.key, link) if x]
    src = SourceTable(dialect, infos[t.name], read, [c.name for c in replaced])
    owner, lookup = None, None
    if t.subject.ref:
        chain = owner_chain(dm, t)
        owner = chain.subject_table
        lookup = OwnerLookup(dialect, chain, infos) if chain.hops else None
    return TablePlan(t, src, replaced, t.subject.key, owner, link, lookup)


def text_of(v: Any) -> str | None:
    """A source value as text (dates ISO), None for NULL."""
    if v is None:
        return None
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return v if isinstance(v, str) else str(v)


_UNSET: Any = object()


@dataclass
class Row:
    """One row on its way: raw source values and what the batch decided for it.

    Ids and the payload are computed when first needed: on a job's first run most rows are
    never written, and hashing them would be wasted.
    """

    raw: dict[str, Any]
    key: tuple[Any, ...]
    plan: TablePlan
    ctx: RunContext
    owner_key: Any = _UNSET  # chains: the subject key found by the batch's look-up (None: no owner)
    item: ItemRow | None = None
    values: dict[str, str] = field(default_factory=dict)  # validated vault fields
    signals: Signals = NO_SIGNALS
    repl: dict[str, str | None] = field(default_factory=dict)
    source_digest: bytes = b""
    cell_digest: bytes = b""
    prep: RowPrep | None = None  # computed by the staging worker (subject tables, home rows)
    _cache: dict[str, Any] = field(default_factory=dict)

    def adopt(self, prep: RowPrep) -> None:
        """Take the worker's ids, payload, signals and values instead of computing them here."""
        self.prep = prep
        self.signals, self.values = prep.signals, prep.values
        self._cache.update(ckey=prep.ckey, item=prep.item_id, sid=prep.subject_id, payload=prep.payload)

    @property
    def ckey(self) -> str:
        """The canonical primary key (ids, checkpoints)."""
        if "ckey" not in self._cache:
            self._cache["ckey"] = canonical_key(self.key)
        return str(self._cache["ckey"])

    @property
    def item_id(self) -> str:
        if "item" not in self._cache:
            self._cache["item"] = self.ctx.id("item", self.plan.name, self.ckey)
        return str(self._cache["item"])

    @property
    def subject_id(self) -> str | None:
        if "sid" not in self._cache:
            p, sid = self.plan, None
            if p.subject_key is not None:
                sid = self.ctx.id("subject", p.name, canonical_key((self.raw[p.subject_key],)))
            elif p.owner is not None and p.link is not None:
                value = self.raw[p.link] if self.owner_key is _UNSET else self.owner_key
                if value is not None:
                    sid = self.ctx.id("subject", p.owner, canonical_key((value,)))
            self._cache["sid"] = sid
        sid_: str | None = self._cache["sid"]
        return sid_

    @property
    def payload(self) -> bytes:
        """The item plaintext of the row."""
        if "payload" not in self._cache:
            values = {c.name: self.raw[c.name] for c in self.plan.replaced}
            self._cache["payload"] = row_payload(self.plan.name, self.key, values)
        data: bytes = self._cache["payload"]
        return data
