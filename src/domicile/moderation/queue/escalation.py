"""Escalation of running clocks: first actions, appeals (SN-7, 3 days) and takedown tasks.

:func:`sweep_unit` assesses each running clock with the desk's escalation thresholds (50 %,
90 %, breach by default; ru-requirements §9 item 3) and reports — once per level — those that
crossed a new one, recording the level reached so a later sweep does not repeat it. The
:class:`EscalationHandler` seam receives them (page the on-call, escalate to a lead ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from domicile.audit import DetailValue
from domicile.desk.deadlines import DeadlineEngine
from domicile.desk.escalation import BREACH, assess
from domicile.moderation.queue.model import TaskStatus
from domicile.moderation.queue.space import ModerationUnit
from domicile.moderation.queue.views import Escalation

__all__ = ["EscalationHandler", "level_rank", "sweep_unit"]

AuditFn = Callable[..., None]


@runtime_checkable
class EscalationHandler(Protocol):
    """Receives clocks that crossed a new escalation level."""

    def escalate(self, item: Escalation) -> None:
        """Handle one escalation (must not raise for delivery problems it can retry)."""
        ...


def level_rank(level: str | None) -> float:
    """Order of levels: ``None`` < ``50%`` < ``90%`` < ``breach``."""
    if level is None:
        return -1.0
    if level == BREACH:
        return 1000.0
    return float(level.rstrip("%"))


def sweep_unit(
    u: ModerationUnit, deadlines: DeadlineEngine, now: datetime, actor: str, audit: AuditFn
) -> list[Escalation]:
    """Escalate, inside the unit ``u``, every running clock that crossed a new level.

    Args:
        u: The unit of work.
        deadlines: The deadline engine.
        now: The current time.
        actor: Who sweeps (for the audit log).
        audit: ``audit(unit, actor, action, subject, details)``.
    """
    store = u.store
    found: list[Escalation] = []

    def reached(
        kind: str,
        item_id: str,
        case_id: str | None,
        clock_id: str,
        started: datetime,
        known: str | None,
        subject: str | None,
    ) -> str | None:
        status = assess(deadlines.compute(clock_id, started), now)
        if status.level is None or level_rank(status.level) <= level_rank(known):
            return None
        item = Escalation(
            kind,
            item_id,
            case_id,
            clock_id,
            status.level,
            status.due_at,
            int(status.remaining.total_seconds()),
        )
        found.append(item)
        details: Mapping[str, DetailValue] = {
            "kind": kind, "item_id": item_id, "case_id": case_id, "clock_id": clock_id,
            "level": status.level.replace("%", "pct"), "remaining_s": item.remaining_seconds,
        }  # fmt: skip
        audit(u, actor, "moderation.escalate", subject, details)
        return status.level

    for case in store.unactioned_cases():
        level = reached(
            "case",
            case.case_id,
            case.case_id,
            case.action_clock,
            case.detected_at,
            case.escalation_level,
            case.owner_ref,
        )
        if level is not None:
            store.update_case(replace(case, escalation_level=level, version=case.version + 1), case.version)
    for appeal in store.open_appeals():
        level = reached(
            "appeal",
            appeal.appeal_id,
            appeal.case_id,
            appeal.clock_id,
            appeal.received_at,
            appeal.escalation_level,
            appeal.appellant_ref,
        )
        if level is not None:
            store.update_appeal(
                replace(appeal, escalation_level=level, version=appeal.version + 1), appeal.version
            )
    for task in store.tasks(TaskStatus.OPEN):
        level = reached(
            "task", task.task_id, task.case_id, task.clock_id, task.started_at, task.escalation_level, None
        )
        if level is not None:
            store.update_task(replace(task, escalation_level=level, version=task.version + 1), task.version)
    return found
