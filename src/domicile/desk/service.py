"""The :class:`Desk` facade: the regulator desk's library API, composed by constructor injection.

The CLI (:mod:`domicile.cli.desk`) and the HTTP router (:mod:`domicile.desk.http`) are thin
adapters over these methods. Build one with :func:`domicile.desk.runtime.open_desk`, or directly
(tests pass an in-memory RU cell, a fixed clock and the example adapter).

Legal frame: 236-FZ art. 5-6 (LAND-2, LAND-4, LAND-5: a representative office that receives and
decides the authorities' requests, reachable 24/7), 149-FZ art. 10.6, 15.1, 15.3 and 152-FZ
art. 14, 20, 21 (the clocks of the catalog). Every state change and decision is audited in the
RU cell's audit log with ids only.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from domicile.audit import AuditEvent, DetailValue
from domicile.cells.runtime import Cell
from domicile.core.clock import Clock, SystemClock, iso_utc
from domicile.desk import decisions as _decisions
from domicile.desk import escalate as _escalate
from domicile.desk import execution as _execution
from domicile.desk import incidents as _incidents
from domicile.desk import intake as _intake
from domicile.desk import quarantine as _quarantine
from domicile.desk import workflow as _workflow
from domicile.desk.adapter import PlatformAdapter
from domicile.desk.catalog import RequestCatalog, RequestType
from domicile.desk.config import Limits, OperatorInfo
from domicile.desk.deadlines import Deadline, DeadlineEngine
from domicile.desk.errors import DeskNotFoundError
from domicile.desk.models import ClockView, Receipt, ReceiptClock, RequestView, parse_ts
from domicile.desk.notifiers import Notifier
from domicile.desk.sealed import SealedStore
from domicile.desk.signing import Signer
from domicile.desk.store import DeskDatabase, DeskStore
from domicile.service import Domicile, check_actor
from domicile.vault.keys import KeyPurpose

__all__ = ["Desk"]


class Desk:
    """The regulator desk over a desk database, the RU cell and the platform adapter.

    Args:
        db: the desk database (located in Russia).
        dom: the domicile facade (vault for PD-subject requests, audit logs of every cell).
        cell: the RU cell holding the desk's PD keys and its audit log.
        catalog: request types and clocks of the pack.
        engine: the deadline engine.
        sealed: sealed-blob storage (RU).
        adapter: the platform adapter.
        notifiers: escalation notifiers.
        limits: input bounds.
        clock: time source (a ``FixedClock`` in tests).
        operator: the operator's name and address for access packages.
        signer: the representative's key, if this process signs decisions.
    """

    def __init__(
        self,
        *,
        db: DeskDatabase,
        dom: Domicile,
        cell: Cell,
        catalog: RequestCatalog,
        engine: DeadlineEngine,
        sealed: SealedStore,
        adapter: PlatformAdapter,
        notifiers: Sequence[Notifier] = (),
        limits: Limits | None = None,
        clock: Clock | None = None,
        operator: OperatorInfo | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.db = db
        self.dom = dom
        self.cell = cell
        self.catalog = catalog
        self.engine = engine
        self.sealed = sealed
        self.adapter = adapter
        self.notifiers = list(notifiers)
        self.limits = limits or Limits()
        self.clock = clock or SystemClock()
        self.operator = operator or OperatorInfo()
        self.signer = signer
        first = cell.keys.versions()[0]
        self._url_key = hmac.new(
            cell.keys.secret(first, KeyPurpose.BLIND_INDEX), b"desk-url", "sha256"
        ).digest()

    # -- plumbing -----------------------------------------------------------------------
    def now(self) -> str:
        """The current time as stored."""
        return iso_utc(self.clock.now())

    def audit(self, events: Sequence[AuditEvent]) -> None:
        """Append PD-free events to the RU cell's audit log (call inside a desk unit)."""
        with self.cell.session() as s:
            s.audit.append(list(events))

    def event(
        self,
        actor: str,
        action: str,
        rtype: RequestType,
        request_id: str,
        subject_id: str | None = None,
        *,
        outcome: str = "ok",
        details: Mapping[str, DetailValue] | None = None,
        **more: DetailValue,
    ) -> AuditEvent:
        """An audit event about a request (the request id goes in the details)."""
        return AuditEvent(
            actor=actor,
            action=action,
            purpose=f"desk.{rtype.kind.value}",
            outcome=outcome,
            subject_ref=subject_id,
            details={"request": request_id, **dict(details or {}), **more},
        )

    def url_fingerprint(self, url: str) -> str:
        """A keyed fingerprint of a URL (the URL itself is PD-adjacent and stays in the dossier)."""
        return hmac.new(self._url_key, url.strip().encode("utf-8"), "sha256").hexdigest()[:32]

    def deadline_for(
        self, rtype: RequestType, clock_id: str, started: dt.datetime, amount: int | None = None
    ) -> Deadline:
        """Compute a clock of a request type, with an optional per-request term (primary clock)."""
        rule = self.catalog.clocks.rule(clock_id)
        if amount is not None and clock_id == rtype.primary_clock:
            rule = rule.revised("request:stated-term", amount=amount)
        return self.engine.compute_rule(rule, started)

    def deadline(self, request: RequestView, clock: ClockView, store: DeskStore) -> Deadline:
        """Rebuild a running clock's deadline with its evidence and extensions."""
        rtype = self.catalog.type(request.type_id)
        d = self.deadline_for(rtype, clock.clock_id, parse_ts(clock.started_at), clock.amount)
        for notice_at, days in store.clock_extensions(request.id, clock.clock_id):
            d = self.engine.extend(d, notice_sent_at=parse_ts(notice_at), working_days=days)
        return d

    # -- reads ----------------------------------------------------------------------------
    def get(self, request_id: str, *, with_events: bool = True) -> RequestView:
        """A request with its items, clocks and timeline (no PD).

        Raises:
            DeskNotFoundError: no such request.
        """
        with self.db.read() as store:
            return self.view_in(store, request_id, with_events)

    def view_in(self, store: DeskStore, request_id: str, with_events: bool = True) -> RequestView:
        """Like :meth:`get`, inside an open unit or read connection."""
        req = store.get_request(request_id)
        if req is None:
            raise DeskNotFoundError(f"no request {request_id[:48]!r}")
        return replace(
            req,
            items=tuple(store.items(request_id)),
            clocks=tuple(store.clocks(request_id)),
            events=tuple(store.events(request_id)) if with_events else (),
        )

    def list_requests(
        self,
        *,
        state: str | None = None,
        type_id: str | None = None,
        assignee: str | None = None,
        open_only: bool = False,
        limit: int = 100,
    ) -> list[RequestView]:
        """Requests, most urgent first."""
        with self.db.read() as store:
            return store.list_requests(
                state=state, type_id=type_id, assignee=assignee, open_only=open_only, limit=limit
            )

    def receipt(self, request_id: str, *, duplicate: bool = False) -> Receipt:
        """The acknowledgement receipt of a request (again)."""
        with self.db.read() as store:
            req = self.view_in(store, request_id, with_events=False)
            clocks = []
            for c in req.clocks:
                d = self.deadline(req, c, store)
                clocks.append(
                    ReceiptClock(c.clock_id, c.due_at, d.evidence.legal_source, d.evidence.internal_target)
                )
        return Receipt(
            req.id,
            req.type_id,
            req.channel,
            req.received_at,
            req.acknowledged_at or req.received_at,
            req.legal_basis,
            req.state,
            tuple(clocks),
            duplicate,
        )

    def read_dossier(self, request_id: str, *, actor: str, purpose: str) -> dict[str, Any]:
        """Decrypt a request's dossier (PD) inside the RU desk; audited with the purpose.

        Raises:
            DeskNotFoundError: no request, or it has no dossier.
        """
        from domicile.service import check_purpose

        check_actor(actor)
        check_purpose(purpose)
        req = self.get(request_id, with_events=False)
        if req.dossier_ref is None:
            raise DeskNotFoundError(f"request {request_id} has no dossier")
        with self.db.unit() as unit:
            body = self.sealed.get(unit.store, req.dossier_ref).json()
            self.audit(
                [
                    AuditEvent(
                        actor=actor,
                        action="desk.dossier.read",
                        purpose=purpose,
                        outcome="ok",
                        subject_ref=req.subject_id,
                        details={"request": request_id},
                    )
                ]
            )
        return dict(body)

    # -- intake ---------------------------------------------------------------------------
    def submit(self, submission: _intake.Submission, *, channel: str, actor: str, **kw: Any) -> Receipt:
        """Create and acknowledge a request (see :func:`domicile.desk.intake.submit`)."""
        return _intake.submit(self, submission, channel=channel, actor=actor, **kw)

    def submit_json(self, body: bytes, *, channel: str, actor: str, **kw: Any) -> Receipt:
        """Parse, validate and submit raw JSON (see :func:`domicile.desk.intake.submit_json`)."""
        return _intake.submit_json(self, body, channel=channel, actor=actor, **kw)

    # -- workflow -------------------------------------------------------------------------
    def triage(
        self, request_id: str, *, actor: str, assignee: str | None = None, priority: int | None = None
    ) -> RequestView:
        """acknowledged -> triaged (optionally assign and re-prioritise)."""
        return _workflow.triage(self, request_id, actor=actor, assignee=assignee, priority=priority)

    def assign(self, request_id: str, assignee: str, *, actor: str) -> RequestView:
        """Assign an open request to a person (staff id)."""
        return _workflow.assign(self, request_id, assignee, actor=actor)

    def start_review(self, request_id: str, *, actor: str) -> RequestView:
        """triaged -> legal_review."""
        return _workflow.start_review(self, request_id, actor=actor)

    def decide(
        self, request_id: str, decision: _decisions.DecisionInput, *, actor: str, signer: Signer | None = None
    ) -> _decisions.SignedDecision:
        """Sign the representative's decision (legal_review -> decided)."""
        return _decisions.decide(self, request_id, decision, actor=actor, signer=signer or self.signer)

    def execute(self, request_id: str, *, actor: str) -> _execution.ExecutionReport:
        """Carry out the signed decision through the adapter or the vault (decided -> executed)."""
        return _execution.execute(self, request_id, actor=actor)

    def auto_execute(
        self,
        request_id: str,
        rule_id: str,
        *,
        trigger: str,
        actor: str,
        evidence: Mapping[str, DetailValue] | None = None,
    ) -> _execution.ExecutionReport:
        """Run an automatic action the pack allows (e.g. a CSAM hash match), recorded as such."""
        return _execution.auto_execute(
            self, request_id, rule_id, trigger=trigger, actor=actor, evidence=evidence or {}
        )

    def extend(self, request_id: str, clock_id: str, reasoning: str, *, actor: str) -> Deadline:
        """Extend a clock once with a reasoned notice to the requester (e.g. +5 wd, PD-DSR-1)."""
        return _workflow.extend(self, request_id, clock_id, reasoning, actor=actor)

    def answer(self, request_id: str, *, actor: str) -> _workflow.AnswerReport:
        """Deliver the answer to the requester (executed -> answered; a rejection: decided -> answered)."""
        return _workflow.answer(self, request_id, actor=actor)

    def close(self, request_id: str, *, actor: str) -> RequestView:
        """answered -> closed."""
        return _workflow.close(self, request_id, actor=actor)

    def register_signer(self, signer: Signer, *, actor: str) -> bool:
        """Register the representative's public key; False if it already is."""
        return _decisions.register_signer(self, signer, actor=actor)

    def verify(self) -> _decisions.VerifyResult:
        """Check every decision's signature and the chain, and cross-check the RU audit log."""
        return _decisions.verify(self)

    # -- escalation, incidents, quarantine -------------------------------------------------
    def escalate(self, now: dt.datetime | None = None) -> _escalate.EscalationRun:
        """Send due 50 % / 90 % / breach notifications through every notifier."""
        return _escalate.run(self, now)

    def record_incident(self, incident: _incidents.IncidentInput, *, actor: str) -> _incidents.IncidentView:
        """Record a PD breach incident, start both notice clocks, count affected subjects."""
        return _incidents.record(self, incident, actor=actor)

    def incident(self, request_id: str) -> _incidents.IncidentView:
        """An incident with its clocks and counts."""
        return _incidents.view(self, request_id)

    def draft_notices(
        self, request_id: str, *, actor: str
    ) -> tuple[_incidents.NoticeDraft, _incidents.NoticeDraft]:
        """Draft both notices to RKN with the fields 152-FZ art. 21 part 3.1 asks for."""
        return _incidents.draft_notices(self, request_id, actor=actor)

    def update_incident(
        self, request_id: str, update: _incidents.IncidentUpdate, *, actor: str
    ) -> _incidents.IncidentView:
        """Add investigation results (for notice 2) or correct notice fields."""
        return _incidents.update(self, request_id, update, actor=actor)

    def file_notice(self, request_id: str, number: int, *, actor: str) -> _incidents.IncidentView:
        """Record that notice 1 or 2 was filed with RKN (meets its clock)."""
        return _incidents.file_notice(self, request_id, number, actor=actor)

    def quarantine_list(
        self, *, status: str | None = "open", limit: int = 100
    ) -> list[_quarantine.QuarantineEntry]:
        """Refused raw inputs waiting for a person."""
        return _quarantine.list_entries(self, status=status, limit=limit)

    def quarantine_show(
        self, qid: str, *, actor: str, purpose: str
    ) -> tuple[_quarantine.QuarantineEntry, bytes]:
        """A quarantine entry and its raw bytes (decrypted in the RU desk; audited)."""
        return _quarantine.show(self, qid, actor=actor, purpose=purpose)

    def quarantine_resolve(self, qid: str, status: str, *, actor: str) -> _quarantine.QuarantineEntry:
        """Mark an entry ``released`` (re-submitted by a person) or ``discarded`` (raw input erased)."""
        return _quarantine.resolve(self, qid, status, actor=actor)

    def close_resources(self) -> None:
        """Release the desk database connections and the notifiers' clients."""
        for notifier in self.notifiers:
            notifier.close()
        self.db.close()
