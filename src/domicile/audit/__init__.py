"""Tamper-evident, PD-free audit log, one hash chain per cell (152-FZ art. 19; SEC-1, SEC-4, PD-DEL-1).

Record with :meth:`AuditStore.append`, check with :func:`verify_chain`, and anchor
:meth:`AuditStore.head` outside the cell (``domicile audit head``). See ``docs/audit.md``.
"""

from __future__ import annotations

from domicile.audit.chain import ChainKey, canonical_bytes, entry_hash, genesis_hash
from domicile.audit.errors import AuditEventError, AuditRecordFormatError
from domicile.audit.events import (
    AuditEvent,
    AuditHead,
    AuditRecord,
    DetailValue,
    looks_like_pd_number,
    parse_anchor,
)
from domicile.audit.store import AuditStore, HeadRow, MemoryAuditStore, SqlAuditStore, utc_now
from domicile.audit.verify import VerifyReport, verify_chain

__all__ = [
    "AuditEvent",
    "AuditEventError",
    "AuditHead",
    "AuditRecord",
    "AuditRecordFormatError",
    "AuditStore",
    "ChainKey",
    "DetailValue",
    "HeadRow",
    "MemoryAuditStore",
    "SqlAuditStore",
    "VerifyReport",
    "canonical_bytes",
    "entry_hash",
    "genesis_hash",
    "looks_like_pd_number",
    "parse_anchor",
    "utc_now",
    "verify_chain",
]
