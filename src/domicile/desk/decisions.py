"""Signed decisions of the representative office, and their verification.

A decision is signed only in ``legal_review``, with a key registered in ``desk_signers``
(236-FZ art. 5-6; LAND-4: the representative office takes legally significant decisions on
the authorities' requests). The reasoning text is sealed in RU storage and its SHA-256 is
signed with the rest (:mod:`domicile.desk.signing`); decisions are chained. :func:`verify`
checks every signature, hash, link and reasoning digest, and cross-checks the RU audit log,
which records each decision's chain hash at signing (a deleted tail is detected).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domicile.audit import AuditEvent
from domicile.desk.catalog import RequestType
from domicile.desk.errors import DeskInputError, DeskNotFoundError, SignerKeyError, WorkflowRefusedError
from domicile.desk.models import Action, DecisionKind, RequestView, State, Verdict
from domicile.desk.sealed import BlobErasedError
from domicile.desk.signing import (
    GENESIS_HASH,
    DecisionPayload,
    DecisionVerifyReport,
    Signer,
    canonical_bytes,
    entry_hash,
    fields_text,
    items_text,
    reasoning_digest,
    verify_decisions,
)
from domicile.desk.workflow import load_request, transition
from domicile.service import check_actor

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = ["DecisionInput", "SignedDecision", "VerifyResult", "decide", "register_signer", "verify"]


@dataclass(frozen=True)
class DecisionInput:
    """What the representative decides.

    Args:
        decision: approve, partial or reject.
        legal_basis: the law and article the decision rests on (e.g. ``149-FZ art. 15.1``).
        reasoning: the reasoning text (kept sealed; its SHA-256 is signed).
        action: what execution does; default the type's first action (reject: ``none``).
        items: per-item verdicts, required for a partial decision on a request with items.
        reject_verdict: the verdict for every item of a rejection.
        fields: vault fields to produce (user-data and access requests); empty = all.
    """

    decision: DecisionKind | str
    legal_basis: str
    reasoning: str
    action: Action | str | None = None
    items: Mapping[int, Verdict | str] | None = None
    reject_verdict: Verdict | str = Verdict.NO_ACTION_LAWFUL
    fields: Sequence[str] = ()


@dataclass(frozen=True)
class SignedDecision:
    """A stored, signed decision and its place in the chain."""

    seq: int
    request_id: str
    decision: str
    action: str
    legal_basis: str
    reasoning_sha256: str
    items: tuple[tuple[int, str], ...]
    fields: tuple[str, ...]
    decided_at: str
    signer: str
    key_id: str
    prev_hash: str
    entry_hash: str
    signature: str


@dataclass(frozen=True)
class VerifyResult:
    """Decision-chain verification plus the cross-check with the RU audit log."""

    decisions: DecisionVerifyReport
    audit_problem: str | None
    audited_decisions: int
    stored_decisions: int
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every decision verifies and the audit log records exactly those decisions."""
        return self.decisions.ok and self.audit_problem is None


def _verdicts(
    req: RequestView, rtype: RequestType, d: DecisionInput, kind: DecisionKind
) -> list[tuple[int, str]]:
    numbers = [i.item_no for i in req.items]
    if not numbers:
        if d.items:
            raise DeskInputError(f"request {req.id} has no items to give verdicts on")
        return []
    if kind is DecisionKind.APPROVE:
        return [(n, Verdict.ACT.value) for n in numbers]
    if kind is DecisionKind.REJECT:
        v = Verdict(d.reject_verdict)
        if v is Verdict.ACT:
            raise DeskInputError("a rejection cannot give the verdict 'act'")
        return [(n, v.value) for n in numbers]
    given = {int(k): Verdict(v) for k, v in (d.items or {}).items()}
    if set(given) != set(numbers):
        raise DeskInputError(f"a partial decision needs a verdict for each item {numbers}")
    acts = sum(1 for v in given.values() if v is Verdict.ACT)
    if acts in (0, len(numbers)):
        raise DeskInputError("a partial decision acts on some items and not on others")
    return [(n, given[n].value) for n in numbers]


def _check_decision(
    desk: Desk, req: RequestView, rtype: RequestType, d: DecisionInput
) -> tuple[DecisionKind, Action, list[tuple[int, str]], tuple[str, ...]]:
    try:
        kind = DecisionKind(d.decision)
        action = Action(d.action) if d.action is not None else None
        _ = Verdict(d.reject_verdict)
    except ValueError as exc:
        raise DeskInputError(f"invalid decision value ({exc})") from None
    if kind is DecisionKind.REJECT:
        if action not in (None, Action.NONE):
            raise DeskInputError("a rejection executes nothing; leave the action empty or 'none'")
        action = Action.NONE
    else:
        action = action or (rtype.actions[0] if rtype.actions else Action.NONE)
        if action not in rtype.actions:
            allowed = ", ".join(a.value for a in rtype.actions) or "none"
            raise DeskInputError(f"action {action.value} is not allowed for {rtype.id} (allowed: {allowed})")
    if not d.legal_basis.strip() or len(d.legal_basis) > 300:
        raise DeskInputError("legal_basis must be 1..300 characters")
    if not d.reasoning.strip() or len(d.reasoning) > desk.limits.max_text_chars:
        raise DeskInputError(f"reasoning must be 1..{desk.limits.max_text_chars} characters")
    fields = tuple(d.fields)
    for f in fields:
        desk.dom.schema.spec(f)
    if fields and action not in (Action.PRODUCE_DATA, Action.ACCESS_PACKAGE):
        raise DeskInputError("fields apply to produce_data and access_package only")
    items = _verdicts(req, rtype, d, kind)
    if kind is DecisionKind.PARTIAL and not items and not fields:
        raise DeskInputError("a partial decision names the items or the fields it grants")
    return kind, action, items, fields


def decide(
    desk: Desk, request_id: str, d: DecisionInput, *, actor: str, signer: Signer | None
) -> SignedDecision:
    """Sign and chain the representative's decision; legal_review -> decided.

    Raises:
        SignerKeyError: no key loaded, or the key is not registered (or was retired).
        WorkflowRefusedError: the request is not in legal review.
        DeskInputError: the decision does not fit the request type.
    """
    check_actor(actor)
    if signer is None:
        raise SignerKeyError("no representative key is loaded; decisions cannot be signed")
    with desk.db.unit() as unit:
        req, rtype = load_request(desk, unit, request_id)
        if req.state != State.LEGAL_REVIEW:
            raise WorkflowRefusedError(
                f"request {req.id} is {req.state}; a decision is signed only after legal review starts"
            )
        reg = unit.store.signer(signer.key_id)
        if reg is None or reg["public_key"] != signer.public_key_hex or reg["retired_at"] is not None:
            raise SignerKeyError(
                f"signing key {signer.key_id} is not registered with the desk (desk keys init)"
            )
        kind, action, items, fields = _check_decision(desk, req, rtype, d)
        unit.store.lock_decision_chain()
        last = unit.store.last_decision_row()
        seq = int(last["seq"]) + 1 if last else 1
        prev = str(last["entry_hash"]) if last else GENESIS_HASH
        decided_at = desk.now()
        ref = desk.sealed.put(unit, "reasoning", d.reasoning.encode("utf-8"), {"seq": seq}, req.id)
        payload = DecisionPayload(
            seq,
            req.id,
            kind.value,
            action.value,
            d.legal_basis.strip(),
            reasoning_digest(d.reasoning),
            tuple(items),
            fields,
            decided_at,
            signer.signer,
            signer.key_id,
            prev,
        )
        canonical = canonical_bytes(payload)
        signature = signer.sign(canonical)
        digest = entry_hash(canonical, signature)
        unit.store.insert_decision(
            {
                "seq": seq,
                "request_id": req.id,
                "decision": kind.value,
                "action": action.value,
                "legal_basis": payload.legal_basis,
                "reasoning_sha256": payload.reasoning_sha256,
                "reasoning_ref": ref,
                "items": items_text(items),
                "fields": fields_text(fields),
                "decided_at": decided_at,
                "signer": signer.signer,
                "key_id": signer.key_id,
                "prev_hash": prev,
                "entry_hash": digest,
                "signature": signature.hex(),
            }
        )
        for n, v in items:
            unit.store.update_item(req.id, n, verdict=v, reviewer=signer.signer)
        transition(
            desk,
            unit,
            req,
            rtype,
            State.DECIDED,
            actor=actor,
            action="desk.decision.sign",
            allowed_from=(State.LEGAL_REVIEW,),
            details={
                "seq": seq,
                "decision": kind.value,
                "act": action.value,
                "key_id": signer.key_id,
                "entry_hash": digest,
            },
        )
    return SignedDecision(
        seq,
        req.id,
        kind.value,
        action.value,
        payload.legal_basis,
        payload.reasoning_sha256,
        tuple(items),
        fields,
        decided_at,
        signer.signer,
        signer.key_id,
        prev,
        digest,
        signature.hex(),
    )


def register_signer(desk: Desk, signer: Signer, *, actor: str) -> bool:
    """Register a representative's public key with the desk.

    Raises:
        SignerKeyError: another public key is registered under the same key id.
    """
    check_actor(actor)
    with desk.db.unit() as unit:
        known = unit.store.signer(signer.key_id)
        if known is not None:
            if known["public_key"] != signer.public_key_hex:
                raise SignerKeyError(f"key id {signer.key_id} is registered with another public key")
            return False
        unit.store.add_signer(signer.key_id, signer.signer, signer.public_key_hex, desk.now())
        desk.audit(
            [
                AuditEvent(
                    actor=actor,
                    action="desk.signer.register",
                    purpose="desk.decisions",
                    outcome="ok",
                    details={"key_id": signer.key_id, "signer": signer.signer},
                )
            ]
        )
    return True


def verify(desk: Desk) -> VerifyResult:
    """Verify every decision (signature, hash, order, chain, reasoning digest) and cross-check the audit log.

    The RU audit log records each signed decision's seq and entry hash; a decision missing from
    it, or an audited decision missing from the table (a deleted tail), is reported.
    """

    def reasoning_check(row: Mapping[str, Any]) -> str | None:
        ref = row.get("reasoning_ref")
        if not ref:
            return None
        try:
            text = desk.sealed.get(store, str(ref)).data.decode("utf-8")
        except (BlobErasedError, DeskNotFoundError):
            return None
        if reasoning_digest(text) != row["reasoning_sha256"]:
            return "reasoning text does not match its signed digest"
        return None

    with desk.db.read() as store:
        report = verify_decisions(store, reasoning_check=reasoning_check)
        stored = {int(r["seq"]): str(r["entry_hash"]) for r in store.decision_rows(0, 10**9)}
    audited: dict[int, str] = {}
    with desk.cell.session() as s:
        for rec in s.audit.iter_records():
            if rec.action == "desk.decision.sign" and rec.outcome == "ok":
                seq, digest = rec.details.get("seq"), rec.details.get("entry_hash")
                if isinstance(seq, int) and isinstance(digest, str):
                    audited[seq] = digest
    problem = None
    for seq in sorted(set(stored) | set(audited)):
        if seq not in audited:
            problem = f"decision {seq} is not in the RU audit log"
        elif seq not in stored:
            problem = f"decision {seq} is in the RU audit log but missing from the desk database"
        elif stored[seq] != audited[seq]:
            problem = f"decision {seq}: entry hash differs from the one audited at signing"
        if problem:
            break
    return VerifyResult(report, problem, len(audited), len(stored))
