"""Records of the review queue (frozen dataclasses): cases, evidence, history, appeals, notices,
tasks, evidence-preservation records, hotline-report drafts and account flags.

Follows the data model of ru-requirements.md §8 (``ModerationCase``, ``Appeal``) and the
records SN-1 (detection), SN-2 (action), SN-3 (referral), SN-6 (notice) and SN-7 (appeal) ask
for. No PD: content and users are opaque refs (users by pseudonymous subject id); timestamps
are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from domicile.moderation.actions.errors import ModerationInputError
from domicile.moderation.actions.model import GeoScope, NoticeKind
from domicile.moderation.actions.tasks import TaskKind

__all__ = [
    "AccountFlag",
    "Appeal",
    "AppealOutcome",
    "AppealState",
    "Case",
    "CaseSource",
    "CaseState",
    "Detector",
    "Evidence",
    "EvidenceKind",
    "HotlineDraft",
    "NoticeRecord",
    "Outcome",
    "PreservationRecord",
    "TaskRecord",
    "TaskStatus",
    "Transition",
]

Scalar = str | int | float | bool | None


class CaseState(StrEnum):
    """Where a case stands (see :mod:`.machine` for the allowed moves)."""

    DETECTED = "detected"
    AUTO_ACTIONED = "auto_actioned"
    HELD = "held"
    IN_REVIEW = "in_review"
    REFERRED = "referred"
    DECIDED = "decided"
    CLOSED = "closed"
    USER_NOTIFIED = "user_notified"
    APPEALED = "appealed"
    APPEAL_DECIDED = "appeal_decided"
    RESTORED = "restored"


class CaseSource(StrEnum):
    """Where the case came from (§8 ``ModerationCase.source``)."""

    DETECTOR = "detector"
    USER_REPORT = "user_report"
    RKN_REFERRAL = "rkn_referral"
    REGISTRY_NOTICE = "registry_notice"
    PG_DEMAND = "pg_demand"
    COURT = "court"


class Detector(StrEnum):
    """What detected it (SN-1 ``detector``)."""

    HASH = "hash"
    ML = "ml"
    KEYWORD = "keyword"
    HUMAN = "human"
    USER_REPORT = "user_report"
    RKN = "rkn"
    REGISTER = "register"


class Outcome(StrEnum):
    """A reviewer's decision (SN-2 ``action``)."""

    KEEP = "keep"
    RESTRICT_RU = "restrict_ru"
    REMOVE_GLOBAL = "remove_global"
    AGE_GATE = "age_gate_18"

    @property
    def restrictive(self) -> bool:
        """Whether the decision restricts the content (and so needs a notice, SN-6)."""
        return self is not Outcome.KEEP


class AppealOutcome(StrEnum):
    """An appeal's outcome (SN-7)."""

    UPHELD = "upheld"
    """The restriction stands."""
    REVERSED = "reversed"
    """The restriction is lifted and the content restored."""


class AppealState(StrEnum):
    """Whether an appeal awaits a decision."""

    OPEN = "open"
    DECIDED = "decided"


class EvidenceKind(StrEnum):
    """The kind of evidence."""

    HASH = "hash"
    REGISTER = "register"
    REPORT = "report"
    CLASSIFIER = "classifier"
    HUMAN = "human"


class TaskStatus(StrEnum):
    """A task's status."""

    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a case was opened: one detector's finding, with what the reviewer needs to see.

    Attributes:
        kind: Hash match, register hit, user report, classifier score, or human finding.
        detector: The SN-1 detector.
        category: The category code it points to (``C-CSAM``...), if any.
        bank: Hash bank name.
        signal_type: Signal type (``pdq``, ``md5``, ``vpdq``...).
        bank_entry_id: The matched bank entry.
        distance: Match distance (PDQ: Hamming bits).
        threshold: The largest distance that matches.
        quality: The upload's hash quality (PDQ 0-100).
        variant: The dihedral variant of the upload that matched.
        label: The bank entry's label.
        register_entry_id: The register entry id.
        register_rule: The match rule that fired (``url-exact``, ``domain-mask``...).
        listed: The listed value that matched (normalized URL, host, mask or address).
        decision_org: The body behind the register decision.
        decision_number: The decision number.
        decision_date: The decision date (ISO).
        legal_basis: Citation of the law behind it.
        register_sha256: SHA-256 of the register dump matched against.
        score: A classifier score (0..1).
        rule: A rule, model or report-form id.
        note_code: A short code for anything else (no free text).
    """

    kind: EvidenceKind
    detector: Detector
    category: str | None = None
    bank: str | None = None
    signal_type: str | None = None
    bank_entry_id: int | None = None
    distance: int | None = None
    threshold: int | None = None
    quality: int | None = None
    variant: str | None = None
    label: str | None = None
    register_entry_id: str | None = None
    register_rule: str | None = None
    listed: str | None = None
    decision_org: str | None = None
    decision_number: str | None = None
    decision_date: str | None = None
    legal_basis: str | None = None
    register_sha256: str | None = None
    score: float | None = None
    rule: str | None = None
    note_code: str | None = None

    def to_dict(self) -> dict[str, Scalar]:
        """A JSON-ready dict without the ``None`` fields."""
        return {
            k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items() if v is not None
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        """Inverse of :meth:`to_dict`.

        Raises:
            ModerationInputError: Unknown keys or a bad kind/detector.
        """
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ModerationInputError(f"evidence has unknown keys {unknown}")
        try:
            kind = EvidenceKind(data["kind"])
            detector = Detector(data["detector"])
        except (KeyError, ValueError) as exc:
            raise ModerationInputError("evidence needs a valid 'kind' and 'detector'") from exc
        rest = {k: v for k, v in data.items() if k not in ("kind", "detector")}
        return cls(kind=kind, detector=detector, **rest)

    def audit_details(self) -> dict[str, str | int | bool | None]:
        """The scalar, PD-free subset written to the audit log (no listed value, no label)."""
        out: dict[str, str | int | bool | None] = {"kind": self.kind.value, "detector": self.detector.value}
        for name in ("category", "bank", "signal_type", "bank_entry_id", "distance", "threshold", "quality"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.register_entry_id is not None:
            out["register_entry_id"] = self.register_entry_id
            out["register_rule"] = self.register_rule
        if self.score is not None:
            out["score_milli"] = round(self.score * 1000)
        return out


@dataclass(frozen=True, slots=True)
class Case:
    """A moderation case (§8 ``ModerationCase``).

    Attributes:
        case_id: ``mc_...``.
        content_ref: The content.
        owner_ref: The owner's pseudonymous subject id, if known.
        source: Where the case came from.
        category: Category code (``C-DRUG``...), if known.
        legal_basis: Citation of the law behind the case, if known.
        state: Current state.
        detected_at: Detection time (SN-1 ``detected_at``).
        action_clock: The clock that governs the first action (``sn.selfmon.restrict``...).
        action_due_at: Its deadline.
        actioned_at: When the content was first restricted or a decision taken (SN-2).
        held_scope: Scope of the pending-review hold, if held.
        automatic_rule: Pack rule that allowed an automatic action, if any.
        outcome: The decision, once decided.
        geo_scope: Scope of the decision's action.
        decided_at: When decided.
        decided_by: Reviewer id (or ``rkn`` for a referral answered by RKN).
        reason_code: The decision's reason code.
        user_notified_at: When the owner was notified (SN-6).
        assignee: The reviewer who claimed it.
        rkn_referral_id: Task id of the RKN referral (SN-3), if referred.
        rkn_decision_ref: RKN's decision reference on a referral.
        restored_at: When restored after an appeal or RKN order.
        escalation_level: Highest escalation level of the action clock reached (``50%``...).
        version: Optimistic-locking counter (starts at 1).
    """

    case_id: str
    content_ref: str
    owner_ref: str | None
    source: CaseSource
    category: str | None
    legal_basis: str | None
    state: CaseState
    detected_at: datetime
    action_clock: str
    action_due_at: datetime
    actioned_at: datetime | None = None
    held_scope: GeoScope | None = None
    automatic_rule: str | None = None
    outcome: Outcome | None = None
    geo_scope: GeoScope | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason_code: str | None = None
    user_notified_at: datetime | None = None
    assignee: str | None = None
    rkn_referral_id: str | None = None
    rkn_decision_ref: str | None = None
    restored_at: datetime | None = None
    escalation_level: str | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class Transition:
    """One audited step of a case's history.

    Attributes:
        case_id: The case.
        seq: 1-based position in the case's history.
        event: The event (``open``, ``hold``, ``decide``...).
        from_state: State before (``None`` for ``open``).
        to_state: State after.
        actor: Who acted (a staff or service id).
        reason_code: Why.
        at: When (UTC).
        details: Small scalar evidence (outcome, scope, rule ...).
    """

    case_id: str
    seq: int
    event: str
    from_state: CaseState | None
    to_state: CaseState
    actor: str
    reason_code: str
    at: datetime
    details: Mapping[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Appeal:
    """A user's appeal against a restriction (§8 ``Appeal``; SN-7).

    Attributes:
        appeal_id: ``ap_...``.
        case_id: The case appealed.
        appellant_ref: The appellant's pseudonymous subject id.
        received_at: When received.
        clock_id: The clock (``sn.appeal.decide``).
        due_at: Decision due (3 days, from the deadline engine).
        state: Open or decided.
        outcome: Upheld or reversed.
        decided_at: When decided.
        decided_by: Reviewer id.
        reason_code: The decision's reason code.
        escalation_level: Highest escalation level reached (``50%``, ``90%``, ``breach``).
        rkn_appeal_ref: Reference of the user's appeal to RKN, if any.
        rkn_order_ref: Reference of an RKN order on it, if any.
        restored_at: When the content was restored.
        version: Optimistic-locking counter.
    """

    appeal_id: str
    case_id: str
    appellant_ref: str
    received_at: datetime
    clock_id: str
    due_at: datetime
    state: AppealState = AppealState.OPEN
    outcome: AppealOutcome | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason_code: str | None = None
    escalation_level: str | None = None
    rkn_appeal_ref: str | None = None
    rkn_order_ref: str | None = None
    restored_at: datetime | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """A notice as sent (SN-6 record).

    Attributes:
        notice_id: ``nt_...``.
        kind: Restriction or appeal decision.
        case_id: The case.
        recipient_ref: The owner's pseudonymous subject id.
        reason_code: Category or reason code.
        legal_basis: Citation, if any.
        outcome: The decision or appeal outcome.
        scope: Scope of the restriction, if any.
        sent_at: When handed to the notifier.
        platform_ref: The notifier's reference, if any.
    """

    notice_id: str
    kind: NoticeKind
    case_id: str
    recipient_ref: str
    reason_code: str
    legal_basis: str | None
    outcome: str
    scope: GeoScope | None
    sent_at: datetime
    platform_ref: str | None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A takedown task in the local ledger.

    Attributes:
        task_id: ``tk_...``.
        kind: The task kind.
        clock_id: The clock rule.
        started_at: Clock start.
        due_at: Deadline.
        legal_basis: Citation.
        status: Open or done.
        dedupe_key: Key that prevents duplicate open tasks (kind + entry + target, or case).
        case_id: The case, if any.
        content_ref: The content, if any.
        target: The platform asset concerned, if any.
        register_entry_id: The register entry, if any.
        evidence: Small scalar evidence.
        external_ref: The sink's reference (e.g. a desk request id), if handed over.
        done_at: When done.
        escalation_level: Highest escalation level reached.
        version: Optimistic-locking counter.
    """

    task_id: str
    kind: TaskKind
    clock_id: str
    started_at: datetime
    due_at: datetime
    legal_basis: str
    status: TaskStatus
    dedupe_key: str
    case_id: str | None = None
    content_ref: str | None = None
    target: str | None = None
    register_entry_id: str | None = None
    evidence: Mapping[str, Scalar] = field(default_factory=dict)
    external_ref: str | None = None
    done_at: datetime | None = None
    escalation_level: str | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class PreservationRecord:
    """Evidence preserved under legal hold in RU storage (MIN-7).

    The content itself stays in the platform's legal-hold store; this record says what was
    preserved, where, and how to recognise it.

    Attributes:
        preservation_id: ``pr_...``.
        case_id: The case.
        content_ref: The content.
        owner_ref: The owner's subject id, if known.
        content_sha256: SHA-256 of the content bytes, when they were available.
        signals: ``(signal type, hash)`` pairs computed from the upload.
        storage_location: Where the hold lives (the RU cell or store name).
        preserved_at: When.
        hold_until: End of the hold, if configured (``None``: until released).
    """

    preservation_id: str
    case_id: str
    content_ref: str
    owner_ref: str | None
    content_sha256: str | None
    signals: tuple[tuple[str, str], ...]
    storage_location: str
    preserved_at: datetime
    hold_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class HotlineDraft:
    """A hotline report DRAFT for CSAM: fields only, never sent by domicile (MIN-7).

    Russian law has no US-style duty to report to a clearinghouse (MIN-7, ``[U]``); a person
    decides whether and where to send it.

    Attributes:
        draft_id: ``hd_...``.
        case_id: The case.
        status: Always ``draft``.
        category: ``C-CSAM``.
        legal_basis: Citation (149-FZ art. 10.6, 15.1; CC RF art. 242.1).
        content_ref: The content.
        account_ref: The uploader's subject id, if known.
        detected_at: Detection time.
        bank: The bank that matched.
        signal_type: The signal type.
        bank_entry_id: The matched entry.
        distance: Match distance.
        upload_signals: ``(signal type, hash)`` pairs of the upload.
        preservation_id: The evidence-preservation record.
        created_at: When drafted.
    """

    draft_id: str
    case_id: str
    status: str
    category: str
    legal_basis: str
    content_ref: str
    account_ref: str | None
    detected_at: datetime
    bank: str | None
    signal_type: str | None
    bank_entry_id: int | None
    distance: int | None
    upload_signals: tuple[tuple[str, str], ...]
    preservation_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccountFlag:
    """A flag on an account (CSAM: terminated, MIN-7)."""

    subject_ref: str
    flag: str
    case_id: str
    at: datetime
