"""``scan`` drafts owner chains: a PD table referencing a dependent is linked through it (PD-LOC-1)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from domicile.localize.datamap import load_datamap
from domicile.localize.scan import scan_with_notes
from domicile.localize.source import check_map_against_source, open_source, reflect
from domicile.synthetic.labeled_db import build_labeled_db
from domicile.vault.fields import FieldSchema


def test_labeled_db_map_loads_without_edits(db_url: str, tmp_path: Path) -> None:
    """payments gets ref orders (by name, with a REVIEW note); the map loads and fits the source as is."""
    build_labeled_db(db_url, rows=150, seed=7)
    result = scan_with_notes(db_url, sample_rows=150)
    path = tmp_path / "map.yaml"
    path.write_text(result.yaml(), "utf-8")
    dm = load_datamap(path, fields=set(FieldSchema().names()))
    link = dm.table("payments").subject
    assert link is not None and (link.ref, link.column) == ("orders", "order_id")
    assert dm.owner_chain("payments") == (("payments", "order_id"), ("orders", "user_id"), ("users", "id"))
    assert any("inferred from column names" in n for n in result.notes["payments"])
    order = [t.name for t in dm.localizable()]
    assert order.index("users") < order.index("orders") < order.index("payments")
    engine = open_source(db_url)
    try:
        check_map_against_source(dm, reflect(engine))
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


def test_foreign_key_chain_through_a_table_without_pd(tmp_path: Path) -> None:
    """clients <- baskets (no PD) <- deliveries: deliveries is linked via baskets by foreign keys."""
    url = f"sqlite:///{tmp_path / 'fk.db'}"
    n = 30
    _make(
        url,
        [
            "create table clients (id integer primary key, mail varchar(200), mobile varchar(100))",
            "create table baskets (id integer primary key, buyer integer references clients(id), "
            "total integer)",
            "create table deliveries (id integer primary key, basket integer references baskets(id), "
            "recipient_phone varchar(100))",
            "create table coupons (id integer primary key, code varchar(20))",
        ],
        {
            "clients": [
                {"id": k, "mail": f"c{k}@example.ru", "mobile": f"+7916{k:07d}"} for k in range(1, n + 1)
            ],
            "baskets": [{"id": k, "buyer": k, "total": 100 * k} for k in range(1, n + 1)],
            "deliveries": [
                {"id": k, "basket": k, "recipient_phone": f"+7903{k:07d}"} for k in range(1, n + 1)
            ],
            "coupons": [{"id": k, "code": f"SALE{k:03d}"} for k in range(1, n + 1)],
        },
    )
    result = scan_with_notes(url)
    dm = result.datamap
    assert dm.owner_chain("deliveries") == (("deliveries", "basket"), ("baskets", "buyer"), ("clients", "id"))
    assert dm.table("baskets").pd_columns == ()  # linked only because a chain passes through it
    assert dm.table("coupons").subject is None
    assert result.notes["deliveries"] == (
        "owner found through a chain of foreign keys: deliveries.basket -> baskets.buyer -> clients",
    )
    assert not any("inferred" in n for notes in result.notes.values() for n in notes)
    assert [t.name for t in dm.localizable()] == ["clients", "deliveries"]
    path = tmp_path / "map.yaml"
    path.write_text(result.yaml(), "utf-8")
    assert load_datamap(path) == load_datamap(path)  # loads without edits
