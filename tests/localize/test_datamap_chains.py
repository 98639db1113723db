"""Owner chains in the data map: ``ref`` naming a dependent table (payments -> orders -> users).

PD-LOC-1: a dependent row's PD belongs to the subject at the end of its chain, so the chain must
end at a subject table, never cycle, and every link column must be in the map.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.localize.datamap import (
    ColumnMap,
    DataMap,
    DataMapError,
    Replace,
    SubjectLink,
    TableMap,
    dump_datamap,
    parse_datamap,
)

HEAD = "format: domicile.datamap/1\ntables:\n"
USERS = """
  users:
    primary_key: [id]
    subject: {key: id}
    columns:
      id: {}
      email: {category: email, field: email}
"""
ORDERS = """
  orders:
    primary_key: [id]
    subject: {ref: users, column: user_id}
    columns:
      id: {}
      user_id: {}
      shipping_address: {category: postal_address}
"""
PAYMENTS = """
  payments:
    primary_key: [id]
    subject: {ref: orders, column: order_id}
    columns:
      id: {}
      order_id: {}
      card_number: {category: payment_card}
"""
REFUNDS = """
  refunds:
    primary_key: [id]
    subject: {ref: payments, column: payment_id}
    columns:
      id: {}
      payment_id: {}
      holder: {category: person_name}
"""


def test_chain_of_three_hops_is_valid_and_ordered() -> None:
    """refunds -> payments -> orders -> users loads; localizable() puts each table after its ref."""
    dm = parse_datamap(HEAD + REFUNDS + PAYMENTS + ORDERS + USERS)
    assert [t.name for t in dm.localizable()] == ["users", "orders", "payments", "refunds"]
    assert dm.owner_chain("refunds") == (
        ("refunds", "payment_id"),
        ("payments", "order_id"),
        ("orders", "user_id"),
        ("users", "id"),
    )
    assert dm.owner_chain("orders") == (("orders", "user_id"), ("users", "id"))
    assert dm.owner_chain("users") == (("users", "id"),)


def test_intermediate_table_without_pd_may_carry_the_link() -> None:
    """orders holds no PD but links payments to users: valid; only PD tables are localizable."""
    orders = ORDERS.replace("      shipping_address: {category: postal_address}\n", "      status: {}\n")
    dm = parse_datamap(HEAD + PAYMENTS + orders + USERS)
    assert [t.name for t in dm.localizable()] == ["users", "payments"]
    assert [t for t, _ in dm.owner_chain("payments")] == ["payments", "orders", "users"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEAD + PAYMENTS + ORDERS.replace("ref: users", "ref: payments").replace("user_id", "payment_id"),
            r"tables\.payments\.subject\.ref: owner links form a cycle: payments -> orders -> payments",
        ),
        (
            HEAD + PAYMENTS.replace("ref: orders", "ref: payments"),
            r"owner links form a cycle: payments -> payments",
        ),
        (
            HEAD
            + REFUNDS
            + PAYMENTS
            + ORDERS.replace("ref: users", "ref: refunds").replace("user_id", "rid"),
            r"owner links form a cycle: refunds -> payments -> orders -> refunds",
        ),
    ],
    ids=["two-table cycle", "self reference", "three-table cycle"],
)
def test_cycles_are_refused_and_named(text: str, message: str) -> None:
    """A chain that comes back to a table it passed is refused, naming the whole cycle."""
    with pytest.raises(DataMapError, match=message):
        parse_datamap(text)


def test_chain_ending_at_a_table_without_subject_is_refused() -> None:
    """orders (no PD, no subject) cannot end payments' chain: the error names the chain and the table."""
    orders = """
  orders:
    primary_key: [id]
    columns:
      id: {}
      user_id: {}
"""
    with pytest.raises(
        DataMapError,
        match=r"tables\.payments\.subject\.ref: owner chain payments -> orders ends at 'orders', "
        r"which has no subject",
    ):
        parse_datamap(HEAD + PAYMENTS + orders + USERS)


def test_link_column_must_be_listed() -> None:
    """A link column missing from the table's columns is refused, naming it."""
    text = HEAD + PAYMENTS.replace("      order_id: {}\n", "") + ORDERS + USERS
    with pytest.raises(DataMapError, match=r"tables\.payments: column\(s\) \['order_id'\] are used"):
        parse_datamap(text)


def test_ref_to_missing_table_and_composite_key_are_refused() -> None:
    """ref must name a table of the map; a dependent named by ref needs a one-column key."""
    with pytest.raises(DataMapError, match=r"tables\.payments\.subject\.ref: no table 'orders'"):
        parse_datamap(HEAD + PAYMENTS + USERS)
    composite = ORDERS.replace("primary_key: [id]", "primary_key: [id, user_id]")
    with pytest.raises(DataMapError, match=r"'orders' has a 2-column primary key"):
        parse_datamap(HEAD + PAYMENTS + composite + USERS)


def test_owner_chain_on_code_built_map_refuses_cycles() -> None:
    """A map built in code (not parsed) still gets a named cycle from owner_chain and localizable."""
    cols = (ColumnMap("id"), ColumnMap("other_id"), ColumnMap("note", "person_name", replace=Replace.TOKEN))
    a = TableMap("a", ("id",), cols, SubjectLink(ref="b", column="other_id"))
    b = TableMap("b", ("id",), cols, SubjectLink(ref="a", column="other_id"))
    dm = DataMap((a, b))
    with pytest.raises(DataMapError, match="cycle: a -> b -> a"):
        dm.owner_chain("a")
    with pytest.raises(DataMapError, match="cycle"):
        dm.localizable()


# -- round trip -----------------------------------------------------------------------------------
_NAMES = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True), min_size=2, max_size=7, unique=True)


@st.composite
def chained_maps(draw: st.DrawFn) -> DataMap:
    """Random forests of owner chains: table i refs a table j < i, or is a subject table."""
    names = draw(_NAMES)
    tables: list[TableMap] = []
    for i, name in enumerate(names):
        parent = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        pd = draw(st.booleans()) or parent is None
        cols = [ColumnMap("id")]
        if parent is None:
            link = SubjectLink(key="id")
        else:
            cols.append(ColumnMap("owner_id"))
            link = SubjectLink(ref=names[parent], column="owner_id")
        if pd:
            cols.append(
                ColumnMap("holder", "person_name", 0.9, replace=draw(st.sampled_from([*Replace][:2])))
            )
        tables.append(TableMap(name, ("id",), tuple(cols), link, rows=draw(st.integers(0, 10**6))))
    order = draw(st.permutations(tables))
    return DataMap(tuple(order), source="sqlite:///app.db", scanned_at="2026-01-01T00:00:00+00:00")


@settings(max_examples=60, deadline=None)
@given(chained_maps())
def test_chained_maps_round_trip(dm: DataMap) -> None:
    """parse(dump(m)) == m for maps with chains; localizable() lists owners before referrers."""
    again = parse_datamap(dump_datamap(dm))
    assert again == dm
    order = [t.name for t in again.localizable()]
    for t in again.localizable():
        chain = again.owner_chain(t.name)
        assert chain[-1][0] in {x.name for x in again.tables if x.subject and x.subject.is_subject_table}
        for owner, _ in chain[1:]:
            if owner in order:
                assert order.index(owner) < order.index(t.name)
