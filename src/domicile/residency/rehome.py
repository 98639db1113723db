"""Re-homing: when residency evidence changes, move the subject between cells.

Steps, each its own transaction, safe to re-run after a crash:

1. resolve the new home from the stored signals, the new ones, the (possibly
   patched) fields and every phone number;
2. write the record — including any patched fields, which therefore never touch
   the old cell — into the target cell with a new data key, its blind indexes
   and re-issued tokens, the decision in the target's audit log (skipped if a
   previous attempt already wrote it);
3. ledger the move in the source cell's erasure ledger (so a restored backup of
   the source is purged again by ``erase --replay``), then delete every row of
   the subject there. SQLite cells run with ``secure_delete``: freed pages are
   zeroed, nothing is left behind.

A crash between 2 and 3 leaves two live copies; :meth:`Domicile.locate` finds
them and finishes step 3 for every copy but the newest.

152-FZ art. 18 part 5 (PD-LOC-1, PD-LOC-3): a subject found to be Russian
moves into an RU cell, and its new PD is written there first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domicile.core.errors import ConflictError, SubjectErasedError
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


def _merge(stored: Mapping[str, object], new: Signals | None) -> Signals:
    """Newly declared signals replace the stored ones of the same kind."""
    cit, phones = stored.get("citizenship"), stored.get("phones")
    res, ip = stored.get("residence"), stored.get("ip_country")
    base = Signals(
        citizenship=tuple(str(c) for c in cit) if isinstance(cit, list) else (),
        residence=res if isinstance(res, str) else None,
        phones=tuple(str(p) for p in phones) if isinstance(phones, list) else (),
        ip_country=ip if isinstance(ip, str) else None,
    )
    if new is None:
        return base
    return Signals(
        citizenship=new.citizenship or base.citizenship,
        residence=new.residence or base.residence,
        phones=new.phones or base.phones,
        ip_country=new.ip_country or base.ip_country,
    )


def update_residency(
    dom: Domicile,
    subject_id: str,
    signals: Signals | None,
    *,
    actor: str,
    purpose: str = "residency",
    new_fields: Mapping[str, str] | None = None,
) -> RehomeResult:
    """Record new residency evidence and/or new field values; move the subject if its home changes.

    *new_fields* must already be validated (``FieldSchema.validate``).
    """
    from domicile.service import REHOMED, check_actor, check_purpose
    from domicile.tokens.service import issue_token

    check_actor(actor)
    check_purpose(purpose)
    source, row = dom.locate(subject_id)
    if row.wrapped_dek is None:
        raise SubjectErasedError(f"subject {subject_id} was erased")
    record = dom.cipher(source.name).open(row)
    fields = {**record.fields, **(new_fields or {})}
    merged = _merge(record.signals, signals)
    decision = dom.resolve(fields, merged)
    target = dom.home_cell(decision.jurisdiction)
    now = dom.now()
    new_record = Record(fields, merged.to_dict())
    action = "subject.patch" if new_fields else "residency.update"
    details = {"jurisdiction": decision.jurisdiction, "rule": decision.rule}
    if new_fields:
        details["fields"] = ",".join(sorted(new_fields))

    if target.name == source.name:
        if signals is None and not new_fields:
            return RehomeResult(subject_id, False, source.name, target.name, decision)
        cipher = dom.cipher(source.name)
        with source.session() as s:
            sealed = cipher.seal(
                subject_id, decision.jurisdiction, new_record, now, row.record_version + 1, row.created_at
            )
            if not s.store.replace_record(sealed, row):
                raise ConflictError(f"subject {subject_id} changed concurrently; re-read and retry")
            if new_fields:
                s.store.delete_index(subject_id)
                s.store.insert_index(cipher.index_rows(subject_id, fields))
            s.audit.append([dom._event(actor, action, purpose, subject_id, **details)])
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
            t.store.insert_index(tgt_cipher.index_rows(subject_id, fields))
        for old in old_tokens:
            value = fields.get(old.field)
            if value is not None:
                token_map[old.token] = issue_token(
                    dom, t, subject_id, old.field, value, TokenKind(old.kind), old.scope, now
                )
        t.audit.append(
            [
                dom._event(
                    actor,
                    "residency.move_in",
                    purpose,
                    subject_id,
                    from_cell=source.name,
                    tokens=len(token_map),
                    **details,
                )
            ]
        )
    source.ledger.append(subject_id, REHOMED, now, row.record_version)
    with source.session() as s:
        dom.purge(s, subject_id)
        s.audit.append(
            [dom._event(actor, "residency.move_out", purpose, subject_id, to_cell=target.name, **details)]
        )
    return RehomeResult(subject_id, True, source.name, target.name, decision, token_map)
