"""Append-only audit stores: the :class:`AuditStore` seam, SQL and in-memory backends.

All chain logic lives in the ABC; a backend only moves raw rows (152-FZ art. 19,
SEC-1, SEC-4). :meth:`AuditStore.append` refuses to extend a chain whose tip fails
its checks (fail closed): a valid head MAC written over a broken tail would hide it.

The SQL backend works inside the caller's transaction and never begins or commits.
Appends are serialized on the head row: ``SELECT ... FOR UPDATE`` on PostgreSQL, and
on SQLite a no-op ``UPDATE`` of the head row first, which takes the database write lock
before the head is read. On PostgreSQL the head row of an empty log is created as
``(seq 0, genesis hash)`` with ``ON CONFLICT DO NOTHING``, so even the first appends of
two transactions serialize (never over a non-empty log: a missing head row there is
tampering). Under REPEATABLE READ or SERIALIZABLE a concurrent append fails with
:class:`~domicile.core.errors.StoreError`; retry the transaction.
"""

from __future__ import annotations

import bisect
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast, final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from domicile.audit.chain import ChainKey, genesis_hash, macs_equal
from domicile.audit.errors import AuditRecordFormatError
from domicile.audit.events import AuditEvent, AuditHead, AuditRecord, format_at, parse_at
from domicile.cells.schema import audit_head, audit_log
from domicile.core.errors import AuditChainError, ConfigError, DomicileError, InputError, StoreError

#: The single row of ``audit_head`` in a cell database.
HEAD_ID = 1

#: A raw stored row of ``audit_log`` (column name to value; ``details`` as a mapping or JSON text).
Row = Mapping[str, Any]


class HeadRow(NamedTuple):
    """The raw ``audit_head`` row: latest seq, its entry hash, and the head MAC."""

    seq: int
    entry_hash: str
    mac: str


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


class AuditStore(ABC):
    """A cell's append-only, hash-chained, PD-free audit log.

    Args:
        cell: The cell name, hashed into every entry.
        mac_key: The cell's audit key (>= 16 bytes).
        now: The clock; must return timezone-aware datetimes.

    Raises:
        KeySourceError: The key is too short.
        InputError: The cell name is malformed.
    """

    def __init__(self, cell: str, mac_key: bytes, now: Callable[[], datetime] = utc_now) -> None:
        self._key = ChainKey(cell, mac_key)
        self._now = now

    @property
    def cell(self) -> str:
        """The cell this log belongs to."""
        return self._key.cell

    # --- public API (final: validate, then call the hooks) -------------------------------

    @final
    def append(self, events: Sequence[AuditEvent]) -> list[AuditRecord]:
        """Append events as consecutive entries sharing one timestamp, atomically.

        Args:
            events: The events, in order. An empty sequence is a no-op.

        Returns:
            The new records, in order.

        Raises:
            InputError: ``events`` is not a sequence of :class:`AuditEvent`.
            ConfigError: The clock returned a naive datetime.
            AuditChainError: The stored tip fails its checks; nothing is appended.
            StoreError: The backend failed.
        """
        if isinstance(events, str | bytes | AuditEvent) or not isinstance(events, Sequence):
            raise InputError("append() takes a sequence of AuditEvent")
        for i, event in enumerate(events):
            if not isinstance(event, AuditEvent):
                raise InputError(f"events[{i}] is not an AuditEvent")
        if not events:
            return []
        at = self._timestamp()
        at_dt = parse_at(at)
        with self._write_scope():
            head = self._lock_head()
            seq, prev = self._check_tip(head, self._last_row())
            rows: list[dict[str, Any]] = []
            records: list[AuditRecord] = []
            for event in events:
                seq += 1
                digest, mac = self._key.seal(seq, at, event, prev)
                row = {
                    "seq": seq,
                    "at": at,
                    "actor": event.actor,
                    "action": event.action,
                    "subject_ref": event.subject_ref,
                    "purpose": event.purpose,
                    "outcome": event.outcome,
                    "details": dict(event.details),
                    "prev_hash": prev,
                    "entry_hash": digest,
                    "mac": mac,
                }
                rows.append(row)
                records.append(
                    AuditRecord._sealed(seq, at_dt, event, prev_hash=prev, entry_hash=digest, mac=mac)
                )
                prev = digest
            self._write(rows, HeadRow(seq, prev, self._key.head_mac(seq, prev)), head is not None)
        return records

    @final
    def iter_records(
        self, after_seq: int = 0, batch: int = 1000, *, subject_ref: str | None = None
    ) -> Iterator[AuditRecord]:
        """Stream records in seq order, ``batch`` rows per backend query.

        Args:
            after_seq: Start after this seq (0: from the first entry).
            batch: Rows fetched per query.
            subject_ref: Only entries about this subject (for a PD-DEL-1 log extract).

        Raises:
            InputError: Bad arguments.
            AuditRecordFormatError: A stored row is malformed (names its seq).
            StoreError: The backend failed.
        """
        if type(after_seq) is not int or after_seq < 0:
            raise InputError("after_seq must be an int >= 0")
        if type(batch) is not int or batch < 1:
            raise InputError("batch must be an int >= 1")
        while True:
            rows = self._rows(after_seq, batch, subject_ref)
            for row in rows:
                record = self._record(row)
                after_seq = record.seq
                yield record
            if len(rows) < batch:
                return

    @final
    def head(self) -> AuditHead | None:
        """The checked chain tip to anchor elsewhere, or ``None`` for an empty log.

        Checks the head row's MAC and that the last entry matches it (O(1), not a
        full verification: use :func:`~domicile.audit.verify.verify_chain`).

        Raises:
            AuditChainError: The head row or the last entry fails its checks.
            StoreError: The backend failed.
        """
        seq, digest = self._check_tip(self._read_head(), self._last_row())
        return None if seq == 0 else AuditHead(self.cell, seq, digest)

    @final
    def stored_head(self) -> HeadRow | None:
        """The raw head row ``(seq, entry_hash, mac)``, unchecked, or ``None``."""
        return self._read_head()

    # --- shared logic --------------------------------------------------------------------

    def _timestamp(self) -> str:
        now = self._now()
        if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
            raise ConfigError("the audit clock must return timezone-aware datetimes")
        return format_at(now)

    @final
    def _record(self, row: Row) -> AuditRecord:
        """Convert a raw row to a record, or raise :class:`AuditRecordFormatError`."""
        seq = row.get("seq")
        seq = seq if type(seq) is int else None
        try:
            details = row["details"]
            if isinstance(details, str):
                details = json.loads(details)
            return AuditRecord(
                seq=row["seq"],
                at=parse_at(row["at"]),
                actor=row["actor"],
                action=row["action"],
                purpose=row["purpose"],
                outcome=row["outcome"],
                subject_ref=row["subject_ref"],
                details=details,
                prev_hash=row["prev_hash"],
                entry_hash=row["entry_hash"],
                mac=row["mac"],
            )
        except (DomicileError, ValueError, TypeError, KeyError) as exc:
            where = f"entry {seq}" if seq is not None else "an entry"
            raise AuditRecordFormatError(f"{where} is malformed: {exc}", seq) from exc

    @final
    def _check_tip(self, head: HeadRow | None, last: Row | None) -> tuple[int, str]:
        """Check the head row against the last entry; return the tip ``(seq, hash)``."""
        genesis = genesis_hash(self.cell)
        if head is None:
            if last is not None:
                raise AuditChainError("audit head row is missing but the log holds entries")
            return 0, genesis
        if not macs_equal(head.mac, self._key.head_mac(head.seq, head.entry_hash)):
            raise AuditChainError("audit head row MAC does not match (forged or from another cell)")
        if head.seq == 0:
            if last is not None:
                raise AuditChainError("audit head row says the log is empty but it holds entries")
            return 0, genesis
        if last is None:
            raise AuditChainError(f"audit log is empty but the head row says seq {head.seq}")
        record = self._record(last)
        if record.seq != head.seq:
            raise AuditChainError(f"audit log ends at seq {record.seq} but the head row says {head.seq}")
        digest, mac = self._key.seal(record.seq, record.at_text, record, record.prev_hash)
        if not macs_equal(digest, record.entry_hash) or not macs_equal(mac, record.mac):
            raise AuditChainError(f"audit entry {record.seq} (the tip) fails its hash or MAC check")
        if not macs_equal(record.entry_hash, head.entry_hash):
            raise AuditChainError(f"audit entry {record.seq} does not match the head row hash")
        return head.seq, head.entry_hash

    # --- backend hooks -------------------------------------------------------------------

    def _write_scope(self) -> AbstractContextManager[object]:
        """Held around an append's read-check-write; the default holds nothing."""
        return nullcontext()

    @abstractmethod
    def _lock_head(self) -> HeadRow | None:
        """Read the head row, locking it against concurrent appends until the write."""

    @abstractmethod
    def _read_head(self) -> HeadRow | None:
        """Read the head row without locking."""

    @abstractmethod
    def _last_row(self) -> Row | None:
        """The stored row with the highest seq, if any."""

    @abstractmethod
    def _rows(self, after_seq: int, limit: int, subject_ref: str | None) -> Sequence[Row]:
        """Up to ``limit`` rows with seq > ``after_seq`` in seq order (optionally one subject's)."""

    @abstractmethod
    def _write(self, rows: list[dict[str, Any]], head: HeadRow, head_exists: bool) -> None:
        """Insert ``rows`` in one batch and set the head row."""


class MemoryAuditStore(AuditStore):
    """In-memory audit store with the same semantics, for tests and embedded use.

    ``rows`` (seq to raw row) and ``head_row`` are the raw storage, public so tests can
    tamper with them as an attacker with storage access would. Appends are atomic
    under a lock.
    """

    def __init__(self, cell: str, mac_key: bytes, now: Callable[[], datetime] = utc_now) -> None:
        super().__init__(cell, mac_key, now)
        self.rows: dict[int, dict[str, Any]] = {}
        self.head_row: HeadRow | None = None
        self._lock = threading.RLock()

    def _write_scope(self) -> AbstractContextManager[object]:
        return self._lock

    def _lock_head(self) -> HeadRow | None:
        return self.head_row

    def _read_head(self) -> HeadRow | None:
        return self.head_row

    def _last_row(self) -> Row | None:
        with self._lock:
            return dict(self.rows[max(self.rows)]) if self.rows else None

    def _rows(self, after_seq: int, limit: int, subject_ref: str | None) -> Sequence[Row]:
        with self._lock:
            keys = sorted(self.rows)
            out: list[Row] = []
            for k in keys[bisect.bisect_right(keys, after_seq) :]:
                row = self.rows[k]
                if subject_ref is None or row.get("subject_ref") == subject_ref:
                    out.append(dict(row))
                    if len(out) == limit:
                        break
            return out

    def _write(self, rows: list[dict[str, Any]], head: HeadRow, head_exists: bool) -> None:
        for row in rows:
            self.rows[row["seq"]] = {**row, "details": dict(row["details"])}
        self.head_row = head


class SqlAuditStore(AuditStore):
    """Audit store on the ``audit_log``/``audit_head`` tables, in the caller's transaction.

    Args:
        conn: A connection whose transaction the caller begins and commits.
        cell: The cell name.
        mac_key: The cell's audit key (>= 16 bytes).
        now: The clock; must return timezone-aware datetimes.
    """

    _COLUMNS = (
        audit_log.c.seq,
        audit_log.c.at,
        audit_log.c.actor,
        audit_log.c.action,
        audit_log.c.subject_ref,
        audit_log.c.purpose,
        audit_log.c.outcome,
        sa.cast(audit_log.c.details, sa.Text).label("details"),
        audit_log.c.prev_hash,
        audit_log.c.entry_hash,
        audit_log.c.mac,
    )

    def __init__(
        self, conn: sa.Connection, cell: str, mac_key: bytes, now: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(cell, mac_key, now)
        self._conn = conn
        self._dialect = conn.dialect.name

    @contextmanager
    def _db(self, operation: str) -> Iterator[None]:
        try:
            yield
        except sa.exc.SQLAlchemyError as exc:
            cause = type(getattr(exc, "orig", None) or exc).__name__
            raise StoreError(f"audit store failed to {operation} in cell {self.cell!r}: {cause}") from exc

    def _head_select(self) -> sa.Select[int, str, str]:
        return sa.select(audit_head.c.seq, audit_head.c.entry_hash, audit_head.c.mac).where(
            audit_head.c.id == HEAD_ID
        )

    def _lock_head(self) -> HeadRow | None:
        with self._db("lock the head row"):
            if self._dialect == "sqlite":
                # Take SQLite's write lock before reading, so the read-check-write is serialized.
                self._conn.execute(
                    sa.update(audit_head).where(audit_head.c.id == HEAD_ID).values(seq=audit_head.c.seq)
                )
                return self._head(self._head_select())
            stmt = self._head_select().with_for_update()
            row = self._head(stmt)
            if row is None and self._dialect == "postgresql":
                if self._last_row() is None:
                    genesis = genesis_hash(self.cell)
                    seed = postgresql.insert(audit_head).values(
                        id=HEAD_ID, seq=0, entry_hash=genesis, mac=self._key.head_mac(0, genesis)
                    )
                    self._conn.execute(seed.on_conflict_do_nothing(index_elements=[audit_head.c.id]))
                # Read again either way: under READ COMMITTED a concurrent first append may have
                # committed its head row and entries between our first read and _last_row().
                row = self._head(stmt)
            return row

    def _head(self, stmt: sa.Select[int, str, str]) -> HeadRow | None:
        row = self._conn.execute(stmt).first()
        return None if row is None else HeadRow(row[0], row[1], row[2])

    def _read_head(self) -> HeadRow | None:
        with self._db("read the head row"):
            return self._head(self._head_select())

    def _last_row(self) -> Row | None:
        with self._db("read the last entry"):
            stmt = sa.select(*self._COLUMNS).order_by(audit_log.c.seq.desc()).limit(1)
            return cast(Row | None, self._conn.execute(stmt).mappings().first())

    def _rows(self, after_seq: int, limit: int, subject_ref: str | None) -> Sequence[Row]:
        stmt = sa.select(*self._COLUMNS).where(audit_log.c.seq > after_seq)
        if subject_ref is not None:
            stmt = stmt.where(audit_log.c.subject_ref == subject_ref)
        with self._db("read entries"):
            rows = self._conn.execute(stmt.order_by(audit_log.c.seq).limit(limit)).mappings().all()
            return cast(Sequence[Row], rows)

    def _write(self, rows: list[dict[str, Any]], head: HeadRow, head_exists: bool) -> None:
        values = {"seq": head.seq, "entry_hash": head.entry_hash, "mac": head.mac}
        with self._db("append entries"):
            self._conn.execute(sa.insert(audit_log), rows)
            if head_exists:
                stmt = sa.update(audit_head).where(audit_head.c.id == HEAD_ID).values(**values)
                self._conn.execute(stmt)
            else:
                self._conn.execute(sa.insert(audit_head).values(id=HEAD_ID, **values))
