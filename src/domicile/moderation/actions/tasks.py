"""Takedown tasks with a legal clock, and the seam that hands them to the regulator desk.

The moderation side computes the deadline itself (with the desk's deadline engine and the
pack's clock rules), records every task in its own ledger (``mod_tasks``) and, when a
:class:`TaskSink` is configured, hands the task over and keeps the receiver's reference. So
moderation "hands deadlines to the regulator desk where both exist" and still works on its own
(no sink: the local ledger is the task list, and ``ReviewQueue.sweep`` escalates it).

To connect the desk, implement :class:`TaskSink` over its intake (``desk_request_type`` names
the desk catalog's request type for each kind) and pass it to the review queue.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

__all__ = ["MemoryTaskSink", "TaskKind", "TaskRequest", "TaskSink"]


class TaskKind(StrEnum):
    """What the task is, with its clock (ids from ``jurisdictions/ru/data/clocks.yaml``)."""

    REGISTER_TAKEDOWN = "register_takedown"
    """A platform URL, domain or address is in the register: remove or geo-restrict (REG-2, 24 h)."""
    CSAM_DETECTION = "csam_detection"
    """CSAM hash match, actioned automatically (SN-2, MIN-7; internal target 15 min)."""
    DOUBTFUL_REFERRAL = "doubtful_referral"
    """Doubtful content, restricted meanwhile: refer to RKN (SN-3, 24 h)."""

    @property
    def clock_id(self) -> str:
        """The clock rule that sets the deadline."""
        return _CLOCKS[self]

    @property
    def desk_request_type(self) -> str:
        """The regulator desk catalog's request type for this kind."""
        return _DESK_TYPES[self]


_CLOCKS = {
    TaskKind.REGISTER_TAKEDOWN: "reg.takedown.remove",
    TaskKind.CSAM_DETECTION: "sn.selfmon.restrict_csam",
    TaskKind.DOUBTFUL_REFERRAL: "sn.doubtful.refer",
}
_DESK_TYPES = {
    TaskKind.REGISTER_TAKEDOWN: "register_takedown",
    TaskKind.CSAM_DETECTION: "csam_detection",
    TaskKind.DOUBTFUL_REFERRAL: "selfmon_detection",
}


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """A task handed to a sink: what, on which clock, due when, and the evidence.

    Attributes:
        task_id: ``tk_...`` (the local ledger's id).
        kind: The task kind.
        clock_id: The clock rule used.
        started_at: When the clock started (detection / notice time, UTC).
        due_at: The deadline from the deadline engine (UTC).
        legal_basis: Citation of the law behind it.
        case_id: The moderation case, if any.
        content_ref: The content, if known.
        target: The listed platform asset (normalized domain, URL or IP), if any.
        register_entry_id: The register entry, if any.
        evidence: Small scalar evidence (rule, decision number, bank, distance ...).
    """

    task_id: str
    kind: TaskKind
    clock_id: str
    started_at: datetime
    due_at: datetime
    legal_basis: str
    case_id: str | None = None
    content_ref: str | None = None
    target: str | None = None
    register_entry_id: str | None = None
    evidence: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)


@runtime_checkable
class TaskSink(Protocol):
    """Receives takedown tasks (the regulator desk, a ticketing system ...)."""

    def submit(self, task: TaskRequest) -> str | None:
        """Accept ``task``; return the receiver's reference for it, if any."""
        ...


class MemoryTaskSink:
    """Keeps submitted tasks in a list (tests, embedding)."""

    def __init__(self) -> None:
        self.tasks: list[TaskRequest] = []
        self._lock = threading.Lock()

    def submit(self, task: TaskRequest) -> str | None:
        """Keep ``task``; return ``mem-task:<n>``."""
        with self._lock:
            self.tasks.append(task)
            return f"mem-task:{len(self.tasks)}"
