"""The review queue end to end on memory, SQLite and PostgreSQL, with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from modqueue_helpers import OTHER, OWNER, QueueEnv, deadline_engine

from domicile.moderation.actions import (
    ActionKind,
    CaseNotFoundError,
    GeoScope,
    IllegalTransitionError,
    ModerationPolicyError,
    NoticeKind,
    TaskKind,
)
from domicile.moderation.queue import (
    AppealState,
    CaseState,
    Detector,
    Evidence,
    EvidenceKind,
    TaskStatus,
)

HASH_EVIDENCE = Evidence(
    EvidenceKind.HASH, Detector.HASH, category="C-DRUG", bank="drugs-bank", signal_type="pdq",
    bank_entry_id=7, distance=12, threshold=31, quality=88, variant="rotate90",
)  # fmt: skip


def _open_held(env: QueueEnv, content: str = "vid:100", scope: GeoScope = GeoScope.RU) -> str:
    case = env.queue.open_case(
        content, source="detector", evidence=[HASH_EVIDENCE], actor="svc:hash", reason_code="C-DRUG",
        owner_ref=OWNER, category="C-DRUG", hold_scope=scope,
    )  # fmt: skip
    return case.case_id


def test_restriction_notice_appeal_reversal_restores(env: QueueEnv) -> None:
    """Held -> review -> restrict_ru -> notified -> appealed -> reversed -> restored (SN-2, SN-6, SN-7)."""
    q, clock = env.queue, env.clock
    case_id = _open_held(env)
    assert not env.platform.visibility("vid:100").visible_in("RU")
    q.claim(case_id, reviewer="staff:1")
    clock.advance(timedelta(minutes=20))
    case = q.decide(case_id, "restrict_ru", reviewer="staff:1", reason_code="C-DRUG")
    assert case.state is CaseState.USER_NOTIFIED
    vis = env.platform.visibility("vid:100")
    assert not vis.visible_in("RU") and vis.visible_in("DE")
    notice = env.platform.notices[-1]
    assert (notice.kind, notice.reason_code, notice.recipient_ref) == (
        NoticeKind.RESTRICTION,
        "C-DRUG",
        OWNER,
    )
    assert notice.appeal_clock == "sn.appeal.decide" and notice.rkn_appeal_possible

    appeal = q.file_appeal(case_id, appellant_ref=OWNER)
    expected = deadline_engine().compute("sn.appeal.decide", clock.now()).due_at
    assert appeal.due_at == expected
    assert timedelta(days=3) <= appeal.due_at - clock.now() < timedelta(days=4)
    clock.advance(timedelta(days=1))
    done = q.decide_appeal(appeal.appeal_id, "reversed", reviewer="staff:2", reason_code="context")
    assert done.state is AppealState.DECIDED and done.restored_at == clock.now()
    assert q.get(case_id).state is CaseState.RESTORED
    assert env.platform.visibility("vid:100").visible_in("RU")
    assert env.platform.notices[-1].kind is NoticeKind.APPEAL_DECISION

    steps = [t.event for t in q.history(case_id)]
    assert steps == ["open", "hold", "claim", "decide", "notify", "appeal", "decide_appeal", "restore"]
    actions = [r.action for r in env.audit_records() if r.details.get("case_id") == case_id]
    for event in steps:
        assert f"moderation.case.{event}" in actions
    assert env.verify().ok


def test_keep_decision_releases_the_hold_and_closes(env: QueueEnv) -> None:
    """A 'keep' decision lifts the hold, closes the case, sends no notice, allows no appeal."""
    case_id = _open_held(env, "vid:101", GeoScope.GLOBAL)
    assert not env.platform.visibility("vid:101").visible_in("DE")
    env.queue.claim(case_id, reviewer="staff:1")
    case = env.queue.decide(case_id, "keep", reviewer="staff:1", reason_code="false_positive")
    assert case.state is CaseState.CLOSED
    assert env.platform.visibility("vid:101").visible_in("RU")
    assert [n for n in env.platform.notices if n.case_id == case_id] == []
    with pytest.raises(IllegalTransitionError):
        env.queue.file_appeal(case_id, appellant_ref=OWNER)


def test_decision_needs_the_claiming_reviewer_and_an_independent_appeal_reviewer(env: QueueEnv) -> None:
    """Only the reviewer who claimed a case decides it; the appeal goes to someone else (SN-7)."""
    case_id = _open_held(env, "vid:102")
    env.queue.claim(case_id, reviewer="staff:1")
    with pytest.raises(ModerationPolicyError):
        env.queue.decide(case_id, "remove_global", reviewer="staff:9", reason_code="C-DRUG")
    env.queue.decide(case_id, "remove_global", reviewer="staff:1", reason_code="C-DRUG")
    with pytest.raises(ModerationPolicyError):
        env.queue.file_appeal(case_id, appellant_ref=OTHER)
    appeal = env.queue.file_appeal(case_id, appellant_ref=OWNER)
    with pytest.raises(ModerationPolicyError):
        env.queue.decide_appeal(appeal.appeal_id, "upheld", reviewer="staff:1", reason_code="C-DRUG")
    upheld = env.queue.decide_appeal(appeal.appeal_id, "upheld", reviewer="staff:2", reason_code="C-DRUG")
    assert upheld.restored_at is None
    assert env.queue.get(case_id).state is CaseState.APPEAL_DECIDED
    assert env.platform.visibility("vid:102").removed


def test_rkn_order_after_upheld_appeal_restores(env: QueueEnv) -> None:
    """An RKN order to reverse a measure restores content after an upheld appeal (SN-7)."""
    case_id = _open_held(env, "vid:103")
    env.queue.claim(case_id, reviewer="staff:1")
    env.queue.decide(case_id, "age_gate_18", reviewer="staff:1", reason_code="C-SUIC")
    assert env.platform.visibility("vid:103").age_gated
    appeal = env.queue.file_appeal(case_id, appellant_ref=OWNER)
    env.queue.decide_appeal(appeal.appeal_id, "upheld", reviewer="staff:2", reason_code="C-SUIC")
    env.queue.record_rkn_appeal(appeal.appeal_id, rkn_appeal_ref="rkn-appeal-77", actor="svc:desk")
    done = env.queue.record_rkn_order(
        appeal.appeal_id, order_ref="rkn-order-5", reverse=True, actor="svc:desk"
    )
    assert done.rkn_order_ref == "rkn-order-5" and done.rkn_appeal_ref == "rkn-appeal-77"
    assert env.queue.get(case_id).state is CaseState.RESTORED
    assert not env.platform.visibility("vid:103").age_gated


def test_doubtful_case_is_referred_within_24h_and_rkn_decides(env: QueueEnv) -> None:
    """A doubtful item is restricted in Russia and referred to RKN within 24 h of detection (SN-3)."""
    case = env.queue.open_case(
        "vid:104", source="user_report", evidence=[Evidence(EvidenceKind.REPORT, Detector.USER_REPORT)],
        actor="svc:form", reason_code="report", owner_ref=OWNER,
    )  # fmt: skip
    env.clock.advance(timedelta(hours=2))
    env.queue.claim(case.case_id, reviewer="staff:1")
    referred, task = env.queue.refer_to_rkn(case.case_id, reviewer="staff:1", reason_code="doubtful")
    assert referred.state is CaseState.REFERRED
    assert task.kind is TaskKind.DOUBTFUL_REFERRAL and task.due_at == case.detected_at + timedelta(hours=24)
    assert not env.platform.visibility("vid:104").visible_in("RU")
    assert env.sink.tasks[-1].task_id == task.task_id
    decided = env.queue.record_rkn_decision(
        case.case_id, "restrict_ru", rkn_ref="rkn-2025-1", actor="svc:desk", reason_code="C-RIOT"
    )
    assert decided.state is CaseState.USER_NOTIFIED and decided.rkn_decision_ref == "rkn-2025-1"
    assert [t.status for t in env.queue.tasks() if t.task_id == task.task_id] == [TaskStatus.DONE]


def test_sweep_escalates_appeal_once_per_level(env: QueueEnv) -> None:
    """An open appeal escalates at 50 %, 90 % and breach of its 3-day clock, each level once."""
    case_id = _open_held(env, "vid:105")
    env.queue.claim(case_id, reviewer="staff:1")
    env.queue.decide(case_id, "restrict_ru", reviewer="staff:1", reason_code="C-DRUG")
    appeal = env.queue.file_appeal(case_id, appellant_ref=OWNER)
    span = appeal.due_at - appeal.received_at
    levels = []
    for fraction in (0.3, 0.55, 0.56, 0.95, 1.01, 1.5):
        env.clock.set(appeal.received_at + span * fraction)
        levels += [(e.kind, e.level) for e in env.queue.sweep() if e.item_id == appeal.appeal_id]
    assert levels == [("appeal", "50%"), ("appeal", "90%"), ("appeal", "breach")]
    assert env.queue.appeals(case_id)[0].escalation_level == "breach"


def test_sweep_escalates_unactioned_case_until_actioned(env: QueueEnv) -> None:
    """A detected case nobody acted on escalates on its first-action clock; a hold stops it (SN-2)."""
    case = env.queue.open_case(
        "vid:106", source="detector", evidence=[HASH_EVIDENCE], actor="svc:hash", reason_code="C-DRUG",
        owner_ref=OWNER, category="C-DRUG",
    )  # fmt: skip
    assert case.action_due_at == case.detected_at + timedelta(minutes=60)
    env.clock.advance(timedelta(minutes=35))
    mine = [(e.kind, e.level) for e in env.queue.sweep() if e.case_id == case.case_id]
    assert mine == [("case", "50%")]
    env.queue.hold(case.case_id, scope="RU", actor="svc:hash", reason_code="C-DRUG")
    env.clock.advance(timedelta(hours=2))
    assert [e for e in env.queue.sweep() if e.case_id == case.case_id] == []


def test_unknown_ids_and_illegal_steps_raise_and_change_nothing(env: QueueEnv) -> None:
    """Unknown ids raise CaseNotFoundError; an illegal step raises and leaves the case as it was."""
    with pytest.raises(CaseNotFoundError):
        env.queue.claim("mc_" + "0" * 32, reviewer="staff:1")
    with pytest.raises(CaseNotFoundError):
        env.queue.decide_appeal("ap_" + "0" * 32, "upheld", reviewer="staff:1", reason_code="x")
    case_id = _open_held(env, "vid:107")
    before = env.queue.get(case_id)
    audit_before = len(env.audit_records())
    with pytest.raises(IllegalTransitionError) as info:
        env.queue.notify(case_id, actor="staff:1")
    assert "held" in str(info.value) and "notify" in str(info.value)
    assert env.queue.get(case_id) == before
    assert len(env.audit_records()) == audit_before


def test_failing_platform_rolls_back_the_decision(env: QueueEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the platform adapter fails, the decision, history and audit entries are not written."""
    case_id = _open_held(env, "vid:108")
    env.queue.claim(case_id, reviewer="staff:1")
    before, history, audit = env.queue.get(case_id), env.queue.history(case_id), len(env.audit_records())

    def broken(order: object) -> str:
        raise ConnectionError("platform down")

    monkeypatch.setattr(env.platform, "apply", broken)
    from domicile.moderation.actions import PlatformActionError

    with pytest.raises(PlatformActionError):
        env.queue.decide(case_id, "remove_global", reviewer="staff:1", reason_code="C-DRUG")
    assert env.queue.get(case_id) == before
    assert env.queue.history(case_id) == history
    assert len(env.audit_records()) == audit


def test_automatic_action_outside_the_pack_is_refused(env: QueueEnv) -> None:
    """Only automatic actions the pack allows (CSAM hash match) can be taken without a person."""
    case_id = _open_held(env, "vid:109")
    with pytest.raises(ModerationPolicyError):
        env.queue.auto_action(
            case_id,
            rule_id="ru.auto.csam_hash_match",
            actions=[ActionKind.RESTRICT_RU],
            actor="svc",
            reason_code="x",
        )
    with pytest.raises(ModerationPolicyError):
        env.queue.auto_action(
            case_id, rule_id="no.such.rule", actions=[ActionKind.HOLD], actor="svc", reason_code="x"
        )
    assert env.queue.get(case_id).automatic_rule is None
