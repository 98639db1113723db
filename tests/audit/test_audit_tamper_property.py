"""Property: any single tampering with a random log is detected at the tampered position (SEC-1, SEC-4)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from audit_helpers import (
    BACKENDS,
    CELL,
    KEY,
    Clock,
    MemoryRaw,
    Raw,
    SqlRaw,
    backend_engine,
    events,
    rolled_back,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domicile.audit import (
    AuditEvent,
    AuditStore,
    HeadRow,
    MemoryAuditStore,
    SqlAuditStore,
    canonical_bytes,
    entry_hash,
    genesis_hash,
    verify_chain,
)
from domicile.audit.events import format_at, parse_at

Fresh = Callable[[], AbstractContextManager[tuple[AuditStore, Raw]]]
CONTENT = ["actor", "action", "purpose", "outcome", "subject_ref", "details", "at"]
OPS = ["edit", "rehash", "delete", "delete_renumber", "insert", "swap", "truncate", "drop_head", "forge_head"]


@pytest.fixture(params=["memory", *BACKENDS])
def fresh(request: pytest.FixtureRequest) -> Fresh:
    """A factory of empty stores; SQL ones live in a transaction rolled back after each example."""
    if request.param == "memory":

        @contextmanager
        def mem() -> Iterator[tuple[AuditStore, Raw]]:
            store = MemoryAuditStore(CELL, KEY, Clock())
            yield store, MemoryRaw(store)

        return mem
    engine = backend_engine(request, request.param)

    @contextmanager
    def sql() -> Iterator[tuple[AuditStore, Raw]]:
        with rolled_back(engine) as conn:
            yield SqlAuditStore(conn, CELL, KEY, Clock()), SqlRaw(conn)

    return sql


def _changed(column: str, old: Any) -> Any:
    """A different value for a column (valid or not: either way the entry must fail)."""
    if column == "subject_ref":
        return "tok_tampered" if old is None else None
    if column == "details":
        return {**old, "tampered": 2 if old.get("tampered") == 1 else 1}
    if column == "at":
        return format_at(parse_at(old) + timedelta(seconds=1))
    if column in ("prev_hash", "entry_hash", "mac"):
        return old[:-1] + ("0" if old[-1] != "0" else "1")
    return old + "x"


def _rehash(row: dict[str, Any]) -> str:
    return entry_hash(canonical_bytes(CELL, row["seq"], row["at"], SimpleNamespace(**row), row["prev_hash"]))


def _tamper(op: str, raw: Raw, n: int, data: st.DataObject) -> int:
    """Apply one tampering and return the seq verify must name."""
    if op in ("edit", "rehash"):
        k = data.draw(st.integers(1, n), label="k")
        columns = CONTENT if op == "rehash" else [*CONTENT, "prev_hash", "entry_hash", "mac"]
        column = data.draw(st.sampled_from(columns), label="column")
        row = raw.row(k)
        row[column] = _changed(column, row[column])
        raw.set(k, **{column: row[column]})
        if op == "rehash":
            raw.set(k, entry_hash=_rehash(row))
        return k
    if op in ("delete", "delete_renumber"):
        k = data.draw(st.integers(1, n), label="k")
        raw.delete(k)
        if op == "delete_renumber":
            raw.shift(k + 1, -1)
        return k
    if op == "insert":
        at = data.draw(st.integers(1, n + 1), label="at")
        template = raw.row(min(at, n))
        prev = genesis_hash(CELL) if at == 1 else raw.row(at - 1)["entry_hash"]
        raw.shift(at, 1)
        row = template | {"seq": at, "prev_hash": prev}
        row |= {"entry_hash": _rehash(row), "mac": secrets.token_hex(32)}
        raw.insert(row)
        return at
    if op == "swap":
        i = data.draw(st.integers(1, n - 1), label="i")
        j = data.draw(st.integers(i + 1, n), label="j")
        raw.swap(i, j)
        return i
    if op == "truncate":
        keep = data.draw(st.integers(0, n - 1), label="keep")
        raw.delete_after(keep)
        return keep + 1
    head = raw.head()
    assert head is not None
    raw.set_head(None if op == "drop_head" else HeadRow(head.seq, head.entry_hash, secrets.token_hex(32)))
    return n + 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(events, min_size=1, max_size=8), data=st.data())
def test_single_tampering_is_detected_at_its_position(
    fresh: Fresh, batch: list[AuditEvent], data: st.DataObject
) -> None:
    """For random logs and one random tampering, verify is not ok and names the tampered seq."""
    n = len(batch)
    split = data.draw(st.integers(0, n), label="split")
    op = data.draw(st.sampled_from([o for o in OPS if o != "swap" or n >= 2]), label="op")
    with fresh() as (store, raw):
        store.append(batch[:split])
        store.append(batch[split:])
        assert verify_chain(store, CELL, KEY).ok
        expected = _tamper(op, raw, n, data)
        report = verify_chain(store, CELL, KEY, batch=3)
        assert not report.ok
        assert report.first_bad_seq == expected, report.problem
