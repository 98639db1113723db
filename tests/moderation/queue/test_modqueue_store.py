"""The moderation store: migrations, record round trips, optimistic locking, bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from modqueue_helpers import OWNER, T0, QueueEnv

from domicile.cells.runtime import make_engine
from domicile.moderation.actions import (
    ConcurrentUpdateError,
    GeoScope,
    ModerationInputError,
    ModerationStoreError,
)
from domicile.moderation.queue import (
    VERSION_TABLE,
    Case,
    CaseSource,
    CaseState,
    CaseStore,
    Detector,
    Evidence,
    EvidenceKind,
    MemoryCaseStore,
    Outcome,
    current_revision,
    head_revision,
    upgrade,
)
from domicile.moderation.queue.migrate import require_current
from domicile.moderation.queue.schema import metadata
from domicile.moderation.queue.sql import SqlCaseStore
from domicile.moderation.queue.store import from_row, to_row


def test_migrations_create_exactly_the_declared_schema(db_url: str) -> None:
    """After upgrade, autogenerate finds no difference with schema.py; its own version table is used."""
    engine = make_engine(db_url)
    with pytest.raises(ModerationStoreError):
        require_current(engine)
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diffs = compare_metadata(ctx, metadata)
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert diffs == []
    assert VERSION_TABLE in tables and "alembic_version" not in tables
    assert {t for t in tables if t.startswith("mod_")} == set(metadata.tables)


_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond))
_CODES = st.from_regex(r"[A-Z][A-Z0-9_-]{0,10}", fullmatch=True)
_REFS = st.from_regex(r"[a-z]{1,4}:[a-z0-9]{1,12}", fullmatch=True)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    detected = draw(_TIMES)
    return Case(
        case_id="mc_" + draw(st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
        content_ref=draw(_REFS),
        owner_ref=draw(st.none() | st.just(OWNER)),
        source=draw(st.sampled_from(CaseSource)),
        category=draw(st.none() | _CODES),
        legal_basis=draw(st.none() | st.text(min_size=1, max_size=40)),
        state=draw(st.sampled_from(CaseState)),
        detected_at=detected,
        action_clock=draw(st.sampled_from(["sn.selfmon.restrict", "reg.takedown.remove"])),
        action_due_at=detected + draw(st.timedeltas(timedelta(0), timedelta(days=30))),
        actioned_at=draw(st.none() | _TIMES),
        held_scope=draw(st.none() | st.sampled_from(GeoScope)),
        outcome=draw(st.none() | st.sampled_from(Outcome)),
        reason_code=draw(st.none() | _CODES),
        version=draw(st.integers(1, 10_000)),
    )


@st.composite
def evidence(draw: st.DrawFn) -> Evidence:
    return Evidence(
        kind=draw(st.sampled_from(EvidenceKind)),
        detector=draw(st.sampled_from(Detector)),
        category=draw(st.none() | _CODES),
        bank=draw(st.none() | _CODES),
        distance=draw(st.none() | st.integers(0, 256)),
        quality=draw(st.none() | st.integers(0, 100)),
        register_entry_id=draw(st.none() | st.from_regex(r"[0-9]{1,8}", fullmatch=True)),
        decision_number=draw(st.none() | st.text(min_size=1, max_size=30)),
        score=draw(st.none() | st.floats(0, 1)),
    )


@settings(max_examples=100, deadline=None)
@given(cases())
def test_case_round_trips_through_rows(case: Case) -> None:
    """to_row then from_row gives the same case (instants to microseconds, enums, optionals)."""
    assert from_row(Case, to_row(case)) == case


@settings(max_examples=100, deadline=None)
@given(evidence())
def test_evidence_round_trips_through_json(item: Evidence) -> None:
    """Evidence survives to_dict/from_dict and keeps only PD-free scalars in its audit details."""
    assert Evidence.from_dict(item.to_dict()) == item
    details = item.audit_details()
    assert "decision_number" not in details and "label" not in details and "listed" not in details


def test_evidence_from_bad_dict_is_a_typed_error() -> None:
    """Unknown keys or a bad kind are refused with a typed error."""
    with pytest.raises(ModerationInputError):
        Evidence.from_dict({"kind": "hash", "detector": "hash", "secret": 1})
    with pytest.raises(ModerationInputError):
        Evidence.from_dict({"kind": "nope", "detector": "hash"})


def _case() -> Case:
    return Case(
        "mc_" + "2" * 32, "vid:s", OWNER, CaseSource.DETECTOR, None, None, CaseState.DETECTED, T0,
        "sn.selfmon.restrict", T0 + timedelta(hours=1),
    )  # fmt: skip


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_stale_update_is_refused(backend: str, tmp_path: Path) -> None:
    """Two writers from the same version: the second update raises ConcurrentUpdateError."""
    engine = None
    store: CaseStore
    if backend == "memory":
        store = MemoryCaseStore()
        conn = None
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        upgrade(engine)
        conn = engine.connect()
        store = SqlCaseStore(conn)
    case = _case()
    store.insert_case(case)
    store.update_case(replace(case, state=CaseState.HELD, version=2), 1)
    with pytest.raises(ConcurrentUpdateError):
        store.update_case(replace(case, state=CaseState.IN_REVIEW, version=2), 1)
    with pytest.raises(ModerationInputError):
        store.update_case(replace(case, version=5), 2)
    with pytest.raises(ConcurrentUpdateError):
        store.insert_case(case)
    got = store.get_case(case.case_id)
    assert got is not None and got.state is CaseState.HELD and got.version == 2
    if conn is not None and engine is not None:
        conn.close()
        engine.dispose()


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"content_ref": "has space"}, "content_ref"),
        ({"content_ref": "79161234567"}, "phone"),
        ({"actor": ""}, "actor"),
        ({"reason_code": "1bad"}, "reason_code"),
        ({"source": "telepathy"}, "source"),
        ({"owner_ref": "x" * 65}, "owner_ref"),
        ({"evidence": []}, "Evidence"),
        ({"detected_at": datetime(2025, 1, 1)}, "timezone"),
        ({"legal_basis": "x\ny"}, "legal_basis"),
        ({"hold_scope": "MARS"}, "hold_scope"),
    ],
)
def test_bad_input_gets_one_typed_error_and_changes_nothing(
    env: QueueEnv, kwargs: dict[str, object], needle: str
) -> None:
    """Malformed arguments raise ModerationInputError naming the field; no case or audit entry is written."""
    args: dict[str, object] = {
        "content_ref": "vid:bad-input", "source": "detector", "actor": "svc:x", "reason_code": "C-DRUG",
        "evidence": [Evidence(EvidenceKind.HUMAN, Detector.HUMAN)],
    }  # fmt: skip
    args.update(kwargs)
    audit_before = len(env.audit_records())
    with pytest.raises(ModerationInputError) as info:
        env.queue.open_case(**args)  # type: ignore[arg-type]
    assert needle in str(info.value)
    assert env.queue.cases_of_content("vid:bad-input") == []
    assert len(env.audit_records()) == audit_before


def test_audit_log_holds_no_personal_data(env: QueueEnv) -> None:
    """Audit entries of a case carry ids and codes only: the evidence's listed URL and label stay out."""
    item = Evidence(
        EvidenceKind.REGISTER, Detector.REGISTER, register_entry_id="77", register_rule="url-exact",
        listed="http://example.com/ivan-petrov", label="Ivan", decision_number="2-1328/10",
    )  # fmt: skip
    case = env.queue.open_case(
        "vid:pd-check", source="registry_notice", evidence=[item], actor="svc:x", reason_code="register"
    )
    texts = [str(r.to_dict()) for r in env.audit_records() if r.details.get("case_id") == case.case_id]
    assert texts and all("ivan" not in t.lower() and "2-1328" not in t for t in texts)
