"""SQLAlchemy Core backend of :class:`~.store.CaseStore`, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from domicile.moderation.actions.errors import ConcurrentUpdateError, ModerationStoreError
from domicile.moderation.queue.schema import metadata
from domicile.moderation.queue.store import CaseStore, Row

__all__ = ["SqlCaseStore"]


class SqlCaseStore(CaseStore):
    """Case store on the ``mod_*`` tables; never begins or commits.

    Args:
        conn: A connection whose transaction the caller owns.
    """

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    @contextmanager
    def _db(self, what: str, table: str) -> Iterator[None]:
        try:
            yield
        except sa.exc.IntegrityError as exc:
            raise ConcurrentUpdateError(f"{table}: {what} conflicts with a stored row; retry") from exc
        except sa.exc.SQLAlchemyError as exc:
            cause = type(getattr(exc, "orig", None) or exc).__name__
            raise ModerationStoreError(
                f"moderation store failed to {what} in {table} ({cause}); is the schema initialised?"
            ) from exc

    @staticmethod
    def _table(name: str) -> sa.Table:
        return metadata.tables[name]

    def _insert(self, table: str, row: Row) -> None:
        with self._db("insert", table):
            self._conn.execute(sa.insert(self._table(table)).values(**row))

    def _update(self, table: str, key_col: str, key: str, row: Row, expected_version: int) -> bool:
        t = self._table(table)
        stmt = (
            sa.update(t)
            .where(t.c[key_col] == key, t.c.version == expected_version)
            .values(**{k: v for k, v in row.items() if k != key_col})
        )
        with self._db("update", table):
            return self._conn.execute(stmt).rowcount == 1

    def _select(
        self, table: str, where: Mapping[str, Any], *, order_by: Sequence[str], limit: int | None
    ) -> list[Row]:
        t = self._table(table)
        stmt = sa.select(t)
        for col, want in where.items():
            if want is None:
                stmt = stmt.where(t.c[col].is_(None))
            elif isinstance(want, tuple):
                stmt = stmt.where(t.c[col].in_(want))
            else:
                stmt = stmt.where(t.c[col] == want)
        stmt = stmt.order_by(*(t.c[c] for c in order_by))
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._db("read", table):
            return [dict(r) for r in self._conn.execute(stmt).mappings().all()]

    def _next_seq(self, table: str, case_id: str) -> int:
        t = self._table(table)
        stmt = sa.select(sa.func.max(t.c.seq)).where(t.c.case_id == case_id)
        with self._db("read", table):
            top = self._conn.execute(stmt).scalar()
        return 1 + int(top or 0)
