"""The labeled synthetic database: schema, labels, determinism, refusal to overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from domicile.core.errors import InputError, StoreError
from domicile.recognizers.generic.payment import luhn_valid
from domicile.synthetic.labeled_db import NONE, TABLES, build_labeled_db, read_columns


def test_build_on_each_backend(db_url: str) -> None:
    """Tables, row counts and one label per column on SQLite and PostgreSQL."""
    db = build_labeled_db(db_url, rows=25, sizes={"orders": 40}, seed=3)
    assert db.row_counts == {"users": 25, "orders": 40, "support_tickets": 25, "payments": 25, "sellers": 20}
    engine = sa.create_engine(db_url)
    try:
        insp = sa.inspect(engine)
        labeled = {(lab.table, lab.column) for lab in db.labels}
        actual = {(t, c["name"]) for t in TABLES for c in insp.get_columns(t)}
        assert labeled == actual
        with engine.connect() as conn:
            for table, n in db.row_counts.items():
                assert conn.execute(sa.text(f"select count(*) from {table}")).scalar_one() == n
    finally:
        engine.dispose()
    cols = read_columns(db_url, limit=10)
    assert len(cols[("users", "email")]) == 10


def test_deterministic_per_seed(tmp_path: Path) -> None:
    """The same seed writes the same rows; another seed different ones."""
    urls = [f"sqlite:///{tmp_path / f'{i}.db'}" for i in range(3)]
    for url, seed in zip(urls, (5, 5, 6), strict=True):
        build_labeled_db(url, rows=15, seed=seed)
    a, b, c = (read_columns(u) for u in urls)
    assert a == b and a != c


def test_labels_match_content(tmp_path: Path) -> None:
    """Card numbers pass Luhn, gift-card lookalikes never do; non-PD labels are 'none'."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    db = build_labeled_db(url, rows=60, seed=1)
    cols = read_columns(url)

    def digits(v: object) -> str:
        return "".join(ch for ch in str(v) if ch.isdigit())

    assert all(luhn_valid(digits(v)) for v in cols[("payments", "card_number")])
    assert not any(luhn_valid(digits(v)) for v in cols[("payments", "gift_card_number")])
    assert db.label("orders", "order_no").category == NONE
    assert db.label("support_tickets", "body").categories == {"phone", "email", "person_name"}
    assert db.label("users", "phone").category == "phone"
    origins_kz = [v for v in cols[("users", "phone")] if str(v).startswith(("+77", "8 (7"))]
    assert origins_kz, "KZ users must be present"
    with pytest.raises(InputError):
        db.label("users", "nope")


def test_refuses_non_empty_database_and_keeps_it(tmp_path: Path) -> None:
    """Building into a DB that already has the tables raises InputError and changes nothing."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    build_labeled_db(url, rows=5, seed=1)
    before = read_columns(url)
    with pytest.raises(InputError, match="users"):
        build_labeled_db(url, rows=7, seed=2)
    assert read_columns(url) == before


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"sizes": {"nope": 1}}, "nope"), ({"sizes": {"users": -1}}, ">= 0")]
)
def test_bad_sizes(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    """Unknown tables and negative sizes raise InputError before anything is written."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(InputError, match=match):
        build_labeled_db(url, **kwargs)  # type: ignore[arg-type]
    engine = sa.create_engine(url)
    try:
        assert not sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_unreachable_database_is_store_error(tmp_path: Path) -> None:
    """A URL that cannot be opened raises StoreError without the URL's password."""
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    with pytest.raises(StoreError):
        build_labeled_db(url, rows=1)
    with pytest.raises(StoreError):
        read_columns(url)
