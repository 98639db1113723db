"""Sealed blobs: the desk's PD (requester contacts, complaint text, attachments, raw inputs,
access packages) encrypted in RU storage (152-FZ art. 18 part 5; PD-LOC-1, LAND-1).

Each blob has its own AES-256-GCM data key, wrapped by the RU cell's key-encryption key through
its :class:`~domicile.vault.keys.KeyProvider`; the wrapped key sits in ``desk_blobs`` (the desk
database, located in Russia) and the ciphertext in a file under ``blob_dir``. Associated data
binds each ciphertext to its cell, reference and kind. Erasing a blob destroys its wrapped key
(crypto-shredding) and then deletes the file after the commit.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domicile.cells.runtime import Cell
from domicile.core.clock import Clock, iso_utc
from domicile.core.errors import DecryptionError
from domicile.desk.errors import DeskConfigError, DeskNotFoundError
from domicile.desk.models import new_id
from domicile.desk.schema import desk_blobs
from domicile.desk.store import DeskStore, Unit
from domicile.vault.crypto import new_key, open_sealed, seal

__all__ = ["Blob", "BlobErasedError", "SealedStore"]

_HEADER = struct.Struct(">I")


class BlobErasedError(DeskNotFoundError):
    """The blob was crypto-shredded; its content is gone."""


@dataclass(frozen=True)
class Blob:
    """A decrypted blob (only ever in memory)."""

    ref: str
    kind: str
    request_id: str | None
    meta: dict[str, Any]
    data: bytes
    created_at: str

    def json(self) -> Any:
        """The data parsed as UTF-8 JSON."""
        return json.loads(self.data.decode("utf-8"))


def _blob_aad(cell: str, ref: str, kind: str) -> bytes:
    return f"domicile/desk-blob/{cell}/{ref}/{kind}".encode()


def _dek_aad(cell: str, ref: str, version: int) -> bytes:
    return f"domicile/desk-dek/{cell}/{ref}/{version}".encode()


class SealedStore:
    """Encrypted blobs in RU storage, keyed by the RU cell.

    Args:
        cell: the RU cell whose key provider wraps the data keys (must be an RU cell).
        root: folder for the ciphertext files (RU storage).
        clock: time source.

    Raises:
        DeskConfigError: the cell is not an RU cell.
    """

    def __init__(self, cell: Cell, root: Path, clock: Clock) -> None:
        if cell.jurisdiction != "RU":
            raise DeskConfigError(
                f"desk PD must be stored in an RU cell (PD-LOC-1); cell {cell.name!r} is {cell.jurisdiction}"
            )
        self.cell = cell
        self.root = root
        self._clock = clock

    def _path(self, ref: str) -> Path:
        return self.root / self.cell.name / ref[4:6] / f"{ref}.bin"

    def put(
        self,
        unit: Unit,
        kind: str,
        data: bytes,
        meta: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> str:
        """Encrypt and store ``data``; returns the blob reference (``blb_...``).

        The file is removed again if the unit rolls back.
        """
        ref = new_id("blb")
        header = json.dumps(dict(meta or {}), ensure_ascii=False, sort_keys=True).encode()
        plain = _HEADER.pack(len(header)) + header + data
        dek = new_key()
        version = self.cell.keys.current_version()
        sealed = seal(AESGCM(dek), plain, _blob_aad(self.cell.name, ref, kind))
        wrapped = self.cell.keys.wrap(version, dek, _dek_aad(self.cell.name, ref, version))
        path = self._path(ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(sealed)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        unit.on_rollback.append(lambda: path.unlink(missing_ok=True))
        unit.conn.execute(
            desk_blobs.insert().values(
                ref=ref,
                request_id=request_id,
                kind=kind,
                cell=self.cell.name,
                key_version=version,
                wrapped_dek=wrapped,
                size=len(data),
                created_at=iso_utc(self._clock.now()),
            )
        )
        return ref

    def put_json(
        self,
        unit: Unit,
        kind: str,
        value: Any,
        request_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> str:
        """Store a JSON value as a blob."""
        data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return self.put(unit, kind, data, {"media_type": "application/json", **dict(meta or {})}, request_id)

    def get(self, store: DeskStore, ref: str) -> Blob:
        """Decrypt a blob.

        Raises:
            DeskNotFoundError: no such blob, or its file is missing.
            BlobErasedError: it was crypto-shredded.
            DecryptionError: the key or the ciphertext was altered.
        """
        row = store.conn.execute(sa.select(desk_blobs).where(desk_blobs.c.ref == ref)).mappings().first()
        if row is None:
            raise DeskNotFoundError(f"no sealed blob {ref[:48]!r}")
        if row["wrapped_dek"] is None:
            raise BlobErasedError(f"sealed blob {ref} was erased")
        if row["cell"] != self.cell.name:
            raise DeskConfigError(
                f"sealed blob {ref} belongs to cell {row['cell']!r}, not {self.cell.name!r}"
            )
        try:
            sealed = self._path(ref).read_bytes()
        except FileNotFoundError:
            raise DeskNotFoundError(f"the ciphertext of sealed blob {ref} is missing") from None
        version = int(row["key_version"])
        dek = self.cell.keys.unwrap(
            version, bytes(row["wrapped_dek"]), _dek_aad(self.cell.name, ref, version)
        )
        plain = open_sealed(
            AESGCM(dek), sealed, _blob_aad(self.cell.name, ref, row["kind"]), f"sealed blob {ref}"
        )
        if len(plain) < _HEADER.size:
            raise DecryptionError(f"sealed blob {ref}: header is truncated")
        (size,) = _HEADER.unpack_from(plain)
        meta = json.loads(plain[_HEADER.size : _HEADER.size + size].decode("utf-8"))
        return Blob(
            ref, row["kind"], row["request_id"], meta, plain[_HEADER.size + size :], row["created_at"]
        )

    def erase(self, unit: Unit, ref: str) -> bool:
        """Crypto-shred a blob: destroy its wrapped key now, delete its file after the commit.

        Returns:
            False if it was already erased.
        """
        done = unit.conn.execute(
            desk_blobs.update()
            .where(desk_blobs.c.ref == ref, desk_blobs.c.wrapped_dek.is_not(None))
            .values(wrapped_dek=None, erased_at=iso_utc(self._clock.now()))
        )
        if done.rowcount:
            path = self._path(ref)
            unit.after_commit.append(lambda: path.unlink(missing_ok=True))
        return bool(done.rowcount)

    def refs_of(self, store: DeskStore, request_id: str, kind: str | None = None) -> list[str]:
        """Live blob references of a request (optionally of one kind), oldest first."""
        q = sa.select(desk_blobs.c.ref).where(
            desk_blobs.c.request_id == request_id, desk_blobs.c.wrapped_dek.is_not(None)
        )
        if kind is not None:
            q = q.where(desk_blobs.c.kind == kind)
        return list(store.conn.execute(q.order_by(desk_blobs.c.created_at, desk_blobs.c.ref)).scalars())

    def link(self, unit: Unit, ref: str, request_id: str) -> None:
        """Attach an existing blob to a request."""
        unit.conn.execute(desk_blobs.update().where(desk_blobs.c.ref == ref).values(request_id=request_id))
