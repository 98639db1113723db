"""The request workflow: lifecycle, signed decisions, refusals, execution through the adapter and vault."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from desk_kit import DeskKit

from domicile.audit import verify_chain
from domicile.core.errors import SubjectErasedError
from domicile.desk.deadline_errors import ExtensionRefusedError
from domicile.desk.decisions import DecisionInput
from domicile.desk.errors import DecisionIntegrityError, DeskInputError, SignerKeyError, WorkflowRefusedError
from domicile.desk.intake import Submission
from domicile.desk.models import State
from domicile.desk.schema import desk_decisions, desk_requests
from domicile.desk.workflow import load_request, transition
from domicile.residency.resolver import Signals
from domicile.testing import MemoryCell

BASIS = "149-FZ art. 15.1"
REASONING = "Страница включена в Единый реестр; решение уполномоченного органа проверено."


def _takedown(kit: DeskKit, *urls: str) -> str:
    for n, url in enumerate(urls):
        kit.adapter.add_content(f"c{n}", f"acc{n}", url)
    r = kit.desk.submit(
        Submission(
            type="register_takedown",
            authority_type="rkn",
            registry_entry_no="720681-РИ",
            items=tuple({"url": u} for u in (*urls, "https://example.app/v/gone")),
        ),
        channel="api",
        actor="svc:rkn-bridge",
    )
    return r.request_id


def _to_review(kit: DeskKit, rid: str) -> None:
    kit.desk.triage(rid, actor="staff:lia-1", assignee="staff:lia-2")
    kit.desk.start_review(rid, actor="staff:lia-2")


def _audit(kit: DeskKit) -> list[Any]:
    with kit.desk.cell.session() as s:
        return list(s.audit.iter_records())


def test_full_lifecycle_restricts_in_russia_only(any_kit: DeskKit) -> None:
    """A register notice goes received..closed; restricted in RU only, owner told, audit intact (REG-2)."""
    kit, desk = any_kit, any_kit.desk
    rid = _takedown(kit, "https://example.app/v/1")
    assert desk.get(rid).state == State.ACKNOWLEDGED
    _to_review(kit, rid)
    signed = desk.decide(rid, DecisionInput("approve", BASIS, REASONING), actor="rep:office-1")
    assert signed.seq == 1 and signed.action == "restrict_in_country"
    report = desk.execute(rid, actor="staff:lia-2")
    assert [i.outcome for i in report.items] == ["restricted_ru_local_law", "not_found"]
    assert not kit.adapter.visible("c0", "RU") and kit.adapter.visible("c0", "DE")
    notice = kit.adapter.owner_notices[0]
    assert notice["owner"] == "acc0" and notice["legal_basis"].startswith("149-FZ art. 15.1")
    answer = desk.answer(rid, actor="staff:lia-2")
    assert answer.outcomes == {"restricted_ru_local_law": 1, "not_found": 1}
    view = desk.close(rid, actor="staff:lia-2")
    assert view.state == State.CLOSED and view.closed_at is not None
    assert all(c.met_at is not None for c in view.clocks)
    states = [e.to_state for e in desk.get(rid).events if e.to_state]
    assert states == [
        "received",
        "acknowledged",
        "triaged",
        "legal_review",
        "decided",
        "executed",
        "answered",
        "closed",
    ]
    records = _audit(kit)
    assert {"desk.request.received", "desk.decision.sign", "desk.execute", "desk.close"} <= {
        r.action for r in records
    }
    cell = kit.desk.cell
    assert isinstance(cell, MemoryCell)
    assert verify_chain(cell.audit, "ru-msk-1", cell.keys.audit_key()).ok
    assert desk.verify().ok


def test_execute_refused_without_legal_review_and_signed_decision(kit: DeskKit) -> None:
    """Execution is refused before legal review, in review without a decision, and with none on file."""
    desk = kit.desk
    rid = _takedown(kit, "https://example.app/v/1")
    with pytest.raises(WorkflowRefusedError, match="legal review and a signed decision"):
        desk.execute(rid, actor="staff:x")
    desk.triage(rid, actor="staff:x")
    with pytest.raises(WorkflowRefusedError, match="legal review"):
        desk.execute(rid, actor="staff:x")
    with pytest.raises(WorkflowRefusedError, match="after legal review"):
        desk.decide(rid, DecisionInput("approve", BASIS, REASONING), actor="rep:office-1")
    desk.start_review(rid, actor="staff:x")
    with pytest.raises(WorkflowRefusedError, match="no signed decision"):
        desk.execute(rid, actor="staff:x")
    with desk.db.unit() as unit:  # force the state past the decision without signing one
        unit.conn.execute(desk_requests.update().where(desk_requests.c.id == rid).values(state="decided"))
    with pytest.raises(WorkflowRefusedError, match="no signed decision"):
        desk.execute(rid, actor="staff:x")
    other = _takedown(kit, "https://example.app/v/9")
    with desk.db.unit() as unit:  # decided without any legal review on record
        unit.conn.execute(desk_requests.update().where(desk_requests.c.id == other).values(state="decided"))
    with pytest.raises(WorkflowRefusedError, match="no legal review on record"):
        desk.execute(other, actor="staff:x")
    assert kit.adapter.calls == 0 and kit.adapter.visible("c0", "RU")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("legal_basis", "149-FZ art. 15.3"),
        ("decision", "reject"),
        ("items", '[[1,"act"]]'),
        ("signature", "00" * 64),
        ("decided_at", "2025-03-03T08:00:00.000000Z"),
    ],
)
def test_altered_decision_fails_verification_and_execution(kit: DeskKit, column: str, value: str) -> None:
    """A decision whose content or signature was altered fails verification and is never executed."""
    desk = kit.desk
    rid = _takedown(kit, "https://example.app/v/1")
    _to_review(kit, rid)
    desk.decide(rid, DecisionInput("approve", BASIS, REASONING), actor="rep:office-1")
    with desk.db.unit() as unit:
        unit.conn.execute(desk_decisions.update().where(desk_decisions.c.seq == 1).values({column: value}))
    result = desk.verify()
    assert not result.ok and result.decisions.first_bad_seq == 1 and result.decisions.first_bad_request == rid
    with pytest.raises(DecisionIntegrityError, match="fails verification"):
        desk.execute(rid, actor="staff:x")
    assert kit.adapter.calls == 0


def test_swapped_reasoning_text_is_detected(kit: DeskKit) -> None:
    """Pointing a decision at another sealed text breaks the reasoning digest check."""
    desk = kit.desk
    rid = _takedown(kit, "https://example.app/v/1")
    _to_review(kit, rid)
    desk.decide(rid, DecisionInput("approve", BASIS, REASONING), actor="rep:office-1")
    with desk.db.unit() as unit:
        other = desk.sealed.put(unit, "reasoning", "Другой текст".encode(), {}, rid)
        unit.conn.execute(desk_decisions.update().values(reasoning_ref=other))
    result = desk.verify()
    assert result.decisions.problem == "reasoning text does not match its signed digest"
    with pytest.raises(DecisionIntegrityError):
        desk.execute(rid, actor="staff:x")


def test_unregistered_or_missing_key_cannot_sign(kit: DeskKit, tmp_path: Any) -> None:
    """Only a registered representative key signs; without a key nothing is decided."""
    from domicile.desk.signing import Signer

    desk = kit.desk
    rid = _takedown(kit, "https://example.app/v/1")
    _to_review(kit, rid)
    stranger = Signer.create(tmp_path / "other.json", "rep:other")
    with pytest.raises(SignerKeyError, match="not registered"):
        desk.decide(rid, DecisionInput("approve", BASIS, REASONING), actor="x", signer=stranger)
    desk.signer = None
    with pytest.raises(SignerKeyError, match="no representative key"):
        desk.decide(rid, DecisionInput("approve", BASIS, REASONING), actor="x")
    assert desk.get(rid).state == State.LEGAL_REVIEW


def test_reject_skips_execution_and_closes_items(kit: DeskKit) -> None:
    """A rejection executes nothing, is answered directly, and gives each item its verdict (TR-2)."""
    desk = kit.desk
    rid = _takedown(kit, "https://example.app/v/1")
    _to_review(kit, rid)
    desk.decide(
        rid,
        DecisionInput(
            "reject", "149-FZ art. 15.1", "Нет решения органа", reject_verdict="rejected_invalid_process"
        ),
        actor="rep:office-1",
    )
    with pytest.raises(WorkflowRefusedError, match="nothing to execute"):
        desk.execute(rid, actor="staff:x")
    rep = desk.answer(rid, actor="staff:x")
    assert rep.decision == "reject" and rep.outcomes == {"rejected_invalid_process": 2}
    assert kit.adapter.visible("c0", "RU")


def test_partial_decision_and_global_removal(kit: DeskKit) -> None:
    """A partial decision acts on the chosen items only; remove_everywhere hides content in every country."""
    desk = kit.desk
    rid = _takedown(kit, "https://example.app/v/1", "https://example.app/v/2")
    _to_review(kit, rid)
    with pytest.raises(DeskInputError, match="each item"):
        desk.decide(rid, DecisionInput("partial", BASIS, REASONING, items={1: "act"}), actor="rep:office-1")
    desk.decide(
        rid,
        DecisionInput(
            "partial",
            BASIS,
            REASONING,
            action="remove_everywhere",
            items={1: "act", 2: "no_action_lawful", 3: "insufficient_information"},
        ),
        actor="rep:office-1",
    )
    rep = desk.execute(rid, actor="staff:x")
    assert [i.outcome for i in rep.items] == [
        "removed_global_policy",
        "no_action_lawful",
        "insufficient_information",
    ]
    assert not kit.adapter.visible("c0", "RU") and not kit.adapter.visible("c0", "DE")
    assert kit.adapter.visible("c1", "RU")


def test_automatic_csam_action_is_recorded_as_automatic(kit: DeskKit) -> None:
    """A CSAM hash match is removed without a signed decision, recorded with its pack rule (MIN-7)."""
    desk = kit.desk
    kit.adapter.add_content("c-csam", "acc9", "https://example.app/v/x")
    rid = desk.submit(
        Submission(type="csam_detection", authority_type="internal", items=({"content_id": "c-csam"},)),
        channel="internal",
        actor="svc:moderation",
    ).request_id
    with pytest.raises(WorkflowRefusedError, match="trigger"):
        desk.auto_execute(rid, "ru.auto.csam_hash_match", trigger="classifier", actor="svc:moderation")
    with pytest.raises(WorkflowRefusedError, match="allows no automatic action"):
        desk.auto_execute(rid, "ru.auto.anything", trigger="hash_match", actor="svc:moderation")
    with pytest.raises(DeskInputError, match="audit-safe"):
        desk.auto_execute(
            rid,
            "ru.auto.csam_hash_match",
            trigger="hash_match",
            actor="svc:moderation",
            evidence={"note": "a b"},
        )
    assert kit.adapter.visible("c-csam", "DE")
    rep = desk.auto_execute(
        rid,
        "ru.auto.csam_hash_match",
        trigger="hash_match",
        actor="svc:moderation",
        evidence={"bank": "csam-rkn", "distance": 4},
    )
    assert rep.automatic and rep.rule == "ru.auto.csam_hash_match" and rep.decision_seq is None
    assert not kit.adapter.visible("c-csam", "DE")
    view = desk.get(rid)
    assert view.state == State.EXECUTED and view.auto_rule == "ru.auto.csam_hash_match"
    auto = [r for r in _audit(kit) if r.action == "desk.execute.auto"]
    assert auto[0].outcome == "automatic" and auto[0].details["distance"] == 4
    other = _takedown(kit, "https://example.app/v/1")
    with pytest.raises(WorkflowRefusedError):
        desk.auto_execute(other, "ru.auto.csam_hash_match", trigger="hash_match", actor="svc:moderation")


def _ru_subject(kit: DeskKit, email: str = "olga@example.ru") -> str:
    res = kit.dom.put(
        {"given_name": "Ольга", "family_name": "Смирнова", "email": email, "phone": "+79161234567"},
        Signals(citizenship=("RU",)),
        actor="svc:signup",
        purpose="registration",
    )
    assert res.cell == "ru-msk-1"
    return res.subject_id


def _dsr(kit: DeskKit, type_id: str, subject: str, **extra: Any) -> str:
    body = {
        "type": type_id,
        "authority_type": "subject",
        "subject_id": subject,
        "requester": {"email": "olga@example.ru"},
        **extra,
    }
    return kit.desk.submit(Submission.model_validate(body), channel="api", actor="svc:app").request_id


def test_access_package_is_built_in_the_ru_cell(kit: DeskKit) -> None:
    """An access request yields JSON + a Russian HTML document of the subject's own data only (PD-DSR-1)."""
    desk = kit.desk
    sid = _ru_subject(kit)
    _ru_subject(kit, "someone.else@example.ru")
    rid = _dsr(kit, "dsr_access", sid)
    _to_review(kit, rid)
    desk.decide(
        rid, DecisionInput("approve", "152-FZ art. 14 part 7", "Личность подтверждена"), actor="rep:office-1"
    )
    rep = desk.execute(rid, actor="staff:dpo")
    assert len(rep.packages) == 2
    with desk.db.read() as store:
        package = desk.sealed.get(store, rep.packages[0]).json()
        doc = desk.sealed.get(store, rep.packages[1]).data.decode()
    assert package["data"]["email"] == "olga@example.ru" and package["storage"]["country"] == "RU"
    assert "someone.else" not in json.dumps(package, ensure_ascii=False)
    assert "Сведения об обработке персональных данных" in doc and "Смирнова" in doc
    answer = desk.answer(rid, actor="staff:dpo")
    assert set(answer.attachments) == set(rep.packages)
    assert kit.adapter.answers[-1]["has_contact"] is True


def test_erase_and_rectify_go_through_the_vault(kit: DeskKit) -> None:
    """Erasure crypto-shreds the subject in the vault; rectification patches it (PD-DSR-5, PD-DSR-6)."""
    desk = kit.desk
    sid = _ru_subject(kit)
    fix = _dsr(kit, "dsr_rectify", sid, corrections={"email": "olga.new@example.ru"})
    _to_review(kit, fix)
    desk.decide(
        fix, DecisionInput("approve", "152-FZ art. 20 part 3", "Данные уточнены"), actor="rep:office-1"
    )
    assert desk.execute(fix, actor="staff:dpo").vault == "patched:email"
    assert (
        kit.dom.get(sid, ["email"], actor="t", purpose="test.read").values["email"] == "olga.new@example.ru"
    )
    erase = _dsr(kit, "dsr_erase", sid)
    _to_review(kit, erase)
    desk.decide(erase, DecisionInput("approve", "152-FZ art. 21", "Основания отпали"), actor="rep:office-1")
    assert desk.execute(erase, actor="staff:dpo").vault == "erased"
    with pytest.raises(SubjectErasedError):
        kit.dom.get(sid, actor="t", purpose="test.read")


def test_user_data_request_partial_fields(kit: DeskKit) -> None:
    """A law-enforcement request is always reviewed; a partial grant produces only the named fields (TR-3)."""
    desk = kit.desk
    sid = _ru_subject(kit)
    body = {"type": "le_data", "authority_type": "mvd", "subject_id": sid, "decision_no": "12/3-456"}
    rid = desk.submit(Submission.model_validate(body), channel="api", actor="svc:le-portal").request_id
    _to_review(kit, rid)
    assert desk.get(rid).events[-1].details["legal_review_always"] is True
    desk.decide(
        rid,
        DecisionInput("partial", "UPK RF art. 21", "Только контакт", fields=("email",)),
        actor="rep:office-1",
    )
    rep = desk.execute(rid, actor="staff:lia")
    with desk.db.read() as store:
        package = desk.sealed.get(store, rep.packages[0]).json()
    assert set(package["data"]) == {"email"}
    assert desk.get(rid).produced == "partial"


def test_extension_once_with_reasoned_notice(kit: DeskKit) -> None:
    """An access request's clock extends once by 5 working days with a notice to the requester (PD-DSR-1)."""
    desk = kit.desk
    rid = _dsr(kit, "dsr_access", _ru_subject(kit))
    before = desk.get(rid).due_at
    d = desk.extend(rid, "pd.dsr.access", "Требуется дополнительная проверка личности", actor="staff:dpo")
    assert d.extensions_used == 1 and desk.get(rid).due_at > before
    # received Mon 3 Mar 2025: 10 wd end Mon 17 Mar; +5 wd: 18, 19, 20, 21, 24 Mar
    assert d.due_at_moscow.date().isoformat() == "2025-03-24"
    assert kit.adapter.answers[-1]["kind"] == "extension_notice"
    with pytest.raises(ExtensionRefusedError):
        desk.extend(rid, "pd.dsr.access", "ещё раз", actor="staff:dpo")
    other = _takedown(kit, "https://example.app/v/1")
    with pytest.raises(ExtensionRefusedError):
        desk.extend(other, "reg.takedown.remove", "нельзя", actor="staff:dpo")


def test_stale_state_is_refused(kit: DeskKit) -> None:
    """A transition from a stale view (another step happened meanwhile) is refused, never overwritten."""
    desk = kit.desk
    rid = _takedown(kit, "https://example.app/v/1")
    with desk.db.unit() as unit:
        stale, rtype = load_request(desk, unit, rid)
    desk.triage(rid, actor="staff:x")
    with pytest.raises(WorkflowRefusedError, match="changed concurrently"), desk.db.unit() as unit:
        transition(
            desk, unit, stale, rtype, State.TRIAGED, actor="x", action="t", allowed_from=(State.ACKNOWLEDGED,)
        )
    with desk.db.read() as store:
        n = store.conn.execute(sa.select(sa.func.count()).select_from(desk_requests)).scalar()
    assert n == 1 and desk.get(rid).state == State.TRIAGED
