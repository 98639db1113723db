"""The review queue: moderation cases from detection to decision, notice, appeal and restoration.

Typical use::

    space = space_for(dom)                       # the RU cell's database and audit chain
    queue = ReviewQueue(space, clock=SystemClock(), platform=adapter, notifier=adapter)
    case = queue.open_case("vid:42", source="detector", evidence=[...], actor="svc:hash",
                           reason_code="C-DRUG", owner_ref="sub_...", category="C-DRUG")
    queue.hold(case.case_id, scope="RU", actor="svc:hash", reason_code="C-DRUG")
    queue.claim(case.case_id, reviewer="staff:7")
    queue.decide(case.case_id, "restrict_ru", reviewer="staff:7", reason_code="C-DRUG")
    appeal = queue.file_appeal(case.case_id, appellant_ref="sub_...")       # due in 3 days
    queue.decide_appeal(appeal.appeal_id, "reversed", reviewer="staff:9", reason_code="context")

Legal basis: 149-FZ art. 10.6 (SN-1..SN-7), art. 15.1 (REG-2), 436-FZ (age gate); data model
ru-requirements.md §8. See ``docs/moderation.md``.
"""

from domicile.moderation.queue.escalation import EscalationHandler, level_rank
from domicile.moderation.queue.machine import TRANSITIONS, Event, allowed_events
from domicile.moderation.queue.migrate import VERSION_TABLE, current_revision, head_revision, upgrade
from domicile.moderation.queue.model import (
    AccountFlag,
    Appeal,
    AppealOutcome,
    AppealState,
    Case,
    CaseSource,
    CaseState,
    Detector,
    Evidence,
    EvidenceKind,
    HotlineDraft,
    NoticeRecord,
    Outcome,
    PreservationRecord,
    TaskRecord,
    TaskStatus,
    Transition,
)
from domicile.moderation.queue.policy import (
    DEFAULT_AUTOMATIC_RULES,
    DEFAULT_SOURCE_CLOCKS,
    AutomaticRule,
    QueuePolicy,
)
from domicile.moderation.queue.preview import Preview, render_preview
from domicile.moderation.queue.service import WAITING_STATES, ReviewQueue
from domicile.moderation.queue.space import (
    MemoryModerationSpace,
    ModerationSpace,
    ModerationUnit,
    SqlModerationSpace,
    init_space,
    space_for,
    space_for_cell,
)
from domicile.moderation.queue.store import CaseStore, MemoryCaseStore
from domicile.moderation.queue.views import Escalation, ReviewView

__all__ = [
    "DEFAULT_AUTOMATIC_RULES",
    "DEFAULT_SOURCE_CLOCKS",
    "TRANSITIONS",
    "VERSION_TABLE",
    "WAITING_STATES",
    "AccountFlag",
    "Appeal",
    "AppealOutcome",
    "AppealState",
    "AutomaticRule",
    "Case",
    "CaseSource",
    "CaseState",
    "CaseStore",
    "Detector",
    "Escalation",
    "EscalationHandler",
    "Event",
    "Evidence",
    "EvidenceKind",
    "HotlineDraft",
    "MemoryCaseStore",
    "MemoryModerationSpace",
    "ModerationSpace",
    "ModerationUnit",
    "NoticeRecord",
    "Outcome",
    "PreservationRecord",
    "Preview",
    "QueuePolicy",
    "ReviewQueue",
    "ReviewView",
    "SqlModerationSpace",
    "TaskRecord",
    "TaskStatus",
    "Transition",
    "allowed_events",
    "current_revision",
    "head_revision",
    "init_space",
    "level_rank",
    "render_preview",
    "space_for",
    "space_for_cell",
    "upgrade",
]
