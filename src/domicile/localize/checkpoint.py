"""Checkpoints of a localize job, and the counters the evidence report shows.

The ``progress`` JSON of a ``localize_jobs`` row holds one :class:`TableProgress` per table:
the last primary key whose batch finished (canonical typed JSON), whether the table is done, and
counters for the current run; and per table the :class:`EarlierRuns` totals of the job's finished
runs. It is written after a batch's source transaction committed, so a crash before it repeats
that batch, and every step of a batch is idempotent. A run resumed after a crash continues the
interrupted run (same start, same counters). Counters are PD-free.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from domicile.localize.values import fold

ZERO = "0" * 64


@dataclass
class ColumnCounts:
    """Per column: values replaced by a token or by NULL."""

    tokenized: int = 0
    nulled: int = 0


@dataclass
class TableProgress:
    """One table's position and counters in the current run.

    Attributes:
        seen: Rows read.
        moved: Rows copied to the cell, verified and replaced in the source by this run.
        already_done: Rows localized earlier (the source holds their replacements).
        skipped_non_ru: Rows whose subject is not homed in the jurisdiction (never written).
        changed_meanwhile: Rows the application changed between copy and replace (left for the next run).
        relocalized: Rows changed after an earlier localization, copied again.
        erased: Rows whose subject was erased after localization.
        tokenized_elsewhere: Rows holding this cell's tokens already (localized by another job).
        pd_after_erasure: Erased rows whose source holds values that are not this cell's tokens
            (the application wrote PD back after the erasure; left for a person, never copied).
        source_checksum: Sum mod 2**256 of the keyed digests of the moved rows' source values
            (each the digest its item was verified against before the row was replaced).
        cell_checksum: The same over the copies read back and decrypted from the cell.
        superseded_checksum: The same over the items relocalization replaced (their old digests).
    """

    last_key: str | None = None
    done: bool = False
    seen: int = 0
    moved: int = 0
    already_done: int = 0
    skipped_non_ru: int = 0
    changed_meanwhile: int = 0
    relocalized: int = 0
    erased: int = 0
    tokenized_elsewhere: int = 0
    pd_after_erasure: int = 0
    source_checksum: str = ZERO
    cell_checksum: str = ZERO
    superseded_checksum: str = ZERO
    columns: dict[str, ColumnCounts] = field(default_factory=dict)

    def add_checksums(self, source_digest: bytes, cell_digest: bytes) -> None:
        self.source_checksum = f"{fold(int(self.source_checksum, 16), source_digest):064x}"
        self.cell_checksum = f"{fold(int(self.cell_checksum, 16), cell_digest):064x}"

    def supersede(self, old_digest: bytes | None) -> None:
        if old_digest:
            self.superseded_checksum = f"{fold(int(self.superseded_checksum, 16), old_digest):064x}"

    def column(self, name: str) -> ColumnCounts:
        return self.columns.setdefault(name, ColumnCounts())

    def merge(self, batch: TableProgress) -> None:
        """Add one batch's counters and checksums (counted apart while the batch was prepared)."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(batch, name))
        for name in ("source_checksum", "cell_checksum", "superseded_checksum"):
            setattr(self, name, _plus(getattr(self, name), getattr(batch, name)))
        for name, counts in batch.columns.items():
            mine = self.column(name)
            mine.tokenized += counts.tokenized
            mine.nulled += counts.nulled

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TableProgress:
        cols = {k: ColumnCounts(**v) for k, v in (raw.get("columns") or {}).items()}
        return cls(**{**raw, "columns": cols})


_COUNTERS = (
    "seen",
    "moved",
    "already_done",
    "skipped_non_ru",
    "changed_meanwhile",
    "relocalized",
    "erased",
    "tokenized_elsewhere",
    "pd_after_erasure",
)


def _minus(a: str, b: str) -> str:
    return f"{(int(a, 16) - int(b, 16)) % (1 << 256):064x}"


def _plus(a: str, b: str) -> str:
    return f"{(int(a, 16) + int(b, 16)) % (1 << 256):064x}"


@dataclass
class EarlierRuns:
    """One table's totals over the job's finished runs before the current one."""

    moved: int = 0
    relocalized: int = 0
    source_checksum: str = ZERO  # net of superseded items: one digest per live move


@dataclass
class RunProgress:
    """The current run of a job: when it started, each table's progress, earlier runs' totals."""

    run_started_at: str
    tables: dict[str, TableProgress] = field(default_factory=dict)
    earlier: dict[str, EarlierRuns] = field(default_factory=dict)

    def table(self, name: str) -> TableProgress:
        return self.tables.setdefault(name, TableProgress())

    def job_source_checksum(self, name: str) -> str:
        """Sum of the digests the job's live moves of table *name* were verified against."""
        t, e = self.table(name), self.earlier.get(name, EarlierRuns())
        return _plus(e.source_checksum, _minus(t.source_checksum, t.superseded_checksum))

    def next_run(self, started_at: str) -> RunProgress:
        """A new run of a finished job: this run's counters join the earlier runs' totals."""
        earlier = {k: EarlierRuns(**asdict(v)) for k, v in self.earlier.items()}
        for name, t in self.tables.items():
            e = earlier.setdefault(name, EarlierRuns())
            e.moved += t.moved
            e.relocalized += t.relocalized
            e.source_checksum = self.job_source_checksum(name)
        return RunProgress(started_at, {}, earlier)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_started_at": self.run_started_at,
            "tables": {k: v.to_dict() for k, v in self.tables.items()},
            "earlier": {k: asdict(v) for k, v in self.earlier.items()},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunProgress:
        tables = {k: TableProgress.from_dict(v) for k, v in (raw.get("tables") or {}).items()}
        earlier = {k: EarlierRuns(**v) for k, v in (raw.get("earlier") or {}).items()}
        return cls(str(raw.get("run_started_at", "")), tables, earlier)
