"""What a localize run reports (PD-free): this run's counters and the job's totals across runs.

The evidence report (:mod:`domicile.localize.evidence`) is rendered from a :class:`LocalizeReport`.
Job totals do not depend on how the job was run: a job killed and resumed reports the same
totals and checksums as one run straight through (the resumed run continues the interrupted one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domicile.localize.checkpoint import RunProgress, TableProgress
from domicile.localize.items import LocalizedItemStore
from domicile.localize.values import fold


@dataclass(frozen=True)
class JobTotals:
    """One table across all runs of a job.

    Attributes:
        items_in_cell: The job's live items of the table in the RU cell (counted in the cell).
        cell_items_checksum: Sum mod 2**256 of those items' stored digests (read from the cell).
        source_checksum: Sum of the digests each live item's source row was verified against
            when it was moved (kept by the runs; equal to ``cell_items_checksum`` unless items
            were erased since, or a relocalized row changed again before it was replaced).
        moved_this_run: Rows moved by this run (a resumed run includes the interrupted part).
        moved_earlier_runs: Rows moved by the job's earlier runs.
        relocalized: Rows copied again after a change, all runs.
        skipped_non_ru: Rows this run found not homed in the jurisdiction (never written).
        changed_meanwhile: Rows this run left because the application changed them meanwhile.
    """

    items_in_cell: int
    cell_items_checksum: str
    source_checksum: str
    moved_this_run: int
    moved_earlier_runs: int
    relocalized: int
    skipped_non_ru: int
    changed_meanwhile: int

    @property
    def checksums_equal(self) -> bool:
        return self.source_checksum == self.cell_items_checksum


@dataclass(frozen=True)
class LocalizeReport:
    """What a run did, and the job's totals (PD-free)."""

    job: str
    jurisdiction: str
    cell: str
    source: str
    map_digest: str
    dry_run: bool
    started_at: str
    finished_at: str
    state: str
    tables: dict[str, TableProgress]
    audit_head: str | None = None
    job_tables: dict[str, JobTotals] = field(default_factory=dict)

    @property
    def moved(self) -> int:
        return sum(t.moved + t.relocalized for t in self.tables.values())

    @property
    def items_in_cell(self) -> dict[str, int]:
        return {n: t.items_in_cell for n, t in self.job_tables.items()}

    @property
    def cell_items_checksum(self) -> dict[str, str]:
        return {n: t.cell_items_checksum for n, t in self.job_tables.items()}


def job_totals(store: LocalizedItemStore, job: str, state: RunProgress, table: str) -> JobTotals:
    """The totals of one table: items and their checksum from the cell, the rest from *state*."""
    n, acc = 0, 0
    for d in store.item_digests(job, table):
        n, acc = n + 1, fold(acc, d)
    t = state.table(table)
    e = state.earlier.get(table)
    return JobTotals(
        items_in_cell=n,
        cell_items_checksum=f"{acc:064x}",
        source_checksum=state.job_source_checksum(table),
        moved_this_run=t.moved,
        moved_earlier_runs=e.moved if e else 0,
        relocalized=t.relocalized + (e.relocalized if e else 0),
        skipped_non_ru=t.skipped_non_ru,
        changed_meanwhile=t.changed_meanwhile,
    )
