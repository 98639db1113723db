"""Bulk inserts (COPY on PostgreSQL, multi-row INSERT on SQLite) store exactly what the row path does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domicile.cells.bulk import BULK_MIN_ROWS
from domicile.cells.migrate import upgrade
from domicile.cells.runtime import make_engine
from domicile.cells.schema import blind_index, localized_index, tokens, vault_records
from domicile.cells.store import IndexRow, SqlCellStore, TokenRow, VaultRow
from domicile.localize.items import FingerprintRow

_chars = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00")  # PG: no NUL
_text = st.text(_chars, max_size=12)
_blob = st.none() | st.binary(max_size=40)
_records = st.lists(
    st.builds(
        VaultRow,
        subject_id=st.uuids().map(str),
        jurisdiction=st.sampled_from(["RU", "GLOBAL"]),
        key_version=st.integers(1, 9),
        wrapped_dek=_blob,
        ciphertext=_blob,
        record_version=st.integers(1, 2**31 - 1),
        created_at=_text,
        updated_at=_text,
        erased_at=st.none() | _text,
    ),
    min_size=BULK_MIN_ROWS,
    max_size=BULK_MIN_ROWS + 40,
    unique_by=lambda r: r.subject_id,
)


def _dump(conn: sa.Connection, table: sa.Table) -> list[tuple[object, ...]]:
    cols = list(table.columns)
    rows = conn.execute(sa.select(*cols).order_by(*table.primary_key.columns)).all()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    e = make_engine(db_url)
    upgrade(e)
    yield e
    e.dispose()


def test_bulk_rows_round_trip_like_single_rows(engine: sa.Engine) -> None:
    """CELL-1: vault, blind-index and token rows written in bulk read back equal to the row path.

    Text with quotes, tabs, backslashes, newlines and Cyrillic, NULLs and empty bytes: the cases
    where a COPY text encoding could go wrong.
    """

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(records=_records, weird=st.sampled_from(["a\tb", "a\\nb", "line\nbreak", "Ёж 'q' \"d\"", ""]))
    def check(records: list[VaultRow], weird: str) -> None:
        records = [VaultRow(**{**vars(r), "created_at": weird + r.created_at}) for r in records]
        index = [IndexRow(bytes([i % 256]) * 32, r.subject_id, 1) for i, r in enumerate(records)]
        toks = [TokenRow(f"tok:{r.subject_id}", r.subject_id, "phone", "fpe", weird, 1, "t") for r in records]
        got = {}
        for path, cut in (("bulk", len(records)), ("rows", 1)):
            with engine.begin() as conn:
                for table in (vault_records, blind_index, tokens):
                    conn.execute(table.delete())
                store = SqlCellStore(conn)
                for i in range(0, len(records), cut):  # one call of >= BULK_MIN_ROWS, or one row per call
                    store.insert_records(records[i : i + cut])
                    store.insert_index(index[i : i + cut])
                    store.insert_tokens(toks[i : i + cut])
                got[path] = [_dump(conn, t) for t in (vault_records, blind_index, tokens)]
        assert got["bulk"] == got["rows"]
        assert len(got["bulk"][0]) == len(records)
        assert {r.subject_id: r for r in records} == {
            r[0]: VaultRow(*r)
            for r in got["bulk"][0]  # type: ignore[arg-type]
        }

    check()


def test_bulk_insert_failure_rolls_back_with_the_caller(engine: sa.Engine) -> None:
    """A duplicate key inside a bulk insert fails the caller's transaction: nothing of it stays."""
    rows = [VaultRow(f"s{i:03d}", "RU", 1, b"k", b"c", 1, "t", "t") for i in range(BULK_MIN_ROWS)]
    with engine.begin() as conn:
        SqlCellStore(conn).insert_records(rows[:1])
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        SqlCellStore(conn).insert_records(rows)  # s000 again
    with engine.connect() as conn:
        assert _dump(conn, vault_records) == [("s000", "RU", 1, b"k", b"c", 1, "t", "t", None)]


def test_named_tuple_rows_follow_their_tables_column_order() -> None:
    """IndexRow and FingerprintRow go to COPY as they are: their fields are their tables' columns."""
    assert IndexRow._fields == tuple(c.name for c in blind_index.columns)
    assert FingerprintRow._fields == tuple(c.name for c in localized_index.columns)
