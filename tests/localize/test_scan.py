"""``scan``: read-only sampling, the data map it drafts (quality gate, subjects, fields, residency)."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from domicile.localize.datamap import DataMap, DataMapError, parse_datamap
from domicile.localize.scan import scan, scan_with_notes
from domicile.localize.source import open_source, read_only
from domicile.synthetic.labeled_db import NONE, build_labeled_db, read_columns


def per_category(dm: DataMap, labels: object) -> dict[str, tuple[float, float]]:
    """Precision and recall per category over columns, from the map (non-PD counts as 'none')."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for lab in labels:  # type: ignore[attr-defined]
        col = dm.table(lab.table).column(lab.column)
        pred = frozenset(col.categories) if col.category else frozenset({NONE})
        truth = lab.categories or frozenset({NONE})
        tp.update(pred & truth)
        fp.update(pred - truth)
        fn.update(truth - pred)
    return {
        c: (tp[c] / ((tp[c] + fp[c]) or 1), tp[c] / ((tp[c] + fn[c]) or 1))
        for c in set(tp) | set(fp) | set(fn)
    }


def test_quality_gate_on_labeled_db(db_url: str) -> None:
    """Scanning the labeled synthetic DB (sampled) gives P and R >= 0.95 for every category."""
    db = build_labeled_db(db_url, rows=500, seed=11)
    dm = scan(db_url, sample_rows=300)
    scores = per_category(dm, db.labels)
    assert set(scores) >= {"email", "phone", "person_name", "inn", "snils", "ru_passport", "payment_card"}
    bad = {c: s for c, s in scores.items() if min(s) < 0.95}
    assert not bad, bad


def test_subjects_fields_and_notes(tmp_path: Path) -> None:
    """users is the subject table, dependents reference it, payments is linked through orders."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    build_labeled_db(url, rows=120, seed=3)
    result = scan_with_notes(url)
    dm = result.datamap
    users = dm.table("users")
    assert users.subject is not None and users.subject.key == "id"
    fields = {c.name: c.field for c in users.columns if c.field}
    assert fields == {
        "given_name": "given_name",
        "family_name": "family_name",
        "patronymic": "patronymic",
        "email": "email",
        "phone": "phone",
        "birth_date": "birth_date",
        "address": "address",
        "passport": "passport",
        "inn": "inn",
        "snils": "snils",
    }
    assert users.residency.phones == ("phone",)
    assert users.column("birth_date").replace.value == "null"  # a DATE column cannot hold a token
    for dep in ("orders", "support_tickets"):
        link = dm.table(dep).subject
        assert link is not None and (link.ref, link.column) == ("users", "user_id")
    assert dm.table("support_tickets").column("body").free_text
    payments = dm.table("payments").subject
    assert payments is not None and (payments.ref, payments.column) == ("orders", "order_id")
    assert (
        "owner inferred from column names (no foreign key): payments.order_id -> orders.user_id -> users"
        in (result.notes["payments"][0])
    )
    text = result.yaml()
    assert "  # REVIEW: owner inferred from column names" in text
    assert parse_datamap(text).owner_chain("payments")[-1] == ("users", "id")
    unlinked = text.replace("    subject:\n      ref: orders\n      column: order_id\n", "")
    with pytest.raises(DataMapError, match=r"tables\.payments: a table with PD columns needs subject"):
        parse_datamap(unlinked)


def test_map_holds_no_sample_values(tmp_path: Path) -> None:
    """No value read from the database appears in the YAML (counts and names only)."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    build_labeled_db(url, rows=80, seed=5)
    text = scan_with_notes(url).yaml()
    pd_values = {
        str(v)
        for (table, column), vals in read_columns(url).items()
        if table == "users" and column not in ("id", "status", "created_at", "balance")
        for v in vals
        if v is not None and len(str(v)) >= 6
    }
    assert pd_values and not [v for v in pd_values if v in text]


def test_scan_is_read_only_on_sqlite(tmp_path: Path) -> None:
    """The SQLite file is byte-for-byte unchanged by a scan."""
    path = tmp_path / "l.db"
    build_labeled_db(f"sqlite:///{path}", rows=50, seed=1)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    scan(f"sqlite:///{path}", sample_rows=10)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_read_only_transaction_refuses_writes(db_url: str) -> None:
    """Inside read_only() a write fails on SQLite and PostgreSQL alike."""
    eng = sa.create_engine(db_url)
    with eng.begin() as conn:
        conn.execute(sa.text("create table t (id integer primary key)"))
    eng.dispose()
    engine = open_source(db_url)
    try:
        with pytest.raises(sa.exc.DBAPIError), engine.connect() as conn, conn.begin():
            read_only(conn)
            conn.execute(sa.text("insert into t (id) values (1)"))
    finally:
        engine.dispose()


def _make(url: str, ddl: list[str], rows: dict[str, list[dict[str, object]]]) -> None:
    eng = sa.create_engine(url)
    md = sa.MetaData()
    with eng.begin() as conn:
        for stmt in ddl:
            conn.execute(sa.text(stmt))
        md.reflect(conn)
        for table, data in rows.items():
            conn.execute(md.tables[table].insert(), data)
    eng.dispose()


def _people(n: int) -> list[dict[str, object]]:
    return [
        {
            "pk": k,
            "mail": f"person{k}@example.ru",
            "mobile": f"+7916{k:07d}",
            "nationality": "RU" if k % 2 else "KZ",
            "country": "DE" if k % 3 else "RU",
        }
        for k in range(1, n + 1)
    ]


def test_foreign_key_subjects_and_residency(db_url: str) -> None:
    """A reflected foreign key names the subject; ISO-code columns become residency signals."""
    _make(
        db_url,
        [
            "create table people (pk integer primary key, mail varchar(200), mobile varchar(100), "
            "nationality varchar(2), country varchar(2))",
            "create table notes (id integer primary key, author integer references people(pk), body text)",
            "create table logbook (line text)",
            "create table settings (name text, value text)",
        ],
        {
            "people": _people(40),
            "notes": [
                {"id": k, "author": k, "body": f"reach me at person{k}@example.ru"} for k in range(1, 41)
            ],
            "logbook": [{"line": f"+7916{k:07d}"} for k in range(1, 41)],
            "settings": [{"name": "theme", "value": "dark"}],
        },
    )
    result = scan_with_notes(db_url, sample_rows=25)
    dm = result.datamap
    people = dm.table("people")
    assert people.subject is not None and people.subject.key == "pk"
    assert people.residency.phones == ("mobile",)
    assert (people.residency.citizenship, people.residency.residence) == ("nationality", "country")
    assert {c.name: c.field for c in people.columns if c.field} == {"mail": "email", "mobile": "phone"}
    notes = dm.table("notes").subject
    assert notes is not None and (notes.ref, notes.column) == ("people", "author")
    assert dm.table("logbook").subject is None and dm.table("logbook").primary_key == ()
    assert "no one-column primary key" in result.notes["logbook"][0]
    assert "settings" not in {t.name for t in dm.tables} and "left out" in result.notes["settings"][0]
    assert (
        result.sampling["people"].startswith(("random rows", "TABLESAMPLE"))
        and "25 of 40" in result.sampling["people"]
    )


def test_sample_rows_must_be_positive(tmp_path: Path) -> None:
    """--sample 0 is bad input."""
    from domicile.core.errors import InputError

    with pytest.raises(InputError):
        scan(f"sqlite:///{tmp_path / 'x.db'}", sample_rows=0)
