"""Escalation runs: assess every open clock and notify at 50 %, 90 % and breach.

:func:`run` takes "now" from the desk's clock (a ``FixedClock`` in tests) or an argument,
assesses each open clock with :func:`domicile.desk.escalation.assess` (working-day clocks
measure working time), and sends the highest newly crossed level through every notifier that
has not delivered it (or a higher one) yet. Each attempt is recorded in ``desk_notifications``
and audited; a failed delivery is retried on the next run (ru-requirements §9 item 3; PD-BR-2:
an alert at T+12 h, breach at T+24 h; LAND-5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domicile.audit import AuditEvent, DetailValue
from domicile.core.clock import iso_utc
from domicile.desk.clocks import Owner
from domicile.desk.deadlines import as_utc
from domicile.desk.errors import NotifierError
from domicile.desk.escalation import BREACH, assess
from domicile.desk.notifiers import Notification, Notifier

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = ["Delivery", "EscalationRun", "run"]


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt of one level of one clock through one notifier."""

    request_id: str
    clock_id: str
    level: str
    notifier: str
    ok: bool
    error: str | None


@dataclass(frozen=True)
class EscalationRun:
    """What one run assessed and sent."""

    at: str
    assessed: int
    deliveries: tuple[Delivery, ...]

    @property
    def sent(self) -> int:
        """Successful deliveries."""
        return sum(1 for d in self.deliveries if d.ok)

    @property
    def failed(self) -> int:
        """Failed deliveries (retried next run)."""
        return sum(1 for d in self.deliveries if not d.ok)


def run(desk: Desk, now: dt.datetime | None = None) -> EscalationRun:
    """Assess every open clock at ``now`` and deliver due notifications."""
    at = as_utc(now, "now") if now is not None else desk.clock.now()
    plan: list[tuple[Notification, Notifier]] = []
    assessed = 0
    with desk.db.read() as store:
        for request_id, clock, _state in store.open_clocks():
            if desk.catalog.clocks.rule(clock.clock_id).owner is Owner.AUTHORITY:
                continue
            req = store.get_request(request_id)
            if req is None:  # pragma: no cover - joined on the request
                continue
            deadline = desk.deadline(req, clock, store)
            status = assess(deadline, at)
            assessed += 1
            if status.level is None:
                continue
            labels = [t.label for t in status.thresholds] + [BREACH]
            rank = labels.index(status.level)
            delivered = store.delivered_levels(request_id, clock.clock_id)
            note = Notification(
                request_id=request_id,
                type_id=req.type_id,
                clock_id=clock.clock_id,
                level=status.level,
                due_at=iso_utc(deadline.due_at),
                at=iso_utc(at),
                assignee=req.assignee,
                legal_source=deadline.evidence.legal_source,
            )
            for notifier in desk.notifiers:
                done = delivered.get(notifier.name, set())
                if any(labels.index(level) >= rank for level in done if level in labels):
                    continue
                plan.append((note, notifier))
    deliveries = [_deliver(desk, note, notifier) for note, notifier in plan]
    return EscalationRun(iso_utc(at), assessed, tuple(deliveries))


def _deliver(desk: Desk, note: Notification, notifier: Notifier) -> Delivery:
    try:
        notifier.send(note)
        ok, error = True, None
    except NotifierError as exc:
        ok, error = False, exc.message[:200]
    with desk.db.unit() as unit:
        unit.store.add_notification(
            note.request_id, note.clock_id, note.level, notifier.name, desk.now(), ok, error
        )
        details: dict[str, DetailValue] = {
            "clock": note.clock_id,
            "level": note.level,
            "notifier": notifier.name,
            "ok": ok,
        }
        unit.store.add_event(note.request_id, desk.now(), "svc:desk", "desk.escalation", details=details)
        desk.audit(
            [
                AuditEvent(
                    actor="svc:desk",
                    action="desk.escalation",
                    purpose="desk.deadlines",
                    outcome="ok" if ok else "failed",
                    details={"request": note.request_id, **details, "level": note.level.replace("%", "pct")},
                )
            ]
        )
    return Delivery(note.request_id, note.clock_id, note.level, notifier.name, ok, error)
