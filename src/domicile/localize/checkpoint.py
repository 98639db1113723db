"""Checkpoints of a localize job, and the counters the evidence report shows.

The ``progress`` JSON of a ``localize_jobs`` row holds one :class:`TableProgress` per table:
the last primary key whose batch finished (canonical typed JSON), whether the table is done, and
counters for the current run. It is written after a batch's source transaction committed, so a
crash before it repeats that batch, and every step of a batch is idempotent. Counters are PD-free.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from domicile.localize.values import fold


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
        source_checksum: Sum mod 2**256 of the keyed digests of the moved rows' source values.
        cell_checksum: The same over the copies read back and decrypted from the cell.
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
    source_checksum: str = "0" * 64
    cell_checksum: str = "0" * 64
    columns: dict[str, ColumnCounts] = field(default_factory=dict)

    def add_checksums(self, source_digest: bytes, cell_digest: bytes) -> None:
        self.source_checksum = f"{fold(int(self.source_checksum, 16), source_digest):064x}"
        self.cell_checksum = f"{fold(int(self.cell_checksum, 16), cell_digest):064x}"

    def column(self, name: str) -> ColumnCounts:
        return self.columns.setdefault(name, ColumnCounts())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TableProgress:
        cols = {k: ColumnCounts(**v) for k, v in (raw.get("columns") or {}).items()}
        return cls(**{**raw, "columns": cols})


@dataclass
class RunProgress:
    """The current run of a job: when it started, and each table's progress."""

    run_started_at: str
    tables: dict[str, TableProgress] = field(default_factory=dict)

    def table(self, name: str) -> TableProgress:
        return self.tables.setdefault(name, TableProgress())

    def to_json(self) -> dict[str, Any]:
        return {
            "run_started_at": self.run_started_at,
            "tables": {k: v.to_dict() for k, v in self.tables.items()},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunProgress:
        tables = {k: TableProgress.from_dict(v) for k, v in (raw.get("tables") or {}).items()}
        return cls(str(raw.get("run_started_at", "")), tables)
