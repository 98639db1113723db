"""Hashing rules of the audit chain (152-FZ art. 19; SEC-1, SEC-4).

Entry ``n`` is the canonical JSON (sorted keys, no whitespace, ASCII only) of::

    {"v": 1, "cell", "seq", "at", "actor", "action", "subject_ref", "purpose",
     "outcome", "details", "prev_hash"}

* ``entry_hash = sha256(canonical).hexdigest()``; ``prev_hash`` of entry ``n`` is the
  ``entry_hash`` of entry ``n - 1``, so each entry commits to all before it.
* Entry 1 chains to ``genesis_hash(cell) = sha256(b"domicile-audit-genesis\\0" + cell)``,
  and the cell name is hashed into every entry, so logs cannot be spliced across cells.
* ``mac = HMAC-SHA256(audit_key, entry_hash)``: without the key, a rewritten entry
  cannot be given a valid MAC even if its hash is recomputed.
* The head row ``(seq, entry_hash)`` is MAC'd under a separate domain
  (``b"domicile-audit-head\\0" + "<cell>:<seq>:<hash>"``) so truncating the tail
  is detected; seq 0 with the genesis hash is the head of an empty log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Protocol

from domicile.audit.events import DetailValue, check_cell
from domicile.core.errors import KeySourceError

FORMAT_VERSION = 1
GENESIS_DOMAIN = b"domicile-audit-genesis\0"
HEAD_DOMAIN = b"domicile-audit-head\0"
MIN_KEY_BYTES = 16

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


class EntryFields(Protocol):
    """What is hashed from an entry besides its position: an event or a record."""

    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def subject_ref(self) -> str | None: ...
    @property
    def details(self) -> Mapping[str, DetailValue]: ...


def genesis_hash(cell: str) -> str:
    """The ``prev_hash`` of a cell's first entry."""
    return hashlib.sha256(GENESIS_DOMAIN + check_cell(cell).encode("ascii")).hexdigest()


def canonical_bytes(cell: str, seq: int, at: str, entry: EntryFields, prev_hash: str) -> bytes:
    """The exact bytes hashed for one entry.

    Args:
        cell: The cell name.
        seq: The entry's position, from 1.
        at: The stored timestamp text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``).
        entry: The event fields (an :class:`~domicile.audit.events.AuditEvent` or record).
        prev_hash: The previous entry's hash, or the genesis hash.
    """
    details: dict[str, DetailValue] = dict(entry.details)
    doc = {
        "v": FORMAT_VERSION,
        "cell": cell,
        "seq": seq,
        "at": at,
        "actor": entry.actor,
        "action": entry.action,
        "subject_ref": entry.subject_ref,
        "purpose": entry.purpose,
        "outcome": entry.outcome,
        "details": details,
        "prev_hash": prev_hash,
    }
    return _CANONICAL.encode(doc).encode("ascii")


def entry_hash(canonical: bytes) -> str:
    """SHA-256 hex digest of an entry's canonical bytes."""
    return hashlib.sha256(canonical).hexdigest()


class ChainKey:
    """A cell's audit MAC key, bound to the cell name (precomputes the HMAC state).

    Args:
        cell: The cell name.
        key: The cell's audit key, at least 16 bytes (32 random bytes recommended).

    Raises:
        KeySourceError: The key is not bytes or is too short.
        InputError: The cell name is malformed.
    """

    __slots__ = ("_proto", "cell")

    def __init__(self, cell: str, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
            raise KeySourceError(f"audit MAC key must be at least {MIN_KEY_BYTES} bytes")
        self.cell = check_cell(cell)
        self._proto = hmac.new(bytes(key), digestmod=hashlib.sha256)

    def _mac(self, data: bytes) -> str:
        h = self._proto.copy()
        h.update(data)
        return h.hexdigest()

    def entry_mac(self, entry_hash_hex: str) -> str:
        """``HMAC-SHA256(key, entry_hash)`` as hex."""
        return self._mac(entry_hash_hex.encode("ascii"))

    def head_mac(self, seq: int, entry_hash_hex: str) -> str:
        """The MAC of the head row ``(seq, entry_hash)`` of this cell."""
        return self._mac(HEAD_DOMAIN + f"{self.cell}:{seq}:{entry_hash_hex}".encode("ascii"))

    def seal(self, seq: int, at: str, entry: EntryFields, prev_hash: str) -> tuple[str, str]:
        """Compute ``(entry_hash, mac)`` for an entry of this cell."""
        digest = entry_hash(canonical_bytes(self.cell, seq, at, entry, prev_hash))
        return digest, self.entry_mac(digest)


def macs_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
