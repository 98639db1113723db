"""Re-homing: when residency evidence changes, move the subject between cells.

Order of steps, each its own transaction, safe to re-run after a crash:

1. resolve the new home from the stored signals, the new ones and the phone;
2. write the record (new data key, target cell's KEK), blind indexes and
   re-issued tokens into the target cell, with the decision in its audit log
   (skipped if a previous attempt already wrote it);
3. ledger the move in the source cell's erasure ledger (so a restored backup
   of the source is purged again by ``erase --replay``), then delete every row
   of the subject there. SQLite cells run with ``secure_delete``, so freed
   pages are zeroed: nothing is left behind.

152-FZ art. 18 part 5 (PD-LOC-1, PD-LOC-3): a subject found to be Russian
moves into an RU cell; one found not to be leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domicile.residency.resolver import ResidencyDecision, Signals
from domicile.tokens.formats import TokenKind
from domicile.vault.records import Record

if TYPE_CHECKING:
    from domicile.service import Domicile


@dataclass(frozen=True)
class RehomeResult:
    subject_id: str
    moved: bool
    from_cell: str
    to_cell: str
    decision: ResidencyDecision
    token_map: dict[str, str] = field(default_factory=dict)  # old token -> new token


def _merge(stored: dict[str, object], new: Signals | None) -> Signals:
    cit = stored.get("citizenship") or []
    base = Signals(
        citizenship=tuple(str(c) for c in cit) if isinstance(cit, list) else (),
        residence=str(stored["residence"]) if stored.get("residence") else None,
        ip_country=str(stored["ip_country"]) if stored.get("ip_country") else None,
    )
    if new is None:
        return base
    return Signals(
        citizenship=new.citizenship or base.citizenship,
        residence=new.residence or base.residence,
        phone=new.phone,
        ip_country=new.ip_country or base.ip_country,
    )


def update_residency(dom: Domicile, subject_id: str, signals: Signals | None, *, actor: str) -> RehomeResult:
    """Record new residency evidence; move the subject if its home changes."""
    from domicile.service import REHOMED, _signals_dict, check_actor
    from domicile.tokens.service import issue_token

    check_actor(actor)
    source, row = dom.locate(subject_id)
    src_cipher = dom.cipher(source.name)
    record = src_cipher.open(row)
    merged = _merge(record.signals, signals)
    decision = dom.resolve(record.fields, merged)
    target = dom.home_cell(decision.jurisdiction)
    now = dom.now()
    new_record = Record(record.fields, _signals_dict(merged))
    if target.name == source.name:
        if signals is None:  # nothing new to record
            return RehomeResult(subject_id, False, source.name, target.name, decision)
        with source.session() as s:
            current = s.store.get_record(subject_id)
            assert current is not None
            s.store.replace_record(
                src_cipher.seal(
                    subject_id,
                    decision.jurisdiction,
                    new_record,
                    now,
                    current.record_version + 1,
                    current.created_at,
                )
            )
            s.audit.append(
                [
                    dom._event(
                        actor,
                        "residency.update",
                        "residency",
                        subject_id,
                        jurisdiction=decision.jurisdiction,
                        rule=decision.rule,
                    )
                ]
            )
        return RehomeResult(subject_id, False, source.name, target.name, decision)

    tgt_cipher = dom.cipher(target.name)
    with source.session() as s:
        old_tokens = s.store.tokens_of(subject_id)
    token_map: dict[str, str] = {}
    with target.session() as t:
        if t.store.get_record(subject_id) is None:
            t.store.insert_records(
                [
                    tgt_cipher.seal(
                        subject_id,
                        decision.jurisdiction,
                        new_record,
                        now,
                        row.record_version + 1,
                        created_at=row.created_at,
                    )
                ]
            )
            t.store.insert_index(tgt_cipher.index_rows(subject_id, record.fields))
        for old in old_tokens:
            value = record.fields.get(old.field)
            if value is None:
                continue
            token_map[old.token] = issue_token(
                dom, t, subject_id, old.field, value, TokenKind(old.kind), old.scope, now
            )
        t.audit.append(
            [
                dom._event(
                    actor,
                    "residency.move_in",
                    "residency",
                    subject_id,
                    from_cell=source.name,
                    jurisdiction=decision.jurisdiction,
                    rule=decision.rule,
                    tokens=len(token_map),
                )
            ]
        )
    source.ledger.append(subject_id, REHOMED, now, row.record_version)
    with source.session() as s:
        dom.purge(s, subject_id)
        s.audit.append(
            [
                dom._event(
                    actor,
                    "residency.move_out",
                    "residency",
                    subject_id,
                    to_cell=target.name,
                    jurisdiction=decision.jurisdiction,
                    rule=decision.rule,
                )
            ]
        )
    return RehomeResult(subject_id, True, source.name, target.name, decision, token_map)
