"""Audit stores: append, read back, head, transactions, statement count, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from audit_helpers import CELL, KEY, Clock, Env, event, sql_engine

from domicile.audit import (
    AuditEvent,
    AuditHead,
    AuditRecord,
    MemoryAuditStore,
    SqlAuditStore,
    canonical_bytes,
    entry_hash,
    genesis_hash,
    verify_chain,
)
from domicile.core.errors import AuditChainError, ConfigError, InputError, KeySourceError, StoreError


def test_append_then_verify_happy_path(env: Env) -> None:
    """Appended entries chain from the cell's genesis and verify clean (SEC-1, SEC-4)."""
    first = env.store.append([event(1), event(2)])
    second = env.store.append([event(3)])
    records = first + second
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == genesis_hash(CELL)
    assert [r.prev_hash for r in records[1:]] == [r.entry_hash for r in records[:-1]]
    report = verify_chain(env.store, CELL, KEY)
    assert report.ok and report.checked == 3
    assert report.first_bad_seq is None and report.problem is None
    assert report.head == AuditHead(CELL, 3, records[-1].entry_hash)
    report.raise_if_bad()


def test_records_read_back_equal_appended(env: Env) -> None:
    """iter_records returns exactly the records append returned, in seq order, across batches."""
    appended = env.store.append([event(i) for i in range(1, 8)])
    assert list(env.store.iter_records(batch=3)) == appended
    assert list(env.store.iter_records(after_seq=5, batch=1)) == appended[5:]
    assert appended[2].event == event(3)


def test_entry_hash_is_sha256_of_canonical_bytes(env: Env) -> None:
    """Each stored hash is SHA-256 of the canonical entry, and prev links commit to the chain."""
    for rec in env.store.append([event(1), event(2)]):
        canon = canonical_bytes(CELL, rec.seq, rec.at_text, rec, rec.prev_hash)
        assert entry_hash(canon) == rec.entry_hash


def test_subject_extract_filters_by_subject_ref(env: Env) -> None:
    """A PD-DEL-1 log extract lists only the given subject's entries, in seq order."""
    env.store.append([event(1, "tok_a"), event(2, "tok_b"), event(3, "tok_a"), event(4, "tok_a")])
    seqs = [r.seq for r in env.store.iter_records(batch=1, subject_ref="tok_a")]
    assert seqs == [1, 3, 4]
    assert [r.to_dict()["subject_ref"] for r in env.store.iter_records(subject_ref="tok_b")] == ["tok_b"]


def test_head_tracks_tip_and_round_trips_as_anchor(env: Env) -> None:
    """head() names the last entry; its anchor text parses back to the same head."""
    assert env.store.head() is None
    recs = env.store.append([event(1), event(2)])
    head = env.store.head()
    assert head == AuditHead(CELL, 2, recs[-1].entry_hash)
    assert head is not None and AuditHead.parse_anchor(head.to_anchor()) == head
    stored = env.store.stored_head()
    assert stored is not None and (stored.seq, stored.entry_hash) == (2, recs[-1].entry_hash)
    assert verify_chain(env.store, CELL, KEY, anchor=head).ok


def test_empty_append_is_noop(env: Env) -> None:
    """Appending no events writes nothing."""
    assert env.store.append([]) == []
    assert env.store.head() is None
    assert list(env.store.iter_records()) == []


def test_bad_input_is_one_typed_error_and_loses_nothing(env: Env) -> None:
    """A bad batch raises InputError naming the position; earlier entries are intact."""
    env.store.append([event(1)])
    bad: list[Any] = [event(2), {"actor": "svc:x"}]
    with pytest.raises(InputError, match=r"events\[1\]"):
        env.store.append(bad)
    with pytest.raises(InputError):
        env.store.append(event(2))  # type: ignore[arg-type]
    with pytest.raises(InputError):
        list(env.store.iter_records(batch=0))
    assert [r.seq for r in env.store.iter_records()] == [1]
    assert verify_chain(env.store, CELL, KEY).ok


def test_naive_clock_is_config_error(env: Env) -> None:
    """A clock returning naive datetimes is rejected before anything is written."""
    store = env.make(now=lambda: datetime(2025, 1, 1))
    with pytest.raises(ConfigError):
        store.append([event(1)])
    assert list(env.store.iter_records()) == []


def test_timestamps_are_stored_in_utc() -> None:
    """Entries carry the clock's instant, normalised to UTC."""
    from datetime import timedelta, timezone

    msk = timezone(timedelta(hours=3))
    store = MemoryAuditStore(CELL, KEY, lambda: datetime(2025, 5, 1, 15, 0, tzinfo=msk))
    (rec,) = store.append([event(1)])
    assert rec.at == datetime(2025, 5, 1, 12, 0, tzinfo=UTC) and rec.at.tzinfo is UTC
    assert rec.at_text.endswith("Z") and store.rows[1]["at"] == rec.at_text


def test_short_key_and_bad_cell_are_rejected() -> None:
    """The MAC key must be at least 16 bytes and the cell name well-formed."""
    with pytest.raises(KeySourceError):
        MemoryAuditStore(CELL, b"short")
    with pytest.raises(InputError):
        MemoryAuditStore("ru:1", KEY)


def test_verify_rejects_store_of_another_cell(env: Env) -> None:
    """verify_chain refuses a store or an anchor that belongs to another cell."""
    recs = env.store.append([event(1)])
    with pytest.raises(InputError):
        verify_chain(env.store, "kz", KEY)
    with pytest.raises(InputError):
        verify_chain(env.store, CELL, KEY, anchor=AuditHead("kz", 1, recs[0].entry_hash))


def test_sql_store_leaves_the_transaction_to_the_caller(db_url: str) -> None:
    """SqlAuditStore never commits: rolling back the caller's transaction drops the entries."""
    engine = sql_engine(db_url)
    try:
        with engine.connect() as conn:
            store = SqlAuditStore(conn, CELL, KEY, Clock())
            store.append([event(1), event(2)])
            assert conn.in_transaction()
            conn.rollback()
            assert store.head() is None and list(store.iter_records()) == []
            store.append([event(3)])
            conn.commit()
        with engine.connect() as conn:
            store = SqlAuditStore(conn, CELL, KEY)
            assert [r.subject_ref for r in store.iter_records()] == ["tok_0003"]
            assert verify_chain(store, CELL, KEY).ok
    finally:
        engine.dispose()


def test_batch_append_is_one_insert_statement(sql_conn: sa.Connection) -> None:
    """A 10k-event append issues one executemany INSERT and as many statements as a 1-event one."""
    seen: list[tuple[str, bool]] = []

    def count(*args: Any) -> None:  # conn, cursor, statement, parameters, context, executemany
        statement, executemany = args[2], args[5]
        seen.append((" ".join(statement.split()[:3]).upper(), executemany))

    store = SqlAuditStore(sql_conn, CELL, KEY, Clock())
    store.append([event(0)])
    many = [AuditEvent("svc:bulk", "pd.read", "dsr", "ok", f"t_{i}", {"n": i}) for i in range(10_000)]
    sa.event.listen(sql_conn, "before_cursor_execute", count)
    try:
        store.append([event(1)])
        single = list(seen)
        seen.clear()
        records = store.append(many)
    finally:
        sa.event.remove(sql_conn, "before_cursor_execute", count)
    assert len(records) == 10_000 and records[-1].seq == 10_002
    inserts = [s for s in seen if s[0].startswith("INSERT INTO AUDIT_LOG")]
    assert inserts == [("INSERT INTO AUDIT_LOG", True)]
    assert len(seen) == len(single)
    assert store.head() == AuditHead(CELL, 10_002, records[-1].entry_hash)


def test_database_failure_is_store_error(tmp_path: Path) -> None:
    """A missing audit table surfaces as StoreError, not a driver exception."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with engine.connect() as conn:
            store = SqlAuditStore(conn, CELL, KEY)
            with pytest.raises(StoreError, match="audit store failed"):
                store.append([event(1)])
    finally:
        engine.dispose()


def _append_concurrently(url: str, threads: int, txs: int, per_tx: int) -> list[list[AuditRecord]]:
    engine = sql_engine(url)
    results: list[list[AuditRecord]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for t in range(txs):
                with engine.begin() as conn:
                    evs = [event(1000 * n + 10 * t + i) for i in range(per_tx)]
                    results[n].extend(SqlAuditStore(conn, CELL, KEY).append(evs))
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    engine.dispose()
    assert errors == []
    return results


def test_concurrent_appends_make_one_gap_free_chain(db_url: str) -> None:
    """Two connections appending at once from an empty log never share a seq; the chain verifies."""
    results = _append_concurrently(db_url, threads=2, txs=15, per_tx=3)
    seqs = sorted(r.seq for rs in results for r in rs)
    assert seqs == list(range(1, 91))
    assert not {r.seq for r in results[0]} & {r.seq for r in results[1]}
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            store = SqlAuditStore(conn, CELL, KEY)
            report = verify_chain(store, CELL, KEY)
            assert report.ok and report.checked == 90
            subjects = sorted(r.subject_ref or "" for r in store.iter_records())
            assert subjects == sorted(r.subject_ref or "" for rs in results for r in rs)
    finally:
        engine.dispose()


def test_append_refuses_to_extend_a_broken_tip(env: Env) -> None:
    """append and head fail closed when the tail was cut, so a fresh head MAC cannot hide it."""
    env.store.append([event(i) for i in range(1, 5)])
    env.raw.delete_after(2)
    with pytest.raises(AuditChainError, match="ends at seq 2"):
        env.store.append([event(9)])
    with pytest.raises(AuditChainError):
        env.store.head()
    assert [r.seq for r in env.store.iter_records()] == [1, 2]
    assert verify_chain(env.store, CELL, KEY).first_bad_seq == 3


def test_append_refuses_when_head_row_is_missing(env: Env) -> None:
    """With entries but no head row, append fails closed and does not recreate the head row."""
    env.store.append([event(1), event(2)])
    env.raw.set_head(None)
    with pytest.raises(AuditChainError, match="head row is missing"):
        env.store.append([event(3)])
    assert env.store.stored_head() is None
    assert verify_chain(env.store, CELL, KEY).first_bad_seq == 3
