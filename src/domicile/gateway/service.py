"""The gateway service: what the HTTP routes call (framework-free).

Every operation authenticates nothing itself (the caller passes a verified
:class:`~domicile.gateway.auth.Principal`), then authorizes through the matrix
(:mod:`domicile.gateway.authz`) per jurisdiction concerned, then - where the matrix says
``transfer`` - through the subject pack's cross-border rules (:mod:`domicile.gateway.policy`),
then calls the library. An allowed cross-border release of PD is written to the transfer
ledger and to the home cell's audit chain *before* the values are returned; a refusal is
audited in the home cell too. Write responses never carry PD values, to anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domicile.audit import AuditEvent
from domicile.core.clock import Clock
from domicile.core.errors import InputError, StoreError, SubjectErasedError
from domicile.gateway.auth import ApiKeyInfo, ApiKeys, IssuedKey, Principal
from domicile.gateway.authz import (
    AUTHZ_RULE,
    AUTHZ_SOURCE,
    Access,
    Action,
    AuthzDecision,
    Role,
    Scope,
    access,
    authorize,
    scope_for,
)
from domicile.gateway.batch import (
    OK,
    IssuedToken,
    ResolvedToken,
    RevealedValue,
    TokenRequest,
    resolve_tokens,
    reveal,
    tokenize_many,
)
from domicile.gateway.errors import AccessDenied, AuthenticationError, NotReadyError, TransferRefused
from domicile.gateway.metrics import GatewayMetrics
from domicile.gateway.policy import TransferDecision, TransferPolicy
from domicile.gateway.store import GatewayStore
from domicile.gateway.transfers import KillSwitch, LedgerEntry, Notice, TransferRecords, pack_for
from domicile.jurisdictions.base import AdequacyList
from domicile.operations import CellStatus, cells_status
from domicile.residency.resolver import Signals
from domicile.service import Domicile, EraseResult, FindHit, check_purpose

log = logging.getLogger("domicile.gateway")


@dataclass(frozen=True)
class TransferNote:
    """The ledger entry under which PD left its country in this response."""

    ledger_id: int
    jurisdiction: str
    destination: str
    notice_id: int | None
    adequate: bool


@dataclass(frozen=True)
class CreatedSubject:
    subject_id: str
    cell: str
    jurisdiction: str
    rule: str
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectRead:
    subject_id: str
    cell: str
    jurisdiction: str
    record_version: int
    values: dict[str, str]
    transfer: TransferNote | None = None


@dataclass(frozen=True)
class PatchedSubject:
    subject_id: str
    cell: str
    jurisdiction: str
    record_version: int
    updated_fields: tuple[str, ...]
    moved: bool
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DetokenizedValue:
    token: str
    status: str
    value: str | None
    field: str | None
    category: str | None
    subject_id: str | None
    cell: str | None
    jurisdiction: str | None


@dataclass(frozen=True)
class DetokenizeResult:
    values: list[DetokenizedValue]
    transfers: list[TransferNote]


@dataclass(frozen=True)
class ReadyReport:
    ready: bool
    checks: dict[str, str]


class Gateway:
    """Authorization, transfer control and ledgering around a :class:`Domicile`."""

    def __init__(
        self,
        dom: Domicile,
        store: GatewayStore,
        keys: ApiKeys,
        records: TransferRecords,
        policy: TransferPolicy,
        clock: Clock,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.dom = dom
        self.store = store
        self.keys = keys
        self.records = records
        self.policy = policy
        self.clock = clock
        self.metrics = metrics

    # -- authentication and authorization ------------------------------------------------
    def authenticate(self, presented: str | None) -> Principal:
        try:
            return self.keys.verify(presented)
        except AuthenticationError:
            if self.metrics:
                self.metrics.auth_failures.inc()
            raise

    def _deny(self, p: Principal, action: Action, exc: AccessDenied) -> AccessDenied:
        if self.metrics:
            self.metrics.denials.labels(p.role.value, action.value).inc()
        log.info("denied role=%s action=%s rule=%s", p.role.value, action.value, exc.rule)
        return exc

    def gate(self, p: Principal, action: Action) -> None:
        """Refuse at once a role that may not do *action* in any scope."""
        if all(access(p.role, action, s) is Access.DENY for s in Scope):
            try:
                authorize(p.role, action, Scope.HOME)
            except AccessDenied as exc:
                raise self._deny(p, action, exc) from None

    def check(
        self, p: Principal, action: Action, jurisdiction: str, categories: Sequence[str], purpose: str
    ) -> tuple[AuthzDecision, TransferDecision | None]:
        """Matrix, then (for ``transfer``) the cross-border rules; raises on refusal."""
        pack = pack_for(self.dom.packs, jurisdiction)
        try:
            decision = authorize(p.role, action, scope_for(p.location, pack))
        except AccessDenied as exc:
            raise self._deny(p, action, exc) from None
        if decision.access is not Access.TRANSFER:
            return decision, None
        td = self.policy.evaluate(pack.CODE, p.location, categories, purpose)
        bad = td.refused_by
        if self.metrics and td.controlled:
            self.metrics.transfers.labels(
                pack.CODE, p.location, "refused" if bad else "allowed", bad.rule if bad else ""
            ).inc()
        if bad is not None:
            log.info(
                "transfer refused %s->%s rule=%s action=%s", pack.CODE, p.location, bad.rule, action.value
            )
        td.raise_if_refused()
        return decision, td if td.controlled else None

    def _audit_refusal(self, cells: Sequence[str], p: Principal, purpose: str, exc: TransferRefused) -> None:
        event = AuditEvent(
            actor=p.principal,
            action="transfer.refused",
            purpose=purpose,
            outcome="refused",
            details={"destination": p.location, "rule": exc.rule, "role": p.role.value},
        )
        for name in cells:
            with self.dom.cell(name).session() as s:
                s.audit.append([event])

    def _ledger(
        self,
        p: Principal,
        td: TransferDecision,
        *,
        cell: str,
        action: Action,
        purpose: str,
        fields: Sequence[str],
        subjects: Sequence[str],
        value_count: int,
        request_id: str,
    ) -> tuple[TransferNote, AuditEvent]:
        """Write the ledger entry; return it and the audit event for the home cell's chain."""
        categories = sorted({self.dom.schema.spec(f).category.value for f in fields})
        entry = self.records.append_ledger(
            principal=p.principal,
            role=p.role.value,
            destination=td.destination,
            jurisdiction=td.jurisdiction,
            cell=cell,
            action=action.value,
            purpose=purpose,
            categories=categories,
            fields=fields,
            subjects=subjects,
            value_count=value_count,
            notice_id=td.notice_id,
            adequate=bool(td.adequate),
            request_id=request_id,
        )
        details: dict[str, str | int | bool | None] = {
            "destination": td.destination,
            "ledger": entry.id,
            "categories": ",".join(categories),
            "values": value_count,
            "notice": td.notice_id,
            "adequate": bool(td.adequate),
        }
        event = AuditEvent(
            actor=p.principal,
            action="transfer.crossborder",
            purpose=purpose,
            outcome="ok",
            subject_ref=subjects[0] if len(subjects) == 1 else None,
            details=details,
        )
        note = TransferNote(entry.id, td.jurisdiction, td.destination, td.notice_id, bool(td.adequate))
        return note, event

    def _categories(self, fields: Sequence[str] | None) -> list[str]:
        names = list(fields) if fields else self.dom.schema.names()
        return sorted({self.dom.schema.spec(f).category.value for f in names})

    # -- subjects ---------------------------------------------------------------------------
    def create_subject(
        self,
        p: Principal,
        fields: Mapping[str, object],
        signals: Mapping[str, object] | None,
        *,
        purpose: str,
        issue_tokens: bool = True,
    ) -> CreatedSubject:
        """Store a subject's PD in its home cell (PD-LOC-1); the response holds ids and tokens only."""
        self.gate(p, Action.SUBJECT_CREATE)
        check_purpose(purpose)
        planned = self.dom.plan([(fields, Signals.from_mapping(dict(signals) if signals else None))])[0]
        self.check(
            p, Action.SUBJECT_CREATE, planned.decision.jurisdiction, self._categories(list(fields)), purpose
        )
        res = self.dom.store_planned(
            [planned], actor=p.principal, purpose=purpose, issue_tokens=issue_tokens
        )[0]
        return CreatedSubject(res.subject_id, res.cell, res.jurisdiction, res.decision.rule, dict(res.tokens))

    def read_subject(
        self, p: Principal, subject_id: str, fields: Sequence[str] | None, *, purpose: str, request_id: str
    ) -> SubjectRead:
        """Decrypt a subject's PD for the caller; from abroad only through the transfer rules."""
        self.gate(p, Action.SUBJECT_READ)
        check_purpose(purpose)
        categories = self._categories(fields)
        cell, row = self.dom.locate(subject_id)
        try:
            _, td = self.check(p, Action.SUBJECT_READ, row.jurisdiction, categories, purpose)
        except TransferRefused as exc:
            self._audit_refusal([cell.name], p, purpose, exc)
            raise
        view = self.dom.get(subject_id, list(fields) if fields else None, actor=p.principal, purpose=purpose)
        note = None
        if td is not None:
            note, event = self._ledger(
                p,
                td,
                cell=view.cell,
                action=Action.SUBJECT_READ,
                purpose=purpose,
                fields=sorted(view.values),
                subjects=[subject_id],
                value_count=len(view.values),
                request_id=request_id,
            )
            with self.dom.cell(view.cell).session() as s:
                s.audit.append([event])
        return SubjectRead(
            view.subject_id, view.cell, view.jurisdiction, view.record_version, view.values, note
        )

    def patch_subject(
        self, p: Principal, subject_id: str, fields: Mapping[str, object], *, purpose: str
    ) -> PatchedSubject:
        """Update fields in the home cell first (PD-LOC-1); re-homes if residency changes."""
        self.gate(p, Action.SUBJECT_PATCH)
        check_purpose(purpose)
        self.dom.schema.validate(fields)
        cell, row = self.dom.locate(subject_id)
        if row.wrapped_dek is None:
            raise SubjectErasedError(f"subject {subject_id} is erased")
        self.check(p, Action.SUBJECT_PATCH, row.jurisdiction, self._categories(list(fields)), purpose)
        view = self.dom.patch(subject_id, fields, actor=p.principal, purpose=purpose)
        moved = view.cell != cell.name
        tokens: dict[str, str] = {}
        if moved:
            with self.dom.cell(view.cell).session() as s:
                tokens = {t.field: t.token for t in s.store.tokens_of(subject_id) if t.scope == "default"}
        return PatchedSubject(
            subject_id,
            view.cell,
            view.jurisdiction,
            view.record_version,
            tuple(sorted(fields)),
            moved,
            tokens,
        )

    def erase_subject(self, p: Principal, subject_id: str, *, reason: str) -> EraseResult:
        """Crypto-shred a subject (152-FZ art. 21; PD-DSR-6, PD-DSR-11)."""
        self.gate(p, Action.SUBJECT_ERASE)
        check_purpose(reason)
        _, row = self.dom.locate(subject_id)
        self.check(p, Action.SUBJECT_ERASE, row.jurisdiction, [], reason)
        return self.dom.erase(subject_id, actor=p.principal, reason=reason)

    def search(
        self, p: Principal, field_name: str, value: str, *, purpose: str, cells: Sequence[str] | None = None
    ) -> list[FindHit]:
        """Subject ids by blind index, in the cells the caller may search (nothing decrypted)."""
        self.gate(p, Action.SUBJECT_SEARCH)
        check_purpose(purpose)
        category = self.dom.schema.spec(field_name).category.value
        allowed: list[str] = []
        for name in cells or list(self.dom.cells):
            cell = self.dom.cell(name)
            try:
                self.check(p, Action.SUBJECT_SEARCH, cell.jurisdiction, [category], purpose)
            except (AccessDenied, TransferRefused):
                if cells:
                    raise
                continue
            allowed.append(name)
        if not allowed:
            raise self._deny(
                p,
                Action.SUBJECT_SEARCH,
                AccessDenied(
                    f"role {p.role.value!r} may search no configured cell from {p.location}",
                    rule=AUTHZ_RULE,
                    legal_source=AUTHZ_SOURCE,
                    evidence={"role": p.role.value, "location": p.location},
                ),
            )
        return self.dom.find(field_name, value, actor=p.principal, purpose=purpose, cells=allowed)

    # -- tokens -----------------------------------------------------------------------------
    def tokenize(self, p: Principal, items: Sequence[TokenRequest], *, purpose: str) -> list[IssuedToken]:
        """Issue tokens for stored subjects' fields (no PD in the response)."""
        self.gate(p, Action.TOKENIZE)

        def hook(jurisdiction: str, categories: frozenset[str]) -> None:
            self.check(p, Action.TOKENIZE, jurisdiction, sorted(categories), purpose)

        out = tokenize_many(self.dom, items, actor=p.principal, purpose=purpose, authorize=hook)
        if self.metrics:
            self.metrics.values.labels("tokenize").inc(len(out))
        return out

    def detokenize(
        self, p: Principal, tokens: Sequence[str], *, purpose: str, request_id: str
    ) -> DetokenizeResult:
        """Values behind tokens; cross-border releases go through the rules and the ledger."""
        self.gate(p, Action.DETOKENIZE)
        check_purpose(purpose)
        resolved = resolve_tokens(self.dom, tokens)
        by_jur: dict[str, list[ResolvedToken]] = {}
        for r in resolved:
            if r.jurisdiction is not None:
                by_jur.setdefault(r.jurisdiction, []).append(r)
        decisions: dict[str, TransferDecision | None] = {}
        for jurisdiction, items in by_jur.items():
            cats = sorted({self.dom.schema.spec(row.field).category.value for r in items for row in r.rows})
            try:
                _, decisions[jurisdiction] = self.check(p, Action.DETOKENIZE, jurisdiction, cats, purpose)
            except TransferRefused as exc:
                self._audit_refusal(sorted({r.cell for r in items if r.cell}), p, purpose, exc)
                raise
        notes: list[TransferNote] = []

        def ledger_first(cell_name: str, values: list[RevealedValue]) -> list[AuditEvent]:
            """Inside the cell's transaction: ledger each cross-border release before it commits."""
            td = decisions.get(self.dom.cells[cell_name].jurisdiction)
            ok = [v for v in values if v.status == OK]
            if td is None or not ok:
                return []
            note, event = self._ledger(
                p,
                td,
                cell=cell_name,
                action=Action.DETOKENIZE,
                purpose=purpose,
                fields=sorted({v.field for v in ok if v.field}),
                subjects=sorted({v.subject_id for v in ok if v.subject_id}),
                value_count=len(ok),
                request_id=request_id,
            )
            notes.append(note)
            return [event]

        revealed = reveal(self.dom, resolved, actor=p.principal, purpose=purpose, before_commit=ledger_first)
        if self.metrics:
            self.metrics.values.labels("detokenize").inc(sum(1 for v in revealed if v.status == OK))
        out = [
            DetokenizedValue(
                v.token,
                v.status,
                v.value,
                v.field,
                self.dom.schema.spec(v.field).category.value if v.field else None,
                v.subject_id,
                v.cell,
                v.jurisdiction,
            )
            for v in revealed
        ]
        return DetokenizeResult(out, notes)

    # -- operations -------------------------------------------------------------------------
    def cells_status(self, p: Principal) -> list[CellStatus]:
        self.gate(p, Action.CELLS_STATUS)
        return cells_status(self.dom)

    def ready(self) -> ReadyReport:
        """Every cell and the gateway database answer (no counts: this is cheap)."""
        checks: dict[str, str] = {}
        for cell in self.dom.cells.values():
            try:
                with cell.session() as s:
                    s.store.get_meta("cell")
                checks[f"cell:{cell.name}"] = "ok"
            except StoreError as exc:
                checks[f"cell:{cell.name}"] = exc.message
        try:
            self.store.ping()
            checks["gateway-db"] = "ok"
        except StoreError as exc:
            checks["gateway-db"] = exc.message
        return ReadyReport(all(v == "ok" for v in checks.values()), checks)

    def require_ready(self) -> ReadyReport:
        report = self.ready()
        if not report.ready:
            raise NotReadyError("not ready: " + ", ".join(k for k, v in report.checks.items() if v != "ok"))
        return report

    # -- transfer administration ------------------------------------------------------------
    def _jurisdiction_scope(self, p: Principal, action: Action, jurisdiction: str) -> None:
        self.gate(p, action)
        try:
            authorize(p.role, action, scope_for(p.location, pack_for(self.dom.packs, jurisdiction)))
        except AccessDenied as exc:
            raise self._deny(p, action, exc) from None

    def adequacy(self, p: Principal, jurisdiction: str) -> AdequacyList | None:
        self.gate(p, Action.TRANSFERS_READ)
        return pack_for(self.dom.packs, jurisdiction).ADEQUACY

    def notices(self, p: Principal, jurisdiction: str | None, destination: str | None) -> list[Notice]:
        self.gate(p, Action.TRANSFERS_READ)
        return self.records.notices(jurisdiction, destination)

    def record_notice(
        self,
        p: Principal,
        *,
        jurisdiction: str,
        destination: str,
        reference: str,
        filed_at: datetime,
        recipient: str,
        categories: Sequence[str] = (),
        purposes: Sequence[str] = (),
        assessed_on: str | None = None,
    ) -> Notice:
        """Record a notice filed with the regulator (PD-XB-2)."""
        self._jurisdiction_scope(p, Action.TRANSFERS_NOTICE, jurisdiction)
        return self.records.record_notice(
            jurisdiction=jurisdiction,
            destination=destination,
            reference=reference,
            filed_at=filed_at,
            recipient=recipient,
            categories=categories,
            purposes=purposes,
            assessed_on=assessed_on,
            actor=p.principal,
        )

    def withdraw_notice(self, p: Principal, notice_id: int) -> Notice:
        self.gate(p, Action.TRANSFERS_NOTICE)
        current = [n for n in self.records.notices() if n.id == notice_id]
        if current:
            self._jurisdiction_scope(p, Action.TRANSFERS_NOTICE, current[0].jurisdiction)
        return self.records.withdraw_notice(notice_id, actor=p.principal)

    def kill_switches(self, p: Principal, active_only: bool) -> list[KillSwitch]:
        self.gate(p, Action.TRANSFERS_READ)
        return self.records.kill_switches(active_only=active_only)

    def engage(self, p: Principal, jurisdiction: str, destination: str, decision_ref: str) -> KillSwitch:
        self._jurisdiction_scope(p, Action.KILL_ENGAGE, jurisdiction)
        switch = self.records.engage(
            jurisdiction=jurisdiction, destination=destination, decision_ref=decision_ref, actor=p.principal
        )
        log.warning("kill switch engaged %s->%s by %s", switch.jurisdiction, switch.destination, p.principal)
        return switch

    def release(self, p: Principal, jurisdiction: str, destination: str) -> KillSwitch:
        self._jurisdiction_scope(p, Action.KILL_RELEASE, jurisdiction)
        return self.records.release(jurisdiction=jurisdiction, destination=destination, actor=p.principal)

    def ledger(
        self,
        p: Principal,
        *,
        destination: str | None = None,
        jurisdiction: str | None = None,
        since: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[LedgerEntry]:
        self.gate(p, Action.TRANSFERS_LEDGER)
        return self.records.ledger(
            destination=destination, jurisdiction=jurisdiction, since=since, after_id=after_id, limit=limit
        )

    def check_transfer(
        self, p: Principal, jurisdiction: str, destination: str, categories: Sequence[str], purpose: str
    ) -> TransferDecision:
        """Dry run of the cross-border rules (nothing is released or ledgered)."""
        self.gate(p, Action.TRANSFERS_READ)
        check_purpose(purpose)
        from domicile.gateway.countries import check_country
        from domicile.gateway.transfers import check_categories

        return self.policy.evaluate(
            pack_for(self.dom.packs, jurisdiction).CODE,
            check_country(destination, "destination"),
            check_categories(categories),
            purpose,
        )

    # -- API keys ---------------------------------------------------------------------------
    def list_keys(self, p: Principal) -> list[ApiKeyInfo]:
        self.gate(p, Action.APIKEYS_MANAGE)
        return self.keys.list()

    def create_key(
        self,
        p: Principal,
        principal: str,
        role: Role | str,
        location: str,
        note: str,
        authority_type: str | None = None,
    ) -> IssuedKey:
        self.gate(p, Action.APIKEYS_MANAGE)
        return self.keys.create(principal, role, location, note, authority_type)

    def revoke_key(self, p: Principal, key_id: str) -> ApiKeyInfo:
        self.gate(p, Action.APIKEYS_MANAGE)
        if key_id == p.key_id:
            raise InputError("an admin may not revoke the key it is calling with")
        return self.keys.revoke(key_id)


__all__ = [
    "CreatedSubject",
    "DetokenizeResult",
    "DetokenizedValue",
    "Gateway",
    "PatchedSubject",
    "ReadyReport",
    "SubjectRead",
    "TransferNote",
]
