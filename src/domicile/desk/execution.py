"""Execution of signed decisions (and of the automatic actions the pack allows).

Nothing executes without legal review and a signed decision that verifies now (signature,
entry hash, chain link, reasoning digest): the one exception is an automatic action listed in
the pack (e.g. a CSAM hash match, 149-FZ art. 10.6, 15.1; MIN-7), recorded as automatic with its
rule and evidence. Items are actioned one by one and each outcome is stored at once, so a
failure part-way leaves a re-runnable execution (adapters are idempotent; done items are
skipped). The owner of restricted content is told why (SN-6, REG-2).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domicile.audit import AuditEvent, AuditEventError, DetailValue
from domicile.core.errors import SubjectErasedError
from domicile.desk.access import build_package
from domicile.desk.adapter import ActionReceipt, ActionStatus, OwnerNotice
from domicile.desk.catalog import RequestType
from domicile.desk.errors import (
    DecisionIntegrityError,
    DeskInputError,
    DeskNotFoundError,
    WorkflowRefusedError,
)
from domicile.desk.models import (
    Action,
    DecisionKind,
    ItemOutcome,
    ItemView,
    Produced,
    RequestKind,
    RequestView,
    State,
    Verdict,
)
from domicile.desk.sealed import BlobErasedError
from domicile.desk.signing import GENESIS_HASH, reasoning_digest, verify_one
from domicile.desk.store import DeskStore
from domicile.desk.workflow import transition
from domicile.service import check_actor

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = ["ExecutionReport", "ItemResult", "auto_execute", "execute", "verified_decision"]

_DONE_OUTCOME = {
    Action.RESTRICT_IN_COUNTRY: ItemOutcome.RESTRICTED_RU_LOCAL_LAW,
    Action.REMOVE_EVERYWHERE: ItemOutcome.REMOVED_GLOBAL_POLICY,
    Action.REINSTATE: ItemOutcome.REINSTATED,
    Action.REFER_TO_RKN: ItemOutcome.REFERRED_TO_RKN,
}
ITEM_ACTIONS = frozenset(_DONE_OUTCOME)


@dataclass(frozen=True)
class ItemResult:
    """What execution did to one item."""

    item_no: int
    content_id: str | None
    verdict: str
    outcome: str
    status: str  # adapter status, or "skipped" (already done / no action)
    owner_notified: bool


@dataclass(frozen=True)
class ExecutionReport:
    """Evidence of one execution."""

    request_id: str
    action: str
    automatic: bool
    rule: str | None
    decision_seq: int | None
    items: tuple[ItemResult, ...]
    packages: tuple[str, ...]
    vault: str | None
    executed_at: str


def verified_decision(desk: Desk, store: DeskStore, req: RequestView) -> dict[str, Any]:
    """The request's latest decision after re-verifying it.

    Raises:
        WorkflowRefusedError: no legal review recorded, or no signed decision.
        DecisionIntegrityError: the decision's signature, hash, link or reasoning fails.
    """
    if not store.has_event(req.id, "desk.review.start"):
        raise WorkflowRefusedError(f"request {req.id} has no legal review on record; nothing executes")
    row = store.last_decision_row(req.id)
    if row is None:
        raise WorkflowRefusedError(f"request {req.id} has no signed decision; nothing executes")
    seq = int(row["seq"])
    prev_row = store.decision_row(seq - 1) if seq > 1 else None
    if seq > 1 and prev_row is None:
        raise DecisionIntegrityError(f"decision {seq}: the previous decision is missing from the chain")
    prev = str(prev_row["entry_hash"]) if prev_row else GENESIS_HASH
    key = store.signer(str(row["key_id"]))
    problem = verify_one(row, str(key["public_key"]) if key else None, prev)
    if problem is None and row.get("reasoning_ref"):
        try:
            text = desk.sealed.get(store, str(row["reasoning_ref"])).data.decode("utf-8")
        except (BlobErasedError, DeskNotFoundError):
            text = None
        if text is not None and reasoning_digest(text) != row["reasoning_sha256"]:
            problem = "reasoning text does not match its signed digest"
    if problem is not None:
        raise DecisionIntegrityError(f"decision {seq} of request {req.id} fails verification: {problem}")
    return row


def _guard(req: RequestView) -> None:
    state = State(req.state)
    if state in (State.RECEIVED, State.ACKNOWLEDGED, State.TRIAGED):
        raise WorkflowRefusedError(
            f"request {req.id} is {state.value}: execution needs legal review and a signed decision"
        )
    if state is State.LEGAL_REVIEW:
        raise WorkflowRefusedError(f"request {req.id} is in legal review: no signed decision yet")
    if state is not State.DECIDED:
        raise WorkflowRefusedError(f"request {req.id} is {state.value}: already executed")


def execute(desk: Desk, request_id: str, *, actor: str) -> ExecutionReport:
    """Execute the request's signed decision; decided -> executed.

    Raises:
        WorkflowRefusedError: not decided, no legal review, no signed decision, or a rejection.
        DecisionIntegrityError: the decision fails verification.
    """
    check_actor(actor)
    with desk.db.read() as store:
        req = desk.view_in(store, request_id, with_events=False)
        _guard(req)
        row = verified_decision(desk, store, req)
    if row["decision"] == DecisionKind.REJECT.value:
        raise WorkflowRefusedError(f"request {req.id} was rejected: nothing to execute; answer it")
    fields = tuple(json.loads(row["fields"]))
    return _run(
        desk,
        req,
        Action(row["action"]),
        actor=actor,
        fields=fields,
        decision=row,
        rule=None,
        evidence={},
        partial=row["decision"] == DecisionKind.PARTIAL.value,
    )


def auto_execute(
    desk: Desk,
    request_id: str,
    rule_id: str,
    *,
    trigger: str,
    actor: str,
    evidence: Mapping[str, DetailValue],
) -> ExecutionReport:
    """Execute an automatic action the pack allows, without a signed decision (recorded as such).

    Raises:
        WorkflowRefusedError: the pack allows no such action for this request, trigger or state.
    """
    check_actor(actor)
    try:  # the evidence goes to the audit log: check it before anything is done
        AuditEvent(actor, "desk.execute.auto", "desk.detection", "automatic", details=dict(evidence))
    except AuditEventError as exc:
        raise DeskInputError(f"evidence is not audit-safe: {exc.message}") from None
    rule = desk.catalog.automatic_action(rule_id)
    if rule is None:
        raise WorkflowRefusedError(f"the pack allows no automatic action {rule_id[:64]!r}")
    req = desk.get(request_id, with_events=False)
    if req.type_id != rule.request_type or trigger != rule.trigger:
        raise WorkflowRefusedError(
            f"automatic action {rule.id} applies to {rule.request_type} on trigger {rule.trigger} only"
        )
    if desk.catalog.legal_review_always(req.type_id):
        raise WorkflowRefusedError(f"requests of type {req.type_id} always need legal review")
    if State(req.state) not in (State.ACKNOWLEDGED, State.TRIAGED):
        raise WorkflowRefusedError(f"request {req.id} is {req.state}; automatic actions run before review")
    return _run(
        desk, req, rule.action, actor=actor, fields=(), decision=None, rule=rule.id, evidence=evidence
    )


def _item_action(desk: Desk, action: Action, item: ItemView, reference: str) -> ActionReceipt | None:
    if item.content_id is None:
        return None
    if action is Action.RESTRICT_IN_COUNTRY or action is Action.REFER_TO_RKN:
        return desk.adapter.restrict_in_country(item.content_id, "RU", reference=reference)
    if action is Action.REMOVE_EVERYWHERE:
        return desk.adapter.remove_everywhere(item.content_id, reference=reference)
    return desk.adapter.reinstate(item.content_id, "RU", reference=reference)


def _items(
    desk: Desk, req: RequestView, rtype: RequestType, action: Action, verdicts: Mapping[int, str]
) -> list[ItemResult]:
    results = []
    with desk.db.read() as store:
        items = store.items(req.id)
    for item in items:
        verdict = verdicts.get(item.item_no, Verdict.ACT.value)
        if item.outcome is not None:
            results.append(ItemResult(item.item_no, item.content_id, verdict, item.outcome, "skipped", False))
            continue
        notified = False
        if verdict != Verdict.ACT.value:
            outcome, status = ItemOutcome(verdict), "skipped"
        else:
            receipt = _item_action(desk, action, item, req.id)
            status = receipt.status.value if receipt else ActionStatus.NOT_FOUND.value
            if receipt is None or receipt.status is ActionStatus.NOT_FOUND:
                outcome = ItemOutcome.NOT_FOUND
            elif receipt.status is ActionStatus.ALREADY and action is not Action.REINSTATE:
                outcome = ItemOutcome.ALREADY_REMOVED
            else:
                outcome = _DONE_OUTCOME[action]
            if receipt is not None and receipt.status is ActionStatus.DONE and item.content_id:
                note = OwnerNotice(req.id, item.content_id, action.value, req.category, rtype.cite())
                notified = desk.adapter.notify_owner(note).status is not ActionStatus.NOT_FOUND
        with desk.db.unit() as unit:
            unit.store.update_item(
                req.id, item.item_no, outcome=outcome.value, actioned_at=desk.now(), verdict=verdict
            )
        results.append(ItemResult(item.item_no, item.content_id, verdict, outcome.value, status, notified))
    return results


def _vault(desk: Desk, req: RequestView, action: Action, actor: str) -> str | None:
    if req.subject_id is None:
        return None
    if action is Action.ERASE:
        try:
            desk.dom.erase(req.subject_id, actor=actor, reason="dsr-erasure")
        except SubjectErasedError:
            return "already-erased"
        return "erased"
    if action is Action.RECTIFY:
        body = desk.read_dossier(req.id, actor=actor, purpose="desk.dsr-rectify")
        corrections = dict(body.get("corrections") or {})
        desk.dom.patch(req.subject_id, corrections, actor=actor, purpose="desk.dsr-rectify")
        return "patched:" + ",".join(sorted(corrections))
    if action is Action.STOP_PROCESSING:
        return "stop:" + desk.adapter.stop_processing(req.subject_id, reference=req.id).status.value
    return None


def _run(
    desk: Desk,
    req: RequestView,
    action: Action,
    *,
    actor: str,
    fields: Sequence[str],
    decision: Mapping[str, Any] | None,
    rule: str | None,
    evidence: Mapping[str, DetailValue],
    partial: bool = False,
) -> ExecutionReport:
    rtype = desk.catalog.type(req.type_id)
    verdicts: dict[int, str] = {}
    if decision is not None:
        verdicts = {int(n): str(v) for n, v in json_items(decision)}
    results = _items(desk, req, rtype, action, verdicts) if action in ITEM_ACTIONS else []
    vault = _vault(desk, req, action, actor)
    package = None
    if action in (Action.ACCESS_PACKAGE, Action.PRODUCE_DATA) and req.subject_id:
        kind = "access" if action is Action.ACCESS_PACKAGE else "data"
        package = build_package(
            desk,
            request_id=req.id,
            subject_id=req.subject_id,
            fields=fields,
            kind=kind,
            actor=actor,
            purpose="desk.dsr-access" if kind == "access" else "desk.le-request",
        )
    with desk.db.unit() as unit:
        current = desk.view_in(unit.store, req.id, with_events=False)
        refs: list[str] = []
        if package is not None:
            refs.append(
                desk.sealed.put(
                    unit,
                    f"{package.kind}_package_json",
                    package.json_bytes,
                    {"media_type": "application/json"},
                    req.id,
                )
            )
            refs.append(
                desk.sealed.put(
                    unit,
                    f"{package.kind}_package_doc",
                    package.document,
                    {"media_type": "text/html; charset=utf-8"},
                    req.id,
                )
            )
        values: dict[str, Any] = {}
        if rule is not None:
            values["auto_rule"] = rule
        if rtype.kind is RequestKind.USER_DATA:
            values["produced"] = (Produced.PARTIAL if partial or fields else Produced.FULL).value
        counts = Counter(r.outcome for r in results)
        details: dict[str, DetailValue] = {
            "act": action.value,
            "items": len(results),
            "actioned": sum(counts[o.value] for o in _DONE_OUTCOME.values()),
            "packages": len(refs),
            "vault": vault,
        }
        if decision is not None:
            details["seq"] = int(decision["seq"])
        if rule is not None:
            details.update({"rule": rule, **{k: v for k, v in evidence.items() if k not in details}})
        allowed = (State.ACKNOWLEDGED, State.TRIAGED) if rule else (State.DECIDED,)
        transition(
            desk,
            unit,
            current,
            rtype,
            State.EXECUTED,
            actor=actor,
            action="desk.execute.auto" if rule else "desk.execute",
            allowed_from=allowed,
            values=values,
            details=details,
            outcome="automatic" if rule else "ok",
        )
        executed_at = desk.now()
    return ExecutionReport(
        req.id,
        action.value,
        rule is not None,
        rule,
        int(decision["seq"]) if decision else None,
        tuple(results),
        tuple(refs),
        vault,
        executed_at,
    )


def json_items(decision: Mapping[str, Any]) -> list[tuple[int, str]]:
    """The per-item verdicts of a stored decision row."""
    return [(int(n), str(v)) for n, v in json.loads(decision["items"])]
