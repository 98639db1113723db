"""Typed canonical JSON of source values round-trips exactly, and its keyed digest is stable."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domicile.localize.values import (
    canonical,
    canonical_key,
    decode_value,
    keyed_digest,
    parse_key,
    parse_payload,
    row_payload,
)

KEY = bytes(range(32))
scalars = st.one_of(
    st.none(),
    st.text(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.binary(max_size=64),
    st.uuids(),
)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and canonical(a) == canonical(b)


@given(scalars)
def test_value_round_trips_with_its_type(v: Any) -> None:
    """str, int, Decimal (scale kept), date, datetime, bytes, None, UUID... decode to the same typed value."""
    import json

    back = decode_value(json.loads(canonical(v)))
    assert _same(back, v)
    assert back == v


@given(
    st.text(max_size=20),
    st.lists(scalars, min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=8), scalars),
)
def test_payload_round_trips_and_digest_is_stable(table: str, key: list[Any], values: dict[str, Any]) -> None:
    """A row payload parses back to its parts; the same values always give the same digest."""
    data = row_payload(table, key, values)
    t, k, v = parse_payload(data)
    assert t == table and all(_same(a, b) for a, b in zip(k, key, strict=True))
    assert v.keys() == values.keys() and all(_same(v[c], values[c]) for c in values)
    again = row_payload(t, k, dict(reversed(list(v.items()))))
    assert again == data and keyed_digest(KEY, again) == keyed_digest(KEY, data)
    assert parse_key(canonical_key(key)) == tuple(parse_payload(data)[1])


def test_types_are_not_confused() -> None:
    """1, '1', 1.0, Decimal('1') and Decimal('1.00') are five different canonical values."""
    forms = {canonical(x) for x in (1, "1", 1.0, Decimal("1"), Decimal("1.00"), True)}
    assert len(forms) == 6
    assert canonical(dt.date(2024, 1, 2)) != canonical("2024-01-02")
    assert canonical(uuid.UUID(int=1)) != canonical(str(uuid.UUID(int=1)))
