"""Per-row staging work of subject tables, done in a worker process (PD-LOC-1..3).

Residency, validation, ids, the item payload, leak fingerprints, blind-index digests and a first
phone-token candidate need no database and no key-encryption key: only the job's namespace secret,
the cell's blind-index secret, the field schema and the resolver. :class:`Preparer` holds exactly
those (it is pickled to the worker) and turns a batch of source rows into one :class:`RowPrep` per
row homed in the jurisdiction (None for the others). The engine reads batch N+1 and sends it here
while it stages batch N and its database thread applies batch N-1, so a second CPU core works on
the rows; sealing, token clash checks and every write stay in the engine's process.

On Linux the worker is forked when a table's first batch is read, before the engine's database
thread starts, so a calling script needs no ``if __name__ == "__main__"`` guard; it never touches
the database connections it inherits and leaves with ``os._exit``. Elsewhere it is spawned (a
fresh interpreter, which re-imports the calling script: that needs the guard). It exits by
itself when the engine's process dies, so a kill -9 leaves no worker behind.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from domicile.cells.store import IndexRow
from domicile.core.errors import StoreError
from domicile.localize.datamap import ColumnMap, Replace, TableMap
from domicile.localize.fingerprints import TEXT, candidates, fingerprint
from domicile.localize.items import FingerprintRow, fingerprint_rows
from domicile.localize.plan import RunContext, TablePlan, make_id
from domicile.localize.residency import HomeTest
from domicile.localize.tokens import quick_phone_token
from domicile.localize.values import canonical_key, row_payload
from domicile.residency.resolver import Signals
from domicile.vault.records import BlindIndex

__all__ = [
    "AUTO_MIN_ROWS",
    "Fingerprinter",
    "PrepFuture",
    "PrepPool",
    "PrepTable",
    "Preparer",
    "RowPrep",
    "auto_workers",
]

FP_CACHE = 200_000
AUTO_MIN_ROWS = 20_000  # below this a worker's start-up (about a second) costs more than it saves


def auto_workers(rows: int | None) -> int:
    """Workers for a table of *rows* rows: one on a multi-core machine for a large table, else none."""
    return 1 if (os.cpu_count() or 1) >= 2 and rows is not None and rows >= AUTO_MIN_ROWS else 0


class Fingerprinter:
    """Leak fingerprints of a row's PD values under the cell's blind-index secret (cached)."""

    def __init__(self, key: bytes, version: int) -> None:
        self.key, self.version = key, version
        self._cache: dict[tuple[str | None, bool, Any], tuple[bytes, ...]] = {}

    def row(
        self, replaced: Sequence[ColumnMap], item_id: str, raw: Mapping[str, Any]
    ) -> list[FingerprintRow]:
        """The distinct fingerprint rows of one row's replaced columns."""
        digests: list[bytes] = []
        for c in replaced:
            if c.free_text:
                digests.extend(self.value(None, True, raw[c.name]))
            else:  # a structured column: whole text and canonical form; mixed ones also spans
                digests.extend(self.value(c.category, len(c.categories) > 1, raw[c.name]))
        return fingerprint_rows(item_id, digests, self.version)

    def value(self, category: str | None, spans: bool, value: Any) -> tuple[bytes, ...]:
        """Fingerprints of one value; cached, since names, cities and dates repeat a lot.

        A free-text value (``category`` None) is indexed by the identifiers found in it, not as a
        whole: two tickets saying "where is my order?" are not one person's PD, so a whole-text
        match would be a false leak.
        """
        key = (category, spans, value)
        try:
            return self._cache[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value (a JSON column)
            return self._compute(category, spans, value)
        out = self._compute(category, spans, value)
        if len(self._cache) >= FP_CACHE:
            self._cache.clear()
        self._cache[key] = out
        return out

    def _compute(self, category: str | None, spans: bool, value: Any) -> tuple[bytes, ...]:
        forms = candidates(category, value, spans=spans)
        if category is None:
            forms = [(k, n) for k, n in forms if k != TEXT]
        return tuple(fingerprint(self.key, k, n) for k, n in forms)


@dataclass(slots=True)
class RowPrep:
    """What the worker computed for one subject-table row homed in the jurisdiction (read-only).

    Pickled compactly (:meth:`__reduce__`): a batch sends thousands of these back to the engine,
    and a dozen fingerprint and index tuples per row cost more to pickle one by one than to compute.
    """

    ckey: str
    item_id: str
    subject_id: str
    signals: Signals
    values: dict[str, str]  # the vault fields that pass validation
    payload: bytes
    fingerprints: list[FingerprintRow]  # all of this item, one key version
    index: list[IndexRow]  # all of this subject, one key version
    phone_tokens: dict[str, str]  # field -> a first candidate for its format-preserving token

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        fps, ix = _packed(self.fingerprints, self.item_id), _packed(self.index, self.subject_id)
        head = (self.ckey, self.item_id, self.subject_id, self.signals, self.values, self.payload)
        return _unpack_prep, (*head, fps or self.fingerprints, ix or self.index, self.phone_tokens)


def _packed(rows: Sequence[FingerprintRow] | Sequence[IndexRow], owner: str) -> tuple[bytes, int, int] | None:
    """``(joined digests, digest length, key version)``: every row *owner*'s, same length and version."""
    if not rows:
        return None
    size, kv = len(rows[0][0]), rows[0][2]
    if size == 0 or any(len(d) != size or o != owner or v != kv for d, o, v in rows):
        return None  # not the shape the worker makes: pickled as they are
    return b"".join(r[0] for r in rows), size, kv


def _unpack_prep(
    ckey: str,
    item_id: str,
    subject_id: str,
    signals: Signals,
    values: dict[str, str],
    payload: bytes,
    fps: tuple[bytes, int, int] | list[FingerprintRow],
    ix: tuple[bytes, int, int] | list[IndexRow],
    phone_tokens: dict[str, str],
) -> RowPrep:
    if isinstance(fps, tuple):
        blob, size, kv = fps
        fps = [FingerprintRow(blob[i : i + size], item_id, kv) for i in range(0, len(blob), size)]
    if isinstance(ix, tuple):
        blob, size, kv = ix
        ix = [IndexRow(blob[i : i + size], subject_id, kv) for i in range(0, len(blob), size)]
    return RowPrep(ckey, item_id, subject_id, signals, values, payload, fps, ix, phone_tokens)


@dataclass(frozen=True)
class PrepTable:
    """The part of a table plan the worker needs."""

    table: TableMap
    replaced: tuple[ColumnMap, ...]
    subject_key: str
    pk: tuple[str, ...]  # the primary-key columns (the worker computes each row's key)


class Preparer:
    """The staging work of subject-table rows (picklable: secrets, schema, resolver, maps)."""

    def __init__(
        self,
        ns: bytes,
        home: HomeTest,
        fingerprints: Fingerprinter,
        index: BlindIndex,
        tables: Mapping[str, PrepTable],
    ) -> None:
        self.ns, self.home, self.fingerprints, self.index = ns, home, fingerprints, index
        self.tables = dict(tables)

    @classmethod
    def for_run(
        cls, ctx: RunContext, plans: Sequence[TablePlan], home: HomeTest, fingerprints: Fingerprinter
    ) -> Preparer:
        """The preparer of a run's subject tables (after its job was opened: the namespace is set)."""
        tables = {
            p.name: PrepTable(p.table, p.replaced, p.subject_key, tuple(p.src.pk))
            for p in plans
            if p.subject_key
        }
        return cls(
            ctx.ns,
            home,
            Fingerprinter(fingerprints.key, fingerprints.version),
            ctx.cipher.blind_index(ctx.kv),
            tables,
        )

    def batch(self, table: str, rows: Sequence[dict[str, Any]]) -> list[RowPrep | None]:
        """One entry per raw source row: a :class:`RowPrep` when homed here, else None."""
        t = self.tables[table]
        pk = t.pk
        return [self._row(t, raw, tuple(raw[c] for c in pk)) for raw in rows]

    def _row(self, t: PrepTable, raw: dict[str, Any], key: tuple[Any, ...]) -> RowPrep | None:
        signals = self.home.resolve(t.table, t.replaced, raw)
        if signals is None:
            return None
        name = t.table.name
        ckey = canonical_key(key)
        item_id = make_id(self.ns, "item", name, ckey)
        subject_id = make_id(self.ns, "subject", name, canonical_key((raw[t.subject_key],)))
        values = self.home.values(t.replaced, raw)
        phones = {}
        for c in t.replaced:
            f = c.field
            if c.replace is Replace.TOKEN and f in values and self.home.is_phone_field(f):
                token = quick_phone_token(values[f])
                if token is not None:
                    phones[f] = token
        return RowPrep(
            ckey=ckey,
            item_id=item_id,
            subject_id=subject_id,
            signals=signals,
            values=values,
            payload=row_payload(name, key, {c.name: raw[c.name] for c in t.replaced}),
            fingerprints=self.fingerprints.row(t.replaced, item_id, raw),
            index=self.index.rows(subject_id, values),
            phone_tokens=phones,
        )


# -- the worker process ---------------------------------------------------------------------------
_WORKER: dict[str, Preparer] = {}  # the worker process's preparer


def _init_worker(preparer: Preparer, parent: int) -> None:
    _WORKER["preparer"] = preparer

    def watch() -> None:  # the engine's process died (kill -9): leave too
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="localize-prep-watch", daemon=True).start()


def _prepare(table: str, rows: list[dict[str, Any]]) -> list[RowPrep | None]:
    return _WORKER["preparer"].batch(table, rows)


PrepFuture = Future[list[RowPrep | None]]


class PrepPool:
    """Worker processes running :meth:`Preparer.batch` for the engine."""

    def __init__(self, preparer: Preparer, workers: int = 1) -> None:
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        self.executor = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(preparer, os.getpid())
        )

    def submit(self, table: str, rows: list[dict[str, Any]]) -> Future[list[RowPrep | None]]:
        return self.executor.submit(_prepare, table, rows)

    @staticmethod
    def result(future: PrepFuture) -> list[RowPrep | None]:
        """The worker's answer; a worker that died is a :class:`StoreError` (nothing was written)."""
        try:
            return future.result()
        except BrokenProcessPool:
            raise StoreError("localize: the staging worker process died; re-run to resume") from None

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
