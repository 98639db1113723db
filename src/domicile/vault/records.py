"""Sealing and opening subject records; computing keyed blind indexes.

A record is the JSON of a subject's PD fields (and residency signals),
encrypted with AES-256-GCM under the subject's data key; the data key is
wrapped by the cell's KEK of the current key version. Blind indexes are
HMAC-SHA256 under the cell's versioned blind-index key over
``field NUL normalized-value``, truncated to 128 bits — never an unkeyed hash.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domicile.cells.store import IndexRow, VaultRow
from domicile.core.errors import DecryptionError, SubjectErasedError
from domicile.vault.crypto import new_key, open_sealed, seal
from domicile.vault.fields import FieldSchema, normalize
from domicile.vault.keys import KeyProvider, KeyPurpose

DIGEST_BYTES = 16


@dataclass(frozen=True)
class Record:
    """The plaintext of a subject's record (only ever in memory)."""

    fields: dict[str, str]
    signals: dict[str, object] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return json.dumps({"f": self.fields, "s": self.signals}, ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Record:
        raw = json.loads(data)
        return cls(dict(raw["f"]), dict(raw.get("s", {})))


def _record_aad(cell: str, subject_id: str, record_version: int, jurisdiction: str) -> bytes:
    """Binds a ciphertext to its cell, subject, version and jurisdiction (the row's
    jurisdiction column drives transfer rules, so it must not be editable)."""
    return f"domicile/record/{cell}/{subject_id}/{record_version}/{jurisdiction}".encode()


def _dek_aad(cell: str, subject_id: str, key_version: int) -> bytes:
    return f"domicile/dek/{cell}/{subject_id}/{key_version}".encode()


@dataclass(frozen=True)
class BlindIndex:
    """Blind-index digests under one key version: the secret and the schema only (picklable).

    The same digests as :meth:`RecordCipher.digest` / :meth:`RecordCipher.index_rows`, for work
    done away from the key provider (``localize`` computes them in a worker process).
    """

    schema: FieldSchema
    secret: bytes
    version: int

    def digest(self, field_name: str, value: str) -> bytes:
        spec = self.schema.spec(field_name)
        msg = f"{field_name}\0{normalize(spec.kind, value)}".encode()
        return hmac.digest(self.secret, msg, "sha256")[:DIGEST_BYTES]

    def rows(self, subject_id: str, values: Mapping[str, str]) -> list[IndexRow]:
        return [
            IndexRow(self.digest(spec.name, values[spec.name]), subject_id, self.version)
            for spec in self.schema.searchable()
            if spec.name in values
        ]


class RecordCipher:
    """Seals and opens records of one cell."""

    def __init__(self, cell: str, keys: KeyProvider, schema: FieldSchema) -> None:
        self.cell = cell
        self.keys = keys
        self.schema = schema
        self._macs: dict[int, hmac.HMAC] = {}

    def seal(
        self,
        subject_id: str,
        jurisdiction: str,
        record: Record,
        now: str,
        record_version: int = 1,
        created_at: str | None = None,
        dek: bytes | None = None,
    ) -> VaultRow:
        """Encrypt *record* under a (new) data key wrapped with the current KEK."""
        kv = self.keys.current_version()
        dek = dek or new_key()
        ciphertext = seal(
            AESGCM(dek), record.to_bytes(), _record_aad(self.cell, subject_id, record_version, jurisdiction)
        )
        wrapped = self.keys.wrap(kv, dek, _dek_aad(self.cell, subject_id, kv))
        return VaultRow(
            subject_id, jurisdiction, kv, wrapped, ciphertext, record_version, created_at or now, now
        )

    def data_key(self, row: VaultRow) -> bytes:
        if row.wrapped_dek is None:
            raise SubjectErasedError(f"subject {row.subject_id} was erased; its data key is destroyed")
        return self.keys.unwrap(
            row.key_version, row.wrapped_dek, _dek_aad(self.cell, row.subject_id, row.key_version)
        )

    def open(self, row: VaultRow) -> Record:
        """Decrypt a stored row; SubjectErasedError after crypto-shredding."""
        dek = self.data_key(row)
        if row.ciphertext is None:
            raise DecryptionError(f"subject {row.subject_id}: record ciphertext is missing")
        plain = open_sealed(
            AESGCM(dek),
            row.ciphertext,
            _record_aad(self.cell, row.subject_id, row.record_version, row.jurisdiction),
            f"record of subject {row.subject_id} in cell {self.cell}",
        )
        return Record.from_bytes(plain)

    def rewrap(self, row: VaultRow, to_version: int) -> VaultRow:
        """Re-wrap the row's data key under *to_version* (record untouched)."""
        dek = self.data_key(row)
        wrapped = self.keys.wrap(to_version, dek, _dek_aad(self.cell, row.subject_id, to_version))
        return VaultRow(
            row.subject_id,
            row.jurisdiction,
            to_version,
            wrapped,
            row.ciphertext,
            row.record_version,
            row.created_at,
            row.updated_at,
            row.erased_at,
        )

    def _mac(self, version: int) -> hmac.HMAC:
        if version not in self._macs:
            self._macs[version] = hmac.new(
                self.keys.secret(version, KeyPurpose.BLIND_INDEX), digestmod="sha256"
            )
        return self._macs[version]

    def digest(self, field_name: str, value: str, version: int) -> bytes:
        """The blind-index digest of one value under one key version."""
        spec = self.schema.spec(field_name)
        mac = self._mac(version).copy()
        mac.update(f"{field_name}\0{normalize(spec.kind, value)}".encode())
        return mac.digest()[:DIGEST_BYTES]

    def blind_index(self, version: int) -> BlindIndex:
        """The blind index of one key version, detached from the key provider."""
        return BlindIndex(self.schema, self.keys.secret(version, KeyPurpose.BLIND_INDEX), version)

    def index_rows(
        self, subject_id: str, values: Mapping[str, str], version: int | None = None
    ) -> list[IndexRow]:
        """Blind-index rows for the searchable fields present in *values*."""
        kv = version if version is not None else self.keys.current_version()
        rows = []
        for spec in self.schema.searchable():
            if spec.name in values:
                rows.append(IndexRow(self.digest(spec.name, values[spec.name], kv), subject_id, kv))
        return rows

    def query_digests(
        self, field_name: str, value: str, versions: Iterable[int] | None = None
    ) -> list[bytes]:
        """Digests to look up *value* under every key version still held."""
        return [self.digest(field_name, value, v) for v in (versions or self.keys.versions())]
