"""Full verification of a cell's audit chain (152-FZ art. 19; SEC-1, SEC-4).

:func:`verify_chain` streams the log in seq order and stops at the first entry that
cannot be trusted. It detects an edited field (hash mismatch), an entry rehashed
without the key (MAC mismatch), a deleted, inserted or reordered entry (seq gap or
``prev_hash`` mismatch), a truncated tail (head row or anchor beyond the end), a
deleted or forged head row, entries beyond the head row, and an emptied log.

``first_bad_seq`` names the first position that fails. When every stored entry is
sound but the end of the log cannot be confirmed (head row missing or forged, log
shorter than the head row or the anchor), it is the position right after the last
sound entry: where the missing tail starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from domicile.audit.chain import ChainKey, genesis_hash, macs_equal
from domicile.audit.errors import AuditRecordFormatError
from domicile.audit.events import AuditHead, AuditRecord
from domicile.audit.store import AuditStore, HeadRow
from domicile.core.errors import AuditChainError, InputError


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of a verification, with its evidence.

    Attributes:
        ok: Whether the whole chain, head row and anchor check out.
        checked: How many entries were verified sound.
        first_bad_seq: The first failing position, or ``None`` when ``ok``.
        problem: One PD-free line saying what failed, or ``None`` when ``ok``.
        head: The last entry verified sound (the chain tip when ``ok``), or ``None``.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None
    head: AuditHead | None

    def raise_if_bad(self) -> None:
        """Raise :class:`AuditChainError` naming the first bad seq unless ``ok``."""
        if not self.ok:
            raise AuditChainError(f"audit chain broken at seq {self.first_bad_seq}: {self.problem}")


class _Scan:
    """Running state of one verification pass."""

    def __init__(self, key: ChainKey, anchor: AuditHead | None) -> None:
        self.key = key
        self.anchor = anchor
        self.expected = 1
        self.prev = genesis_hash(key.cell)
        self.checked = 0

    @property
    def last(self) -> int:
        return self.expected - 1

    def check(self, rec: AuditRecord) -> str | None:
        """Check one record; on success advance, else return the problem."""
        n = self.expected
        if rec.seq != n:
            return f"entry {n} is missing (the next stored entry is {rec.seq})"
        if not macs_equal(rec.prev_hash, self.prev):
            before = "the cell's genesis hash" if n == 1 else f"entry {n - 1}"
            return f"entry {n} prev_hash does not match {before} (removed, inserted or reordered)"
        digest, mac = self.key.seal(n, rec.at_text, rec, rec.prev_hash)
        if not macs_equal(digest, rec.entry_hash):
            return f"entry {n} fields do not match its entry_hash (edited)"
        if not macs_equal(mac, rec.mac):
            return f"entry {n} MAC does not match (forged, or rehashed without the key)"
        if self.anchor is not None and self.anchor.seq == n and rec.entry_hash != self.anchor.entry_hash:
            return f"entry {n} differs from the anchored hash (history rewritten up to here)"
        self.prev = rec.entry_hash
        self.expected = n + 1
        self.checked += 1
        return None

    @property
    def tip(self) -> AuditHead | None:
        """The last sound entry as a head."""
        return AuditHead(self.key.cell, self.last, self.prev) if self.last else None

    def run(self, store: AuditStore, batch: int) -> str | None:
        """Scan from the current position to the end of the stored log."""
        try:
            for rec in store.iter_records(self.last, batch):
                problem = self.check(rec)
                if problem is not None:
                    return problem
        except AuditRecordFormatError as exc:
            if exc.seq == self.expected:
                return f"entry {self.expected} is malformed"
            return f"entry {self.expected} is missing (a later row is malformed)"
        return None


def _tail_problem(scan: _Scan, head: HeadRow | None) -> tuple[int, str] | None:
    """Compare the end of the sound log with the anchor and the head row."""
    last = scan.last
    anchor = scan.anchor
    if anchor is not None and anchor.seq > last:
        return last + 1, f"log ends at seq {last}, before the anchored seq {anchor.seq} (truncated)"
    if head is None:
        if last == 0:
            return None
        return last + 1, f"head row is missing (the tail after seq {last} may have been cut)"
    if not macs_equal(head.mac, scan.key.head_mac(head.seq, head.entry_hash)):
        return last + 1, "head row MAC does not match (forged; the tail may have been cut)"
    if head.seq < last:
        return head.seq + 1, f"log holds entries after the head row's seq {head.seq}"
    if head.seq > last:
        return last + 1, f"log ends at seq {last} but the head row says {head.seq} (truncated)"
    expected = scan.prev if last else genesis_hash(scan.key.cell)
    if not macs_equal(head.entry_hash, expected):
        return max(last, 1), f"head row hash does not match entry {last}"
    return None


def verify_chain(
    store: AuditStore,
    cell: str,
    mac_key: bytes,
    anchor: AuditHead | None = None,
    *,
    batch: int = 1000,
) -> VerifyReport:
    """Verify a cell's whole audit chain, streaming it in batches.

    Args:
        store: The cell's audit store.
        cell: The cell name the chain must belong to.
        mac_key: The cell's audit key.
        anchor: A head recorded earlier outside the cell; the chain must contain it.
        batch: Rows per backend query.

    Returns:
        The report; ``first_bad_seq`` names the first entry that fails.

    Raises:
        InputError: The store or the anchor belongs to another cell.
        KeySourceError: The key is too short.
        StoreError: The backend failed.
    """
    key = ChainKey(cell, mac_key)
    if store.cell != key.cell:
        raise InputError(f"audit store is for cell {store.cell!r}, not {key.cell!r}")
    if anchor is not None and anchor.cell != key.cell:
        raise InputError(f"audit anchor is for cell {anchor.cell!r}, not {key.cell!r}")
    scan = _Scan(key, anchor)
    problem = scan.run(store, batch)
    # The head row is read after the scan, so appends committed during the scan show up
    # as a head beyond the scanned end: scan on until the log stops growing.
    head = None if problem else store.stored_head()
    while problem is None and head is not None and head.seq > scan.last:
        before = scan.last
        problem = scan.run(store, batch)
        if scan.last == before:
            break
        head = store.stored_head()
    if problem is not None:
        return VerifyReport(False, scan.checked, scan.expected, problem, scan.tip)
    tail = _tail_problem(scan, head)
    if tail is not None:
        return VerifyReport(False, scan.checked, tail[0], tail[1], scan.tip)
    return VerifyReport(True, scan.checked, None, None, scan.tip)
