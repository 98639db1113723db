"""SQL hash-bank store: :class:`SqlHashBankStore` over the ``mod_hash_*`` tables (SQLAlchemy Core).

The tables live with the other moderation tables in the Russian cell's database and come from
the moderation migrations (``domicile moderation init``, revision ``m0002``). Every write also
bumps the one row of ``mod_hash_bank_version`` in the same transaction, so
:attr:`~.banks.HashBankStore.version` moves for every process sharing the database and their
matchers rebuild their indexes.

Transactions: bound to a ``Connection`` the store works inside the caller's transaction and
never commits (style rule 9); bound to an ``Engine`` each public call is its own transaction,
so :meth:`~.banks.HashBankStore.add_entries` (and thus an import) is all or nothing. Entries are
inserted with one ``executemany`` (SQLAlchemy's insertmanyvalues, ids returned in order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domicile.core.clock import iso_utc
from domicile.moderation.actions.errors import ModerationStoreError
from domicile.moderation.hashing.banks import BankEntry, HashBank, HashBankStore, NewEntry, utc_now
from domicile.moderation.hashing.errors import BankExistsError
from domicile.moderation.hashing.registry import SignalTypeRegistry
from domicile.moderation.queue.schema import mod_hash_bank_entries as entries_t
from domicile.moderation.queue.schema import mod_hash_bank_version as version_t
from domicile.moderation.queue.schema import mod_hash_banks as banks_t

__all__ = ["SqlHashBankStore"]

_PAGE = 20_000  # entries read per query while iterating a bank
_FIND_CHUNK = 500  # hashes per look-up of entries already in a bank
_DELETE_CHUNK = 500  # ids per DELETE ... IN (...)


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _entry(bank: HashBank, row: Any, stamps: dict[str, datetime]) -> BankEntry:
    """A stored entry from its row; *stamps* caches parsed times (an import shares one)."""
    at = stamps.get(row.added_at) or stamps.setdefault(row.added_at, _parse_ts(row.added_at))
    return BankEntry(int(row.entry_id), bank.name, bank.signal_type, row.value, row.content_id, row.label, at)


def _bank(row: Any) -> HashBank:
    return HashBank(row.name, row.signal_type, bool(row.enabled), _parse_ts(row.created_at), row.description)


class SqlHashBankStore(HashBankStore):
    """Hash banks in SQL (SQLite or PostgreSQL).

    Args:
        bind: An ``Engine`` (one transaction per call) or a ``Connection`` whose transaction the
            caller owns.
        registry: Signal types allowed in banks (default: the built-in ones).
        clock: Returns the current UTC time.
    """

    def __init__(
        self,
        bind: Engine | Connection,
        *,
        registry: SignalTypeRegistry | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(registry=registry, clock=clock)
        self._bind = bind

    @contextmanager
    def _tx(self, what: str) -> Iterator[Connection]:
        """A connection in a transaction; database errors become typed moderation errors."""
        try:
            if isinstance(self._bind, Connection):
                yield self._bind
            else:
                with self._bind.begin() as conn:
                    yield conn
        except sa.exc.SQLAlchemyError as exc:
            cause = type(getattr(exc, "orig", None) or exc).__name__
            raise ModerationStoreError(
                f"hash bank store failed to {what} ({cause}); run 'domicile moderation init'?"
            ) from None

    @staticmethod
    def _bump(conn: Connection) -> None:
        conn.execute(sa.update(version_t).where(version_t.c.id == 1).values(version=version_t.c.version + 1))

    # -- hooks ------------------------------------------------------------------------------
    def _get_bank(self, name: str) -> HashBank | None:
        with self._tx("read a bank") as conn:
            row = conn.execute(sa.select(banks_t).where(banks_t.c.name == name)).first()
        return None if row is None else _bank(row)

    def _list_banks(self) -> Iterable[HashBank]:
        with self._tx("list banks") as conn:
            return [_bank(r) for r in conn.execute(sa.select(banks_t).order_by(banks_t.c.name))]

    def _insert_bank(self, bank: HashBank) -> None:
        row = {
            "name": bank.name,
            "signal_type": bank.signal_type,
            "enabled": bank.enabled,
            "created_at": iso_utc(bank.created_at),
            "description": bank.description,
        }
        with self._tx("create a bank") as conn:
            try:
                conn.execute(sa.insert(banks_t).values(**row))
            except sa.exc.IntegrityError:  # a concurrent create of the same name
                raise BankExistsError(f"hash bank {bank.name!r} already exists") from None
            self._bump(conn)

    def _update_bank(self, bank: HashBank) -> None:
        stmt = (
            sa.update(banks_t)
            .where(banks_t.c.name == bank.name)
            .values(enabled=bank.enabled, description=bank.description)
        )
        with self._tx("update a bank") as conn:
            conn.execute(stmt)
            self._bump(conn)

    def _insert_entries(
        self, bank: HashBank, entries: list[NewEntry], added_at: datetime
    ) -> tuple[BankEntry, ...]:
        stamp = iso_utc(added_at)
        rows = [
            {
                "bank": bank.name,
                "value": e.value,
                "content_id": e.content_id,
                "label": e.label,
                "added_at": stamp,
            }
            for e in entries
        ]
        stmt = sa.insert(entries_t).returning(entries_t.c.entry_id, sort_by_parameter_order=True)
        with self._tx("add entries") as conn:
            ids = conn.execute(stmt, rows).scalars().all()
            self._bump(conn)
        return tuple(
            BankEntry(int(i), bank.name, bank.signal_type, e.value, e.content_id, e.label, added_at)
            for i, e in zip(ids, entries, strict=True)
        )

    def _iter_entries(self, bank: HashBank) -> Iterator[BankEntry]:
        after = 0
        cols = (entries_t.c.entry_id, entries_t.c.value, entries_t.c.content_id, entries_t.c.label)
        while True:
            stmt = (
                sa.select(*cols, entries_t.c.added_at)
                .where(entries_t.c.bank == bank.name, entries_t.c.entry_id > after)
                .order_by(entries_t.c.entry_id)
                .limit(_PAGE)
            )
            with self._tx("read entries") as conn:
                page = conn.execute(stmt).all()
            stamps: dict[str, datetime] = {}
            for r in page:
                yield _entry(bank, r, stamps)
            if len(page) < _PAGE:
                return
            after = int(page[-1].entry_id)

    def _find_entries(self, bank: HashBank, values: Sequence[str]) -> list[BankEntry]:
        cols = (entries_t.c.entry_id, entries_t.c.value, entries_t.c.content_id, entries_t.c.label)
        out: list[BankEntry] = []
        with self._tx("find entries") as conn:
            for i in range(0, len(values), _FIND_CHUNK):
                stmt = sa.select(*cols, entries_t.c.added_at).where(
                    entries_t.c.bank == bank.name, entries_t.c.value.in_(values[i : i + _FIND_CHUNK])
                )
                stamps: dict[str, datetime] = {}
                out.extend(_entry(bank, r, stamps) for r in conn.execute(stmt))
        return out

    def _count(self, bank: HashBank) -> int:
        stmt = sa.select(sa.func.count()).select_from(entries_t).where(entries_t.c.bank == bank.name)
        with self._tx("count entries") as conn:
            return int(conn.execute(stmt).scalar_one())

    def _delete_entries(self, bank: HashBank, entry_ids: frozenset[int]) -> int:
        ids = sorted(entry_ids)
        removed = 0
        with self._tx("remove entries") as conn:
            for start in range(0, len(ids), _DELETE_CHUNK):
                chunk = ids[start : start + _DELETE_CHUNK]
                stmt = sa.delete(entries_t).where(
                    entries_t.c.bank == bank.name, entries_t.c.entry_id.in_(chunk)
                )
                removed += conn.execute(stmt).rowcount or 0
            if removed:
                self._bump(conn)
        return removed

    def _version(self) -> int:
        with self._tx("read the version") as conn:
            value = conn.execute(sa.select(version_t.c.version).where(version_t.c.id == 1)).scalar()
        return int(value or 0)
