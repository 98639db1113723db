"""What a reviewer sees (the case with its evidence in view) and what a sweep reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domicile.moderation.actions.errors import PreviewDecodeError
from domicile.moderation.queue import machine
from domicile.moderation.queue.model import (
    Appeal,
    Case,
    Evidence,
    HotlineDraft,
    NoticeRecord,
    PreservationRecord,
    TaskRecord,
    Transition,
)
from domicile.moderation.queue.policy import CSAM_CATEGORY, QueuePolicy
from domicile.moderation.queue.preview import Preview, render_preview
from domicile.moderation.queue.store import CaseStore

__all__ = ["AutomaticCase", "Escalation", "ReviewView", "build_view"]


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A case as a reviewer sees it: evidence (bank, signal type, distance, quality, register
    entry and decision), history, appeals, notices, tasks, CSAM records and a preview.

    Attributes:
        case: The case.
        evidence: Its evidence, in the order found.
        history: Its audited steps.
        appeals: Its appeals.
        notices: Notices sent.
        tasks: Tasks opened for it.
        preservation: Evidence-preservation records.
        hotline_drafts: Hotline report drafts.
        preview: The preview (blurred unless explicitly unblurred), if the content has an image.
        preview_note: Why there is no preview, if there is none.
        next_events: Events the state machine allows from here.
    """

    case: Case
    evidence: tuple[Evidence, ...]
    history: tuple[Transition, ...]
    appeals: tuple[Appeal, ...]
    notices: tuple[NoticeRecord, ...]
    tasks: tuple[TaskRecord, ...]
    preservation: tuple[PreservationRecord, ...]
    hotline_drafts: tuple[HotlineDraft, ...]
    preview: Preview | None
    preview_note: str | None
    next_events: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AutomaticCase:
    """What an automatic action produced (e.g. a CSAM hash match, MIN-7).

    Attributes:
        case: The case, ``auto_actioned`` and waiting for a person.
        task: The task on the kind's clock, already done (the action is executed), if asked.
        preservation: The evidence-preservation record, if asked.
        hotline_draft: The hotline report draft (never sent), if asked.
    """

    case: Case
    task: TaskRecord | None
    preservation: PreservationRecord | None
    hotline_draft: HotlineDraft | None


@dataclass(frozen=True, slots=True)
class Escalation:
    """A running clock that crossed a new escalation level (50 %, 90 %, breach).

    Attributes:
        kind: ``case`` (first action), ``appeal`` or ``task``.
        item_id: The case, appeal or task id.
        case_id: The case concerned, if any.
        clock_id: The clock.
        level: The level reached.
        due_at: The deadline.
        remaining_seconds: Seconds left (negative once breached).
    """

    kind: str
    item_id: str
    case_id: str | None
    clock_id: str
    level: str
    due_at: datetime
    remaining_seconds: int


def build_view(
    store: CaseStore, case: Case, image: bytes | None, *, unblur: bool, policy: QueuePolicy
) -> ReviewView:
    """Assemble the review view; a preview that cannot be rendered is noted, not fatal."""
    preview: Preview | None = None
    note: str | None = None
    if image is None:
        note = "no_image"
    else:
        try:
            preview = render_preview(
                image,
                blurred=not unblur,
                grayscale=case.category == CSAM_CATEGORY,
                max_side=policy.preview_max_side,
            )
        except PreviewDecodeError:
            note = "preview_undecodable"
    return ReviewView(
        case=case,
        evidence=tuple(store.evidence(case.case_id)),
        history=tuple(store.transitions(case.case_id)),
        appeals=tuple(store.appeals_of(case.case_id)),
        notices=tuple(store.notices(case.case_id)),
        tasks=tuple(store.tasks(case_id=case.case_id)),
        preservation=tuple(store.preservation(case.case_id)),
        hotline_drafts=tuple(store.hotline_drafts(case.case_id)),
        preview=preview,
        preview_note=note,
        next_events=tuple(e.value for e in machine.allowed_events(case.state)),
    )
