"""``domicile localize``: move Russian subjects' PD from an application database into the RU cell.

For every table of the data map with PD (subject tables first), batch by batch in primary-key
order (PD-LOC-1..3, 152-FZ art. 18 part 5):

1. classify each row: already localized (an item exists; the source holds its replacements),
   half done (an item exists, the source still holds the values: a crash hit between the
   steps below), non-RU (never written), or RU and new. A subject row is RU when the residency
   resolver homes it in the jurisdiction; a dependent row when its owner's subject is in the cell;
2. one cell transaction: subject records (vault, validated fields only) + items (the exact raw
   values) + leak fingerprints + blind index + directory tokens + one PD-free audit entry;
3. read the items back, decrypt and compare digests with the source values — a mismatch is an
   :class:`~domicile.core.errors.IntegrityError` and the source is left untouched;
4. one source transaction: replace the values, only where they are still the copied ones;
5. checkpoint the job in the cell.

Ids are deterministic (HMAC under the job's namespace secret of table and key), so a re-run,
after a kill -9 anywhere, converges and duplicates nothing; a finished job re-run writes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import phonenumbers
import sqlalchemy as sa

from domicile.audit import AuditEvent
from domicile.cells.runtime import Cell
from domicile.cells.store import TokenRow, VaultRow
from domicile.core.errors import InputError, IntegrityError
from domicile.localize.checkpoint import RunProgress, TableProgress
from domicile.localize.datamap import ColumnMap, DataMap, DataMapError, Replace, TableMap
from domicile.localize.faults import FaultPlan
from domicile.localize.fingerprints import TEXT, candidates, fingerprint
from domicile.localize.fingerprints import canonical as canonical_form
from domicile.localize.items import FingerprintRow, ItemCipher, ItemRow, JobRow, fingerprint_rows, item_store
from domicile.localize.source import TableInfo, check_map_against_source, masked_url, reflect
from domicile.localize.sourcesql import SourceTable, Update
from domicile.localize.tokens import SCOPE, Wanted, directory_kind, draw_tokens, max_token_len, replacement
from domicile.localize.values import canonical_key, fold, parse_key, row_payload
from domicile.residency.resolver import Signals
from domicile.service import Domicile, check_actor
from domicile.vault.fields import FieldKind
from domicile.vault.keys import KeyPurpose
from domicile.vault.phones import phone_info
from domicile.vault.records import Record

JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_AUDIT_SAFE = re.compile(r"^[A-Za-z0-9_.:/=+,#~-]{1,200}$")
RUNNING, FINISHED = "running", "finished"
_ID_PREFIX = {"subject": "sub", "item": "itm"}
FP_CACHE = 200_000
_COUNTRY = re.compile(r"^\s*[A-Za-z]{2}\s*$")

ProgressFn = Callable[[str, int, int | None], None]
"""Called after each batch with (table, rows read so far in this run, rows in the table or None)."""


@dataclass(frozen=True)
class LocalizeReport:
    """What a run did (PD-free): the evidence report is rendered from it."""

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
    items_in_cell: dict[str, int] = field(default_factory=dict)
    cell_items_checksum: dict[str, str] = field(default_factory=dict)

    @property
    def moved(self) -> int:
        return sum(t.moved + t.relocalized for t in self.tables.values())


def default_job_id(source: str, jurisdiction: str) -> str:
    """The job id of a source (masked URL) and jurisdiction, so a plain re-run resumes it."""
    return "loc-" + hashlib.sha256(f"{source}|{jurisdiction}".encode()).hexdigest()[:24]


def map_digest(dm: DataMap) -> str:
    """SHA-256 of the data map's canonical JSON (which map a run followed)."""
    return hashlib.sha256(json.dumps(asdict(dm), sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class _Plan:
    table: TableMap
    src: SourceTable
    replaced: tuple[ColumnMap, ...]
    subject_key: str | None  # subject tables: the key column
    owner: str | None  # dependent tables: owner table
    link: str | None  # dependent tables: column holding the owner's key

    @property
    def name(self) -> str:
        return self.table.name


@dataclass
class _Row:
    """One row on its way: raw source values and what the batch decided for it.

    Ids and the payload are computed when first needed: on a job's first run most rows are
    never written, and hashing them would be wasted.
    """

    raw: dict[str, Any]
    key: tuple[Any, ...]
    plan: _Plan
    ids: Callable[[str, str, str], str]
    item: ItemRow | None = None
    values: dict[str, str] = field(default_factory=dict)  # validated vault fields
    signals: Signals = field(default_factory=Signals)
    repl: dict[str, str | None] = field(default_factory=dict)
    source_digest: bytes = b""
    cell_digest: bytes = b""
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def ckey(self) -> str:
        """The canonical primary key (ids, checkpoints)."""
        if "ckey" not in self._cache:
            self._cache["ckey"] = canonical_key(self.key)
        return str(self._cache["ckey"])

    @property
    def item_id(self) -> str:
        if "item" not in self._cache:
            self._cache["item"] = self.ids("item", self.plan.name, self.ckey)
        return str(self._cache["item"])

    @property
    def subject_id(self) -> str | None:
        if "sid" not in self._cache:
            p, sid = self.plan, None
            if p.subject_key is not None:
                sid = self.ids("subject", p.name, canonical_key((self.raw[p.subject_key],)))
            elif p.owner is not None and p.link is not None and self.raw[p.link] is not None:
                sid = self.ids("subject", p.owner, canonical_key((self.raw[p.link],)))
            self._cache["sid"] = sid
        sid_: str | None = self._cache["sid"]
        return sid_

    @property
    def payload(self) -> bytes:
        """The item plaintext of the row."""
        if "payload" not in self._cache:
            values = {c.name: self.raw[c.name] for c in self.plan.replaced}
            self._cache["payload"] = row_payload(self.plan.name, self.key, values)
        data: bytes = self._cache["payload"]
        return data


def localize(
    dom: Domicile,
    engine: sa.Engine,
    dm: DataMap,
    *,
    jurisdiction: str = "RU",
    job: str | None = None,
    batch_size: int = 500,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    actor: str = "localize",
    faults: FaultPlan | None = None,
) -> LocalizeReport:
    """Localize the source behind *engine* per *dm*; see the module docstring.

    Raises:
        DataMapError: The map does not fit the source (checked before anything is written).
        SourceError: The source cannot be read.
        IntegrityError: A copy read back from the cell differs from its source row.
        InputError: Bad arguments (job id, batch size, actor).
    """
    check_actor(actor)
    if not 1 <= batch_size <= 100_000:
        raise InputError("batch size must be between 1 and 100000")
    if job is not None and not JOB_ID.match(job):
        raise InputError(
            "job id must be 1-64 of letters, digits and . _ : - (starting with a letter or digit)"
        )
    cell = dom.home_cell(jurisdiction.upper())
    source = masked_url(engine.url.render_as_string(hide_password=False))[:400]
    infos = reflect(engine)
    kv = cell.keys.current_version()
    check_map_against_source(dm, infos, token_len=max_token_len(cell.name, kv, dom.token_domain))
    for t in dm.localizable():
        for c in t.columns:
            if c.field is not None and c.field not in dom.schema:
                raise DataMapError(f"data map: tables.{t.name}.columns.{c.name}.field: unknown vault field")
    plans = [_plan(engine.dialect, t, infos[t.name]) for t in dm.localizable()]
    run = _Run(
        dom, cell, engine, plans, jurisdiction.upper(), job or default_job_id(source, jurisdiction.upper())
    )
    run.source, run.batch_size, run.dry_run, run.progress_fn = source, batch_size, dry_run, progress
    run.actor, run.faults, run.map_digest = actor, faults or FaultPlan.from_env(), map_digest(dm)
    return run.run()


def _plan(dialect: sa.Dialect, t: TableMap, info: TableInfo) -> _Plan:
    replaced = tuple(c for c in t.columns if c.is_pd and c.replace is not Replace.KEEP)
    assert t.subject is not None
    link = t.subject.column if t.subject.ref else None
    read = [c.name for c in replaced] + list(t.residency.columns())
    read += [x for x in (t.subject.key, link) if x]
    src = SourceTable(dialect, info, read, [c.name for c in replaced])
    return _Plan(t, src, replaced, t.subject.key, t.subject.ref, link)


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return v if isinstance(v, str) else str(v)


class _Run:
    def __init__(
        self, dom: Domicile, cell: Cell, engine: sa.Engine, plans: list[_Plan], jurisdiction: str, job: str
    ) -> None:
        self.dom, self.cell, self.engine, self.plans = dom, cell, engine, plans
        self.jurisdiction, self.job = jurisdiction, job
        self.items = ItemCipher(cell.name, cell.keys)
        self.cipher = dom.cipher(cell.name)
        self.kv = cell.keys.current_version()
        self.fp_key = cell.keys.secret(self.kv, KeyPurpose.BLIND_INDEX)
        self.source = ""
        self.batch_size = 500
        self.dry_run = False
        self.progress_fn: ProgressFn | None = None
        self.actor = "localize"
        self.faults = FaultPlan(None)
        self.map_digest = ""
        self.ns = b""
        self.started_at = ""
        self.dirty = False
        self.fresh = False  # a job created by this run: none of its items exist yet
        self._fp_cache: dict[tuple[str | None, Any], tuple[bytes, ...]] = {}
        self.planned: set[str] = set()  # dry run: RU subjects found so far
        self.state = RunProgress("")
        self.home_countries = frozenset(dom.packs[jurisdiction].COUNTRIES)
        self.home_codes = tuple(
            sorted({str(phonenumbers.country_code_for_region(c)) for c in self.home_countries}) or ("",)
        )

    # -- job ------------------------------------------------------------------------------------
    def _open_job(self) -> None:
        with self.cell.session() as s:
            row = item_store(s).get_job(self.job)
        now = self.dom.now()
        if row is not None and row.source != self.source:
            raise InputError(f"job {self.job} belongs to another source; choose another --job")
        if row is None:
            self.ns, self.state, self.dirty, self.fresh = os.urandom(32), RunProgress(now), True, True
            self.started_at = now
            if not self.dry_run:
                self._save(RUNNING, None, created=now)
            return
        self.ns, self.started_at = row.namespace_secret, row.started_at
        if row.state == RUNNING:
            self.state, self.dirty = RunProgress.from_json(row.progress), True
        else:
            self.state = RunProgress(now)

    def _save(self, state: str, finished_at: str | None, created: str | None = None) -> None:
        with self.cell.session() as s:
            item_store(s).put_job(
                JobRow(
                    self.job,
                    self.ns,
                    self.source,
                    state,
                    created or self.started_at,
                    finished_at,
                    self.state.to_json(),
                )
            )
            if state == FINISHED:
                moved = sum(t.moved + t.relocalized for t in self.state.tables.values())
                s.audit.append([self._event("localize.finish", rows=moved)])

    def _event(self, action: str, table: str | None = None, **details: int) -> AuditEvent:
        extra: dict[str, str | int | bool | None] = {"job": self.job, **details}
        if table is not None and _AUDIT_SAFE.match(table):
            extra["table"] = table
        return AuditEvent(self.actor, action, "localization", "ok", None, extra)

    # -- run ------------------------------------------------------------------------------------
    def run(self) -> LocalizeReport:
        self._open_job()
        run_started = self.state.run_started_at or self.dom.now()
        for plan in self.plans:
            tp = self.state.table(plan.name)
            if tp.done:
                continue
            total = None
            if self.progress_fn is not None:
                with self.engine.connect() as conn:
                    total = plan.src.count(conn)
            after = parse_key(tp.last_key) if tp.last_key else None
            while True:
                with self.engine.connect() as conn:
                    rows = plan.src.read_batch(conn, after, self.batch_size)
                if not rows:
                    break
                self._batch(plan, tp, rows)
                after = plan.src.key_of(rows[-1])
                if self.progress_fn is not None:
                    self.progress_fn(plan.name, tp.seen, total)
            tp.done = True
        finished = self.dom.now()
        if self.dirty and not self.dry_run:
            self._save(FINISHED, finished)
        return self._report(run_started, finished)

    def _report(self, run_started: str, finished: str) -> LocalizeReport:
        from domicile.operations import audit_head

        counts: dict[str, int] = {}
        sums: dict[str, str] = {}
        with self.cell.session() as s:
            st = item_store(s)
            for plan in self.plans:
                n, acc = 0, 0
                for d in st.item_digests(self.job, plan.name):
                    n, acc = n + 1, fold(acc, d)
                counts[plan.name], sums[plan.name] = n, f"{acc:064x}"
        head = audit_head(self.dom, self.cell.name)
        changed = sum(t.changed_meanwhile for t in self.state.tables.values())
        return LocalizeReport(
            job=self.job,
            jurisdiction=self.jurisdiction,
            cell=self.cell.name,
            source=self.source,
            map_digest=self.map_digest,
            dry_run=self.dry_run,
            started_at=run_started,
            finished_at=finished,
            state="dry-run" if self.dry_run else ("incomplete" if changed else FINISHED),
            tables={p.name: self.state.table(p.name) for p in self.plans},
            audit_head=head.to_anchor() if head else None,
            items_in_cell=counts,
            cell_items_checksum=sums,
        )

    # -- ids ------------------------------------------------------------------------------------
    def _id(self, prefix: str, table: str, ckey: str) -> str:
        mac = hmac.new(self.ns, f"{prefix}\0{table}\0{ckey}".encode(), "sha256").hexdigest()
        return f"{_ID_PREFIX[prefix]}_{mac[:32]}"

    # -- one batch ------------------------------------------------------------------------------
    def _batch(self, plan: _Plan, tp: TableProgress, raws: list[dict[str, Any]]) -> None:
        rows = [self._row(plan, r) for r in raws]
        with self.cell.session() as s:
            st = item_store(s)
            # a job's first run cannot find items of its own: skip hashing ids and the look-up
            existing = st.get_items([r.item_id for r in rows]) if not self.fresh else {}
            owners: set[str] = set()
            if plan.owner is not None:
                owners = st.present_subjects(sorted({r.subject_id for r in rows if r.subject_id}))
            known = sorted({r.subject_id for r in rows if r.item_id in existing and r.subject_id})
            directory = _by_subject(st.tokens_of_subjects(known, SCOPE) if plan.subject_key and known else [])
        new: list[_Row] = []
        pending: list[_Row] = []
        changed: list[_Row] = []
        for r in rows:
            tp.seen += 1
            r.item = existing.get(r.item_id)
            if r.item is not None:
                self._classify_existing(plan, tp, r, directory, pending, changed)
            elif self._is_home(plan, r, owners):
                new.append(r)
            else:
                tp.skipped_non_ru += 1
        if self.dry_run:
            for r in new + pending + changed:
                self._count_moved(plan, tp, r, False)
        else:
            if new or changed:
                self._write_cell(plan, new, changed, directory)
                self.faults.passing("after_cell_commit")
            targets = new + pending + changed
            if targets:
                self._verify(plan, targets)
                self.faults.passing("after_verify")
                self._replace_in_source(plan, tp, targets, {r.item_id for r in changed})
        tp.last_key = rows[-1].ckey
        if (new or pending or changed) and not self.dry_run:
            self.dirty = True
            self._save(RUNNING, None)
            self.faults.passing("after_checkpoint")

    def _row(self, plan: _Plan, raw: dict[str, Any]) -> _Row:
        return _Row(raw, plan.src.key_of(raw), plan, self._id)

    def _classify_existing(
        self,
        plan: _Plan,
        tp: TableProgress,
        r: _Row,
        directory: Mapping[str, dict[str, str]],
        pending: list[_Row],
        changed: list[_Row],
    ) -> None:
        assert r.item is not None
        if r.item.wrapped_dek is None:
            tp.erased += 1  # the subject was erased after localization
            return
        r.repl = self._replacement(plan, r, r.item.key_version, directory.get(r.subject_id or "", {}))
        if all(r.raw[c] is None or r.raw[c] == r.repl[c] for c in r.repl):
            tp.already_done += 1
        elif self.items.open(r.item) == r.payload:
            pending.append(r)  # copied and verified before; the source was not replaced yet
        else:
            changed.append(r)  # the application changed the row after it was localized

    def _replacement(
        self, plan: _Plan, r: _Row, kv: int, directory: Mapping[str, str]
    ) -> dict[str, str | None]:
        repl = replacement(
            plan.replaced,
            ns=self.ns,
            cell=self.cell.name,
            kv=kv,
            item_id=r.item_id,
            domain=self.dom.token_domain,
            directory=directory,
        )
        return {c: (None if r.raw[c] is None else v) for c, v in repl.items()}

    def _is_home(self, plan: _Plan, r: _Row, owners: set[str]) -> bool:
        if plan.owner is not None:
            return r.subject_id is not None and (r.subject_id in owners or r.subject_id in self.planned)
        t = plan.table
        raw_phones = [_text(r.raw[c]) for c in t.residency.phones]
        for c in plan.replaced:
            if c.field is not None and self.dom.schema.spec(c.field).kind is FieldKind.PHONE:
                raw_phones.append(_text(r.raw[c.name]))
        countries = [r.raw[c] if c else None for c in (t.residency.citizenship, t.residency.residence)]
        countries.append(r.raw[t.residency.ip_country] if t.residency.ip_country else None)
        if not any(self._may_be_home_phone(p) for p in raw_phones if p) and not any(
            isinstance(c, str) and c.strip().upper() in self.home_countries for c in countries
        ):
            return False  # no signal can name the jurisdiction: the resolver cannot home it here
        phones = [_phone(p) for p in raw_phones if p]
        r.signals = _signals([p for p in phones if p], *countries)
        home = self.dom.resolver.resolve(r.signals).jurisdiction == self.jurisdiction
        if home and self.dry_run and r.subject_id:
            self.planned.add(r.subject_id)
        return home

    def _may_be_home_phone(self, text: str) -> bool:
        """False only for an international number whose calling code is not the jurisdiction's."""
        t = text.lstrip()
        if not t.startswith("+"):
            return True  # national format: parsed with the RU numbering plan
        digits = "".join(ch for ch in t[1:5] if ch.isdigit())
        return digits.startswith(self.home_codes)

    def _validated(self, plan: _Plan, r: _Row) -> dict[str, str]:
        """The row's values of vault fields that pass validation (others stay in the item only)."""
        out: dict[str, str] = {}
        for c in plan.replaced:
            text = _text(r.raw[c.name])
            if c.field is None or text is None:
                continue
            if self.dom.schema.spec(c.field).kind is FieldKind.PHONE:
                text = _phone(text) or text
            try:
                out.update(self.dom.schema.validate({c.field: text}))
            except InputError:
                continue
        return out

    def _write_cell(
        self, plan: _Plan, new: list[_Row], changed: list[_Row], directory: dict[str, dict[str, str]]
    ) -> None:
        now = self.dom.now()
        records: list[VaultRow] = []
        index = []
        wanted: list[Wanted] = []
        for r in new + changed:
            if plan.subject_key is not None and r.subject_id is not None:
                r.values = self._validated(plan, r)
                have = directory.get(r.subject_id, {})
                for c in plan.replaced:
                    if c.replace is Replace.TOKEN and c.field in r.values and c.field not in have:
                        f = c.field
                        wanted.append(
                            Wanted(r.subject_id, f, r.values[f], directory_kind(self.dom.schema, f))
                        )
        drawn = (
            draw_tokens(wanted, self.cell.name, self.kv, self.dom.token_domain, self._taken) if wanted else {}
        )
        token_rows = []
        for (owner, f), (tok, kind) in drawn.items():
            directory.setdefault(owner, {})[f] = tok
            token_rows.append(TokenRow(tok, owner, f, kind.value, SCOPE, self.kv, now))
        items: list[ItemRow] = []
        fps: list[FingerprintRow] = []
        for r in new + changed:
            sid = r.subject_id
            if plan.subject_key is not None and sid is not None and r.item is None:
                rec = Record(r.values, r.signals.to_dict())
                records.append(self.cipher.seal(sid, self.jurisdiction, rec, now))
                index.extend(self.cipher.index_rows(sid, r.values))
            items.append(self.items.seal(r.item_id, self.job, plan.name, sid, r.payload, now, self.kv))
            fps.extend(self._fingerprints(plan, r))
            r.repl = self._replacement(plan, r, self.kv, directory.get(sid or "", {}))
        fresh = {r.item_id for r in new}
        with self.cell.session() as s:
            st = item_store(s)
            st.insert_items([i for i in items if i.item_id in fresh])
            self.faults.passing("mid_batch")
            for i in items:
                if i.item_id not in fresh:
                    st.replace_item(i)
            if changed:
                st.delete_fingerprints([r.item_id for r in changed])
                self._reseal_subjects(s, plan, changed, now)
            st.insert_fingerprints(fps)
            s.store.insert_records(records)
            st.insert_directory(token_rows, index)
            s.audit.append(
                [
                    self._event(
                        "localize.batch", plan.name, rows=len(new), relocalized=len(changed), kv=self.kv
                    )
                ]
            )

    def _reseal_subjects(self, s: Any, plan: _Plan, changed: list[_Row], now: str) -> None:
        """Rows changed after localization: their subject records take the new values."""
        if plan.subject_key is None:
            return
        for r in changed:
            if r.subject_id is None:
                continue
            old = s.store.get_record(r.subject_id)
            if old is None or old.wrapped_dek is None:
                continue
            signals = self.cipher.open(old).signals
            new = self.cipher.seal(
                r.subject_id,
                old.jurisdiction,
                Record(r.values, signals),
                now,
                old.record_version + 1,
                old.created_at,
            )
            if s.store.replace_record(new, old):
                s.store.delete_index(r.subject_id)
                s.store.insert_index(self.cipher.index_rows(r.subject_id, r.values))

    def _fingerprints(self, plan: _Plan, r: _Row) -> list[FingerprintRow]:
        digests: list[bytes] = []
        for c in plan.replaced:
            digests.extend(self._value_fingerprints(None if c.free_text else c.category, r.raw[c.name]))
        return fingerprint_rows(r.item_id, digests, self.kv)

    def _value_fingerprints(self, category: str | None, value: Any) -> tuple[bytes, ...]:
        """Fingerprints of one value; cached, since names, cities and dates repeat a lot.

        A free-text value (``category`` None) is indexed by the identifiers found in it, not as a
        whole: two tickets saying "where is my order?" are not one person's PD, so a whole-text
        match would be a false leak.
        """
        key = (category, value)
        try:
            return self._fp_cache[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value (a JSON column)
            return self._compute_fingerprints(category, value)
        out = self._compute_fingerprints(category, value)
        if len(self._fp_cache) >= FP_CACHE:
            self._fp_cache.clear()
        self._fp_cache[key] = out
        return out

    def _compute_fingerprints(self, category: str | None, value: Any) -> tuple[bytes, ...]:
        forms = candidates(category, value)
        if category is None:
            forms = [(k, n) for k, n in forms if k != TEXT]
        return tuple(fingerprint(self.fp_key, k, n) for k, n in forms)

    def _taken(self, tokens: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for cell in self.dom.cells.values():
            with cell.session() as s:
                taken |= item_store(s).taken_tokens(tokens)
        return taken

    def _verify(self, plan: _Plan, targets: list[_Row]) -> None:
        with self.cell.session() as s:
            got = item_store(s).get_items([r.item_id for r in targets])
        for r in targets:
            item = got.get(r.item_id)
            if item is None:
                raise IntegrityError(
                    f"table {plan.name}: item {r.item_id} is missing from the cell after writing"
                )
            plain = self.items.open(item)
            want = self.items.digest(r.payload, item.key_version)
            r.source_digest, r.cell_digest = want, self.items.digest(plain, item.key_version)
            if plain != r.payload or item.digest != want or r.cell_digest != want:
                raise IntegrityError(
                    f"table {plan.name}: item {r.item_id} read back from cell {self.cell.name} differs "
                    "from its source row; the source was left unchanged"
                )

    def _replace_in_source(
        self, plan: _Plan, tp: TableProgress, targets: list[_Row], changed: set[str]
    ) -> None:
        updates = [Update(plan.src.key_of(r.raw), {c: r.raw[c] for c in r.repl}, r.repl) for r in targets]
        with self.engine.begin() as conn:
            done = plan.src.update(conn, updates)
            self.faults.passing("before_source_commit")
        self.faults.passing("after_source_commit")
        for r in targets:
            if r.ckey not in done:
                tp.changed_meanwhile += 1
                continue
            self._count_moved(plan, tp, r, r.item_id in changed)

    def _count_moved(self, plan: _Plan, tp: TableProgress, r: _Row, relocalized: bool) -> None:
        if relocalized:
            tp.relocalized += 1
        else:
            tp.moved += 1
        for c in plan.replaced:
            if r.raw[c.name] is None:
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


def _phone(v: Any) -> str | None:
    """A phone value the resolver and validation accept: international as is, national via the RU plan."""
    text = _text(v)
    if not text:
        return None
    if phone_info(text).e164 is not None:
        return text  # parsed once: the resolver and validation hit phone_info's cache
    return canonical_form("phone", text)


def _signals(phones: list[str], citizenship: Any, residence: Any, ip_country: Any) -> Signals:
    """Residency signals from source columns; a malformed country code is ignored, not fatal."""
    kwargs: dict[str, Any] = {}
    for name, v in (("citizenship", citizenship), ("residence", residence), ("ip_country", ip_country)):
        if isinstance(v, str) and _COUNTRY.match(v):
            kwargs[name] = v
    return Signals(phones=tuple(phones), **kwargs)
