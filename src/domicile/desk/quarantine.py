"""The quarantine: raw inputs a channel refused, kept sealed in RU storage for a person.

Entries are created by :func:`domicile.desk.intake.quarantine`. A person lists them, reads the
raw bytes (decrypted inside the RU desk; audited with a purpose), and resolves an entry as
``released`` (they re-submitted it by hand) or ``discarded`` (the raw input is crypto-shredded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from domicile.audit import AuditEvent
from domicile.desk.errors import DeskInputError, DeskNotFoundError, WorkflowRefusedError
from domicile.desk.schema import desk_quarantine
from domicile.service import check_actor, check_purpose

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = ["QuarantineEntry", "list_entries", "resolve", "show"]

STATUSES = ("open", "released", "discarded")


@dataclass(frozen=True)
class QuarantineEntry:
    """One refused input (no PD: channel, reason, PD-free message, size, status)."""

    id: str
    channel: str
    reason: str
    message: str
    received_at: str
    size: int
    truncated: bool
    status: str
    resolved_at: str | None
    resolved_by: str | None
    blob_ref: str | None


def _entry(r: Any) -> QuarantineEntry:
    return QuarantineEntry(
        r["id"],
        r["channel"],
        r["reason"],
        r["message"],
        r["received_at"],
        int(r["size"]),
        bool(r["truncated"]),
        r["status"],
        r["resolved_at"],
        r["resolved_by"],
        r["blob_ref"],
    )


def list_entries(desk: Desk, *, status: str | None = "open", limit: int = 100) -> list[QuarantineEntry]:
    """Entries, newest first (``status=None``: all)."""
    if status is not None and status not in STATUSES:
        raise DeskInputError(f"status must be one of {', '.join(STATUSES)}")
    q = sa.select(desk_quarantine)
    if status is not None:
        q = q.where(desk_quarantine.c.status == status)
    q = q.order_by(desk_quarantine.c.received_at.desc(), desk_quarantine.c.id).limit(limit)
    with desk.db.read() as store:
        return [_entry(r) for r in store.conn.execute(q).mappings()]


def _get(desk: Desk, store: Any, qid: str) -> QuarantineEntry:
    row = store.conn.execute(sa.select(desk_quarantine).where(desk_quarantine.c.id == qid)).mappings().first()
    if row is None:
        raise DeskNotFoundError(f"no quarantine entry {qid[:48]!r}")
    return _entry(row)


def show(desk: Desk, qid: str, *, actor: str, purpose: str) -> tuple[QuarantineEntry, bytes]:
    """An entry and its raw bytes; the read is audited in the RU cell.

    Raises:
        DeskNotFoundError: no such entry, or its raw input was discarded.
    """
    check_actor(actor)
    check_purpose(purpose)
    with desk.db.unit() as unit:
        entry = _get(desk, unit.store, qid)
        if entry.blob_ref is None:
            raise DeskNotFoundError(f"quarantine entry {qid} has no raw input")
        data = desk.sealed.get(unit.store, entry.blob_ref).data
        desk.audit(
            [
                AuditEvent(
                    actor=actor,
                    action="desk.quarantine.read",
                    purpose=purpose,
                    outcome="ok",
                    details={"quarantine": qid},
                )
            ]
        )
    return entry, data


def resolve(desk: Desk, qid: str, status: str, *, actor: str) -> QuarantineEntry:
    """Close an open entry as ``released`` or ``discarded`` (discarding shreds the raw input)."""
    check_actor(actor)
    if status not in ("released", "discarded"):
        raise DeskInputError("resolve an entry as 'released' or 'discarded'")
    with desk.db.unit() as unit:
        entry = _get(desk, unit.store, qid)
        if entry.status != "open":
            raise WorkflowRefusedError(f"quarantine entry {qid} is already {entry.status}")
        if status == "discarded" and entry.blob_ref:
            desk.sealed.erase(unit, entry.blob_ref)
        unit.conn.execute(
            desk_quarantine.update()
            .where(desk_quarantine.c.id == qid)
            .values(status=status, resolved_at=desk.now(), resolved_by=actor)
        )
        desk.audit(
            [
                AuditEvent(
                    actor=actor,
                    action="desk.quarantine.resolve",
                    purpose="desk.intake",
                    outcome="ok",
                    details={"quarantine": qid, "status": status},
                )
            ]
        )
    with desk.db.read() as store:
        return _get(desk, store, qid)
