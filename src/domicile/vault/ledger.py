"""The erasure ledger: which subjects were crypto-shredded, kept apart from the cell.

A restored backup brings wrapped data keys back to life; ``domicile erase
--replay`` reads this ledger and shreds them again (152-FZ art. 21 — PD once
destroyed must stay destroyed; PD-DEL-1/2). The ledger is JSON lines, each
entry hash-chained to the previous one, fsync'ed before the shred commits.
It holds subject ids and reason codes only, never PD.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from domicile.core.errors import IntegrityError

GENESIS = "0" * 64


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    at: str
    cell: str
    subject_id: str
    reason: str
    upto_version: int  # the entry applies to stored record versions <= this
    prev: str
    hash: str


def _digest(seq: int, at: str, cell: str, subject_id: str, reason: str, upto: int, prev: str) -> str:
    canon = json.dumps(
        {
            "seq": seq,
            "at": at,
            "cell": cell,
            "subject_id": subject_id,
            "reason": reason,
            "upto_version": upto,
            "prev": prev,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canon.encode()).hexdigest()


class ErasureLedger:
    """Append-only erasure ledger of one cell."""

    def __init__(self, path: Path, cell: str) -> None:
        self.path = path
        self.cell = cell

    def entries(self) -> Iterator[LedgerEntry]:
        """All complete entries, checking the chain; IntegrityError names the first bad line.

        An unterminated last line is a write torn by a crash before its fsync;
        the erasure it announced never committed, so it is ignored.
        """
        if not self.path.exists():
            return
        prev = GENESIS
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        complete = lines[:-1]  # the piece after the last newline is empty or torn
        for lineno, raw_line in enumerate(complete, start=1):
            try:
                entry = LedgerEntry(**json.loads(raw_line))
            except (ValueError, TypeError):
                raise IntegrityError(f"erasure ledger {self.path}: line {lineno} is malformed") from None
            want = _digest(
                entry.seq,
                entry.at,
                entry.cell,
                entry.subject_id,
                entry.reason,
                entry.upto_version,
                entry.prev,
            )
            if entry.prev != prev or entry.hash != want or entry.seq != lineno:
                raise IntegrityError(f"erasure ledger {self.path}: chain broken at line {lineno}")
            prev = entry.hash
            yield entry

    def append(self, subject_id: str, reason: str, at: str, upto_version: int) -> LedgerEntry:
        """Durably record an erasure (fsync) before the shred is committed.

        Appends from several processes are serialized with an exclusive lock;
        a torn tail from an earlier crash is cut off first.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            data = os.pread(fd, size, 0) if size else b""
            keep = data.rfind(b"\n") + 1
            if keep != size:
                os.ftruncate(fd, keep)
            last: LedgerEntry | None = None
            for last in self.entries():  # noqa: B007 - we want the last one
                pass
            seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
            seq += 1
            entry = LedgerEntry(
                seq,
                at,
                self.cell,
                subject_id,
                reason,
                upto_version,
                prev,
                _digest(seq, at, self.cell, subject_id, reason, upto_version, prev),
            )
            line = json.dumps(entry.__dict__, sort_keys=True, separators=(",", ":")) + "\n"
            os.pwrite(fd, line.encode(), keep)
            os.fsync(fd)
            return entry
        finally:
            os.close(fd)  # closing releases the lock
