"""Audit value objects: the PD-free event vocabulary, timestamps, anchors."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from audit_helpers import CELL, KEY, Clock, events
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.audit import (
    AuditEvent,
    AuditEventError,
    AuditHead,
    MemoryAuditStore,
    SqlAuditStore,
    looks_like_pd_number,
    parse_anchor,
)
from domicile.audit.events import format_at, parse_at
from domicile.cells import schema
from domicile.core.errors import InputError


def ev(**overrides: Any) -> AuditEvent:
    base: dict[str, Any] = {
        "actor": "svc:desk",
        "action": "pd.read",
        "purpose": "dsr.access",
        "outcome": "ok",
    }
    return AuditEvent(**(base | overrides))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", ""),
        ("actor", "x" * 201),
        ("action", "p" * 65),
        ("outcome", ""),
        ("outcome", "o" * 33),
        ("subject_ref", "t" * 65),
        ("subject_ref", ""),
        ("action", "1read"),
        ("actor", 42),
    ],
)
def test_lengths_and_shapes_match_schema(field: str, value: object) -> None:
    """Empty or over-long fields and wrong types are rejected (limits match the audit_log columns)."""
    with pytest.raises(AuditEventError, match=field):
        ev(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject_ref", "ivan.petrov@example.ru"),
        ("subject_ref", "Иван Петров"),
        ("purpose", "customer called about refund"),
        ("actor", "+79161234567"),
        ("subject_ref", "79161234567"),
        ("subject_ref", "4276-1234-5678-9012"),
        ("subject_ref", "123-456-789-01"),
    ],
)
def test_pd_values_are_refused_without_echoing_them(field: str, value: str) -> None:
    """E-mails, names, prose and phone/document numbers cannot be logged, and errors omit the value."""
    with pytest.raises(AuditEventError) as info:
        ev(**{field: value})
    assert value not in str(info.value)
    assert field in str(info.value)


@pytest.mark.parametrize(
    "details",
    [
        {"amount": 1.5},
        {"nested": {"a": 1}},
        {"items": ["email"]},
        {"bad key": 1},
        {"ключ": 1},
        {"n": 2**63},
        {"phone": "+7916123456"},
        {"name": "Ivan Petrov"},
        {f"k{i}": i for i in range(33)},
        {1: "x"},
    ],
)
def test_details_are_small_identifier_keyed_scalars(details: dict[Any, Any]) -> None:
    """Details accept only identifier keys and str/int/bool/None code values (no floats, nesting, PD)."""
    with pytest.raises(AuditEventError):
        ev(details=details)


def test_accepted_vocabulary_and_pd_number_heuristic() -> None:
    """Ids, tokens, field names and counts pass; snowflake ids pass; short numbers pass."""
    e = ev(
        subject_ref="tok_ru_8fK2-x",
        details={"fields": "email,phone", "n": 3, "snowflake": "1234567890123456789"},
    )
    assert e.details["n"] == 3
    assert not looks_like_pd_number("1234567890123456789")
    assert not looks_like_pd_number("12345")
    assert looks_like_pd_number("8(916)123-45-67")
    assert looks_like_pd_number("+4930123")


def test_event_is_immutable_and_detached_from_caller_dict() -> None:
    """Events are frozen; details are a read-only copy of what the caller passed."""
    src: dict[str, Any] = {"n": 1}
    e = ev(details=src)
    src["n"] = 2
    assert e.details["n"] == 1
    with pytest.raises(TypeError):
        e.details["n"] = 5  # type: ignore[index]
    with pytest.raises(AttributeError):
        e.actor = "svc:other"  # type: ignore[misc]
    assert hash(e) == hash(ev(details={"n": 1})) and e == ev(details={"n": 1})


def test_str_enums_are_stored_as_plain_strings() -> None:
    """A str-mixin enum member is accepted and stored as its plain value."""

    class Outcome(str, enum.Enum):  # noqa: UP042 - the str mixin (not StrEnum) is the case
        OK = "ok"

    e = ev(outcome=Outcome.OK)
    assert type(e.outcome) is str and e.outcome == "ok"


@given(
    st.datetimes(
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5))])
    )
)
def test_timestamp_text_round_trips(at: datetime) -> None:
    """format_at and parse_at are inverse on aware datetimes (the hashed text is stable)."""
    text = format_at(at)
    assert parse_at(text) == at and len(text) == 27
    assert format_at(parse_at(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00.000000+00:00",
        "2025-02-30T00:00:00.000000Z",
        "٢٠٢٥-01-01T00:00:00.000000Z",
    ],
)
def test_timestamp_parse_is_strict(text: str) -> None:
    """Any other timestamp spelling is rejected."""
    with pytest.raises(InputError):
        parse_at(text)


@given(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True),
    st.integers(1, 2**62),
    st.binary(min_size=32, max_size=32).map(bytes.hex),
)
def test_anchor_round_trips(cell: str, seq: int, digest: str) -> None:
    """to_anchor and parse_anchor are inverse."""
    head = AuditHead(cell, seq, digest)
    assert parse_anchor(head.to_anchor()) == head
    assert AuditHead.parse_anchor(f"  {head.to_anchor()}\n") == head


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("ru:5", "3"),
        ("r u:5:" + "a" * 64, "part 1"),
        ("ru:05:" + "a" * 64, "part 2"),
        ("ru:0:" + "a" * 64, "part 2"),
        ("ru:-1:" + "a" * 64, "part 2"),
        ("ru:5:" + "A" * 64, "part 3"),
        ("ru:5:" + "a" * 63, "part 3"),
    ],
)
def test_malformed_anchor_names_the_part(text: str, part: str) -> None:
    """A malformed anchor is one InputError naming the bad part."""
    with pytest.raises(InputError, match=part):
        parse_anchor(text)


@settings(max_examples=40, deadline=None)
@given(st.lists(events, min_size=1, max_size=5))
def test_events_round_trip_through_memory_and_sqlite(batch: list[AuditEvent]) -> None:
    """Any valid events read back equal from the memory store and from SQLite."""
    mem = MemoryAuditStore(CELL, KEY, Clock())
    assert [r.event for r in mem.append(batch)] == batch
    assert [r.event for r in mem.iter_records()] == batch
    engine = sa.create_engine("sqlite://")
    schema.metadata.create_all(engine)
    with engine.connect() as conn:
        store = SqlAuditStore(conn, CELL, KEY, Clock())
        appended = store.append(batch)
        read = list(store.iter_records(batch=2))
        assert read == appended and [r.event for r in read] == batch
        assert [r.entry_hash for r in read] == [r.entry_hash for r in mem.iter_records()]
    engine.dispose()
