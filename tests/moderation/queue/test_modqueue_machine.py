"""The case state machine: the allowed moves, and random operation sequences against an oracle."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modqueue_helpers import OWNER, T0, deadline_engine, make_env

from domicile.audit import MemoryAuditStore
from domicile.core.clock import FixedClock
from domicile.moderation.actions import (
    ActionKind,
    CaseNotFoundError,
    IllegalTransitionError,
    ModerationPolicyError,
)
from domicile.moderation.queue import (
    Case,
    CaseSource,
    CaseState,
    Detector,
    Event,
    Evidence,
    EvidenceKind,
    MemoryModerationSpace,
    Outcome,
    allowed_events,
)
from domicile.moderation.queue.machine import check

S = CaseState
# The lifecycle from the Moderation issue, written out independently of machine.py.
SPEC: dict[CaseState, set[str]] = {
    S.DETECTED: {"auto_action", "hold", "claim"},
    S.AUTO_ACTIONED: {"claim"},
    S.HELD: {"claim"},
    S.IN_REVIEW: {"reassign", "refer", "decide"},
    S.REFERRED: {"rkn_decision"},
    S.DECIDED: {"close", "notify"},
    S.CLOSED: set(),
    S.USER_NOTIFIED: {"appeal"},
    S.APPEALED: {"decide_appeal"},
    S.APPEAL_DECIDED: {"restore"},
    S.RESTORED: set(),
}


def _case(state: CaseState, outcome: Outcome | None = Outcome.RESTRICT_RU) -> Case:
    return Case(
        "mc_" + "1" * 32, "vid:1", OWNER, CaseSource.DETECTOR, "C-DRUG", None, state, T0,
        "sn.selfmon.restrict", T0, outcome=outcome,
    )  # fmt: skip


@pytest.mark.parametrize("state", list(CaseState))
def test_table_allows_exactly_the_specified_moves(state: CaseState) -> None:
    """Each state allows exactly the events of the issue's lifecycle; every other event is refused."""
    assert {e.value for e in allowed_events(state)} == SPEC[state]
    for event in Event:
        if event is Event.OPEN or event.value in SPEC[state] or event in (Event.CLOSE, Event.RESTORE):
            continue
        with pytest.raises(IllegalTransitionError) as info:
            check(_case(state), event)
        assert state.value in str(info.value) and event.value in str(info.value)


def test_guards_on_close_notify_and_restore() -> None:
    """Close needs 'keep'; notify needs a restriction and an owner; restore needs a reversal or RKN order."""
    with pytest.raises(IllegalTransitionError):
        check(_case(S.DECIDED, Outcome.RESTRICT_RU), Event.CLOSE)
    assert check(_case(S.DECIDED, Outcome.KEEP), Event.CLOSE) is S.CLOSED
    with pytest.raises(IllegalTransitionError):
        check(_case(S.DECIDED, Outcome.KEEP), Event.NOTIFY)
    assert check(_case(S.DECIDED, Outcome.AGE_GATE), Event.NOTIFY) is S.USER_NOTIFIED
    with pytest.raises(IllegalTransitionError):
        check(_case(S.APPEAL_DECIDED), Event.RESTORE)
    with pytest.raises(IllegalTransitionError):
        check(None, Event.CLAIM, case_id="mc_x")


# -- random operation sequences ------------------------------------------------------------------
OPS = (
    "hold", "auto", "claim", "refer", "rkn_keep", "rkn_restrict", "decide_keep", "decide_restrict_ru",
    "decide_remove_global", "decide_age_gate_18", "appeal", "appeal_upheld", "appeal_reversed", "rkn_order",
)  # fmt: skip


def _oracle(state: CaseState, op: str, last_appeal: str | None) -> CaseState | None:
    """The state an operation leads to, or None when it must be refused (from the issue's lifecycle)."""
    table: dict[str, tuple[set[CaseState], CaseState]] = {
        "hold": ({S.DETECTED}, S.HELD),
        "auto": ({S.DETECTED}, S.AUTO_ACTIONED),
        "claim": ({S.DETECTED, S.HELD, S.AUTO_ACTIONED}, S.IN_REVIEW),
        "refer": ({S.IN_REVIEW}, S.REFERRED),
        "rkn_keep": ({S.REFERRED}, S.CLOSED),
        "rkn_restrict": ({S.REFERRED}, S.USER_NOTIFIED),
        "decide_keep": ({S.IN_REVIEW}, S.CLOSED),
        "appeal": ({S.USER_NOTIFIED}, S.APPEALED),
        "appeal_upheld": ({S.APPEALED}, S.APPEAL_DECIDED),
        "appeal_reversed": ({S.APPEALED}, S.RESTORED),
    }
    for outcome in ("restrict_ru", "remove_global", "age_gate_18"):
        table[f"decide_{outcome}"] = ({S.IN_REVIEW}, S.USER_NOTIFIED)
    if op == "rkn_order":
        return S.RESTORED if state is S.APPEAL_DECIDED and last_appeal == "upheld" else None
    sources, target = table[op]
    return target if state in sources else None


def _apply(env: object, case_id: str, op: str, appeal_id: str | None) -> str | None:
    """Run one operation; return a new appeal id when one is filed."""
    from modqueue_helpers import QueueEnv

    assert isinstance(env, QueueEnv)
    q = env.queue
    if op == "hold":
        q.hold(case_id, scope="RU", actor="svc:x", reason_code="C-DRUG")
    elif op == "auto":
        q.auto_action(
            case_id, rule_id="ru.auto.csam_hash_match", actions=[ActionKind.REMOVE_GLOBAL], actor="svc:x",
            reason_code="C-CSAM",
        )  # fmt: skip
    elif op == "claim":
        q.claim(case_id, reviewer="staff:1")
    elif op == "refer":
        q.refer_to_rkn(case_id, reviewer="staff:1", reason_code="doubtful")
    elif op.startswith("rkn_") and op != "rkn_order":
        outcome = "keep" if op == "rkn_keep" else "restrict_ru"
        q.record_rkn_decision(case_id, outcome, rkn_ref="rkn-1", actor="svc:desk", reason_code="rkn")
    elif op.startswith("decide_"):
        q.decide(case_id, op.removeprefix("decide_"), reviewer="staff:1", reason_code="C-DRUG")
    elif op == "appeal":
        return q.file_appeal(case_id, appellant_ref=OWNER).appeal_id
    elif op.startswith("appeal_"):
        q.decide_appeal(
            appeal_id or "ap_none", op.removeprefix("appeal_"), reviewer="staff:2", reason_code="x"
        )
    elif op == "rkn_order":
        q.record_rkn_order(appeal_id or "ap_none", order_ref="rkn-order-1", reverse=True, actor="svc:desk")
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_operations_follow_the_lifecycle_and_are_all_audited(data: st.DataObject) -> None:
    """Any operation sequence moves a case only as the lifecycle allows; refusals change nothing;
    every step is in the history and the audit chain, which verifies."""
    clock = FixedClock(T0)
    env = make_env(MemoryModerationSpace(MemoryAuditStore("ru-prop", b"k" * 32, now=clock.now)), clock)
    evidence = Evidence(EvidenceKind.HASH, Detector.HASH, category="C-DRUG", bank="b", distance=3)
    case = env.queue.open_case(
        "vid:p1", source="detector", evidence=[evidence], actor="svc:x", reason_code="C-DRUG", owner_ref=OWNER
    )
    state, appeal_id, last_appeal = case.state, None, None
    for _ in range(data.draw(st.integers(1, 16), label="steps")):
        # mostly moves the lifecycle allows (to reach deep states), sometimes anything
        legal = [op for op in OPS if _oracle(state, op, last_appeal) is not None]
        pick_legal = legal and data.draw(st.integers(0, 9), label="bias") < 7
        op = data.draw(st.sampled_from(legal if pick_legal else OPS), label="op")
        clock.advance(timedelta(minutes=7))
        expected = _oracle(state, op, last_appeal)
        before = (env.queue.get(case.case_id), len(env.audit_records()))
        try:
            new_appeal = _apply(env, case.case_id, op, appeal_id)
        except (IllegalTransitionError, ModerationPolicyError, CaseNotFoundError):
            assert expected is None, f"{op} refused in {state}"
            assert (env.queue.get(case.case_id), len(env.audit_records())) == before
            continue
        assert expected is not None, f"{op} allowed in {state}"
        state = env.queue.get(case.case_id).state
        assert state is expected
        appeal_id = new_appeal or appeal_id
        if op.startswith("appeal_"):
            last_appeal = op.removeprefix("appeal_")
    history = env.queue.history(case.case_id)
    assert history[-1].to_state is state
    assert all(a.to_state is b.from_state for a, b in pairwise(history))
    assert [t.seq for t in history] == list(range(1, len(history) + 1))
    case_events = [
        r
        for r in env.audit_records()
        if r.action.startswith("moderation.case.") and r.action != "moderation.case.evidence"
    ]
    assert [r.action.removeprefix("moderation.case.") for r in case_events] == [t.event for t in history]
    assert env.verify().ok
    vis = env.platform.visibility("vid:p1")
    final = env.queue.get(case.case_id)
    if state in (S.CLOSED, S.RESTORED):
        assert vis.visible_in("RU") and vis.visible_in("DE") and not vis.age_gated
    elif final.outcome is Outcome.RESTRICT_RU:
        assert not vis.visible_in("RU") and vis.visible_in("DE")
    elif final.outcome is Outcome.REMOVE_GLOBAL:
        assert not vis.visible_in("RU") and not vis.visible_in("DE")


def test_deadline_engine_is_shared_read_only() -> None:
    """The helper's deadline engine knows the appeal clock (3 calendar days, SN-7)."""
    due = deadline_engine().compute("sn.appeal.decide", T0).due_at
    assert timedelta(days=3) < due - T0 < timedelta(days=4)


PATHS = {
    "detected": [],
    "held": ["hold"],
    "auto_actioned": ["auto"],
    "in_review": ["hold", "claim"],
    "referred": ["claim", "refer"],
    "closed": ["claim", "decide_keep"],
    "user_notified": ["claim", "decide_restrict_ru"],
    "appealed": ["claim", "decide_remove_global", "appeal"],
    "appeal_decided": ["claim", "decide_age_gate_18", "appeal", "appeal_upheld"],
    "restored": ["claim", "decide_restrict_ru", "appeal", "appeal_reversed"],
    "restored_by_rkn": ["claim", "decide_restrict_ru", "appeal", "appeal_upheld", "rkn_order"],
}


@pytest.mark.parametrize("name", list(PATHS))
def test_every_operation_from_every_reachable_state(name: str) -> None:
    """From each reachable state, each operation is accepted exactly when the lifecycle allows it."""
    for op in OPS:
        clock = FixedClock(T0)
        env = make_env(MemoryModerationSpace(MemoryAuditStore("ru-all", b"k" * 32, now=clock.now)), clock)
        evidence = Evidence(EvidenceKind.HASH, Detector.HASH, category="C-DRUG", bank="b", distance=3)
        case = env.queue.open_case(
            "vid:a1",
            source="detector",
            evidence=[evidence],
            actor="svc:x",
            reason_code="C-DRUG",
            owner_ref=OWNER,
        )
        appeal_id, last_appeal = None, None
        for step in PATHS[name]:
            appeal_id = _apply(env, case.case_id, step, appeal_id) or appeal_id
            last_appeal = step.removeprefix("appeal_") if step.startswith("appeal_") else last_appeal
        state = env.queue.get(case.case_id).state
        expected = _oracle(state, op, last_appeal)
        try:
            _apply(env, case.case_id, op, appeal_id)
        except (IllegalTransitionError, ModerationPolicyError, CaseNotFoundError):
            assert expected is None, f"{op} refused in {state}"
            assert env.queue.get(case.case_id).state is state
            continue
        assert expected is not None, f"{op} allowed in {state}"
        assert env.queue.get(case.case_id).state is expected
