"""The store of localized items in a cell: sealed copies of source rows, their fingerprints, jobs.

An item is one source row's PD values (typed canonical JSON, :mod:`domicile.localize.values`)
sealed like a vault record: a fresh AES-256-GCM data key per item, wrapped by the cell's KEK;
associated data binds the ciphertext to its cell, item id and job. ``localized_index`` holds the
keyed fingerprints of every moved value (``leakscan`` probes them without decrypting).

:class:`LocalizedItemStore` is the narrow store seam (SQL and in-memory); like the cell store it
never commits — the caller's :meth:`~domicile.cells.runtime.Cell.session` owns the transaction.
Erasing a subject shreds its items too (:func:`shred_subject_items`, called by
``Domicile.erase``): 152-FZ art. 21, PD-DSR-6.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from domicile.cells.bulk import bulk_insert
from domicile.cells.runtime import CellSession
from domicile.cells.schema import blind_index, localize_jobs, localized_index, localized_items, vault_records
from domicile.cells.schema import tokens as tokens_table
from domicile.cells.store import CellStore, IndexRow, SqlCellStore, TokenRow
from domicile.core.errors import DecryptionError, SubjectErasedError
from domicile.localize.values import keyed_digest
from domicile.vault.crypto import new_key, open_sealed, seal
from domicile.vault.keys import KeyProvider, KeyPurpose

_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class ItemRow:
    """A sealed copy of one source row. ``wrapped_dek``, ``ciphertext``, ``digest`` are None once shredded."""

    item_id: str
    job: str
    source_table: str
    subject_id: str | None
    key_version: int
    wrapped_dek: bytes | None
    ciphertext: bytes | None
    digest: bytes | None
    created_at: str
    updated_at: str


class FingerprintRow(NamedTuple):
    """One keyed fingerprint of a moved value (``localize.fingerprints``).

    A named tuple: millions per run, sent from the staging worker and handed to ``COPY`` as they
    are (fields in ``localized_index``'s column order).
    """

    digest: bytes
    item_id: str
    key_version: int


@dataclass(frozen=True)
class JobRow:
    """A localize job: its id namespace, the masked source, state and checkpoint."""

    job: str
    namespace_secret: bytes
    source: str
    state: str
    started_at: str
    finished_at: str | None
    progress: dict[str, Any]


class LocalizedItemStore(ABC):
    """What localize needs from a cell's database, besides the vault's :class:`CellStore`."""

    @abstractmethod
    def insert_items(self, rows: Sequence[ItemRow]) -> None: ...

    @abstractmethod
    def replace_item(self, row: ItemRow) -> None:
        """Overwrite an item (its source row changed after it was localized)."""

    @abstractmethod
    def get_items(self, item_ids: Sequence[str]) -> dict[str, ItemRow]: ...

    @abstractmethod
    def insert_fingerprints(self, rows: Sequence[FingerprintRow]) -> None: ...

    @abstractmethod
    def delete_fingerprints(self, item_ids: Sequence[str]) -> None: ...

    @abstractmethod
    def find_items(self, digests: Sequence[bytes]) -> list[tuple[bytes, str]]:
        """``(digest, item_id)`` pairs for fingerprints present (what leakscan probes)."""

    @abstractmethod
    def shred_subject(self, subject_id: str, at: str) -> int:
        """Destroy the keys, ciphertexts and fingerprints of a subject's items; count shredded."""

    @abstractmethod
    def item_digests(self, job: str, table: str) -> Iterator[bytes]:
        """Stored digests of a job's live items of one source table."""

    @abstractmethod
    def present_subjects(self, subject_ids: Sequence[str]) -> set[str]:
        """Which of these subjects have a vault record in the cell (erased ones included)."""

    @abstractmethod
    def tokens_of_subjects(self, subject_ids: Sequence[str], scope: str) -> list[TokenRow]: ...

    @abstractmethod
    def insert_directory(self, tokens: Sequence[TokenRow], index: Sequence[IndexRow]) -> None:
        """Bulk-insert token-directory and vault blind-index rows (the vault's own tables)."""

    @abstractmethod
    def taken_tokens(self, candidates: Sequence[str]) -> set[str]:
        """Which of these tokens the cell's token directory already holds."""

    def refresh_statistics(self) -> None:  # noqa: B027 - optional: stores without a planner skip it
        """Refresh the query planner's statistics of the tables localize grows (no-op by default)."""

    @abstractmethod
    def get_job(self, job: str) -> JobRow | None: ...

    @abstractmethod
    def put_job(self, row: JobRow) -> None:
        """Insert or overwrite a job row."""


def _chunks(seq: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), _CHUNK):
        yield seq[i : i + _CHUNK]


def _one_of(conn: Connection, column: sa.ColumnElement[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter for the list.

    Hundreds of ``%s`` per statement cost SQLAlchemy, psycopg and the server more than the look-up.
    """
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


class SqlLocalizedItemStore(LocalizedItemStore):
    """:class:`LocalizedItemStore` over a SQLAlchemy connection inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        if conn.dialect.name == "postgresql":
            # psycopg prepares repeated statements; a generic plan made while these tables were
            # empty (a sequential scan) would be kept as they grow to millions of rows
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")

    def insert_items(self, rows: Sequence[ItemRow]) -> None:
        bulk_insert(self.conn, localized_items, [tuple(vars(r).values()) for r in rows])

    def replace_item(self, row: ItemRow) -> None:
        values = dict(vars(row))
        item_id = values.pop("item_id")
        values.pop("created_at")
        self.conn.execute(localized_items.update().where(localized_items.c.item_id == item_id).values(values))

    def get_items(self, item_ids: Sequence[str]) -> dict[str, ItemRow]:
        out: dict[str, ItemRow] = {}
        for part in _chunks(list(item_ids)):
            q = sa.select(localized_items).where(_one_of(self.conn, localized_items.c.item_id, part))
            for r in self.conn.execute(q):
                out[r.item_id] = ItemRow(**r._mapping)
        return out

    def insert_fingerprints(self, rows: Sequence[FingerprintRow]) -> None:
        bulk_insert(self.conn, localized_index, rows)

    def delete_fingerprints(self, item_ids: Sequence[str]) -> None:
        for part in _chunks(list(item_ids)):
            self.conn.execute(
                localized_index.delete().where(_one_of(self.conn, localized_index.c.item_id, part))
            )

    def find_items(self, digests: Sequence[bytes]) -> list[tuple[bytes, str]]:
        out: list[tuple[bytes, str]] = []
        for part in _chunks(list(digests)):
            q = sa.select(localized_index.c.digest, localized_index.c.item_id).where(
                _one_of(self.conn, localized_index.c.digest, part)
            )
            out.extend((bytes(d), i) for d, i in self.conn.execute(q))
        return sorted(out)

    def shred_subject(self, subject_id: str, at: str) -> int:
        c = localized_items.c
        ids = [r[0] for r in self.conn.execute(sa.select(c.item_id).where(c.subject_id == subject_id))]
        if not ids:
            return 0
        self.delete_fingerprints(ids)
        result = self.conn.execute(
            localized_items.update()
            .where(c.subject_id == subject_id, c.wrapped_dek.is_not(None))
            .values(wrapped_dek=None, ciphertext=None, digest=None, updated_at=at)
        )
        return int(result.rowcount or 0)

    def item_digests(self, job: str, table: str) -> Iterator[bytes]:
        c = localized_items.c
        q = sa.select(c.digest).where(c.job == job, c.source_table == table, c.digest.is_not(None))
        for (d,) in self.conn.execution_options(yield_per=10_000).execute(q):
            yield bytes(d)

    def present_subjects(self, subject_ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        c = vault_records.c
        for part in _chunks(list(subject_ids)):
            q = sa.select(c.subject_id).where(_one_of(self.conn, c.subject_id, part))
            out.update(r[0] for r in self.conn.execute(q))
        return out

    def tokens_of_subjects(self, subject_ids: Sequence[str], scope: str) -> list[TokenRow]:
        out: list[TokenRow] = []
        c = tokens_table.c
        for part in _chunks(list(subject_ids)):
            q = sa.select(tokens_table).where(_one_of(self.conn, c.subject_id, part), c.scope == scope)
            out.extend(TokenRow(**r._mapping) for r in self.conn.execute(q))
        return out

    def insert_directory(self, tokens: Sequence[TokenRow], index: Sequence[IndexRow]) -> None:
        bulk_insert(self.conn, tokens_table, [tuple(vars(t).values()) for t in tokens])
        bulk_insert(self.conn, blind_index, index)

    def taken_tokens(self, candidates: Sequence[str]) -> set[str]:
        out: set[str] = set()
        c = tokens_table.c
        for part in _chunks(list(candidates)):
            out.update(
                r[0] for r in self.conn.execute(sa.select(c.token).where(_one_of(self.conn, c.token, part)))
            )
        return out

    def refresh_statistics(self) -> None:
        """``ANALYZE`` the grown tables on PostgreSQL.

        Without statistics (autovacuum off, or behind a bulk load) the planner guesses that each
        value of an ``IN (...)`` list matches 0.5 % of the rows and scans whole tables: measured,
        the token-clash look-up then grew from 3 s to 25 s per 100k source rows over a 1M-row
        run. SQLite's planner uses the indexes without statistics.
        """
        if self.conn.dialect.name != "postgresql":
            return
        names = (tokens_table, blind_index, vault_records, localized_items, localized_index)
        q = self.conn.dialect.identifier_preparer.quote
        self.conn.exec_driver_sql("ANALYZE " + ", ".join(q(t.name) for t in names))

    def get_job(self, job: str) -> JobRow | None:
        r = self.conn.execute(sa.select(localize_jobs).where(localize_jobs.c.job == job)).first()
        if r is None:
            return None
        m = dict(r._mapping)
        m["namespace_secret"] = bytes(m["namespace_secret"])
        return JobRow(**m)

    def put_job(self, row: JobRow) -> None:
        values = dict(vars(row))
        done = self.conn.execute(
            localize_jobs.update().where(localize_jobs.c.job == row.job).values(values)
        ).rowcount
        if not done:
            self.conn.execute(localize_jobs.insert().values(values))


class MemoryLocalizedItemStore(LocalizedItemStore):
    """Dict-backed :class:`LocalizedItemStore` for memory cells (rolls back with the cell's session)."""

    def __init__(self, cell_store: CellStore) -> None:
        self.cell_store = cell_store
        self.items: dict[str, ItemRow] = {}
        self.index: dict[tuple[bytes, str], FingerprintRow] = {}
        self.jobs: dict[str, JobRow] = {}

    def insert_items(self, rows: Sequence[ItemRow]) -> None:
        for r in rows:
            if r.item_id in self.items:
                raise DecryptionError(f"item {r.item_id} already stored")
            self.items[r.item_id] = r

    def replace_item(self, row: ItemRow) -> None:
        old = self.items[row.item_id]
        self.items[row.item_id] = replace(row, created_at=old.created_at)

    def get_items(self, item_ids: Sequence[str]) -> dict[str, ItemRow]:
        return {i: self.items[i] for i in item_ids if i in self.items}

    def insert_fingerprints(self, rows: Sequence[FingerprintRow]) -> None:
        for r in rows:
            self.index[(r.digest, r.item_id)] = r

    def delete_fingerprints(self, item_ids: Sequence[str]) -> None:
        gone = set(item_ids)
        for k in [k for k in self.index if k[1] in gone]:
            del self.index[k]

    def find_items(self, digests: Sequence[bytes]) -> list[tuple[bytes, str]]:
        wanted = set(digests)
        return sorted(k for k in self.index if k[0] in wanted)

    def shred_subject(self, subject_id: str, at: str) -> int:
        ids = [i for i, r in self.items.items() if r.subject_id == subject_id]
        self.delete_fingerprints(ids)
        n = 0
        for i in ids:
            r = self.items[i]
            if r.wrapped_dek is not None:
                self.items[i] = replace(r, wrapped_dek=None, ciphertext=None, digest=None, updated_at=at)
                n += 1
        return n

    def item_digests(self, job: str, table: str) -> Iterator[bytes]:
        for r in list(self.items.values()):
            if r.job == job and r.source_table == table and r.digest is not None:
                yield r.digest

    def present_subjects(self, subject_ids: Sequence[str]) -> set[str]:
        return {s for s in subject_ids if self.cell_store.get_record(s) is not None}

    def tokens_of_subjects(self, subject_ids: Sequence[str], scope: str) -> list[TokenRow]:
        return [t for s in subject_ids for t in self.cell_store.tokens_of(s) if t.scope == scope]

    def insert_directory(self, tokens: Sequence[TokenRow], index: Sequence[IndexRow]) -> None:
        self.cell_store.insert_tokens(tokens)
        self.cell_store.insert_index(index)

    def taken_tokens(self, candidates: Sequence[str]) -> set[str]:
        return {t for t in candidates if self.cell_store.get_tokens(t)}

    def get_job(self, job: str) -> JobRow | None:
        return self.jobs.get(job)

    def put_job(self, row: JobRow) -> None:
        self.jobs[row.job] = row


def item_store(s: CellSession) -> LocalizedItemStore:
    """The item store of a cell session (SQL cells, and memory cells from :mod:`domicile.testing`)."""
    if isinstance(s.store, SqlCellStore):
        return SqlLocalizedItemStore(s.store.conn)
    # a memory cell: keep the fake inside the cell store, so the session's rollback covers it
    held: LocalizedItemStore | None = s.store.__dict__.get("_localized")
    if held is None:
        held = MemoryLocalizedItemStore(s.store)
        s.store.__dict__["_localized"] = held
    return held


def shred_subject_items(s: CellSession, subject_id: str, at: str) -> int:
    """Crypto-shred every localized item of a subject and drop its fingerprints (erasure hook)."""
    return item_store(s).shred_subject(subject_id, at)


def _item_aad(cell: str, item_id: str, job: str) -> bytes:
    return f"domicile/item/{cell}/{item_id}/{job}".encode()


def _dek_aad(cell: str, item_id: str, key_version: int) -> bytes:
    return f"domicile/item-dek/{cell}/{item_id}/{key_version}".encode()


class ItemCipher:
    """Seals and opens items of one cell; computes their keyed digests."""

    def __init__(self, cell: str, keys: KeyProvider) -> None:
        self.cell = cell
        self.keys = keys
        self._digest_keys: dict[int, bytes] = {}

    def digest_key(self, version: int) -> bytes:
        if version not in self._digest_keys:
            self._digest_keys[version] = self.keys.secret(version, KeyPurpose.BLIND_INDEX)
        return self._digest_keys[version]

    def digest(self, payload: bytes, version: int) -> bytes:
        return keyed_digest(self.digest_key(version), payload)

    def seal(
        self,
        item_id: str,
        job: str,
        table: str,
        subject_id: str | None,
        payload: bytes,
        now: str,
        version: int,
    ) -> ItemRow:
        dek = new_key()
        ciphertext = seal(AESGCM(dek), payload, _item_aad(self.cell, item_id, job))
        wrapped = self.keys.wrap(version, dek, _dek_aad(self.cell, item_id, version))
        return ItemRow(
            item_id,
            job,
            table,
            subject_id,
            version,
            wrapped,
            ciphertext,
            self.digest(payload, version),
            now,
            now,
        )

    def open(self, row: ItemRow) -> bytes:
        """The item's payload; SubjectErasedError once shredded, DecryptionError if altered."""
        if row.wrapped_dek is None or row.ciphertext is None:
            raise SubjectErasedError(f"item {row.item_id} was erased")
        what = f"localized item {row.item_id} in cell {self.cell}"
        dek = self.keys.unwrap(
            row.key_version, row.wrapped_dek, _dek_aad(self.cell, row.item_id, row.key_version)
        )
        return open_sealed(AESGCM(dek), row.ciphertext, _item_aad(self.cell, row.item_id, row.job), what)


def fingerprint_rows(
    item_id: str, digests: Iterable[bytes], version: int, seen: set[tuple[bytes, str]] | None = None
) -> list[FingerprintRow]:
    """Distinct fingerprint rows of one item."""
    out = []
    seen = set() if seen is None else seen
    for d in digests:
        if (d, item_id) not in seen:
            seen.add((d, item_id))
            out.append(FingerprintRow(d, item_id, version))
    return out


def count_items(store: LocalizedItemStore, job: str, tables: Iterable[str]) -> Mapping[str, int]:
    """Live items per source table of a job."""
    return {t: sum(1 for _ in store.item_digests(job, t)) for t in tables}
