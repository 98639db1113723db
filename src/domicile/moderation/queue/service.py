"""The review queue: cases from detection to decision, notice, appeal and restoration.

Every public method is one unit of work (:mod:`.space`): it checks its input, moves the case
through the state machine (:mod:`.machine`), asks the platform to act, and writes the case,
its history and the audit entries together (SN-1..SN-7; §8 ``ModerationCase``, ``Appeal``).
If anything raises, nothing is written. Platform calls come last in the unit, so a failing
adapter rolls the records back; adapters must be idempotent, because a retried unit repeats them.

Deadlines come from the desk's deadline engine and the pack's clock rules: the first action of
a case (``sn.selfmon.restrict``, CSAM ``sn.selfmon.restrict_csam``, register ``reg.takedown.remove``
...), an RKN referral (``sn.doubtful.refer``, 24 h) and an appeal (``sn.appeal.decide``, 3 days).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from domicile.audit import DetailValue
from domicile.moderation.actions.errors import (
    ModerationInputError,
    ModerationPolicyError,
)
from domicile.moderation.actions.model import (
    ActionKind,
    GeoScope,
    NoticeKind,
    check_aware,
    check_code,
    check_ref,
    new_id,
)
from domicile.moderation.actions.tasks import TaskKind
from domicile.moderation.queue import machine
from domicile.moderation.queue.escalation import sweep_unit
from domicile.moderation.queue.machine import Event
from domicile.moderation.queue.model import (
    Appeal,
    AppealOutcome,
    AppealState,
    Case,
    CaseSource,
    CaseState,
    Evidence,
    Outcome,
    TaskRecord,
    TaskStatus,
    Transition,
)
from domicile.moderation.queue.ops import CaseOps, enum_value
from domicile.moderation.queue.policy import APPEAL_CLOCK, CSAM_CATEGORY
from domicile.moderation.queue.views import AutomaticCase, Escalation, ReviewView, build_view

__all__ = ["WAITING_STATES", "ReviewQueue"]

#: States in which a case waits for a person.
WAITING_STATES = frozenset(
    {CaseState.DETECTED, CaseState.HELD, CaseState.AUTO_ACTIONED, CaseState.IN_REVIEW, CaseState.REFERRED}
)


def _is_hex64(text: object) -> bool:
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class ReviewQueue(CaseOps):
    """Moderation cases with their evidence, decisions, notices and appeals.

    Args:
        space: Where records and audit entries are written (normally the RU cell).
        clock: Time source (``FixedClock`` in tests).
        platform: Applies actions to content.
        notifier: Delivers notices to users.
        previews: Gives the review screen image bytes (optional).
        deadlines: The deadline engine (default: RU calendar and clocks).
        task_sink: Receives takedown tasks, e.g. the regulator desk (optional; tasks are always
            kept in the local ledger too, and handed over after their unit commits).
        escalation: Told when a clock crosses an escalation level (optional).
        policy: Queue configuration.
    """

    # -- reading -------------------------------------------------------------------------------
    def get(self, case_id: str) -> Case:
        """The case.

        Raises:
            CaseNotFoundError: No such case.
        """
        with self.space.unit() as u:
            return self._case(u, case_id)

    def waiting(self, limit: int = 100) -> list[Case]:
        """Cases waiting for a person, soonest first-action deadline first."""
        with self.space.unit() as u:
            cases = u.store.list_cases(WAITING_STATES, limit=10_000)
        cases.sort(key=lambda c: (c.action_due_at, c.detected_at, c.case_id))
        return cases[:limit]

    def cases(self, states: Sequence[CaseState] | None = None, limit: int = 100) -> list[Case]:
        """Cases in ``states`` (all when ``None``), oldest detection first."""
        with self.space.unit() as u:
            return u.store.list_cases(states, limit=limit)

    def cases_of_content(self, content_ref: str, *, open_only: bool = True) -> list[Case]:
        """Cases about one piece of content (by default only those not closed or restored)."""
        content_ref = check_ref("content_ref", content_ref)
        with self.space.unit() as u:
            cases = u.store.list_cases(content_ref=content_ref, limit=1000)
        final = {CaseState.CLOSED, CaseState.RESTORED}
        return [c for c in cases if not (open_only and c.state in final)]

    def history(self, case_id: str) -> list[Transition]:
        """The case's audited steps, in order."""
        with self.space.unit() as u:
            self._case(u, case_id)
            return u.store.transitions(case_id)

    def appeals(self, case_id: str) -> list[Appeal]:
        """The case's appeals."""
        with self.space.unit() as u:
            self._case(u, case_id)
            return u.store.appeals_of(case_id)

    def tasks(self, status: TaskStatus | None = None) -> list[TaskRecord]:
        """Tasks in the local ledger, soonest due first."""
        with self.space.unit() as u:
            return u.store.tasks(status)

    def review(
        self, case_id: str, viewer: str, *, unblur: bool = False, unblur_reason: str | None = None
    ) -> ReviewView:
        """Everything a reviewer needs, with the preview blurred unless ``unblur`` (audited).

        Raises:
            ModerationInputError: ``unblur`` without a reason code.
            ModerationPolicyError: Unblurring a CSAM case while the policy forbids it.
        """
        viewer = check_ref("viewer", viewer)
        if unblur:
            if unblur_reason is None:
                raise ModerationInputError("an unblurred preview needs a reason code")
            unblur_reason = check_code("unblur_reason", unblur_reason)
        with self.space.unit() as u:
            case = self._case(u, case_id)
            if unblur and case.category == CSAM_CATEGORY and not self.policy.unblur_csam:
                raise ModerationPolicyError("previews of CSAM cases are never unblurred under this policy")
            image = self.previews.image_bytes(case.content_ref) if self.previews is not None else None
            view = build_view(u.store, case, image, unblur=unblur, policy=self.policy)
            details: dict[str, DetailValue] = {"case_id": case_id, "preview": view.preview is not None}
            action = "moderation.preview.unblur" if unblur else "moderation.case.view"
            if unblur:
                details["reason_code"] = unblur_reason
            self._audit(u, viewer, action, case.owner_ref, details)
        return view

    # -- detection and first action ----------------------------------------------------------------
    def open_case(
        self,
        content_ref: str,
        *,
        source: CaseSource | str,
        evidence: Sequence[Evidence],
        actor: str,
        reason_code: str,
        owner_ref: str | None = None,
        category: str | None = None,
        legal_basis: str | None = None,
        detected_at: datetime | None = None,
        hold_scope: GeoScope | str | None = None,
    ) -> Case:
        """Open a case for detected content (SN-1), with its evidence; optionally hold it at once.

        Args:
            content_ref: The content.
            source: Where the case comes from.
            evidence: At least one finding.
            actor: Who opens it (a detector service id or a staff id).
            reason_code: Why (a category or reason code).
            owner_ref: The owner's pseudonymous subject id.
            category: The category code, if known.
            legal_basis: Citation, if known.
            detected_at: Detection time (default: now).
            hold_scope: Also hide the content pending review, in this scope (SN-2), in the same unit.

        Raises:
            ModerationInputError: A malformed argument or no evidence.
        """
        case, items = self._new_case(
            content_ref, source, evidence, owner_ref, category, legal_basis, detected_at
        )
        actor, reason_code = check_ref("actor", actor), check_code("reason_code", reason_code)
        scope = enum_value(GeoScope, hold_scope, "hold_scope") if hold_scope is not None else None
        with self.space.unit() as u:
            case = self._open(u, case, items, actor, reason_code)
            if scope is not None:
                case = self._hold(u, case, scope, actor, reason_code)
        return case

    def open_automatic_case(
        self,
        content_ref: str,
        *,
        evidence: Sequence[Evidence],
        rule_id: str,
        actions: Sequence[ActionKind | str],
        actor: str,
        reason_code: str,
        category: str,
        owner_ref: str | None = None,
        legal_basis: str | None = None,
        detected_at: datetime | None = None,
        upload_signals: Sequence[tuple[str, str]] = (),
        content_sha256: str | None = None,
        task_kind: TaskKind | str | None = None,
        hotline_draft: bool = False,
    ) -> AutomaticCase:
        """Open a case and act at once as a pack rule allows, in one unit (e.g. a CSAM hash match).

        Records the automatic actions as such, and optionally an evidence-preservation record
        with a hotline-report draft (MIN-7) and a task on the kind's clock, done at once
        because the action is already executed. A person reviews the case afterwards.

        Raises:
            ModerationPolicyError: The pack does not allow the rule or one of the actions.
            ModerationInputError: A malformed argument.
        """
        rule, kinds = self._check_auto(rule_id, actions)
        case, items = self._new_case(
            content_ref, CaseSource.DETECTOR, evidence, owner_ref, category, legal_basis, detected_at
        )
        actor, reason_code = check_ref("actor", actor), check_code("reason_code", reason_code)
        kind = enum_value(TaskKind, task_kind, "task_kind") if task_kind is not None else None
        signals = self._signals(upload_signals)
        if content_sha256 is not None and not _is_hex64(content_sha256):
            raise ModerationInputError("content_sha256 must be 64 lowercase hex digits")
        with self.space.unit() as u:
            case = self._open(u, case, items, actor, reason_code)
            case = self._auto(u, case, rule, kinds, actor, reason_code)
            preserved = draft = task = None
            if hotline_draft:
                preserved = self._preserve(u, case, signals, content_sha256, actor)
                draft = self._draft_hotline(u, case, items[0], signals, preserved, actor)
            if kind is not None:
                evidence_details = {"rule": rule.rule_id, **items[0].audit_details()}
                task = self._open_task(
                    u, kind, case.detected_at, case.legal_basis or rule.legal_basis, actor=actor,
                    dedupe_key=f"case:{case.case_id}:{kind.value}", case_id=case.case_id,
                    content_ref=case.content_ref, evidence=evidence_details,
                )[0]  # fmt: skip
                task = self._finish_task(u, task.task_id, actor, "executed_automatically")
        if task is not None:
            task = self._hand_over(task, actor)
        return AutomaticCase(case, task, preserved, draft)

    def add_evidence(self, case_id: str, evidence: Sequence[Evidence], *, actor: str) -> Case:
        """Attach more evidence to a case (a repeated detection of the same content)."""
        actor = check_ref("actor", actor)
        items = self._evidence(evidence)
        with self.space.unit() as u:
            case = self._case(u, case_id)
            u.store.add_evidence(case_id, items)
            for item in items:
                details = {"case_id": case_id, **item.audit_details()}
                self._audit(u, actor, "moderation.case.evidence", case.owner_ref, details)
        return case

    def hold(self, case_id: str, *, scope: GeoScope | str, actor: str, reason_code: str) -> Case:
        """Hide the content pending review (SN-2: restrict immediately; RU only or everywhere)."""
        scope = enum_value(GeoScope, scope, "scope")
        actor, reason_code = check_ref("actor", actor), check_code("reason_code", reason_code)
        with self.space.unit() as u:
            return self._hold(u, self._case(u, case_id), scope, actor, reason_code)

    def auto_action(
        self, case_id: str, *, rule_id: str, actions: Sequence[ActionKind | str], actor: str, reason_code: str
    ) -> Case:
        """Act without a person, as a pack rule allows (recorded as automatic; a person reviews after).

        Raises:
            ModerationPolicyError: The pack has no such rule, or it does not allow an action asked.
        """
        rule, kinds = self._check_auto(rule_id, actions)
        actor, reason_code = check_ref("actor", actor), check_code("reason_code", reason_code)
        with self.space.unit() as u:
            return self._auto(u, self._case(u, case_id), rule, kinds, actor, reason_code)

    # -- review --------------------------------------------------------------------------------------
    def claim(self, case_id: str, *, reviewer: str) -> Case:
        """A reviewer takes the case (``in_review``)."""
        reviewer = check_ref("reviewer", reviewer)
        with self.space.unit() as u:
            case = self._case(u, case_id)
            return self._record(u, case, Event.CLAIM, reviewer, "claim", {}, {"assignee": reviewer})

    def reassign(self, case_id: str, *, reviewer: str, actor: str, reason_code: str) -> Case:
        """Give a case under review to another reviewer."""
        reviewer, actor = check_ref("reviewer", reviewer), check_ref("actor", actor)
        reason_code = check_code("reason_code", reason_code)
        with self.space.unit() as u:
            case = self._case(u, case_id)
            return self._record(
                u, case, Event.REASSIGN, actor, reason_code, {"assignee": reviewer}, {"assignee": reviewer}
            )

    def decide(
        self,
        case_id: str,
        outcome: Outcome | str,
        *,
        reviewer: str,
        reason_code: str,
        category: str | None = None,
        legal_basis: str | None = None,
    ) -> Case:
        """A reviewer decides (SN-2): keep, restrict in Russia, remove everywhere, or age-gate 18+.

        A ``keep`` lifts any hold and closes the case; a restriction is notified to the owner at
        once when the policy says so (SN-6).

        Raises:
            ModerationPolicyError: The reviewer has not claimed the case (``require_claim``).
        """
        outcome = enum_value(Outcome, outcome, "outcome")
        reviewer, reason_code = check_ref("reviewer", reviewer), check_code("reason_code", reason_code)
        category = check_code("category", category) if category is not None else None
        legal_basis = self._basis(legal_basis)
        with self.space.unit() as u:
            case = self._case(u, case_id)
            if self.policy.require_claim and case.state is CaseState.IN_REVIEW and case.assignee != reviewer:
                raise ModerationPolicyError(f"case {case_id} is claimed by another reviewer; claim it first")
            return self._conclude(
                u, case, Event.DECIDE, outcome, reviewer, reason_code, category, legal_basis, None
            )

    def refer_to_rkn(self, case_id: str, *, reviewer: str, reason_code: str) -> tuple[Case, TaskRecord]:
        """Doubtful content (SN-3): restrict in Russia meanwhile and refer to RKN within 24 h."""
        reviewer, reason_code = check_ref("reviewer", reviewer), check_code("reason_code", reason_code)
        with self.space.unit() as u:
            case = self._case(u, case_id)
            machine.check(case, Event.REFER)
            task = self._open_task(
                u, TaskKind.DOUBTFUL_REFERRAL, case.detected_at, "149-FZ art. 10.6",
                dedupe_key=f"referral:{case_id}", actor=reviewer, case_id=case_id,
                content_ref=case.content_ref, evidence={"category": case.category},
            )[0]  # fmt: skip
            now = self.clock.now()
            changes: dict[str, Any] = {
                "rkn_referral_id": task.task_id,
                "actioned_at": case.actioned_at or now,
            }
            restrict = case.held_scope is None and case.automatic_rule is None
            if restrict:
                changes["held_scope"] = GeoScope.RU
            new = self._record(
                u, case, Event.REFER, reviewer, reason_code, {"task_id": task.task_id}, changes
            )
            if restrict:
                self._apply(u, new, reviewer, [self._order(new, ActionKind.HOLD, GeoScope.RU, reason_code)])
        return new, self._hand_over(task, reviewer)

    def record_rkn_decision(
        self, case_id: str, outcome: Outcome | str, *, rkn_ref: str, actor: str, reason_code: str
    ) -> Case:
        """RKN's answer to a referral (SN-3): apply it as the decision, and close the referral task."""
        outcome = enum_value(Outcome, outcome, "outcome")
        rkn_ref, actor = check_ref("rkn_ref", rkn_ref), check_ref("actor", actor)
        reason_code = check_code("reason_code", reason_code)
        with self.space.unit() as u:
            case = self._case(u, case_id)
            new = self._conclude(
                u, case, Event.RKN_DECISION, outcome, actor, reason_code, None, None, rkn_ref
            )
            if case.rkn_referral_id is not None:
                self._finish_task(u, case.rkn_referral_id, actor, "rkn_decided")
        return new

    def notify(self, case_id: str, *, actor: str) -> Case:
        """Tell the owner of a restriction, its reason and how to appeal (SN-6)."""
        actor = check_ref("actor", actor)
        with self.space.unit() as u:
            return self._notify(u, self._case(u, case_id), actor)

    # -- appeals -------------------------------------------------------------------------------------
    def file_appeal(self, case_id: str, *, appellant_ref: str, received_at: datetime | None = None) -> Appeal:
        """The owner appeals a restriction; it is due on the 3-day clock (SN-7).

        Raises:
            ModerationPolicyError: The appellant is not the content's owner.
        """
        appellant_ref = check_ref("appellant_ref", appellant_ref, max_len=64)
        at = check_aware("received_at", received_at) if received_at is not None else self.clock.now()
        with self.space.unit() as u:
            case = self._case(u, case_id)
            if case.owner_ref != appellant_ref:
                raise ModerationPolicyError(f"only the owner of the content in case {case_id} may appeal")
            deadline = self.deadlines.compute(APPEAL_CLOCK, at)
            appeal = Appeal(new_id("ap"), case_id, appellant_ref, at, APPEAL_CLOCK, deadline.due_at)
            machine.check(case, Event.APPEAL)
            u.store.insert_appeal(appeal)
            details = {"appeal_id": appeal.appeal_id, "due_at": deadline.due_at.isoformat(timespec="seconds")}
            self._record(u, case, Event.APPEAL, appellant_ref, "user_appeal", details)
        return appeal

    def decide_appeal(
        self, appeal_id: str, outcome: AppealOutcome | str, *, reviewer: str, reason_code: str
    ) -> Appeal:
        """Decide an appeal; a reversal restores the content at once. The appellant is notified.

        Raises:
            ModerationPolicyError: The reviewer took the original decision (``independent_appeal_review``).
        """
        outcome = enum_value(AppealOutcome, outcome, "outcome")
        reviewer, reason_code = check_ref("reviewer", reviewer), check_code("reason_code", reason_code)
        with self.space.unit() as u:
            appeal = self._appeal(u, appeal_id)
            case = self._case(u, appeal.case_id)
            machine.check(case, Event.DECIDE_APPEAL)
            if self.policy.independent_appeal_review and case.decided_by == reviewer:
                raise ModerationPolicyError(
                    "an appeal must be decided by someone other than the original reviewer"
                )
            now = self.clock.now()
            done = replace(
                appeal, state=AppealState.DECIDED, outcome=outcome, decided_at=now, decided_by=reviewer,
                reason_code=reason_code, version=appeal.version + 1,
            )  # fmt: skip
            u.store.update_appeal(done, appeal.version)
            details = {"appeal_id": appeal_id, "outcome": outcome.value, "on_time": now <= appeal.due_at}
            case = self._record(u, case, Event.DECIDE_APPEAL, reviewer, reason_code, details, appeal=done)
            self._send(u, case, NoticeKind.APPEAL_DECISION, outcome.value, None, reviewer)
            if outcome is AppealOutcome.REVERSED:
                done = self._restore(u, case, done, reviewer, reason_code)
        return done

    def record_rkn_appeal(self, appeal_id: str, *, rkn_appeal_ref: str, actor: str) -> Appeal:
        """The user also appealed to RKN (SN-7, RKN decides within 30 working days): keep its reference."""
        rkn_appeal_ref, actor = check_ref("rkn_appeal_ref", rkn_appeal_ref), check_ref("actor", actor)
        with self.space.unit() as u:
            appeal = self._appeal(u, appeal_id)
            new = replace(appeal, rkn_appeal_ref=rkn_appeal_ref, version=appeal.version + 1)
            u.store.update_appeal(new, appeal.version)
            case = self._case(u, appeal.case_id)
            self._audit(
                u,
                actor,
                "moderation.appeal.rkn",
                case.owner_ref,
                {"appeal_id": appeal_id, "rkn_appeal_ref": rkn_appeal_ref},
            )
        return new

    def record_rkn_order(self, appeal_id: str, *, order_ref: str, reverse: bool, actor: str) -> Appeal:
        """An RKN order on the user's appeal (SN-7); an order to reverse restores the content."""
        order_ref, actor = check_ref("order_ref", order_ref), check_ref("actor", actor)
        with self.space.unit() as u:
            appeal = self._appeal(u, appeal_id)
            case = self._case(u, appeal.case_id)
            if reverse:
                machine.check(case, Event.RESTORE, appeal=replace(appeal, rkn_order_ref=order_ref))
            new = replace(appeal, rkn_order_ref=order_ref, version=appeal.version + 1)
            u.store.update_appeal(new, appeal.version)
            self._audit(
                u,
                actor,
                "moderation.appeal.rkn_order",
                case.owner_ref,
                {"appeal_id": appeal_id, "order_ref": order_ref, "reverse": reverse},
            )
            if reverse:
                new = self._restore(u, case, new, actor, "rkn_order")
        return new

    # -- tasks and clocks ---------------------------------------------------------------------------
    def open_task(
        self,
        kind: TaskKind | str,
        *,
        started_at: datetime,
        legal_basis: str,
        dedupe_key: str,
        actor: str,
        case_id: str | None = None,
        content_ref: str | None = None,
        target: str | None = None,
        register_entry_id: str | None = None,
        evidence: Mapping[str, DetailValue] | None = None,
    ) -> tuple[TaskRecord, bool]:
        """Open a task on its legal clock, unless an open one has the same ``dedupe_key``.

        Returns:
            The task, and whether it was created now.
        """
        kind = enum_value(TaskKind, kind, "kind")
        actor = check_ref("actor", actor)
        started = check_aware("started_at", started_at)
        with self.space.unit() as u:
            task, created = self._open_task(
                u, kind, started, legal_basis, dedupe_key=dedupe_key, actor=actor, case_id=case_id,
                content_ref=content_ref, target=target, register_entry_id=register_entry_id,
                evidence=evidence or {},
            )  # fmt: skip
        return self._hand_over(task, actor), created

    def complete_task(self, task_id: str, *, actor: str, reason_code: str) -> TaskRecord:
        """Mark a task done (the takedown or referral was carried out)."""
        actor, reason_code = check_ref("actor", actor), check_code("reason_code", reason_code)
        with self.space.unit() as u:
            return self._finish_task(u, task_id, actor, reason_code)

    def sweep(self, *, actor: str = "svc:moderation") -> list[Escalation]:
        """Escalate running clocks (first actions, appeals, tasks) that crossed a new level.

        With a task sink, open tasks it has not taken yet (it refused before) are handed over first.
        """
        actor = check_ref("actor", actor)
        if self.task_sink is not None:  # tasks a refusing sink did not take: try again
            for task in self.tasks(TaskStatus.OPEN):
                if task.external_ref is None:
                    self._hand_over(task, actor)
        with self.space.unit() as u:
            found = sweep_unit(u, self.deadlines, self.clock.now(), actor, self._audit)
        if self.escalation is not None:
            for item in found:
                self.escalation.escalate(item)
        return found
