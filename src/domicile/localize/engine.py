"""``domicile localize``: move Russian subjects' PD from an application database into the RU cell.

For every table of the data map with PD (subject tables first), batch by batch in primary-key
order (PD-LOC-1..3, 152-FZ art. 18 part 5):

1. classify each row: already localized (an item exists; the source holds its replacements),
   half done (an item exists, the source still holds the values: a crash hit between the
   steps below), non-RU (never written), or RU and new. A subject row is RU when the residency
   resolver homes it in the jurisdiction; a dependent row when the subject at the end of its
   owner chain is in the cell (:mod:`~domicile.localize.owners`, resolved per batch);
2. one cell transaction: subject records (vault, validated fields only) + items (the exact raw
   values) + leak fingerprints + blind index + directory tokens + one PD-free audit entry;
3. read the items back, decrypt and compare digests with the source values — a mismatch is an
   :class:`~domicile.core.errors.IntegrityError` and the source is left untouched (no source row
   is ever replaced before its item was verified);
4. one source transaction: replace the values, only where they are still the copied ones;
5. checkpoint the job in the cell.

Step 1 and the computing part of step 2 ("staging": residency, validation, tokens, sealing,
fingerprints) run in the caller's thread; steps 2-5 ("applying") run in one database thread,
strictly in batch order, while the next batch is staged (:mod:`~domicile.localize.pipeline`).
A staged batch's counters join the table's only when it is applied, so every checkpoint counts
exactly the batches it covers. The cell's planner statistics are refreshed as the run grows it.

Ids are deterministic (HMAC under the job's namespace secret of table and key), so a re-run,
after a kill -9 anywhere, converges and duplicates nothing; a finished job re-run writes nothing.
Helpers: :mod:`~domicile.localize.plan` (context, table plans, rows),
:mod:`~domicile.localize.residency`, :mod:`~domicile.localize.writer` (the cell transaction),
:mod:`~domicile.localize.report` (run counters and job totals).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from domicile.cells.runtime import use_wal
from domicile.cells.store import TokenRow
from domicile.core.errors import InputError, IntegrityError
from domicile.localize.checkpoint import RunProgress, TableProgress
from domicile.localize.datamap import DataMap, DataMapError, Replace
from domicile.localize.faults import FaultPlan
from domicile.localize.items import ItemCipher, ItemRow, JobRow, item_store
from domicile.localize.pipeline import Applier, per_thread
from domicile.localize.plan import Row, RunContext, TablePlan, build_plan
from domicile.localize.prep import Preparer, PrepFuture, PrepPool, RowPrep, auto_workers
from domicile.localize.report import JobTotals, LocalizeReport, job_totals
from domicile.localize.residency import HomeTest
from domicile.localize.source import SourceError, check_map_against_source, masked_url, reflect
from domicile.localize.sourcesql import Update
from domicile.localize.tokens import SCOPE, TokenMark, max_token_len, token_mark
from domicile.localize.values import canonical_key, parse_key, parse_payload
from domicile.localize.writer import CellWriter, Staged
from domicile.service import Domicile, check_actor

__all__ = ["JOB_ID", "JobTotals", "LocalizeReport", "ProgressFn", "default_job_id", "localize", "map_digest"]

JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
RUNNING, FINISHED = "running", "finished"
STATS_MIN_ROWS = 5_000  # the cell's planner statistics are refreshed after this many items, ...
STATS_GROWTH = 4  # ... then each time the run's items grow this many times (and at the end)

ProgressFn = Callable[[str, int, int | None], None]
"""Called after each batch with (table, rows read so far in this run, rows in the table or None)."""


def default_job_id(source: str, jurisdiction: str) -> str:
    """The job id of a source (masked URL) and jurisdiction, so a plain re-run resumes it."""
    return "loc-" + hashlib.sha256(f"{source}|{jurisdiction}".encode()).hexdigest()[:24]


def source_identity(url: sa.URL) -> str:
    """The masked URL naming the source database unambiguously: a SQLite file by its absolute path.

    The job id and the id namespace hang on it, so two databases both reached as
    ``sqlite:///app.db`` from different folders must not look like one source.
    """
    db = url.database
    if url.get_backend_name() == "sqlite" and db and db != ":memory:" and not db.startswith("file:"):
        url = url.set(database=str(Path(db).resolve()))
    return masked_url(url.render_as_string(hide_password=False))[:400]


def map_digest(dm: DataMap) -> str:
    """SHA-256 of the data map's canonical JSON (which map a run followed)."""
    return hashlib.sha256(json.dumps(asdict(dm), sort_keys=True, default=str).encode()).hexdigest()


def localize(
    dom: Domicile,
    engine: sa.Engine,
    dm: DataMap,
    *,
    jurisdiction: str = "RU",
    job: str | None = None,
    batch_size: int = 2000,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    actor: str = "localize",
    faults: FaultPlan | None = None,
    pipeline: bool = True,
    workers: int | None = None,
) -> LocalizeReport:
    """Localize the source behind *engine* per *dm*; see the module docstring.

    With *pipeline* (the default) each batch's database work runs in a background thread while
    the next batch is staged (:mod:`~domicile.localize.pipeline`); it is off for a dry run, a
    memory cell or an in-memory SQLite source, whose connections cannot be shared by threads.
    *workers* processes compute the per-row work of subject tables (:mod:`~domicile.localize.prep`):
    None picks one for a subject table of 20,000 rows or more on a multi-core machine, 0 none.

    Raises:
        DataMapError: The map does not fit the source (checked before anything is written).
        SourceError: The source cannot be read.
        IntegrityError: A copy read back from the cell differs from its source row.
        InputError: Bad arguments (job id, batch size, actor).
    """
    check_actor(actor)
    if not 1 <= batch_size <= 100_000:
        raise InputError("batch size must be between 1 and 100000")
    if workers is not None and not 0 <= workers <= 8:
        raise InputError("workers must be between 0 and 8")
    if job is not None and not JOB_ID.match(job):
        raise InputError(
            "job id must be 1-64 of letters, digits and . _ : - (starting with a letter or digit)"
        )
    juris = jurisdiction.upper()
    cell = dom.home_cell(juris)
    source = source_identity(engine.url)
    infos = reflect(engine)
    kv = cell.keys.current_version()
    check_map_against_source(dm, infos, token_len=max_token_len(cell.name, kv, dom.token_domain))
    for t in dm.localizable():
        for c in t.columns:
            if c.field is not None and c.field not in dom.schema:
                raise DataMapError(f"data map: tables.{t.name}.columns.{c.name}.field: unknown vault field")
    plans = [build_plan(engine.dialect, dm, t, infos) for t in dm.localizable()]
    ctx = RunContext(
        dom=dom,
        cell=cell,
        jurisdiction=juris,
        job=job or default_job_id(source, juris),
        actor=actor,
        faults=faults or FaultPlan.from_env(),
        dry_run=dry_run,
        kv=kv,
        items=ItemCipher(cell.name, cell.keys),
        cipher=dom.cipher(cell.name),
    )
    if not dry_run:
        use_wal(cell)
    run = _Run(ctx, engine, plans, source, map_digest(dm), batch_size, progress)
    run.pipelined = run.pipelined and pipeline
    run.workers = workers
    return run.run()


class _Run:
    def __init__(
        self,
        ctx: RunContext,
        engine: sa.Engine,
        plans: list[TablePlan],
        source: str,
        digest: str,
        batch_size: int,
        progress: ProgressFn | None,
    ) -> None:
        self.ctx, self.engine, self.plans = ctx, engine, plans
        self.source, self.map_digest = source, digest
        self.batch_size, self.progress_fn = batch_size, progress
        self.home = HomeTest.for_dom(ctx.dom, ctx.jurisdiction)
        self.writer = CellWriter(ctx, self.home)
        # apply each batch in a database thread while the next one is staged: both engines must
        # hand each thread its own connection (not an in-memory SQLite source or a memory cell)
        self.pipelined = (
            not ctx.dry_run and per_thread(engine) and per_thread(getattr(ctx.cell, "engine", None))
        )
        self.started_at = ""
        self.dirty = False
        self.fresh = False  # a job created by this run: none of its items exist yet
        self.resumed = False  # this run continues one a crash interrupted
        self.planned: set[str] = set()  # dry run: RU subjects found so far
        self.workers: int | None = None  # staging worker processes (None: one for a large subject table)
        self.pool: PrepPool | None = None
        self.written = 0  # items written by this run
        self.analyzed_at = 0  # ``written`` when the cell's statistics were last refreshed
        self.state = RunProgress("")

    # -- job ------------------------------------------------------------------------------------
    def _open_job(self) -> None:
        ctx = self.ctx
        with ctx.cell.session() as s:
            row = item_store(s).get_job(ctx.job)
        now = ctx.dom.now()
        if row is not None and row.source != self.source:
            raise InputError(f"job {ctx.job} belongs to another source; choose another --job")
        if row is None:
            ctx.ns, self.state, self.dirty, self.fresh = os.urandom(32), RunProgress(now), True, True
            self.started_at = now
            if not ctx.dry_run:
                self._save(RUNNING, None, created=now)
            return
        ctx.ns, self.started_at = row.namespace_secret, row.started_at
        previous = RunProgress.from_json(row.progress)
        if row.state == RUNNING:
            self.state, self.dirty, self.resumed = previous, True, True
        else:
            self.state = previous.next_run(now)

    def _save(self, state: str, finished_at: str | None, created: str | None = None) -> None:
        ctx = self.ctx
        with ctx.cell.session() as s:
            item_store(s).put_job(
                JobRow(
                    ctx.job,
                    ctx.ns,
                    self.source,
                    state,
                    created or self.started_at,
                    finished_at,
                    self.state.to_json(),
                )
            )
            if state == FINISHED:
                moved = sum(t.moved + t.relocalized for t in self.state.tables.values())
                s.audit.append([ctx.event("localize.finish", rows=moved)])

    # -- run ------------------------------------------------------------------------------------
    def run(self) -> LocalizeReport:
        self._open_job()
        run_started = self.state.run_started_at or self.ctx.dom.now()
        try:
            with Applier(self.pipelined) as applier:
                for plan in self.plans:
                    tp = self.state.table(plan.name)
                    if not tp.done:
                        self._table(plan, tp, applier)
                        applier.drain()  # a dependent table looks up the subjects this one wrote
                        tp.done = True
        finally:
            if self.pool is not None:
                self.pool.close()
        finished = self.ctx.dom.now()
        if self.dirty and not self.ctx.dry_run:
            self._save(FINISHED, finished)
            if self.written > self.analyzed_at:
                self._refresh_statistics()  # leakscan and the gateway look these tables up next
        return self._report(run_started, finished)

    def _table(self, plan: TablePlan, tp: TableProgress, applier: Applier) -> None:
        """Read a table in batches after its checkpoint; stage each (with the worker's help) and apply it."""
        total = None
        if self.progress_fn is not None or (self.workers is None and self._may_prep(plan)):
            with self.engine.connect() as conn:
                total = plan.src.count(conn)
        after = parse_key(tp.last_key) if tp.last_key else None
        seen = tp.seen
        pool = self._prep_pool(plan, total)
        ahead = 0 if pool is None else self.workers or 1  # batches at the worker while one is staged
        waiting: deque[tuple[list[dict[str, Any]], dict[str, Any] | None, PrepFuture | None]] = deque()
        while True:
            owner_keys = None
            with self.engine.connect() as conn:
                rows = plan.src.read_batch(conn, after, self.batch_size)
                if rows and plan.lookup is not None and plan.link is not None:
                    owner_keys = plan.lookup.resolve(conn, [r[plan.link] for r in rows])
            if rows:
                waiting.append((rows, owner_keys, pool.submit(plan.name, rows) if pool else None))
                after = plan.src.key_of(rows[-1])
            while waiting and (len(waiting) > ahead or not rows):
                raws, owners, future = waiting.popleft()
                preps = PrepPool.result(future) if future is not None else None
                applier.submit(partial(self._apply, tp, self._stage(plan, raws, owners, preps)))
                seen += len(raws)
                if self.progress_fn is not None:
                    self.progress_fn(plan.name, seen, total)
            if not rows:
                return

    def _may_prep(self, plan: TablePlan) -> bool:
        """Whether a worker process may stage this table: a subject table, when writing."""
        return plan.subject_key is not None and not self.ctx.dry_run and self.workers != 0

    def _prep_pool(self, plan: TablePlan, total: int | None) -> PrepPool | None:
        """The staging worker for this table, started on first need (then kept for the run)."""
        if not self._may_prep(plan):
            return None
        if self.pool is None:
            if (self.workers or auto_workers(total)) == 0:
                return None
            preparer = Preparer.for_run(self.ctx, self.plans, self.home, self.writer.fingerprinter)
            self.pool = PrepPool(preparer, self.workers or 1)
        return self.pool

    def _report(self, run_started: str, finished: str) -> LocalizeReport:
        from domicile.operations import audit_head

        ctx = self.ctx
        with ctx.cell.session() as s:
            st = item_store(s)
            totals = {p.name: job_totals(st, ctx.job, self.state, p.name) for p in self.plans}
        head = audit_head(ctx.dom, ctx.cell.name)
        changed = sum(t.changed_meanwhile for t in self.state.tables.values())
        return LocalizeReport(
            job=ctx.job,
            jurisdiction=ctx.jurisdiction,
            cell=ctx.cell.name,
            source=self.source,
            map_digest=self.map_digest,
            dry_run=ctx.dry_run,
            started_at=run_started,
            finished_at=finished,
            state="dry-run" if ctx.dry_run else ("incomplete" if changed else FINISHED),
            tables={p.name: self.state.table(p.name) for p in self.plans},
            audit_head=head.to_anchor() if head else None,
            job_tables=totals,
        )

    # -- one batch ------------------------------------------------------------------------------
    def _stage(
        self,
        plan: TablePlan,
        raws: list[dict[str, Any]],
        owner_keys: dict[str, Any] | None,
        preps: list[RowPrep | None] | None = None,
    ) -> Staged:
        """Classify a batch's rows and prepare its cell rows; nothing is written here.

        Runs while the batch before it is applied (:meth:`_apply`); its counters are kept apart
        until this batch is applied, so a checkpoint never counts a batch it does not cover.
        """
        ctx = self.ctx
        counts = TableProgress()
        last_key = canonical_key(plan.src.key_of(raws[-1]))
        if preps is not None and self.fresh:
            # the worker resolved every row and a first run has no items to find: only the rows
            # homed here go on (the others are counted, never looked at again)
            home = [(r, p) for r, p in zip(raws, preps, strict=True) if p is not None]
            counts.seen = counts.skipped_non_ru = len(raws) - len(home)  # the home rows count below
            raws, preps = [r for r, _ in home], [p for _, p in home]
        rows = [Row(r, plan.src.key_of(r), plan, ctx) for r in raws]
        if preps is not None:  # the worker resolved these rows: the home ones come with their prep
            for r, prep in zip(rows, preps, strict=True):
                if prep is not None:
                    r.adopt(prep)
        if owner_keys is not None and plan.link is not None:
            for r in rows:
                v = r.raw[plan.link]
                r.owner_key = None if v is None else owner_keys.get(canonical_key((v,)))
        existing: dict[str, ItemRow] = {}
        owners: set[str] = set()
        directory: dict[str, dict[str, str]] = {}
        # a job's first run cannot find items of its own: no ids hashed, no session for a subject table
        if not self.fresh or plan.owner is not None:
            with ctx.cell.session() as s:
                st = item_store(s)
                existing = st.get_items([r.item_id for r in rows]) if not self.fresh else {}
                if plan.owner is not None:
                    owners = st.present_subjects(sorted({r.subject_id for r in rows if r.subject_id}))
                known = sorted({r.subject_id for r in rows if r.subject_id and r.item_id in existing})
                if plan.subject_key and known:
                    directory = _by_subject(st.tokens_of_subjects(known, SCOPE))
        staged = Staged(plan, counts, last_key)
        for r in rows:
            counts.seen += 1
            r.item = existing.get(r.item_id) if existing else None
            if r.item is not None:
                self._classify_existing(plan, counts, r, directory, staged.pending, staged.changed)
            elif (r.prep is not None) if preps is not None else self._is_home(plan, r, owners):
                staged.new.append(r)
            else:
                counts.skipped_non_ru += 1
        staged.new = self._drop_tokenized_elsewhere(plan, counts, staged.new)
        if ctx.dry_run:
            for r in staged.new + staged.pending + staged.changed:
                self._count_moved(plan, counts, r, r.raw, False)
        elif staged.new or staged.changed:
            staged.write = self.writer.prepare(plan, staged.new, staged.changed, directory)
        return staged

    def _apply(self, tp: TableProgress, staged: Staged) -> None:
        """Write, verify, replace and checkpoint a staged batch (in batch order, one at a time)."""
        ctx = self.ctx
        plan, counts = staged.plan, staged.counts
        targets = staged.new + staged.pending + staged.changed
        if not ctx.dry_run:
            if staged.write is not None:
                self.writer.commit(staged.write)
                ctx.faults.passing("after_cell_commit")
                self.written += len(staged.new) + len(staged.changed)
            if targets:
                self._verify(plan, targets)
                ctx.faults.passing("after_verify")
                self._replace_in_source(plan, counts, targets, {r.item_id for r in staged.changed})
        tp.merge(counts)
        tp.last_key = staged.last_key
        if targets and not ctx.dry_run:
            self.dirty = True
            self._save(RUNNING, None)
            ctx.faults.passing("after_checkpoint")
            if self.written >= max(STATS_MIN_ROWS, STATS_GROWTH * self.analyzed_at):
                self._refresh_statistics()

    def _refresh_statistics(self) -> None:
        """Let the cell's planner see the tables this run grew (look-ups stay index probes)."""
        with self.ctx.cell.session() as s:
            item_store(s).refresh_statistics()
        self.analyzed_at = self.written

    def _drop_tokenized_elsewhere(self, plan: TablePlan, tp: TableProgress, new: list[Row]) -> list[Row]:
        """Leave rows whose replaced columns already hold this cell's tokens.

        They were localized by another job: the same database reached through another URL
        (``localhost`` vs ``127.0.0.1``) or another ``--job``. Copying their tokens as PD would
        make a second subject of each person (PD-LOC-1 needs one home copy, not two).
        """
        ours: set[str] = set()
        phones: set[str] = set()
        for r in new:
            for c in plan.replaced:
                v = r.raw[c.name]
                mark = token_mark(v, self.ctx.cell.name)
                if mark is TokenMark.OURS:
                    ours.add(v)
                elif mark is TokenMark.PHONE:
                    phones.add(v)
        if phones:
            with self.ctx.cell.session() as s:
                ours |= item_store(s).taken_tokens(sorted(phones))
        if not ours:
            return new
        keep = []
        for r in new:
            if any(r.raw[c.name] in ours for c in plan.replaced):
                tp.tokenized_elsewhere += 1
            else:
                keep.append(r)
        return keep

    def _classify_existing(
        self,
        plan: TablePlan,
        tp: TableProgress,
        r: Row,
        directory: Mapping[str, dict[str, str]],
        pending: list[Row],
        changed: list[Row],
    ) -> None:
        assert r.item is not None
        if r.item.wrapped_dek is None:
            tp.erased += 1  # the subject was erased after localization
            if any(_holds_pd(r.raw[c.name], self.ctx.cell.name) for c in plan.replaced):
                tp.pd_after_erasure += 1  # the application put PD back after the erasure
            return
        r.repl = self.ctx.replacement(plan, r, r.item.key_version, directory.get(r.subject_id or "", {}))
        if all(r.raw[c] is None or r.raw[c] == r.repl[c] for c in r.repl):
            if self.resumed and r.item.updated_at >= self.state.run_started_at:
                self._count_interrupted(plan, tp, r)
            else:
                tp.already_done += 1
        elif self.ctx.items.open(r.item) == r.payload:
            pending.append(r)  # copied and verified before; the source was not replaced yet
        else:
            changed.append(r)  # the application changed the row after it was localized

    def _count_interrupted(self, plan: TablePlan, tp: TableProgress, r: Row) -> None:
        """A row this run replaced before a crash lost its count (the checkpoint came after it).

        Counted now as the interrupted batch would have: from its item, whose stored digest is
        the one the source row was verified against before it was replaced.
        """
        assert r.item is not None and r.item.digest is not None
        plain = self.ctx.items.open(r.item)
        r.source_digest = r.item.digest
        r.cell_digest = self.ctx.items.digest(plain, r.item.key_version)
        relocalized = r.item.created_at < self.state.run_started_at
        self._count_moved(plan, tp, r, parse_payload(plain)[2], relocalized)

    def _is_home(self, plan: TablePlan, r: Row, owners: set[str]) -> bool:
        if plan.owner is not None:
            return r.subject_id is not None and (r.subject_id in owners or r.subject_id in self.planned)
        home = self.home.subject_row(plan, r)
        if home and self.ctx.dry_run and r.subject_id:
            self.planned.add(r.subject_id)
        return home

    def _verify(self, plan: TablePlan, targets: list[Row]) -> None:
        """Read the items back and compare: no source row is replaced before its copy checked out."""
        ctx = self.ctx
        with ctx.cell.session() as s:
            got = item_store(s).get_items([r.item_id for r in targets])
        for r in targets:
            item = got.get(r.item_id)
            if item is None:
                raise IntegrityError(
                    f"table {plan.name}: item {r.item_id} is missing from the cell after writing"
                )
            plain = ctx.items.open(item)
            want = ctx.items.digest(r.payload, item.key_version)
            r.source_digest, r.cell_digest = want, ctx.items.digest(plain, item.key_version)
            if plain != r.payload or item.digest != want or r.cell_digest != want:
                raise IntegrityError(
                    f"table {plan.name}: item {r.item_id} read back from cell {ctx.cell.name} differs "
                    "from its source row; the source was left unchanged"
                )

    def _replace_in_source(
        self, plan: TablePlan, tp: TableProgress, targets: list[Row], changed: set[str]
    ) -> None:
        updates = [Update(plan.src.key_of(r.raw), {c: r.raw[c] for c in r.repl}, r.repl) for r in targets]
        try:
            with self.engine.begin() as conn:
                done = plan.src.update(conn, updates)
                self.ctx.faults.passing("before_source_commit")
        except sa.exc.DBAPIError as exc:  # a constraint or trigger refused a token; no PD in the message
            raise SourceError(
                f"source table {plan.name} refused the update ({type(exc).__name__}): a constraint or "
                "trigger rejects the replacement; the copies are in the cell, the source rows unchanged"
            ) from None
        self.ctx.faults.passing("after_source_commit")
        for r in targets:
            if r.ckey not in done:
                tp.changed_meanwhile += 1
                continue
            relocalized = r.item_id in changed
            if relocalized and r.item is not None:
                tp.supersede(r.item.digest)  # the old copy's digest leaves the job's source checksum
            self._count_moved(plan, tp, r, r.raw, relocalized)

    def _count_moved(
        self, plan: TablePlan, tp: TableProgress, r: Row, values: Mapping[str, Any], relocalized: bool
    ) -> None:
        if relocalized:
            tp.relocalized += 1
        else:
            tp.moved += 1
        for c in plan.replaced:
            if values.get(c.name) is None:
                continue
            counts = tp.column(c.name)
            if c.replace is Replace.NULL:
                counts.nulled += 1
            else:
                counts.tokenized += 1
        if r.cell_digest:
            tp.add_checksums(r.source_digest, r.cell_digest)


def _by_subject(rows: Sequence[TokenRow]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for t in rows:
        out.setdefault(t.subject_id, {})[t.field] = t.token
    return out


def _holds_pd(value: Any, cell: str) -> bool:
    """Whether a replaced column of an erased row holds a value that is not one of ``cell``'s tokens.

    Phone-shaped values cannot be told apart: a format-preserving phone token is a valid number,
    and the erased subject's directory rows are gone, so they are not counted.
    """
    return token_mark(value, cell) in (TokenMark.NOT_A_TOKEN, TokenMark.FOREIGN)
