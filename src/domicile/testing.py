"""Fakes shipped for tests and embedding: in-memory cells, a fake KMS, a fixed clock.

``MemoryCell`` has the same semantics as a SQL cell, including rollback of a
session that raises, so the service tests run unchanged against it.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from domicile.audit import MemoryAuditStore
from domicile.cells.runtime import Cell, CellSession
from domicile.cells.store import CellCounts, CellStore, IndexRow, TokenRow, VaultRow
from domicile.core.clock import Clock, FixedClock, SystemClock
from domicile.core.errors import DecryptionError, InputError
from domicile.vault.crypto import new_key, open_sealed, seal
from domicile.vault.keys import KeyProvider, KmsKeyProvider
from domicile.vault.ledger import ErasureLedger

__all__ = ["FakeKms", "FixedClock", "MemoryCell", "MemoryCellStore"]


class MemoryCellStore(CellStore):
    """Dict-backed :class:`CellStore`."""

    def __init__(self) -> None:
        self.records: dict[str, VaultRow] = {}
        self.index: dict[tuple[bytes, str], IndexRow] = {}
        self.tokens: dict[tuple[str, str], TokenRow] = {}
        self.meta: dict[str, str] = {}

    def insert_records(self, rows: Sequence[VaultRow]) -> None:
        for r in rows:
            if r.subject_id in self.records:
                raise InputError(f"subject {r.subject_id} already stored")
            self.records[r.subject_id] = r

    def get_record(self, subject_id: str) -> VaultRow | None:
        return self.records.get(subject_id)

    def replace_record(self, row: VaultRow, expected: VaultRow) -> bool:
        cur = self.records.get(row.subject_id)
        if (
            cur is None
            or cur.wrapped_dek is None
            or (cur.record_version, cur.key_version) != (expected.record_version, expected.key_version)
        ):
            return False
        self.records[row.subject_id] = row
        return True

    def shred_record(self, subject_id: str, at: str) -> bool:
        cur = self.records.get(subject_id)
        if cur is None or (cur.wrapped_dek is None and cur.ciphertext is None):
            return False
        self.records[subject_id] = replace(
            cur, wrapped_dek=None, ciphertext=None, erased_at=at, updated_at=at
        )
        return True

    def delete_record(self, subject_id: str) -> None:
        self.records.pop(subject_id, None)

    def records_below_version(self, version: int, after: str, limit: int) -> list[VaultRow]:
        rows = sorted(
            (
                r
                for r in self.records.values()
                if r.key_version < version and r.wrapped_dek is not None and r.subject_id > after
            ),
            key=lambda r: r.subject_id,
        )
        return rows[:limit]

    def insert_index(self, rows: Sequence[IndexRow]) -> None:
        for r in rows:
            self.index[(r.digest, r.subject_id)] = r

    def delete_index(self, subject_id: str) -> None:
        for key in [k for k in self.index if k[1] == subject_id]:
            del self.index[key]

    def find_subjects(self, digests: Sequence[bytes]) -> list[str]:
        wanted = set(digests)
        return sorted({sid for (d, sid) in self.index if d in wanted})

    def insert_tokens(self, rows: Sequence[TokenRow]) -> None:
        for r in rows:
            self.tokens[(r.token, r.subject_id)] = r

    def get_tokens(self, token: str) -> list[TokenRow]:
        return [r for (t, _), r in self.tokens.items() if t == token]

    def tokens_of(self, subject_id: str) -> list[TokenRow]:
        return [r for (_, s), r in self.tokens.items() if s == subject_id]

    def delete_tokens(self, subject_id: str) -> None:
        for key in [k for k in self.tokens if k[1] == subject_id]:
            del self.tokens[key]

    def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    def counts(self) -> CellCounts:
        by_kv: dict[int, int] = {}
        for r in self.records.values():
            if r.wrapped_dek is not None:
                by_kv[r.key_version] = by_kv.get(r.key_version, 0) + 1
        erased = sum(1 for r in self.records.values() if r.erased_at is not None)
        return CellCounts(len(self.records), erased, len(self.index), len(self.tokens), by_kv)


class MemoryCell(Cell):
    """A cell held in memory; a session that raises rolls back."""

    def __init__(
        self, name: str, jurisdiction: str, keys: KeyProvider, ledger_path: Path, clock: Clock | None = None
    ) -> None:
        clock = clock or SystemClock()
        super().__init__(name, jurisdiction, "memory", keys, ErasureLedger(ledger_path, name), clock)
        self.store = MemoryCellStore()
        self.audit = MemoryAuditStore(name, keys.audit_key(), now=clock.now)
        self._lock = threading.RLock()

    @property
    def backend(self) -> str:
        return "memory"

    @contextmanager
    def session(self) -> Iterator[CellSession]:
        with self._lock:
            saved = copy.deepcopy((self.store.__dict__, self.audit.rows, self.audit.head_row))
            try:
                yield CellSession(self, self.store, self.audit)
            except BaseException:
                self.store.__dict__, self.audit.rows, self.audit.head_row = saved
                raise


class FakeKms:
    """An in-process stand-in for an external KMS (implements ``KmsClient``)."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self.calls: dict[str, int] = {"encrypt": 0, "decrypt": 0, "mac": 0}

    def create_key(self) -> str:
        key_id = "fake-kms-" + os.urandom(6).hex()
        self._keys[key_id] = new_key()
        return key_id

    def _key(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise DecryptionError(f"KMS has no key {key_id}") from None

    def encrypt(self, key_id: str, plaintext: bytes, aad: bytes) -> bytes:
        self.calls["encrypt"] += 1
        return seal(self._key(key_id), plaintext, aad)

    def decrypt(self, key_id: str, ciphertext: bytes, aad: bytes) -> bytes:
        self.calls["decrypt"] += 1
        return open_sealed(self._key(key_id), ciphertext, aad, f"KMS key {key_id}")

    def mac(self, key_id: str, message: bytes) -> bytes:
        self.calls["mac"] += 1
        return hmac.new(self._key(key_id), message, hashlib.sha256).digest()


def fake_kms_provider(cell: str, kms: FakeKms | None = None) -> KmsKeyProvider:
    """A KMS-backed key provider over a fresh :class:`FakeKms` with one key version."""
    kms = kms or FakeKms()
    return KmsKeyProvider(cell, kms, {1: kms.create_key()})
