"""The request workflow and signed decisions.

received -> acknowledged -> triaged -> legal_review -> decided -> executed -> answered -> closed

* intake creates requests already acknowledged (the receipt is immediate, LAND-5);
* a decision can only be signed in ``legal_review``, by a registered representative's key
  (236-FZ art. 5-6; LAND-4: the representative office takes legally significant decisions);
* a rejection has nothing to execute: decided -> answered;
* execution (:mod:`domicile.desk.execution`) needs ``decided``, a passed legal review and a
  verifying signed decision, except the automatic actions the pack allows;
* breach incidents go acknowledged -> triaged -> answered (both notices filed) -> closed.

Reaching a stage meets every clock that stops at it or at an earlier stage. Each step is one
desk transaction with its timeline entry and one RU audit append, guarded by an optimistic
version check (a concurrent change is refused, never overwritten).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domicile.audit import DetailValue
from domicile.core.clock import iso_utc
from domicile.desk.catalog import RequestType
from domicile.desk.deadlines import Deadline
from domicile.desk.errors import DeskInputError, DeskNotFoundError, WorkflowRefusedError
from domicile.desk.models import DecisionKind, RequestKind, RequestView, State
from domicile.desk.sealed import BlobErasedError
from domicile.desk.store import Unit
from domicile.service import check_actor

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = [
    "AnswerReport",
    "answer",
    "assign",
    "close",
    "extend",
    "load_request",
    "start_review",
    "transition",
    "triage",
]

#: The clock stages, in order; reaching one meets the clocks of it and every earlier stage.
STAGES: tuple[str, ...] = ("acknowledged", "decided", "executed", "answered")
_STAGE_OF = {State.ACKNOWLEDGED: 0, State.DECIDED: 1, State.EXECUTED: 2, State.ANSWERED: 3, State.CLOSED: 3}
PACKAGE_KINDS = ("access_package_json", "access_package_doc", "data_package_json", "data_package_doc")


@dataclass(frozen=True)
class AnswerReport:
    """What was answered, to whom (channel), with which outcomes and attachments."""

    request_id: str
    channel: str
    decision: str | None
    outcomes: dict[str, int]
    attachments: tuple[str, ...]
    delivery: str
    answered_at: str


def load_request(desk: Desk, unit: Unit, request_id: str) -> tuple[RequestView, RequestType]:
    """The request (with items and clocks) and its type, inside a unit."""
    req = desk.view_in(unit.store, request_id, with_events=False)
    return req, desk.catalog.type(req.type_id)


def _refuse(req: RequestView, action: str, needed: Iterable[State]) -> WorkflowRefusedError:
    need = " or ".join(s.value for s in needed)
    return WorkflowRefusedError(f"request {req.id} is {req.state}; {action} needs state {need}")


def transition(
    desk: Desk,
    unit: Unit,
    req: RequestView,
    rtype: RequestType,
    to: State,
    *,
    actor: str,
    action: str,
    allowed_from: Sequence[State],
    values: Mapping[str, Any] | None = None,
    details: Mapping[str, DetailValue] | None = None,
    outcome: str = "ok",
) -> list[str]:
    """Move ``req`` to ``to`` (optimistic lock), log the event, meet clocks, audit; returns met clock ids.

    Raises:
        WorkflowRefusedError: the request is not in an allowed state, or changed meanwhile.
    """
    if State(req.state) not in allowed_from:
        raise _refuse(req, action, allowed_from)
    if not unit.store.update_request(req.id, req.version, state=to.value, **dict(values or {})):
        raise WorkflowRefusedError(f"request {req.id} changed concurrently; reload and retry")
    now = desk.now()
    info = dict(details or {})
    unit.store.add_event(req.id, now, actor, action, req.state, to.value, info)
    met: list[str] = []
    stage = _STAGE_OF.get(to)
    if stage is not None:
        for stop in STAGES[: stage + 1]:
            met += unit.store.meet_clocks(req.id, stop, now)
    desk.audit(
        [
            desk.event(
                actor,
                action,
                rtype,
                req.id,
                req.subject_id,
                outcome=outcome,
                from_state=req.state,
                to_state=to.value,
                clocks_met=",".join(met) or None,
                details=info,
            )
        ]
    )
    return met


def triage(
    desk: Desk, request_id: str, *, actor: str, assignee: str | None = None, priority: int | None = None
) -> RequestView:
    """acknowledged -> triaged, optionally assigning a person and a priority (0 highest .. 3)."""
    check_actor(actor)
    if assignee is not None:
        check_actor(assignee)
    if priority is not None and not 0 <= priority <= 3:
        raise DeskInputError("priority must be 0 (highest) .. 3")
    with desk.db.unit() as unit:
        req, rtype = load_request(desk, unit, request_id)
        values: dict[str, Any] = {}
        if assignee is not None:
            values["assignee"] = assignee
        if priority is not None:
            values["priority"] = priority
        transition(
            desk,
            unit,
            req,
            rtype,
            State.TRIAGED,
            actor=actor,
            action="desk.request.triaged",
            allowed_from=(State.ACKNOWLEDGED,),
            values=values,
            details={"assignee": assignee, "priority": priority},
        )
    return desk.get(request_id)


def assign(desk: Desk, request_id: str, assignee: str, *, actor: str) -> RequestView:
    """Assign an open request to a person."""
    check_actor(actor)
    check_actor(assignee)
    with desk.db.unit() as unit:
        req, rtype = load_request(desk, unit, request_id)
        if req.state == State.CLOSED:
            raise WorkflowRefusedError(f"request {req.id} is closed")
        if not unit.store.update_request(req.id, req.version, assignee=assignee):
            raise WorkflowRefusedError(f"request {req.id} changed concurrently; reload and retry")
        unit.store.add_event(req.id, desk.now(), actor, "desk.assign", details={"assignee": assignee})
        desk.audit([desk.event(actor, "desk.assign", rtype, req.id, req.subject_id, assignee=assignee)])
    return desk.get(request_id)


def start_review(desk: Desk, request_id: str, *, actor: str) -> RequestView:
    """triaged -> legal_review (not for incidents)."""
    check_actor(actor)
    with desk.db.unit() as unit:
        req, rtype = load_request(desk, unit, request_id)
        if rtype.kind is RequestKind.INCIDENT:
            raise WorkflowRefusedError("breach incidents have no legal review; file the notices")
        legal = desk.catalog.legal_review_always(rtype.id)
        transition(
            desk,
            unit,
            req,
            rtype,
            State.LEGAL_REVIEW,
            actor=actor,
            action="desk.review.start",
            allowed_from=(State.TRIAGED,),
            details={"legal_review_always": legal},
        )
    return desk.get(request_id)


def extend(desk: Desk, request_id: str, clock_id: str, reasoning: str, *, actor: str) -> Deadline:
    """Extend a clock with a reasoned notice to the requester (once, +5 wd for PD-DSR-1/7).

    Raises:
        ExtensionRefusedError: the rule forbids it (no extension, used up, notice too late).
        WorkflowRefusedError: the request is answered or closed, or the clock was met.
    """
    check_actor(actor)
    if not reasoning.strip() or len(reasoning) > desk.limits.max_text_chars:
        raise DeskInputError(f"the reasoned notice must be 1..{desk.limits.max_text_chars} characters")
    with desk.db.unit() as unit:
        req, rtype = load_request(desk, unit, request_id)
        if req.state in (State.ANSWERED, State.CLOSED):
            raise WorkflowRefusedError(f"request {req.id} is {req.state}; its clocks no longer run")
        clock = next((c for c in req.clocks if c.clock_id == clock_id), None)
        if clock is None:
            raise DeskNotFoundError(f"request {req.id} has no clock {clock_id[:80]!r}")
        if clock.met_at is not None:
            raise WorkflowRefusedError(f"clock {clock_id} of request {req.id} was already met")
        current = desk.deadline(req, clock, unit.store)
        now = desk.clock.now()
        extended = desk.engine.extend(current, notice_sent_at=now)
        days = extended.evidence.extensions[-1].working_days
        ref = desk.sealed.put(
            unit, "extension_notice", reasoning.encode("utf-8"), {"clock": clock_id}, req.id
        )
        notice = _answer_for(desk, unit, req, rtype, None, kind="extension_notice", text=reasoning)
        receipt = desk.adapter.deliver_answer(notice)
        exts = [[a, b] for a, b in unit.store.clock_extensions(req.id, clock_id)] + [[desk.now(), days]]
        due = iso_utc(extended.due_at)
        unit.store.update_clock(req.id, clock_id, due_at=due, extensions=exts)
        if clock_id == req.primary_clock and not unit.store.update_request(req.id, req.version, due_at=due):
            raise WorkflowRefusedError(f"request {req.id} changed concurrently; reload and retry")
        info: dict[str, DetailValue] = {
            "clock": clock_id,
            "working_days": days,
            "notice": ref,
            "delivery": receipt.status.value,
        }
        unit.store.add_event(req.id, desk.now(), actor, "desk.clock.extended", details=info)
        desk.audit([desk.event(actor, "desk.clock.extended", rtype, req.id, req.subject_id, details=info)])
    return extended


def _contact(desk: Desk, unit: Unit, req: RequestView) -> str | None:
    if req.dossier_ref is None:
        return None
    try:
        body = desk.sealed.get(unit.store, req.dossier_ref).json()
    except BlobErasedError:
        return None
    requester = body.get("requester") or {}
    value = requester.get("email") or requester.get("address")
    return str(value) if value else None


def _answer_for(
    desk: Desk,
    unit: Unit,
    req: RequestView,
    rtype: RequestType,
    decision: Mapping[str, Any] | None,
    *,
    kind: str,
    text: str,
) -> Any:
    from domicile.desk.adapter import Answer

    outcomes = dict(Counter(i.outcome for i in unit.store.items(req.id) if i.outcome))
    attachments = tuple(ref for k in PACKAGE_KINDS for ref in desk.sealed.refs_of(unit.store, req.id, k))
    return Answer(
        request_id=req.id,
        type_id=rtype.id,
        channel=req.channel,
        authority_type=req.authority_type,
        decision=str(decision["decision"]) if decision else None,
        legal_basis=str(decision["legal_basis"]) if decision else rtype.cite(),
        outcomes=outcomes,
        attachments=attachments if kind == "answer" else (),
        text_ru=text,
        kind=kind,
        contact=_contact(desk, unit, req),
    )


_DECISION_RU = {"approve": "удовлетворено", "partial": "удовлетворено частично", "reject": "отказано"}


def answer(desk: Desk, request_id: str, *, actor: str) -> AnswerReport:
    """Deliver the answer: executed -> answered, or decided -> answered for a rejection.

    Raises:
        WorkflowRefusedError: nothing decided or executed yet, or an incident (file notices instead).
    """
    check_actor(actor)
    with desk.db.unit() as unit:
        req, rtype = load_request(desk, unit, request_id)
        if rtype.kind is RequestKind.INCIDENT:
            raise WorkflowRefusedError("breach incidents are answered by filing both notices to RKN")
        decision = unit.store.last_decision_row(req.id)
        rejected = decision is not None and decision["decision"] == DecisionKind.REJECT.value
        allowed = (State.EXECUTED, State.DECIDED) if rejected else (State.EXECUTED,)
        if State(req.state) not in allowed:
            raise _refuse(req, "answering", allowed)
        verdict = _DECISION_RU.get(str(decision["decision"]), "") if decision else "исполнено автоматически"
        text = f"Обращение {req.id} ({rtype.title_ru}): {verdict}. Правовое основание: " + (
            str(decision["legal_basis"]) if decision else rtype.cite()
        )
        if rejected:  # TR-2: every item reaches a terminal outcome, here the rejection's verdict
            for item in req.items:
                if item.outcome is None and item.verdict is not None:
                    unit.store.update_item(req.id, item.item_no, outcome=item.verdict)
        ans = _answer_for(desk, unit, req, rtype, decision, kind="answer", text=text)
        receipt = desk.adapter.deliver_answer(ans)
        transition(
            desk,
            unit,
            req,
            rtype,
            State.ANSWERED,
            actor=actor,
            action="desk.answer",
            allowed_from=allowed,
            values={"produced": "none"} if rejected and rtype.kind is RequestKind.USER_DATA else None,
            details={"delivery": receipt.status.value, "attachments": len(ans.attachments)},
        )
        answered_at = desk.now()
    return AnswerReport(
        req.id, req.channel, ans.decision, ans.outcomes, ans.attachments, receipt.status.value, answered_at
    )


def close(desk: Desk, request_id: str, *, actor: str) -> RequestView:
    """answered -> closed (an incident needs both notices filed)."""
    check_actor(actor)
    with desk.db.unit() as unit:
        req, rtype = load_request(desk, unit, request_id)
        transition(
            desk,
            unit,
            req,
            rtype,
            State.CLOSED,
            actor=actor,
            action="desk.close",
            allowed_from=(State.ANSWERED,),
            values={"closed_at": desk.now()},
        )
    return desk.get(request_id)
