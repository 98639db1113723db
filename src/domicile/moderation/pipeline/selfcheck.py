"""REG-5 self-check of the platform's own domains and addresses, turned into takedown tasks.

Each register hit on a platform asset becomes a ``register_takedown`` task on the 24 h clock
(``reg.takedown.remove``, 149-FZ art. 15.1, REG-2) — one open task per (entry, asset), so a
re-run adds nothing new. A listed *page* of the platform that a :class:`ContentResolver` maps
to a piece of content also opens a moderation case for it (source ``registry_notice``, held
in Russia at once, evidence: entry id, decision, rule). Tasks go to the local ledger and, when
configured, to the regulator desk through the queue's task sink.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from domicile.audit import DetailValue
from domicile.moderation.actions.model import GeoScope
from domicile.moderation.actions.tasks import TaskKind
from domicile.moderation.queue.model import Case, CaseSource, Detector, Evidence, EvidenceKind, TaskRecord
from domicile.moderation.queue.service import ReviewQueue
from domicile.moderation.registry import Hit, Matcher, SelfCheckReport

__all__ = ["ContentResolver", "SelfCheckOutcome", "register_evidence", "self_check_tasks"]

DEFAULT_BASIS = "149-FZ art. 15.1"


@runtime_checkable
class ContentResolver(Protocol):
    """Maps a platform URL to the content it shows, if any."""

    def resolve(self, url: str) -> tuple[str, str | None] | None:
        """``(content ref, owner's subject id or None)``, or ``None`` when the URL is not content."""
        ...


@dataclass(frozen=True, slots=True)
class SelfCheckOutcome:
    """One self-check run.

    Attributes:
        report: The register's answer (REG-5 record: snapshot time and hits).
        tasks: Every task concerned (new and already open), each once, in hit order.
        created: How many tasks were opened by this run.
        cases: Cases opened for listed platform pages.
    """

    report: SelfCheckReport
    tasks: tuple[TaskRecord, ...]
    created: int
    cases: tuple[Case, ...]


def register_evidence(hit: Hit, register_sha256: str) -> Evidence:
    """A register hit as case evidence (entry id and decision, the rule, the listed value)."""
    decision = hit.entry.decision
    return Evidence(
        EvidenceKind.REGISTER,
        Detector.REGISTER,
        register_entry_id=hit.entry_id,
        register_rule=hit.rule.value,
        listed=hit.listed,
        decision_org=decision.org or None,
        decision_number=decision.number or None,
        decision_date=decision.date.isoformat() if decision.date else None,
        legal_basis=str(hit.legal_basis) if hit.legal_basis is not None else None,
        register_sha256=register_sha256 or None,
    )


def _task_evidence(hit: Hit) -> dict[str, DetailValue]:
    decision = hit.entry.decision
    return {
        "rule": hit.rule.value,
        "listed": hit.listed,
        "blocking": hit.blocking,
        "decision_number": decision.number or None,
        "decision_date": decision.date.isoformat() if decision.date else None,
    }


def self_check_tasks(
    queue: ReviewQueue,
    matcher: Matcher,
    *,
    domains: Sequence[str] = (),
    ips: Sequence[str] = (),
    actor: str = "svc:selfcheck",
    resolver: ContentResolver | None = None,
    detected_at: datetime | None = None,
) -> SelfCheckOutcome:
    """Run the REG-5 self-check and open a 24 h takedown task per hit (REG-2).

    Raises:
        RegisterQueryError: A domain or address is malformed (names its position); nothing is opened.
    """
    report = matcher.self_check(domains, ips)
    at = detected_at or queue.clock.now()
    tasks: list[TaskRecord] = []
    cases: list[Case] = []
    created = 0
    for result in report.results:
        for hit in result.hits:
            basis = str(hit.legal_basis) if hit.legal_basis is not None else DEFAULT_BASIS
            content = resolver.resolve(hit.listed) if resolver is not None and "/" in hit.listed else None
            case_id: str | None = None
            if content is not None:
                existing = queue.cases_of_content(content[0])
                case = existing[0] if existing else None
                if case is None:
                    case = queue.open_case(
                        content[0], source=CaseSource.REGISTRY_NOTICE,
                        evidence=[register_evidence(hit, report.register_sha256)], actor=actor,
                        reason_code="register_listed", owner_ref=content[1], legal_basis=basis,
                        detected_at=at, hold_scope=GeoScope.RU,
                    )  # fmt: skip
                    cases.append(case)
                case_id = case.case_id
            task, new = queue.open_task(
                TaskKind.REGISTER_TAKEDOWN, started_at=at, legal_basis=basis, actor=actor,
                dedupe_key=f"register:{hit.entry_id}:{result.normalized}", case_id=case_id,
                content_ref=content[0] if content else None, target=result.normalized,
                register_entry_id=hit.entry_id, evidence=_task_evidence(hit),
            )  # fmt: skip
            created += new
            if all(t.task_id != task.task_id for t in tasks):
                tasks.append(task)
    return SelfCheckOutcome(report, tuple(tasks), created, tuple(cases))
