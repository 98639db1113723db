"""The narrow cell-store interface and its SQLAlchemy implementation.

Stores exchange frozen dataclasses and never commit: the caller owns the
transaction (see :meth:`domicile.cells.runtime.Cell.session`). An in-memory
implementation for tests lives in :mod:`domicile.testing`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domicile.cells.bulk import insert_rows
from domicile.cells.schema import blind_index, cell_meta, tokens, vault_records


@dataclass(frozen=True)
class VaultRow:
    """A subject's encrypted record. ``wrapped_dek`` is None once shredded."""

    subject_id: str
    jurisdiction: str
    key_version: int
    wrapped_dek: bytes | None
    ciphertext: bytes | None
    record_version: int
    created_at: str
    updated_at: str
    erased_at: str | None = None


class IndexRow(NamedTuple):
    """One keyed blind-index entry.

    A named tuple, not a dataclass: localize makes millions of them, sends them between
    processes and hands them to ``COPY`` as they are (fields in ``blind_index``'s column order).
    """

    digest: bytes
    subject_id: str
    key_version: int


@dataclass(frozen=True)
class TokenRow:
    """One token the cell issued, and whose field of which subject it stands for."""

    token: str
    subject_id: str
    field: str
    kind: str
    scope: str
    key_version: int
    created_at: str


@dataclass(frozen=True)
class CellCounts:
    subjects: int
    erased: int
    index_entries: int
    tokens: int
    by_key_version: dict[int, int]


class CellStore(ABC):
    """What the vault needs from a cell's database."""

    @abstractmethod
    def insert_records(self, rows: Sequence[VaultRow]) -> None: ...

    @abstractmethod
    def get_record(self, subject_id: str) -> VaultRow | None: ...

    @abstractmethod
    def replace_record(self, row: VaultRow, expected: VaultRow) -> bool:
        """Overwrite a live row only if it is still exactly *expected* (same record and
        key version); False when another writer changed or erased it meanwhile."""

    @abstractmethod
    def shred_record(self, subject_id: str, at: str) -> bool:
        """Destroy the wrapped data key and ciphertext; False if there was nothing live."""

    @abstractmethod
    def delete_record(self, subject_id: str) -> None: ...

    @abstractmethod
    def records_below_version(self, version: int, after: str, limit: int) -> list[VaultRow]:
        """Live records wrapped under a key version older than *version*, by subject id."""

    @abstractmethod
    def insert_index(self, rows: Sequence[IndexRow]) -> None: ...

    @abstractmethod
    def delete_index(self, subject_id: str) -> None: ...

    @abstractmethod
    def find_subjects(self, digests: Sequence[bytes]) -> list[str]: ...

    @abstractmethod
    def insert_tokens(self, rows: Sequence[TokenRow]) -> None: ...

    @abstractmethod
    def get_tokens(self, token: str) -> list[TokenRow]: ...

    @abstractmethod
    def tokens_of(self, subject_id: str) -> list[TokenRow]: ...

    @abstractmethod
    def delete_tokens(self, subject_id: str) -> None: ...

    @abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abstractmethod
    def counts(self) -> CellCounts: ...


_FIND = (
    sa.select(blind_index.c.subject_id)
    .where(blind_index.c.digest.in_(sa.bindparam("digests", expanding=True)))
    .distinct()
)


class SqlCellStore(CellStore):
    """:class:`CellStore` over a SQLAlchemy connection inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_records(self, rows: Sequence[VaultRow]) -> None:
        insert_rows(self.conn, vault_records, rows)

    def get_record(self, subject_id: str) -> VaultRow | None:
        row = self.conn.execute(
            sa.select(vault_records).where(vault_records.c.subject_id == subject_id)
        ).first()
        return VaultRow(**row._mapping) if row else None

    def replace_record(self, row: VaultRow, expected: VaultRow) -> bool:
        values = dict(vars(row))
        subject_id = values.pop("subject_id")
        c = vault_records.c
        result = self.conn.execute(
            vault_records.update()
            .where(
                c.subject_id == subject_id,
                c.record_version == expected.record_version,
                c.key_version == expected.key_version,
                c.wrapped_dek.is_not(None),
            )
            .values(**values)
        )
        return bool(result.rowcount == 1)

    def shred_record(self, subject_id: str, at: str) -> bool:
        c = vault_records.c
        result = self.conn.execute(
            vault_records.update()
            .where(c.subject_id == subject_id, sa.or_(c.wrapped_dek.is_not(None), c.ciphertext.is_not(None)))
            .values(wrapped_dek=None, ciphertext=None, erased_at=at, updated_at=at)
        )
        return bool(result.rowcount == 1)

    def delete_record(self, subject_id: str) -> None:
        self.conn.execute(vault_records.delete().where(vault_records.c.subject_id == subject_id))

    def records_below_version(self, version: int, after: str, limit: int) -> list[VaultRow]:
        rows = self.conn.execute(
            sa.select(vault_records)
            .where(
                vault_records.c.key_version < version,
                vault_records.c.wrapped_dek.is_not(None),
                vault_records.c.subject_id > after,
            )
            .order_by(vault_records.c.subject_id)
            .limit(limit)
        )
        return [VaultRow(**r._mapping) for r in rows]

    def insert_index(self, rows: Sequence[IndexRow]) -> None:
        insert_rows(self.conn, blind_index, rows)

    def delete_index(self, subject_id: str) -> None:
        self.conn.execute(blind_index.delete().where(blind_index.c.subject_id == subject_id))

    def find_subjects(self, digests: Sequence[bytes]) -> list[str]:
        if not digests:
            return []
        rows = self.conn.execute(_FIND, {"digests": list(digests)})
        return sorted(r[0] for r in rows)

    def insert_tokens(self, rows: Sequence[TokenRow]) -> None:
        insert_rows(self.conn, tokens, rows)

    def get_tokens(self, token: str) -> list[TokenRow]:
        rows = self.conn.execute(sa.select(tokens).where(tokens.c.token == token))
        return [TokenRow(**r._mapping) for r in rows]

    def tokens_of(self, subject_id: str) -> list[TokenRow]:
        rows = self.conn.execute(sa.select(tokens).where(tokens.c.subject_id == subject_id))
        return [TokenRow(**r._mapping) for r in rows]

    def delete_tokens(self, subject_id: str) -> None:
        self.conn.execute(tokens.delete().where(tokens.c.subject_id == subject_id))

    def get_meta(self, key: str) -> str | None:
        return self.conn.execute(sa.select(cell_meta.c.value).where(cell_meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        if self.get_meta(key) is None:
            self.conn.execute(cell_meta.insert().values(key=key, value=value))
        else:
            self.conn.execute(cell_meta.update().where(cell_meta.c.key == key).values(value=value))

    def counts(self) -> CellCounts:
        c = self.conn
        subjects = c.execute(sa.select(sa.func.count()).select_from(vault_records)).scalar_one()
        erased = c.execute(
            sa.select(sa.func.count()).where(vault_records.c.erased_at.is_not(None))
        ).scalar_one()
        by_kv = {
            int(kv): int(n)
            for kv, n in c.execute(
                sa.select(vault_records.c.key_version, sa.func.count())
                .where(vault_records.c.wrapped_dek.is_not(None))
                .group_by(vault_records.c.key_version)
            )
        }
        idx = c.execute(sa.select(sa.func.count()).select_from(blind_index)).scalar_one()
        tok = c.execute(sa.select(sa.func.count()).select_from(tokens)).scalar_one()
        return CellCounts(int(subjects), int(erased), int(idx), int(tok), by_kv)
