"""Owner chains: a payment is RU iff the user at the end of payments -> orders -> users is (PD-LOC-1..3)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import localize_kit as kit
import pytest
import sqlalchemy as sa

from domicile.localize.datamap import DataMap, Replace, SubjectLink
from domicile.localize.engine import localize
from domicile.localize.items import ItemCipher
from domicile.localize.source import open_source
from domicile.localize.values import canonical_key, parse_payload


def _reassign_orders(url: str) -> None:
    """Order k now belongs to user k+1 (the last to user 1): a payment's owner differs from its id."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            n = conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
            conn.execute(sa.text("UPDATE orders SET user_id = (id % :n) + 1"), {"n": n})
    finally:
        engine.dispose()


def _with_orders_pd_removed(dm: DataMap) -> DataMap:
    """The map with ``orders`` holding no PD: the chain passes a table localize never writes."""
    orders = dm.table("orders")
    cols = tuple(dataclasses.replace(c, category=None, categories=()) for c in orders.columns)
    cols = tuple(dataclasses.replace(c, replace=Replace.KEEP) for c in cols)
    tables = tuple(dataclasses.replace(t, columns=cols) if t.name == "orders" else t for t in dm.tables)
    return dataclasses.replace(dm, tables=tables)


def test_payments_follow_their_orders_user(db_url: str, tmp_path: Path) -> None:
    """RU payments (by the order's user) move with the user's subject id; the others stay byte for byte."""
    kit.make_source(db_url)
    _reassign_orders(db_url)
    original = kit.snapshot(db_url)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    dm = kit.datamap()
    assert dm.table("payments").subject == SubjectLink(ref="orders", column="order_id")
    assert [t.name for t in dm.localizable()].index("payments") > [t.name for t in dm.localizable()].index(
        "orders"
    )
    engine = open_source(db_url)
    try:
        report = localize(dom, engine, dm, batch_size=9)
        ru = kit.check_converged(dom, db_url, original, dm)
        by_id = kit.expected_ru(original, db_url)
        assert report.tables["payments"].moved == len(ru["payments"]) > 0
        assert report.tables["payments"].skipped_non_ru == len(original["payments"]) - len(ru["payments"])
        # a payment's item carries the subject id of its order's user, not of the user with its own id
        cell = dom.home_cell("RU")
        cipher = ItemCipher(cell.name, cell.keys)
        user_sid = {}
        items = kit.live_items(dom)
        for i in items:
            if i.source_table == "users":
                user_sid[canonical_key(parse_payload(cipher.open(i))[1])] = i.subject_id
        n = len(original["users"])
        owner_of = {canonical_key((k,)): canonical_key((k % n + 1,)) for k in range(1, n + 1)}
        payments = [i for i in items if i.source_table == "payments"]
        assert len(payments) == len(by_id["payments"])
        for i in payments:
            key = canonical_key(parse_payload(cipher.open(i))[1])  # payment k -> order k -> user k % n + 1
            assert i.subject_id == user_sid[owner_of[key]]
        again = localize(dom, engine, dm, batch_size=9)
        assert again.moved == 0 and again.tables["payments"].already_done == len(ru["payments"])
    finally:
        engine.dispose()
        kit.close(dom)


def test_chain_through_a_table_without_pd(tmp_path: Path) -> None:
    """The intermediate table needs no PD of its own: the join along the chain finds the owner."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url)
    _reassign_orders(url)
    original = kit.snapshot(url)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    dm = _with_orders_pd_removed(kit.datamap())
    assert "orders" not in [t.name for t in dm.localizable()]
    engine = open_source(url)
    try:
        report = localize(dom, engine, dm, batch_size=25)
    finally:
        engine.dispose()
        kit.close(dom)
    ru = kit.expected_ru(original, url)
    assert report.tables["payments"].moved == len(ru["payments"]) > 0
    after = kit.snapshot(url)
    assert after["orders"] == original["orders"]
    for k, row in original["payments"].items():
        assert (after["payments"][k] == row) == (k not in ru["payments"])


@pytest.mark.parametrize("batch", [1, 60])
def test_chain_owner_resolution_is_one_query_per_batch(tmp_path: Path, batch: int) -> None:
    """The owner look-up of a chained table costs one source query per batch, whatever the batch size."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    engine = open_source(url)
    joins: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "AS h0" in statement:
            joins.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        localize(dom, engine, kit.datamap(), batch_size=batch)
    finally:
        engine.dispose()
        kit.close(dom)
    assert len(joins) == -(-60 // batch)  # 60 payments
