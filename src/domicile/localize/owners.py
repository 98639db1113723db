"""Whose rows are a dependent table's: owner chains, resolved in bulk in the source.

A dependent table names its owner with ``subject: {ref: T, column: C}``: a row belongs to the
row of ``T`` whose key equals its ``C``. ``T`` is a subject table (``C`` holds the subject key)
or another dependent table (``C`` holds ``T``'s one-column primary key), which names its own
owner, and so on until a subject table — e.g. ``payments.order_id -> orders.id``,
``orders.user_id -> users.id``. A row is Russian iff the subject at the end of its chain is in the
RU cell.

For a chain of more than one hop the subject key is found with one join along the chain per
batch (:class:`OwnerLookup`), never per row. Link columns are never replaced (the map forbids
it), so the join still works after an intermediate table's own PD was tokenized.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domicile.localize.datamap import DataMap, TableMap
from domicile.localize.source import TableInfo
from domicile.localize.values import canonical_key

MAX_PARAMS = 30_000  # below SQLite's bind-parameter limit: one query for any sane batch


@dataclass(frozen=True)
class Hop:
    """A dependent table on the way to the subject table: its key column and its link column."""

    table: str
    key: str
    link: str


@dataclass(frozen=True)
class OwnerChain:
    """The subject table at the end of a dependent table's chain, and the tables in between."""

    subject_table: str
    hops: tuple[Hop, ...]  # nearest first; empty when ``ref`` names the subject table itself


def owner_chain(dm: DataMap, t: TableMap) -> OwnerChain:
    """The chain of dependent table *t* (:meth:`DataMap.owner_chain`: ends at a subject table, no loop)."""
    path = dm.owner_chain(t.name)  # ((t, link), (hop, link), ..., (subject table, key))
    hops = tuple(Hop(name, dm.table(name).primary_key[0], link) for name, link in path[1:-1])
    return OwnerChain(path[-1][0], hops)


class OwnerLookup:
    """Subject keys of link values along a chain of two or more hops, one query per batch.

    ``SELECT h0.key, hN.link FROM h0 JOIN h1 ON h1.key = h0.link ... WHERE h0.key IN (...)``,
    values raw at driver level (as :mod:`domicile.localize.sourcesql` does).
    """

    def __init__(self, dialect: sa.Dialect, chain: OwnerChain, infos: Mapping[str, TableInfo]) -> None:
        if not chain.hops:
            raise ValueError("a direct reference needs no look-up")
        q = dialect.identifier_preparer.quote
        self.is_pg = dialect.name == "postgresql"
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        hops = chain.hops
        joins = f"{q(hops[0].table)} AS h0"
        for i in range(1, len(hops)):
            joins += (
                f" JOIN {q(hops[i].table)} AS h{i} ON h{i}.{q(hops[i].key)} = h{i - 1}.{q(hops[i - 1].link)}"
            )
        last = len(hops) - 1
        self._select = (
            f"SELECT h0.{q(hops[0].key)}, h{last}.{q(hops[last].link)} FROM {joins} WHERE h0.{q(hops[0].key)}"
        )
        self._key_type = infos[hops[0].table].column(hops[0].key).type_name

    def resolve(self, conn: Connection, values: Sequence[Any]) -> dict[str, Any]:
        """Canonical key (:func:`~domicile.localize.values.canonical_key` of ``(value,)``) -> subject key."""
        wanted = list({canonical_key((v,)): v for v in values if v is not None}.values())
        out: dict[str, Any] = {}
        if not wanted:
            return out
        if self.is_pg:  # one array parameter, whatever the batch size
            sql = f"{self._select} = ANY(CAST({self.mark} AS {self._key_type}[]))"
            rows = list(conn.exec_driver_sql(sql, (wanted,)))
        else:
            rows = []
            for i in range(0, len(wanted), MAX_PARAMS):
                part = wanted[i : i + MAX_PARAMS]
                sql = f"{self._select} IN ({', '.join(self.mark for _ in part)})"
                rows.extend(conn.exec_driver_sql(sql, tuple(part)))
        for key, subject_key in rows:
            if subject_key is not None:
                out[canonical_key((key,))] = subject_key
        return out
