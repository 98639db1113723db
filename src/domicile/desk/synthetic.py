"""A generated ledger of finished requests, for report tests, benchmarks and demos.

:func:`seed_ledger` writes ``n`` requests of a year straight into the desk tables in a few bulk
statements: items with TR-2 outcomes, timelines, primary clocks, and properly **signed and
chained** decisions (so ``desk verify`` passes), audited in the RU cell. It also returns the
generated records, from which a test computes the expected report figures independently of the
report code. Everything is deterministic for a given seed. No PD is generated.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domicile.audit import AuditEvent
from domicile.core.clock import iso_utc
from domicile.desk.calendar import moscow_tz
from domicile.desk.errors import SignerKeyError
from domicile.desk.models import ItemOutcome, State, Verdict, new_id
from domicile.desk.schema import desk_clocks, desk_decisions, desk_events, desk_items, desk_requests
from domicile.desk.signing import (
    GENESIS_HASH,
    DecisionPayload,
    canonical_bytes,
    entry_hash,
    fields_text,
    items_text,
)

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = ["SeededRequest", "seed_ledger"]

_TYPES: tuple[tuple[str, int], ...] = (
    ("register_takedown", 28), ("pg_demand", 8), ("pg_disrespect", 2), ("complaint", 18),
    ("selfmon_detection", 10), ("le_data", 10), ("rkn_info", 6), ("user_appeal", 10), ("dsr_access", 8),
)  # fmt: skip
_ACTION = {
    "register_takedown": "restrict_in_country",
    "pg_demand": "restrict_in_country",
    "pg_disrespect": "remove_everywhere",
    "complaint": "restrict_in_country",
    "selfmon_detection": "remove_everywhere",
    "le_data": "produce_data",
    "rkn_info": "provide_information",
    "user_appeal": "reinstate",
    "dsr_access": "access_package",
}
_DONE = {
    "restrict_in_country": ItemOutcome.RESTRICTED_RU_LOCAL_LAW,
    "remove_everywhere": ItemOutcome.REMOVED_GLOBAL_POLICY,
    "reinstate": ItemOutcome.REINSTATED,
    "refer_to_rkn": ItemOutcome.REFERRED_TO_RKN,
}
_ACTED = frozenset(
    {
        ItemOutcome.RESTRICTED_RU_LOCAL_LAW.value,
        ItemOutcome.REMOVED_GLOBAL_POLICY.value,
        ItemOutcome.REFERRED_TO_RKN.value,
    }
)
_REJECT = (Verdict.NO_ACTION_LAWFUL, Verdict.INSUFFICIENT_INFORMATION, Verdict.REJECTED_INVALID_PROCESS)


@dataclass(frozen=True)
class SeededRequest:
    """What was generated for one request (the test's source of truth)."""

    request_id: str
    type_id: str
    kind: str
    authority_type: str
    legal_basis: str
    category: str | None
    received_at: str
    decision: str | None
    outcomes: tuple[str | None, ...]
    accounts: int
    first_action_at: str | None
    produced: str | None


def _received(rng: random.Random, year: int) -> dt.datetime:
    start = dt.datetime(year, 1, 1, tzinfo=moscow_tz())
    span = (dt.datetime(year + 1, 1, 1, tzinfo=moscow_tz()) - start).total_seconds()
    return (start + dt.timedelta(seconds=rng.uniform(0, span - 1))).astimezone(dt.UTC)


def _outcomes(
    rng: random.Random, decision: str | None, action: str, n: int
) -> list[tuple[str | None, str | None]]:
    """(verdict, outcome) per item."""
    if decision is None:
        return [(None, None)] * n
    if decision == "reject":
        v = rng.choice(_REJECT).value
        return [(v, v)] * n
    verdicts = [Verdict.ACT.value] * n
    if decision == "partial":
        cut = rng.randrange(1, n)
        verdicts = [Verdict.ACT.value] * cut + [rng.choice(_REJECT).value for _ in range(n - cut)]
    out: list[tuple[str | None, str | None]] = []
    for v in verdicts:
        if v != Verdict.ACT.value:
            out.append((v, v))
            continue
        roll = rng.random()
        if roll < 0.06:
            out.append((v, ItemOutcome.NOT_FOUND.value))
        elif roll < 0.1 and action != "reinstate":
            out.append((v, ItemOutcome.ALREADY_REMOVED.value))
        elif action == "restrict_in_country" and roll < 0.15:
            out.append((v, ItemOutcome.REFERRED_TO_RKN.value))
        else:
            out.append((v, _DONE[action].value))
    return out


def seed_ledger(desk: Desk, n: int, *, year: int, seed: int = 0) -> list[SeededRequest]:
    """Write ``n`` generated requests received in ``year`` (Moscow time) and return them.

    Raises:
        SignerKeyError: the desk has no registered signer to sign the decisions.
    """
    signer = desk.signer
    if signer is None:
        raise SignerKeyError("seeding signs decisions: the desk needs a signer")
    rng = random.Random(seed)
    names, weights = zip(*_TYPES, strict=True)
    cats = list(desk.catalog.categories)
    requests: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    clocks: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    audit: list[AuditEvent] = []
    out: list[SeededRequest] = []
    with desk.db.unit() as unit:
        last = unit.store.last_decision_row()
        seq = int(last["seq"]) if last else 0
        prev = str(last["entry_hash"]) if last else GENESIS_HASH
        for _ in range(n):
            rtype = desk.catalog.type(rng.choices(names, weights)[0])
            rid = new_id("rq")
            authority = rng.choice(rtype.authority_types).value
            received = _received(rng, year)
            rec_s = iso_utc(received)
            roll = rng.random()
            decision = (
                None if roll < 0.08 else "reject" if roll < 0.22 else "partial" if roll < 0.34 else "approve"
            )
            n_items = rng.randint(1, 5) if rtype.items.value == "required" else 0
            if decision == "partial" and n_items < 2:
                decision = "approve"
            action = "refer_to_rkn" if rtype.id == "complaint" and rng.random() < 0.1 else _ACTION[rtype.id]
            pairs = _outcomes(rng, decision, action, n_items)
            first = received + dt.timedelta(hours=rng.uniform(0.05, 72.0))
            acted = [o for _, o in pairs if o in _ACTED]
            executes = decision in ("approve", "partial")
            first_s = iso_utc(first) if (acted if n_items else executes) else None
            produced = None
            if rtype.kind.value == "user_data" and decision is not None:
                produced = {"approve": "full", "partial": "partial", "reject": "none"}[decision]
            category = rtype.fixed_category or (rng.choice(cats) if rtype.category == "required" else None)
            state = State.LEGAL_REVIEW if decision is None else State.CLOSED
            accounts = 1 if rtype.subject.value == "required" else 0
            requests.append(
                {
                    "id": rid,
                    "type_id": rtype.id,
                    "kind": rtype.kind.value,
                    "channel": "api",
                    "authority_type": authority,
                    "authority_name": None,
                    "legal_basis": rtype.cite(),
                    "decision_no": f"D-{rng.randrange(10**6)}",
                    "decision_date": None,
                    "registry_entry_no": None,
                    "category": category,
                    "state": state.value,
                    "priority": rtype.priority,
                    "subject_id": f"sub_{rng.getrandbits(128):032x}" if accounts else None,
                    "assignee": "staff:seed",
                    "received_at": rec_s,
                    "acknowledged_at": rec_s,
                    "closed_at": iso_utc(first + dt.timedelta(hours=2)) if decision else None,
                    "primary_clock": rtype.primary_clock,
                    "due_at": rec_s,
                    "dossier_ref": None,
                    "source_digest": None,
                    "auto_rule": None,
                    "produced": produced,
                    "created_by": "svc:seed",
                    "version": 1,
                }
            )
            for k, (verdict, outcome) in enumerate(pairs, start=1):
                items.append(
                    {
                        "request_id": rid,
                        "item_no": k,
                        "content_id": f"c{rng.randrange(10**9)}",
                        "account_id": f"a{rng.randrange(10**6)}" if rng.random() < 0.3 else None,
                        "url_fp": None,
                        "verdict": verdict,
                        "outcome": outcome,
                        "actioned_at": iso_utc(first) if outcome else None,
                        "reviewer": signer.signer if verdict else None,
                    }
                )
            accounts += sum(1 for it in items[len(items) - n_items :] if it["account_id"])
            clocks.append(
                {
                    "request_id": rid,
                    "clock_id": rtype.primary_clock,
                    "started_at": rec_s,
                    "due_at": rec_s,
                    "stops_on": next(c for c in rtype.clocks if c.primary).stops_on.value,
                    "met_at": first_s,
                    "amount": None,
                    "extensions": [],
                }
            )
            events.append(
                {
                    "request_id": rid,
                    "at": rec_s,
                    "actor": "svc:seed",
                    "action": "desk.request.received",
                    "from_state": None,
                    "to_state": "received",
                    "details": {},
                }
            )
            if decision is not None:
                seq += 1
                verdicts = tuple((k, v) for k, (v, _) in enumerate(pairs, start=1) if v is not None)
                act = "none" if decision == "reject" else action
                payload = DecisionPayload(
                    seq,
                    rid,
                    decision,
                    act,
                    rtype.cite(),
                    "0" * 64,
                    verdicts,
                    (),
                    rec_s,
                    signer.signer,
                    signer.key_id,
                    prev,
                )
                canonical = canonical_bytes(payload)
                signature = signer.sign(canonical)
                prev = entry_hash(canonical, signature)
                decisions.append(
                    {
                        "seq": seq,
                        "request_id": rid,
                        "decision": decision,
                        "action": act,
                        "legal_basis": payload.legal_basis,
                        "reasoning_sha256": payload.reasoning_sha256,
                        "reasoning_ref": None,
                        "items": items_text(verdicts),
                        "fields": fields_text(()),
                        "decided_at": rec_s,
                        "signer": signer.signer,
                        "key_id": signer.key_id,
                        "prev_hash": payload.prev_hash,
                        "entry_hash": prev,
                        "signature": signature.hex(),
                    }
                )
                audit.append(
                    AuditEvent(
                        "svc:seed",
                        "desk.decision.sign",
                        f"desk.{rtype.kind.value}",
                        "ok",
                        None,
                        {"request": rid, "seq": seq, "entry_hash": prev},
                    )
                )
                if executes:
                    events.append(
                        {
                            "request_id": rid,
                            "at": iso_utc(first),
                            "actor": "svc:seed",
                            "action": "desk.execute",
                            "from_state": "decided",
                            "to_state": "executed",
                            "details": {},
                        }
                    )
                events.append(
                    {
                        "request_id": rid,
                        "at": iso_utc(first + dt.timedelta(hours=1)),
                        "actor": "svc:seed",
                        "action": "desk.answer",
                        "from_state": "executed",
                        "to_state": "answered",
                        "details": {},
                    }
                )
            out.append(
                SeededRequest(
                    rid,
                    rtype.id,
                    rtype.kind.value,
                    authority,
                    rtype.cite(),
                    category,
                    rec_s,
                    decision,
                    tuple(o for _, o in pairs),
                    accounts,
                    first_s,
                    produced,
                )
            )
        conn: Any = unit.conn
        for table, rows in (
            (desk_requests, requests),
            (desk_items, items),
            (desk_clocks, clocks),
            (desk_events, events),
            (desk_decisions, decisions),
        ):
            if rows:
                conn.execute(table.insert(), rows)
        if audit:
            desk.audit(audit)
    return out
