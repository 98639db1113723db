"""Internal steps shared by the review queue's operations (one transition, one action, one notice...).

Kept apart from :mod:`.service` so each module stays small; :class:`CaseOps` holds the
collaborators and the helpers, :class:`~.service.ReviewQueue` the public operations.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from domicile.audit import AuditEvent, DetailValue
from domicile.core.clock import Clock
from domicile.desk.deadlines import DeadlineEngine
from domicile.moderation.actions.errors import (
    CaseNotFoundError,
    ModerationInputError,
    ModerationPolicyError,
    PlatformActionError,
)
from domicile.moderation.actions.model import (
    ActionKind,
    ActionOrder,
    ActionReceipt,
    GeoScope,
    NoticeKind,
    UserNotice,
    check_aware,
    check_code,
    check_ref,
    new_id,
)
from domicile.moderation.actions.platform import ContentActions, PreviewSource, UserNotifier
from domicile.moderation.actions.tasks import TaskKind, TaskRequest, TaskSink
from domicile.moderation.queue import machine
from domicile.moderation.queue.escalation import EscalationHandler
from domicile.moderation.queue.machine import Event
from domicile.moderation.queue.model import (
    AccountFlag,
    Appeal,
    Case,
    CaseSource,
    CaseState,
    Evidence,
    HotlineDraft,
    NoticeRecord,
    Outcome,
    PreservationRecord,
    TaskRecord,
    TaskStatus,
    Transition,
)
from domicile.moderation.queue.policy import APPEAL_CLOCK, CSAM_CATEGORY, AutomaticRule, QueuePolicy
from domicile.moderation.queue.space import ModerationSpace, ModerationUnit

__all__ = ["PURPOSE", "CaseOps", "enum_value"]

PURPOSE = "moderation"
#: ``external_ref`` of a task a sink accepted without giving a reference of its own.
HANDED_OVER = "handed-over"
log = logging.getLogger(__name__)
E = TypeVar("E", bound=StrEnum)
_OUTCOME_ACTION = {
    Outcome.RESTRICT_RU: (ActionKind.RESTRICT_RU, GeoScope.RU),
    Outcome.REMOVE_GLOBAL: (ActionKind.REMOVE_GLOBAL, GeoScope.GLOBAL),
    Outcome.AGE_GATE: (ActionKind.AGE_GATE_18, GeoScope.GLOBAL),
}


def enum_value(cls: type[E], value: object, name: str) -> E:
    """``cls(value)``, or a :class:`ModerationInputError` listing the allowed values."""
    if isinstance(value, cls):
        return value
    try:
        if isinstance(value, str):
            return cls(value)
    except ValueError:
        pass
    allowed = ", ".join(m.value for m in cls)
    raise ModerationInputError(f"{name} must be one of: {allowed}")


class CaseOps:
    """Collaborators of the review queue and the steps its operations are made of.

    Args: see :class:`~.service.ReviewQueue`.
    """

    def __init__(
        self,
        space: ModerationSpace,
        *,
        clock: Clock,
        platform: ContentActions,
        notifier: UserNotifier,
        previews: PreviewSource | None = None,
        deadlines: DeadlineEngine | None = None,
        task_sink: TaskSink | None = None,
        escalation: EscalationHandler | None = None,
        policy: QueuePolicy | None = None,
    ) -> None:
        self.space = space
        self.clock = clock
        self.platform = platform
        self.notifier = notifier
        self.previews = previews
        self._deadlines = deadlines
        self.task_sink = task_sink
        self.escalation = escalation
        self.policy = policy or QueuePolicy()

    @property
    def deadlines(self) -> DeadlineEngine:
        """The deadline engine (default: the RU calendar and clocks, loaded on first use)."""
        if self._deadlines is None:
            from domicile.desk.calendar import load_ru_calendar
            from domicile.desk.clocks import load_ru_clocks

            self._deadlines = DeadlineEngine(load_ru_calendar(), load_ru_clocks())
        return self._deadlines

    def _new_case(
        self, content_ref: str, source: CaseSource | str, evidence: Sequence[Evidence], owner_ref: str | None,
        category: str | None, legal_basis: str | None, detected_at: datetime | None,
    ) -> tuple[Case, list[Evidence]]:  # fmt: skip
        """Validate the parts of a new case and build it (with its first-action deadline)."""
        content_ref = check_ref("content_ref", content_ref)
        source = enum_value(CaseSource, source, "source")
        owner_ref = check_ref("owner_ref", owner_ref, max_len=64) if owner_ref is not None else None
        category = check_code("category", category) if category is not None else None
        legal_basis = self._basis(legal_basis)
        items = self._evidence(evidence)
        at = check_aware("detected_at", detected_at) if detected_at is not None else self.clock.now()
        clock_id = self.policy.clock_for(source, category)
        due = self.deadlines.compute(clock_id, at).due_at
        case = Case(
            new_id("mc"), content_ref, owner_ref, source, category, legal_basis, CaseState.DETECTED,
            at, clock_id, due,
        )  # fmt: skip
        return case, items

    def _open(
        self, u: ModerationUnit, case: Case, items: Sequence[Evidence], actor: str, reason: str
    ) -> Case:
        machine.check(None, Event.OPEN, case_id=case.case_id)
        u.store.insert_case(case)
        u.store.add_evidence(case.case_id, items)
        self._record(u, case, Event.OPEN, actor, reason, {"source": case.source.value})
        for item in items:
            details = {"case_id": case.case_id, **item.audit_details()}
            self._audit(u, actor, "moderation.case.evidence", case.owner_ref, details)
        return case

    def _hold(self, u: ModerationUnit, case: Case, scope: GeoScope, actor: str, reason: str) -> Case:
        changes = {"held_scope": scope, "actioned_at": case.actioned_at or self.clock.now()}
        new = self._record(u, case, Event.HOLD, actor, reason, {"scope": scope.value}, changes)
        self._apply(u, new, actor, [self._order(new, ActionKind.HOLD, scope, reason)])
        return new

    def _check_auto(
        self, rule_id: str, actions: Sequence[ActionKind | str]
    ) -> tuple[AutomaticRule, list[ActionKind]]:
        rule = self.policy.automatic_rules.get(rule_id) if isinstance(rule_id, str) else None
        if rule is None:
            raise ModerationPolicyError(f"no automatic-action rule {rule_id!r} in the pack")
        kinds = [enum_value(ActionKind, a, "action") for a in actions]
        refused = sorted(k.value for k in kinds if k not in rule.actions)
        if refused or not kinds:
            raise ModerationPolicyError(f"rule {rule_id!r} does not allow automatic {refused or 'nothing'}")
        return rule, kinds

    def _auto(
        self,
        u: ModerationUnit,
        case: Case,
        rule: AutomaticRule,
        kinds: Sequence[ActionKind],
        actor: str,
        reason: str,
    ) -> Case:
        now = self.clock.now()
        changes = {
            "automatic_rule": rule.rule_id,
            "actioned_at": case.actioned_at or now,
            "legal_basis": case.legal_basis or rule.legal_basis,
        }
        details: dict[str, DetailValue] = {
            "rule": rule.rule_id,
            "actions": ",".join(k.value for k in kinds),
            "automatic": True,
        }
        new = self._record(u, case, Event.AUTO_ACTION, actor, reason, details, changes)
        orders = [self._order(new, k, GeoScope.GLOBAL, reason, automatic_rule=rule.rule_id) for k in kinds]
        if ActionKind.FLAG_ACCOUNT in kinds and new.owner_ref is not None:
            flag = new.category or reason
            u.store.add_account_flag(AccountFlag(new.owner_ref, flag, new.case_id, now))
            self._audit(
                u, actor, "moderation.account.flag", new.owner_ref, {"case_id": new.case_id, "flag": flag}
            )
        self._apply(u, new, actor, orders)
        return new

    def _preserve(
        self,
        u: ModerationUnit,
        case: Case,
        signals: tuple[tuple[str, str], ...],
        sha256: str | None,
        actor: str,
    ) -> PreservationRecord:
        now = self.clock.now()
        days = self.policy.preservation_days
        record = PreservationRecord(
            new_id("pr"), case.case_id, case.content_ref, case.owner_ref, sha256, signals,
            self.space.location, now, now + timedelta(days=days) if days is not None else None,
        )  # fmt: skip
        u.store.add_preservation(record)
        details = {
            "case_id": case.case_id,
            "preservation_id": record.preservation_id,
            "location": record.storage_location,
        }
        self._audit(u, actor, "moderation.evidence.preserve", case.owner_ref, details)
        return record

    def _draft_hotline(
        self, u: ModerationUnit, case: Case, evidence: Evidence, signals: tuple[tuple[str, str], ...],
        preserved: PreservationRecord, actor: str,
    ) -> HotlineDraft:  # fmt: skip
        draft = HotlineDraft(
            new_id("hd"), case.case_id, "draft", case.category or CSAM_CATEGORY,
            case.legal_basis or "149-FZ art. 10.6, 15.1; CC RF art. 242.1", case.content_ref, case.owner_ref,
            case.detected_at, evidence.bank, evidence.signal_type, evidence.bank_entry_id, evidence.distance,
            signals, preserved.preservation_id, self.clock.now(),
        )  # fmt: skip
        u.store.add_hotline_draft(draft)
        details: dict[str, DetailValue] = {"case_id": case.case_id, "draft_id": draft.draft_id, "sent": False}
        self._audit(u, actor, "moderation.hotline.draft", case.owner_ref, details)
        return draft

    @staticmethod
    def _signals(signals: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        out = []
        for i, pair in enumerate(signals):
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise ModerationInputError(
                    f"upload_signals[{i}] must be a (signal type, hash) pair of strings"
                )
            check_code(f"upload_signals[{i}] signal type", pair[0], max_len=32)
            if not 1 <= len(pair[1]) <= 100_000 or not pair[1].isascii():
                raise ModerationInputError(f"upload_signals[{i}] hash must be 1-100000 ASCII characters")
            out.append((pair[0], pair[1]))
        return tuple(out)

    def _conclude(
        self, u: ModerationUnit, case: Case, event: Event, outcome: Outcome, actor: str, reason_code: str,
        category: str | None, legal_basis: str | None, rkn_ref: str | None,
    ) -> Case:  # fmt: skip
        now = self.clock.now()
        scope = _OUTCOME_ACTION[outcome][1] if outcome in _OUTCOME_ACTION else None
        changes: dict[str, Any] = {
            "outcome": outcome, "geo_scope": scope, "decided_at": now, "decided_by": actor,
            "reason_code": reason_code, "actioned_at": case.actioned_at or now, "held_scope": None,
        }  # fmt: skip
        if category is not None:
            changes["category"] = category
        if legal_basis is not None:
            changes["legal_basis"] = legal_basis
        if rkn_ref is not None:
            changes["rkn_decision_ref"] = rkn_ref
        details: dict[str, DetailValue] = {"outcome": outcome.value, "scope": scope.value if scope else None}
        if rkn_ref is not None:
            details["rkn_ref"] = rkn_ref
        new = self._record(u, case, event, actor, reason_code, details, changes)
        if outcome in _OUTCOME_ACTION:
            kind, kind_scope = _OUTCOME_ACTION[outcome]
            self._apply(u, new, actor, [self._order(new, kind, kind_scope, reason_code)])
            if self.policy.notify_on_decision and new.owner_ref is not None:
                new = self._notify(u, new, actor)
            return new
        new = self._record(u, new, Event.CLOSE, actor, reason_code, {"outcome": outcome.value})
        if case.automatic_rule is not None:
            self._apply(u, new, actor, [self._order(new, ActionKind.RESTORE, GeoScope.GLOBAL, reason_code)])
        elif case.held_scope is not None:
            self._apply(u, new, actor, [self._order(new, ActionKind.RELEASE, case.held_scope, reason_code)])
        return new

    def _notify(self, u: ModerationUnit, case: Case, actor: str) -> Case:
        machine.check(case, Event.NOTIFY)
        assert case.outcome is not None
        notice = self._send(u, case, NoticeKind.RESTRICTION, case.outcome.value, case.geo_scope, actor)
        details = {"notice_id": notice.notice_id, "outcome": case.outcome.value}
        changes = {"user_notified_at": notice.sent_at}
        return self._record(u, case, Event.NOTIFY, actor, case.reason_code or "notice", details, changes)

    def _send(
        self,
        u: ModerationUnit,
        case: Case,
        kind: NoticeKind,
        outcome: str,
        scope: GeoScope | None,
        actor: str,
    ) -> NoticeRecord:
        if case.owner_ref is None:
            raise ModerationPolicyError(f"case {case.case_id} has no owner to notify")
        now = self.clock.now()
        reason = case.category or case.reason_code or "unspecified"
        notice = UserNotice(
            new_id("nt"), kind, case.case_id, case.owner_ref, case.content_ref, reason, case.legal_basis,
            outcome, scope, APPEAL_CLOCK if kind is NoticeKind.RESTRICTION else None, True, now,
        )  # fmt: skip
        try:
            ref = self.notifier.send(notice)
        except Exception as exc:  # any adapter failure rolls the unit back
            raise PlatformActionError(
                f"notifier failed for case {case.case_id} ({type(exc).__name__})"
            ) from exc
        record = NoticeRecord(
            notice.notice_id,
            kind,
            case.case_id,
            case.owner_ref,
            reason,
            case.legal_basis,
            outcome,
            scope,
            now,
            ref,
        )
        u.store.add_notice(record)
        details = {
            "case_id": case.case_id,
            "notice_id": notice.notice_id,
            "kind": kind.value,
            "reason_code": reason,
        }
        self._audit(u, actor, "moderation.notice.send", case.owner_ref, details)
        return record

    def _restore(self, u: ModerationUnit, case: Case, appeal: Appeal, actor: str, reason_code: str) -> Appeal:
        now = self.clock.now()
        machine.check(case, Event.RESTORE, appeal=appeal)
        details = {"appeal_id": appeal.appeal_id}
        new = self._record(
            u, case, Event.RESTORE, actor, reason_code, details, {"restored_at": now}, appeal=appeal
        )
        self._apply(u, new, actor, [self._order(new, ActionKind.RESTORE, GeoScope.GLOBAL, reason_code)])
        restored = replace(appeal, restored_at=now, version=appeal.version + 1)
        u.store.update_appeal(restored, appeal.version)
        return restored

    def _record(
        self, u: ModerationUnit, case: Case, event: Event, actor: str, reason_code: str,
        details: Mapping[str, DetailValue], changes: Mapping[str, Any] | None = None,
        *, appeal: Appeal | None = None,
    ) -> Case:  # fmt: skip
        """Check and apply one transition; write the history step and the audit entry.

        For ``open`` the case is the freshly inserted one and nothing is updated.
        """
        if event is Event.OPEN:
            new, frm, to = case, None, CaseState.DETECTED
        else:
            to = machine.check(case, event, appeal=appeal)
            new = replace(case, state=to, version=case.version + 1, **(changes or {}))
            u.store.update_case(new, case.version)
            frm = case.state
        seq = u.store.next_transition_seq(new.case_id)
        now = self.clock.now()
        u.store.add_transition(
            Transition(new.case_id, seq, event.value, frm, to, actor, reason_code, now, dict(details))
        )
        audit_details: dict[str, DetailValue] = {
            "case_id": new.case_id, "content_ref": new.content_ref, "from_state": frm.value if frm else None,
            "to_state": to.value, "reason_code": reason_code, **details,
        }  # fmt: skip
        self._audit(u, actor, f"moderation.case.{event.value}", new.owner_ref, audit_details)
        return new

    def _apply(
        self, u: ModerationUnit, case: Case, actor: str, orders: Sequence[ActionOrder]
    ) -> list[ActionReceipt]:
        receipts = []
        for order in orders:
            try:
                ref = self.platform.apply(order)
            except Exception as exc:  # any adapter failure rolls the unit back
                what = f"{order.kind.value} for case {case.case_id}"
                raise PlatformActionError(f"platform failed to apply {what} ({type(exc).__name__})") from exc
            receipts.append(ActionReceipt(order, self.clock.now(), ref))
            details: dict[str, DetailValue] = {
                "case_id": case.case_id, "content_ref": case.content_ref, "kind": order.kind.value,
                "scope": order.scope.value, "reason_code": order.reason_code,
                "automatic_rule": order.automatic_rule, "platform_ref": ref,
            }  # fmt: skip
            self._audit(u, actor, "moderation.action.apply", case.owner_ref, details)
        return receipts

    def _order(
        self,
        case: Case,
        kind: ActionKind,
        scope: GeoScope,
        reason_code: str,
        *,
        automatic_rule: str | None = None,
    ) -> ActionOrder:
        return ActionOrder(
            kind, case.content_ref, case.owner_ref, scope, case.case_id, case.category or reason_code,
            case.legal_basis, automatic_rule,
        )  # fmt: skip

    def _open_task(
        self, u: ModerationUnit, kind: TaskKind, started_at: datetime, legal_basis: str, *, dedupe_key: str,
        actor: str, case_id: str | None = None, content_ref: str | None = None, target: str | None = None,
        register_entry_id: str | None = None, evidence: Mapping[str, DetailValue] | None = None,
    ) -> tuple[TaskRecord, bool]:  # fmt: skip
        if not isinstance(dedupe_key, str) or not 1 <= len(dedupe_key) <= 400:
            raise ModerationInputError("dedupe_key must be 1-400 characters")
        existing = u.store.open_task_with_key(dedupe_key)
        if existing is not None:
            return existing, False
        legal_basis = self._basis(legal_basis) or ""
        deadline = self.deadlines.compute(kind.clock_id, started_at)
        ev = dict(evidence or {})
        task = TaskRecord(
            new_id("tk"), kind, kind.clock_id, deadline.started_at, deadline.due_at, legal_basis,
            TaskStatus.OPEN, dedupe_key, case_id, content_ref, target, register_entry_id, ev,
        )  # fmt: skip
        u.store.insert_task(task)
        details: dict[str, DetailValue] = {
            "task_id": task.task_id, "kind": kind.value, "clock_id": task.clock_id,
            "due_at": task.due_at.isoformat(timespec="seconds"), "case_id": case_id,
            "register_entry_id": register_entry_id, "external_ref": task.external_ref,
        }  # fmt: skip
        self._audit(u, actor, "moderation.task.open", None, details)
        return task, True

    def _hand_over(self, task: TaskRecord, actor: str) -> TaskRecord:
        """Give a task to the sink *after* its unit committed, and keep the receiver's reference.

        Outside the unit on purpose: the receiver (the regulator desk) writes to the same RU
        database and audit chain, and a failing receiver must not undo an action already taken.
        A refusal is logged and audited; the task stays in the local ledger (which ``sweep``
        escalates) and the next ``sweep`` tries again.
        """
        if self.task_sink is None or task.external_ref is not None:
            return task
        request = TaskRequest(
            task.task_id, task.kind, task.clock_id, task.started_at, task.due_at, task.legal_basis,
            task.case_id, task.content_ref, task.target, task.register_entry_id, dict(task.evidence),
        )  # fmt: skip
        try:
            external = self.task_sink.submit(request) or HANDED_OVER
            outcome = "handover"
        except Exception as exc:  # any sink failure: keep the task, retry on the next sweep
            log.warning("task sink refused task %s (%s); retried on sweep", task.task_id, type(exc).__name__)
            external, outcome = None, "handover_failed"
        with self.space.unit() as u:
            current = u.store.get_task(task.task_id) or task
            if external is not None and current.external_ref is None:
                current = replace(current, external_ref=external[:128], version=current.version + 1)
                u.store.update_task(current, current.version - 1)
            details: dict[str, DetailValue] = {"task_id": task.task_id, "external_ref": external}
            self._audit(u, actor, f"moderation.task.{outcome}", None, details)
        return current

    def _finish_task(self, u: ModerationUnit, task_id: str, actor: str, reason_code: str) -> TaskRecord:
        task = u.store.get_task(task_id)
        if task is None:
            raise CaseNotFoundError(f"no task {task_id}")
        if task.status is TaskStatus.DONE:
            return task
        now = self.clock.now()
        done = replace(task, status=TaskStatus.DONE, done_at=now, version=task.version + 1)
        u.store.update_task(done, task.version)
        details: dict[str, DetailValue] = {
            "task_id": task_id,
            "reason_code": reason_code,
            "on_time": now <= task.due_at,
        }
        self._audit(u, actor, "moderation.task.done", None, details)
        return done

    def _audit(
        self,
        u: ModerationUnit,
        actor: str,
        action: str,
        subject: str | None,
        details: Mapping[str, DetailValue],
    ) -> None:
        u.audit.append([AuditEvent(actor, action, PURPOSE, "ok", subject, dict(details))])

    @staticmethod
    def _case(u: ModerationUnit, case_id: str) -> Case:
        case = u.store.get_case(case_id) if isinstance(case_id, str) else None
        if case is None:
            raise CaseNotFoundError(
                f"no moderation case {case_id!r}" if isinstance(case_id, str) else "case id must be a string"
            )
        return case

    @staticmethod
    def _appeal(u: ModerationUnit, appeal_id: str) -> Appeal:
        appeal = u.store.get_appeal(appeal_id) if isinstance(appeal_id, str) else None
        if appeal is None:
            raise CaseNotFoundError(
                f"no appeal {appeal_id!r}" if isinstance(appeal_id, str) else "appeal id must be a string"
            )
        return appeal

    @staticmethod
    def _basis(legal_basis: str | None) -> str | None:
        if legal_basis is None:
            return None
        if (
            not isinstance(legal_basis, str)
            or not 1 <= len(legal_basis) <= 200
            or not legal_basis.isprintable()
        ):
            raise ModerationInputError("legal_basis must be a printable citation of 1-200 characters")
        return legal_basis

    @staticmethod
    def _evidence(evidence: Sequence[Evidence]) -> list[Evidence]:
        items = list(evidence) if isinstance(evidence, Sequence) else []
        if not items or not all(isinstance(e, Evidence) for e in items):
            raise ModerationInputError("a case needs at least one Evidence item")
        for item in items:
            if item.category is not None:
                check_code("evidence category", item.category)
        return items
