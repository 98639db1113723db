"""Audit test helpers: a clock, events, and a raw 'attacker' view of each backend.

The attacker edits storage directly: raw SQL ``UPDATE``/``DELETE``/``INSERT`` on the
``audit_log``/``audit_head`` tables, or the raw rows of a :class:`MemoryAuditStore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
import sqlalchemy as sa
from hypothesis import strategies as st

from domicile.audit import AuditEvent, AuditStore, HeadRow, MemoryAuditStore, looks_like_pd_number
from domicile.cells import schema

KEY = b"audit-key-for-tests-0123456789ab"
CELL = "ru"


class Clock:
    """A deterministic clock: each call is one millisecond after the previous."""

    def __init__(self, start: datetime | None = None) -> None:
        self.t = start or datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.t += timedelta(milliseconds=1)
        return self.t


def event(i: int, subject: str | None = None) -> AuditEvent:
    """A fictitious PD-free event numbered ``i``."""
    return AuditEvent(
        actor=f"svc:worker-{i % 3}",
        action="pd.read" if i % 2 else "token.detokenize",
        purpose="dsr.access",
        outcome="ok",
        subject_ref=subject if subject is not None else f"tok_{i:04d}",
        details={"fields": "email,phone", "count": i, "cross_border": False},
    )


class Raw(Protocol):
    """What an attacker with write access to the storage can do."""

    def row(self, seq: int) -> dict[str, Any]: ...
    def set(self, seq: int, **values: Any) -> None: ...
    def delete(self, seq: int) -> None: ...
    def delete_after(self, seq: int) -> None: ...
    def shift(self, from_seq: int, by: int) -> None: ...
    def insert(self, row: dict[str, Any]) -> None: ...
    def swap(self, a: int, b: int) -> None: ...
    def head(self) -> HeadRow | None: ...
    def set_head(self, head: HeadRow | None) -> None: ...


class MemoryRaw:
    """Raw access to a :class:`MemoryAuditStore`'s rows."""

    def __init__(self, store: MemoryAuditStore) -> None:
        self.s = store

    def row(self, seq: int) -> dict[str, Any]:
        return dict(self.s.rows[seq])

    def set(self, seq: int, **values: Any) -> None:
        self.s.rows[seq].update(values)

    def delete(self, seq: int) -> None:
        del self.s.rows[seq]

    def delete_after(self, seq: int) -> None:
        for k in [k for k in self.s.rows if k > seq]:
            del self.s.rows[k]

    def shift(self, from_seq: int, by: int) -> None:
        moved = {k + by: {**r, "seq": k + by} for k, r in self.s.rows.items() if k >= from_seq}
        for k in [k for k in self.s.rows if k >= from_seq]:
            del self.s.rows[k]
        self.s.rows.update(moved)

    def insert(self, row: dict[str, Any]) -> None:
        assert row["seq"] not in self.s.rows
        self.s.rows[row["seq"]] = dict(row)

    def swap(self, a: int, b: int) -> None:
        ra, rb = self.s.rows[a], self.s.rows[b]
        self.s.rows[a], self.s.rows[b] = {**rb, "seq": a}, {**ra, "seq": b}

    def head(self) -> HeadRow | None:
        return self.s.head_row

    def set_head(self, head: HeadRow | None) -> None:
        self.s.head_row = head


class SqlRaw:
    """Raw SQL against the audit tables, as an attacker with database access."""

    COLS: tuple[str, ...] = ("seq", "at", "actor", "action", "subject_ref", "purpose", "outcome", "details")
    COLS += ("prev_hash", "entry_hash", "mac")

    def __init__(self, conn: sa.Connection) -> None:
        self.c = conn
        self.pg = conn.dialect.name == "postgresql"

    def _x(self, sql: str, **params: Any) -> None:
        self.c.execute(sa.text(sql), params)

    def _json(self, name: str) -> str:
        return f"CAST(:{name} AS json)" if self.pg else f":{name}"

    def row(self, seq: int) -> dict[str, Any]:
        sel = ", ".join(c if c != "details" else "CAST(details AS TEXT) AS details" for c in self.COLS)
        got = (
            self.c.execute(sa.text(f"SELECT {sel} FROM audit_log WHERE seq = :s"), {"s": seq})
            .mappings()
            .one()
        )
        return {**got, "details": json.loads(got["details"])}

    def set(self, seq: int, **values: Any) -> None:
        for col, value in values.items():
            if col == "details":
                self._x(
                    f"UPDATE audit_log SET details = {self._json('v')} WHERE seq = :s",
                    v=json.dumps(value),
                    s=seq,
                )
            else:
                self._x(f"UPDATE audit_log SET {col} = :v WHERE seq = :s", v=value, s=seq)

    def delete(self, seq: int) -> None:
        self._x("DELETE FROM audit_log WHERE seq = :s", s=seq)

    def delete_after(self, seq: int) -> None:
        self._x("DELETE FROM audit_log WHERE seq > :s", s=seq)

    def shift(self, from_seq: int, by: int) -> None:
        # Two steps through negative seqs, so the primary key never collides midway.
        self._x("UPDATE audit_log SET seq = -seq WHERE seq >= :s", s=from_seq)
        self._x("UPDATE audit_log SET seq = -seq + :by WHERE seq < 0", by=by)

    def insert(self, row: dict[str, Any]) -> None:
        names = ", ".join(self.COLS)
        vals = ", ".join(self._json(c) if c == "details" else f":{c}" for c in self.COLS)
        self._x(
            f"INSERT INTO audit_log ({names}) VALUES ({vals})",
            **{**row, "details": json.dumps(row["details"])},
        )

    def swap(self, a: int, b: int) -> None:
        self._x("UPDATE audit_log SET seq = -1 WHERE seq = :a", a=a)
        self._x("UPDATE audit_log SET seq = :a WHERE seq = :b", a=a, b=b)
        self._x("UPDATE audit_log SET seq = :b WHERE seq = -1", b=b)

    def head(self) -> HeadRow | None:
        got = self.c.execute(sa.text("SELECT seq, entry_hash, mac FROM audit_head")).first()
        return None if got is None else HeadRow(got[0], got[1], got[2])

    def set_head(self, head: HeadRow | None) -> None:
        self._x("DELETE FROM audit_head")
        if head is not None:
            self._x(
                "INSERT INTO audit_head (id, seq, entry_hash, mac) VALUES (1, :s, :h, :m)",
                s=head[0],
                h=head[1],
                m=head[2],
            )


@dataclass
class Env:
    """A store, its raw view, and a factory for more stores on the same storage."""

    kind: str
    store: AuditStore
    raw: Raw
    make: Callable[..., AuditStore]


def sql_engine(url: str) -> sa.Engine:
    """An engine with the cell schema created."""
    engine = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    schema.metadata.create_all(engine)
    return engine


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def rolled_back(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a transaction that is always rolled back; checks the log starts empty."""
    with engine.connect() as conn:
        conn.begin()
        try:
            assert conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one() == 0
            yield conn
        finally:
            conn.rollback()


def backend_engine(request: pytest.FixtureRequest, kind: str) -> sa.Engine:
    """The session engine of a SQL backend."""
    name = "audit_sqlite_engine" if kind == "sqlite" else "audit_pg_engine"
    engine: sa.Engine = request.getfixturevalue(name)
    return engine


# --- hypothesis strategies for valid events ---
CODE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/=+,#~-"
codes = st.text(CODE_CHARS, min_size=1, max_size=40).filter(lambda s: not looks_like_pd_number(s))
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_.:-]{0,30}", fullmatch=True)
keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
values = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), codes, st.just(""))
events = st.builds(
    AuditEvent,
    actor=codes,
    action=names,
    purpose=st.one_of(st.just(""), codes),
    outcome=names,
    subject_ref=st.one_of(st.none(), codes),
    details=st.dictionaries(keys, values, max_size=6),
)
