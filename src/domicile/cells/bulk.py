"""Bulk inserts at driver level: ``COPY`` on PostgreSQL, multi-row ``INSERT`` elsewhere.

Localize writes millions of rows (vault records, blind index, tokens, items, fingerprints);
SQLAlchemy's per-parameter processing of an ``executemany`` cost more than the database's own
work, so plain values (str, int, bytes, None) go straight to the driver, inside the caller's
transaction (a failure rolls back with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["BULK_MIN_ROWS", "bulk_insert", "insert_rows", "row_tuples"]

BULK_MIN_ROWS = 32  # below this a plain executemany is as fast and simpler to debug
_MAX_PARAMS = 30_000  # per multi-row INSERT (SQLite allows 32,766 since 3.32)


def row_tuples(table: sa.Table, rows: Sequence[object]) -> list[tuple[Any, ...]]:
    """The attributes of *rows* (dataclasses or named tuples) in *table*'s column order."""
    names = [c.name for c in table.columns]
    return [tuple(getattr(r, n) for n in names) for r in rows]


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[object]) -> None:
    """Insert row objects named like *table*'s columns: :func:`bulk_insert` from BULK_MIN_ROWS on."""
    if len(rows) >= BULK_MIN_ROWS:  # localize's batches: COPY on PostgreSQL
        bulk_insert(conn, table, row_tuples(table, rows))
    elif rows:
        names = [c.name for c in table.columns]
        conn.execute(table.insert(), [{n: getattr(r, n) for n in names} for r in rows])


def bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert *rows* (values in the table's column order) in as few statements as the driver allows."""
    if not rows:
        return
    q = conn.dialect.identifier_preparer.quote
    cols = ", ".join(q(c.name) for c in table.columns)
    if conn.dialect.name == "postgresql":  # COPY: PostgreSQL's bulk path, in the same transaction
        sql = f"COPY {q(table.name)} ({cols}) FROM STDIN"
        dbapi_error = conn.dialect.loaded_dbapi.Error
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cur.copy(sql) as cp:
                for row in rows:
                    cp.write_row(row)
        except dbapi_error as exc:  # the same exception classes as SQLAlchemy's own statements raise
            raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi_error, dialect=conn.dialect) from exc
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    one = "(" + ", ".join(mark for _ in table.columns) + ")"
    step = max(1, _MAX_PARAMS // len(table.columns))
    for i in range(0, len(rows), step):
        part = rows[i : i + step]
        sql = f"INSERT INTO {q(table.name)} ({cols}) VALUES {', '.join(one for _ in part)}"
        conn.exec_driver_sql(sql, tuple(v for row in part for v in row))
