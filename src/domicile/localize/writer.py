"""The cell side of a batch: one transaction with everything a batch's rows leave in the cell.

Subject records (vault, validated values only), items (the exact raw values, sealed), the leak
fingerprints of every moved value (``localized_index``, what ``leakscan`` probes), the vault blind
index, directory tokens and one PD-free audit entry — all committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domicile.cells.store import IndexRow, TokenRow, VaultRow
from domicile.localize.checkpoint import TableProgress
from domicile.localize.datamap import Replace
from domicile.localize.items import FingerprintRow, ItemRow, item_store
from domicile.localize.plan import Row, RunContext, TablePlan
from domicile.localize.prep import Fingerprinter
from domicile.localize.residency import HomeTest
from domicile.localize.tokens import SCOPE, Wanted, directory_kind, draw_tokens
from domicile.tokens.formats import TokenKind
from domicile.vault.keys import KeyPurpose
from domicile.vault.records import Record


@dataclass
class PreparedWrite:
    """A batch's cell rows, sealed and ready for :meth:`CellWriter.commit`."""

    plan: TablePlan
    new: list[Row]
    changed: list[Row]
    now: str
    records: list[VaultRow] = field(default_factory=list)
    index: list[IndexRow] = field(default_factory=list)
    items: list[ItemRow] = field(default_factory=list)
    fingerprints: list[FingerprintRow] = field(default_factory=list)
    tokens: list[TokenRow] = field(default_factory=list)


@dataclass
class Staged:
    """A batch classified and prepared (staged) by the engine, waiting to be applied."""

    plan: TablePlan
    counts: TableProgress  # this batch's counters, merged into the table's when applied
    last_key: str
    new: list[Row] = field(default_factory=list)
    pending: list[Row] = field(default_factory=list)  # copied and verified before, source not replaced
    changed: list[Row] = field(default_factory=list)  # changed by the application after localization
    write: PreparedWrite | None = None


class CellWriter:
    """Writes a batch's new and changed rows into the cell (:meth:`write`)."""

    def __init__(self, ctx: RunContext, home: HomeTest) -> None:
        self.ctx, self.home = ctx, home
        self.fingerprinter = Fingerprinter(ctx.cell.keys.secret(ctx.kv, KeyPurpose.BLIND_INDEX), ctx.kv)
        # phone tokens drawn by this run: a batch prepared while the one before it is still being
        # committed cannot see that batch's tokens in the cell yet
        self._drawn: set[str] = set()

    def write(
        self, plan: TablePlan, new: list[Row], changed: list[Row], directory: dict[str, dict[str, str]]
    ) -> None:
        """:meth:`prepare` and :meth:`commit` in one go."""
        self.commit(self.prepare(plan, new, changed, directory))

    def prepare(
        self, plan: TablePlan, new: list[Row], changed: list[Row], directory: dict[str, dict[str, str]]
    ) -> PreparedWrite:
        """Everything a batch writes, computed without writing (the cell is only read, for clashes).

        Sets each row's replacement values (``r.repl``); *directory* (subject -> field -> token)
        gains the tokens drawn.
        """
        ctx = self.ctx
        now = ctx.dom.now()
        schema = ctx.dom.schema
        wanted: list[Wanted] = []
        for r in new + changed:
            if plan.subject_key is not None and r.subject_id is not None:
                if r.prep is None:
                    r.values = self.home.validated(plan, r)
                first = r.prep.phone_tokens if r.prep is not None else {}
                have = directory.get(r.subject_id, {})
                for c in plan.replaced:
                    if c.replace is Replace.TOKEN and c.field in r.values and c.field not in have:
                        f = c.field
                        kind = directory_kind(schema, f)
                        wanted.append(Wanted(r.subject_id, f, r.values[f], kind, first.get(f)))
        drawn = (
            draw_tokens(wanted, ctx.cell.name, ctx.kv, ctx.dom.token_domain, self._taken) if wanted else {}
        )
        out = PreparedWrite(plan, new, changed, now)
        for (owner, f), (tok, kind) in drawn.items():
            directory.setdefault(owner, {})[f] = tok
            out.tokens.append(TokenRow(tok, owner, f, kind.value, SCOPE, ctx.kv, now))
            if kind is TokenKind.FPE_PHONE:
                self._drawn.add(tok)
        for r in new + changed:
            sid = r.subject_id
            if plan.subject_key is not None and sid is not None and r.item is None:
                rec = Record(r.values, r.signals.to_dict())
                out.records.append(ctx.cipher.seal(sid, ctx.jurisdiction, rec, now))
                out.index.extend(r.prep.index if r.prep is not None else ctx.cipher.index_rows(sid, r.values))
            out.items.append(ctx.items.seal(r.item_id, ctx.job, plan.name, sid, r.payload, now, ctx.kv))
            out.fingerprints.extend(self.fingerprints(plan, r))
            r.repl = ctx.replacement(plan, r, ctx.kv, directory.get(sid or "", {}))
        return out

    def commit(self, p: PreparedWrite) -> None:
        """One cell transaction with everything :meth:`prepare` computed (all or nothing)."""
        ctx = self.ctx
        fresh = {r.item_id for r in p.new}
        with ctx.cell.session() as s:
            st = item_store(s)
            st.insert_items([i for i in p.items if i.item_id in fresh])
            ctx.faults.passing("mid_batch")
            for i in p.items:
                if i.item_id not in fresh:
                    st.replace_item(i)
            if p.changed:
                st.delete_fingerprints([r.item_id for r in p.changed])
                self._reseal_subjects(s, p.plan, p.changed, p.now)
            st.insert_fingerprints(p.fingerprints)
            s.store.insert_records(p.records)
            st.insert_directory(p.tokens, p.index)
            event = ctx.event(
                "localize.batch", p.plan.name, rows=len(p.new), relocalized=len(p.changed), kv=ctx.kv
            )
            s.audit.append([event])

    def _reseal_subjects(self, s: Any, plan: TablePlan, changed: list[Row], now: str) -> None:
        """Rows changed after localization: their subject records take the new values."""
        if plan.subject_key is None:
            return
        cipher = self.ctx.cipher
        for r in changed:
            if r.subject_id is None:
                continue
            old = s.store.get_record(r.subject_id)
            if old is None or old.wrapped_dek is None:
                continue
            signals = cipher.open(old).signals
            new = cipher.seal(
                r.subject_id,
                old.jurisdiction,
                Record(r.values, signals),
                now,
                old.record_version + 1,
                old.created_at,
            )
            if s.store.replace_record(new, old):
                s.store.delete_index(r.subject_id)
                s.store.insert_index(cipher.index_rows(r.subject_id, r.values))

    def fingerprints(self, plan: TablePlan, r: Row) -> list[FingerprintRow]:
        """The distinct leak fingerprints of a row's PD values."""
        if r.prep is not None:
            return r.prep.fingerprints
        return self.fingerprinter.row(plan.replaced, r.item_id, r.raw)

    def _taken(self, tokens: Sequence[str]) -> set[str]:
        taken = {t for t in tokens if t in self._drawn}
        for cell in self.ctx.dom.cells.values():
            with cell.session() as s:
                taken |= item_store(s).taken_tokens(tokens)
        return taken
