"""Cell operations: key rotation, status, audit verification and head.

Key rotation (152-FZ art. 19, SEC-1) adds a key version and then re-wraps
every data key under it — or, with ``reencrypt``, draws new data keys,
re-encrypts the records and rebuilds their blind indexes — in batches, each
its own transaction, so the cell stays online: readers use whatever version a
row names, writers use the newest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from domicile.audit import AuditHead, VerifyReport, verify_chain
from domicile.cells.migrate import current_revision
from domicile.cells.runtime import SqlCell
from domicile.core.errors import DomicileError, InputError
from domicile.service import Domicile, check_actor
from domicile.vault.records import Record


@dataclass(frozen=True)
class RotateResult:
    cell: str
    new_version: int
    rewrapped: int
    reencrypted: int
    batches: int


def rotate_keys(
    dom: Domicile,
    cell_name: str,
    *,
    actor: str,
    batch: int = 1000,
    reencrypt: bool = False,
    add_version: bool = True,
    progress: Callable[[int], None] | None = None,
) -> RotateResult:
    """Add a key version (unless resuming) and move every live row onto it."""
    check_actor(actor)
    if not 1 <= batch <= 100_000:
        raise InputError("batch must be between 1 and 100000")
    cell = dom.cell(cell_name)
    cipher = dom.cipher(cell_name)
    target = cell.keys.add_version() if add_version else cell.keys.current_version()
    done = reenc = batches = skipped = 0
    for _sweep in range(2):  # a second sweep catches rows written under an old version meanwhile
        after = ""
        while True:
            with cell.session() as s:
                rows = s.store.records_below_version(target, after, batch)
                if not rows:
                    break
                moved = 0
                for row in rows:
                    if reencrypt:
                        record: Record = cipher.open(row)
                        new = cipher.seal(
                            row.subject_id,
                            row.jurisdiction,
                            record,
                            dom.now(),
                            row.record_version + 1,
                            row.created_at,
                        )
                        ok = s.store.replace_record(new, row)
                        if ok:
                            s.store.delete_index(row.subject_id)
                            s.store.insert_index(cipher.index_rows(row.subject_id, record.fields, target))
                            reenc += 1
                    else:  # conditional: an erase or patch that committed meanwhile wins
                        ok = s.store.replace_record(cipher.rewrap(row, target), row)
                    moved += ok
                    skipped += not ok
                done += moved
                after = rows[-1].subject_id
                batches += 1
                s.audit.append(
                    [
                        dom._event(
                            actor,
                            "keys.rewrap_batch",
                            "key-rotation",
                            None,
                            version=target,
                            rows=moved,
                            reencrypt=reencrypt,
                        )
                    ]
                )
            if progress:
                progress(done)
    with cell.session() as s:
        s.audit.append(
            [
                dom._event(
                    actor,
                    "keys.rotate",
                    "key-rotation",
                    None,
                    version=target,
                    rewrapped=done,
                    reencrypted=reenc,
                    skipped=skipped,
                )
            ]
        )
    return RotateResult(cell_name, target, done, reenc, batches)


def verify_audit(dom: Domicile, cell_name: str, anchor: str | None = None) -> VerifyReport:
    """Verify a cell's audit chain (optionally against an anchor taken earlier)."""
    cell = dom.cell(cell_name)
    head = AuditHead.parse_anchor(anchor) if anchor else None
    if head is not None and head.cell != cell_name:
        raise InputError(f"anchor belongs to cell {head.cell!r}, not {cell_name!r}")
    with cell.session() as s:
        return verify_chain(s.audit, cell.name, cell.keys.audit_key(), head)


def audit_head(dom: Domicile, cell_name: str) -> AuditHead | None:
    cell = dom.cell(cell_name)
    with cell.session() as s:
        head: AuditHead | None = s.audit.head()
    return head


@dataclass(frozen=True)
class CellStatus:
    name: str
    jurisdiction: str
    location: str
    backend: str
    reachable: bool
    schema: str | None
    key_versions: list[int]
    current_key_version: int | None
    key_matches: bool | None
    subjects: int | None
    erased: int | None
    tokens: int | None
    rows_by_key_version: dict[int, int]
    audit_head: str | None
    error: str | None = None


def cells_status(dom: Domicile) -> list[CellStatus]:
    """Per cell: reachability, schema, keys, counts and audit head; errors are reported, not raised."""
    out = []
    for cell in dom.cells.values():
        schema = None
        try:
            if isinstance(cell, SqlCell):
                schema = current_revision(cell.engine)
            with cell.session() as s:
                counts = s.store.counts()
                fp = s.store.get_meta("key_fingerprint_v1")
            versions = cell.keys.versions()
        except (DomicileError, sa.exc.SQLAlchemyError) as exc:
            msg = exc.message if isinstance(exc, DomicileError) else type(exc).__name__
            out.append(
                CellStatus(
                    cell.name,
                    cell.jurisdiction,
                    cell.location,
                    cell.backend,
                    False,
                    schema,
                    [],
                    None,
                    None,
                    None,
                    None,
                    None,
                    {},
                    None,
                    msg,
                )
            )
            continue
        matches = None if fp is None else fp == cell.keys.fingerprint(versions[0])
        problems = [] if matches is not False else ["key file does not match the cell"]
        head = None
        try:
            with cell.session() as s:
                head = s.audit.head()
        except DomicileError as exc:
            problems.append(f"audit: {exc.message}")
        out.append(
            CellStatus(
                cell.name,
                cell.jurisdiction,
                cell.location,
                cell.backend,
                True,
                schema,
                versions,
                cell.keys.current_version(),
                matches,
                counts.subjects,
                counts.erased,
                counts.tokens,
                counts.by_key_version,
                head.to_anchor() if head else None,
                "; ".join(problems) or None,
            )
        )
    return out
