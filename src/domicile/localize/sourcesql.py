"""Reading and conditionally updating the source database, in batches, with few round trips.

Values travel *raw* (no SQLAlchemy type processing): what the driver returns is what is
compared and written back, so a row is matched byte for byte whatever its column types.

* Reading is keyset pagination by primary key: ``WHERE (k1, k2) > (...) ORDER BY k1, k2 LIMIT n``.
* The update of a batch is one ``UPDATE ... FROM (VALUES ...) ... RETURNING`` statement per chunk
  (SQLite >= 3.35); on PostgreSQL ``UPDATE ... FROM unnest(<one array per column>)``, so the
  statement stays a few hundred bytes whatever the batch size (psycopg parses every ``%s`` of a
  statement on the client; thousands of them cost more than the update). A row is updated only
  if every replaced column still holds the value that was copied (``IS NOT DISTINCT FROM`` /
  SQLite ``IS``); the returned keys say which rows were updated, the others changed meanwhile
  and are left for the next run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domicile.localize.source import TableInfo
from domicile.localize.values import canonical_key

MAX_PARAMS = 30_000  # below SQLite's 32766 and PostgreSQL's 65535 bind parameters
#: PostgreSQL column types whose values travel as a typed array (others: the VALUES form).
_ARRAY_SAFE = re.compile(
    r"^(SMALLINT|INTEGER|BIGINT|TEXT|UUID|DATE|BOOLEAN|NUMERIC(\(\d+(, ?\d+)?\))?|"
    r"(CHAR|VARCHAR)(\(\d+\))?|TIMESTAMP( WITH(OUT)? TIME ZONE)?|TIME( WITH(OUT)? TIME ZONE)?|"
    r"DOUBLE PRECISION|REAL)$"
)


@dataclass(frozen=True)
class Update:
    """One row to update: its key, the values it must still hold, and the new values."""

    key: tuple[Any, ...]
    old: Mapping[str, Any]
    new: Mapping[str, Any]


class SourceTable:
    """SQL for one source table: batch reads and conditional batch updates."""

    def __init__(
        self, dialect: sa.Dialect, info: TableInfo, read: Sequence[str], replaced: Sequence[str]
    ) -> None:
        self.dialect = dialect
        self.name = info.name
        self.pk = info.primary_key
        self.read = tuple(dict.fromkeys((*self.pk, *read)))
        self.replaced = tuple(replaced)
        self.types = {c.name: c.type_name for c in info.columns}
        q = dialect.identifier_preparer.quote
        self._q = q
        self._t = q(info.name)
        cols = ", ".join(q(c) for c in self.read)
        order = ", ".join(q(c) for c in self.pk)
        if len(self.pk) == 1:
            after = f"{q(self.pk[0])} > :a0"
        else:
            after = f"({order}) > ({', '.join(f':a{i}' for i in range(len(self.pk)))})"
        self._first = sa.text(f"SELECT {cols} FROM {self._t} ORDER BY {order} LIMIT :lim")
        self._next = sa.text(f"SELECT {cols} FROM {self._t} WHERE {after} ORDER BY {order} LIMIT :lim")
        self._count = sa.text(f"SELECT count(*) FROM {self._t}")
        order_cols = [*self.pk, *self.replaced, *self.replaced]
        safe = self.is_pg and all(_ARRAY_SAFE.match(self.types[c].upper()) for c in order_cols)
        self._unnest = self._unnest_sql() if safe and self.replaced else None

    @property
    def is_pg(self) -> bool:
        return self.dialect.name == "postgresql"

    def count(self, conn: Connection) -> int:
        return int(conn.execute(self._count).scalar_one())

    def read_batch(self, conn: Connection, after: tuple[Any, ...] | None, limit: int) -> list[dict[str, Any]]:
        """Up to *limit* rows with a key greater than *after*, in key order, as column -> raw value."""
        if after is None:
            result = conn.execute(self._first, {"lim": limit})
        else:
            params: dict[str, Any] = {f"a{i}": v for i, v in enumerate(after)}
            params["lim"] = limit
            result = conn.execute(self._next, params)
        names = self.read
        return [dict(zip(names, r, strict=True)) for r in result]

    def key_of(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(row[c] for c in self.pk)

    def update(self, conn: Connection, updates: Sequence[Update]) -> set[str]:
        """Apply *updates* where the old values still match; the canonical keys of updated rows."""
        if not updates or not self.replaced:
            return {canonical_key(u.key) for u in updates}
        if self._unnest is not None:
            cols: list[list[Any]] = [[] for _ in range(len(self.pk) + 2 * len(self.replaced))]
            for u in updates:
                row = (*u.key, *(u.new[c] for c in self.replaced), *(u.old[c] for c in self.replaced))
                for i, v in enumerate(row):
                    cols[i].append(v)
            return {canonical_key(tuple(r)) for r in conn.exec_driver_sql(self._unnest, tuple(cols))}
        per_row = len(self.pk) + 2 * len(self.replaced)
        step = max(1, MAX_PARAMS // per_row)
        done: set[str] = set()
        for i in range(0, len(updates), step):
            part = updates[i : i + step]
            params: list[Any] = []
            for u in part:
                params.extend(u.key)
                params.extend(u.new[c] for c in self.replaced)
                params.extend(u.old[c] for c in self.replaced)
            # driver-level: a statement with thousands of parameters is not worth SQLAlchemy's compiler
            rows = conn.exec_driver_sql(self._update_sql(len(part)), tuple(params))
            done.update(canonical_key(tuple(r)) for r in rows)
        return done

    def _unnest_sql(self) -> str:
        q, pk, cols = self._q, self.pk, self.replaced
        order = [*pk, *cols, *cols]
        names = [f"k{j}" for j in range(len(pk))] + [f"n{j}" for j in range(len(cols))]
        names += [f"o{j}" for j in range(len(cols))]
        arrays = ", ".join(f"CAST(%s AS {self.types[c]}[])" for c in order)
        sets = ", ".join(f"{q(c)} = v.n{j}" for j, c in enumerate(cols))
        where = [f"{self._t}.{q(c)} = v.k{j}" for j, c in enumerate(pk)]
        where += [f"{self._t}.{q(c)} IS NOT DISTINCT FROM v.o{j}" for j, c in enumerate(cols)]
        returning = ", ".join(f"{self._t}.{q(c)}" for c in pk)
        return (
            f"UPDATE {self._t} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "
            f"WHERE {' AND '.join(where)} RETURNING {returning}"
        )

    def _update_sql(self, n_rows: int) -> str:
        q, pk, cols = self._q, self.pk, self.replaced
        mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        order = [*pk, *cols, *cols]
        if self.is_pg:  # typed, so an all-NULL column of the VALUES list still compares
            slots = ", ".join(f"CAST({mark} AS {self.types[c]})" for c in order)
        else:
            slots = ", ".join(mark for _ in order)
        names = [f"k{j}" for j in range(len(pk))] + [f"n{j}" for j in range(len(cols))]
        names += [f"o{j}" for j in range(len(cols))]
        if self.is_pg:
            ref = {n: f"v.{n}" for n in names}
            alias = f"v({', '.join(names)})"
            same = "IS NOT DISTINCT FROM"
        else:  # SQLite names VALUES columns column1, column2, ...
            ref = {n: f"v.column{i + 1}" for i, n in enumerate(names)}
            alias = "v"
            same = "IS"
        sets = ", ".join(f"{q(c)} = {ref[f'n{j}']}" for j, c in enumerate(cols))
        where = [f"{self._t}.{q(c)} = {ref[f'k{j}']}" for j, c in enumerate(pk)]
        where += [f"{self._t}.{q(c)} {same} {ref[f'o{j}']}" for j, c in enumerate(cols)]
        returning = ", ".join(f"{self._t}.{q(c)}" for c in pk)
        values = ", ".join(f"({slots})" for _ in range(n_rows))
        return (
            f"UPDATE {self._t} SET {sets} FROM (VALUES {values}) AS {alias} "
            f"WHERE {' AND '.join(where)} RETURNING {returning}"
        )
