"""Signed, chained decisions of the representative office (236-FZ art. 5-6; LAND-4).

A decision is serialized canonically (sorted-key, ASCII JSON of: version, chain position,
request id, decision, action, legal basis, SHA-256 of the reasoning text, per-item verdicts,
produced fields, time, signer and key id, and the previous decision's hash), signed with the
representative's Ed25519 key (``cryptography``), and chained: ``entry_hash`` =
SHA-256(domain ‖ canonical ‖ signature) and the next decision commits to it as ``prev_hash``.
Changing any field, the signature, or the order breaks verification, and
:func:`verify_decisions` names the first bad decision.

The key file (``desk keys init``) is JSON, mode 0600, holding the raw private key; its public
key is registered in ``desk_signers`` so verification needs no private key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from domicile.desk.errors import SignerKeyError
from domicile.desk.store import DeskStore

__all__ = [
    "GENESIS_HASH",
    "KEY_FILE_FORMAT",
    "DecisionPayload",
    "DecisionVerifyReport",
    "Signer",
    "canonical_bytes",
    "entry_hash",
    "fields_text",
    "items_text",
    "payload_from_row",
    "reasoning_digest",
    "verify_decisions",
    "verify_one",
]

KEY_FILE_FORMAT = "domicile-desk-signer/1"
GENESIS_HASH = hashlib.sha256(b"domicile/desk/decisions/genesis").hexdigest()
_DOMAIN = b"domicile/desk/decision/v1\x00"
_SIGNER = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")


def reasoning_digest(text: str) -> str:
    """SHA-256 (hex) of the reasoning text's exact UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DecisionPayload:
    """Every field a signature covers."""

    seq: int
    request_id: str
    decision: str
    action: str
    legal_basis: str
    reasoning_sha256: str
    items: tuple[tuple[int, str], ...]
    fields: tuple[str, ...]
    decided_at: str
    signer: str
    key_id: str
    prev_hash: str


def canonical_bytes(p: DecisionPayload) -> bytes:
    """The canonical serialization that is signed (sorted keys, no spaces, ASCII)."""
    body = {
        "v": 1,
        "seq": p.seq,
        "request_id": p.request_id,
        "decision": p.decision,
        "action": p.action,
        "legal_basis": p.legal_basis,
        "reasoning_sha256": p.reasoning_sha256,
        "items": [[n, v] for n, v in p.items],
        "fields": list(p.fields),
        "decided_at": p.decided_at,
        "signer": p.signer,
        "key_id": p.key_id,
        "prev_hash": p.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def entry_hash(canonical: bytes, signature: bytes) -> str:
    """The chain hash of a signed decision."""
    return hashlib.sha256(_DOMAIN + canonical + signature).hexdigest()


def items_text(items: Sequence[tuple[int, str]]) -> str:
    """The stored JSON form of per-item verdicts."""
    return json.dumps([[int(n), str(v)] for n, v in items], separators=(",", ":"))


def fields_text(fields: Sequence[str]) -> str:
    """The stored JSON form of produced field names."""
    return json.dumps(list(fields), separators=(",", ":"))


def payload_from_row(row: Mapping[str, Any]) -> DecisionPayload:
    """Rebuild the signed payload from a stored ``desk_decisions`` row."""
    items = tuple((int(n), str(v)) for n, v in json.loads(row["items"]))
    fields = tuple(str(f) for f in json.loads(row["fields"]))
    return DecisionPayload(
        seq=int(row["seq"]),
        request_id=str(row["request_id"]),
        decision=str(row["decision"]),
        action=str(row["action"]),
        legal_basis=str(row["legal_basis"]),
        reasoning_sha256=str(row["reasoning_sha256"]),
        items=items,
        fields=fields,
        decided_at=str(row["decided_at"]),
        signer=str(row["signer"]),
        key_id=str(row["key_id"]),
        prev_hash=str(row["prev_hash"]),
    )


KEY_ID_PREFIX = "ed25519:"


def _legacy_key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _key_id(public_raw: bytes) -> str:
    """``ed25519:`` + 16 hex digits of the public key's SHA-256.

    The prefix keeps the id from ever being all digits: about one bare 16-hex id in
    1,900 is, and the audit log refuses digit strings that look like a phone number.
    """
    return KEY_ID_PREFIX + _legacy_key_id(public_raw)


class Signer:
    """The representative's Ed25519 signing key, loaded from its key file.

    Args:
        signer: the representative's staff id (an id, never a name).
        private_key: the Ed25519 private key.
    """

    def __init__(self, signer: str, private_key: Ed25519PrivateKey) -> None:
        if not _SIGNER.match(signer):
            raise SignerKeyError("signer must be an id of 1-64 letters, digits and . _ : -")
        self.signer = signer
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key_hex = raw.hex()
        self.key_id = _key_id(raw)
        self._legacy_key_id = _legacy_key_id(raw)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of ``message``."""
        return self._key.sign(message)

    @classmethod
    def create(cls, path: Path, signer: str) -> Signer:
        """Generate a key and write its key file (0600); refuses to overwrite.

        Raises:
            SignerKeyError: the file exists or the signer id is invalid.
        """
        if path.exists():
            raise SignerKeyError(f"a signer key file already exists at {path}")
        key = Ed25519PrivateKey.generate()
        made = cls(signer, key)
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        body = {
            "format": KEY_FILE_FORMAT,
            "signer": signer,
            "key_id": made.key_id,
            "public_key": made.public_key_hex,
            "private_key": base64.b64encode(raw).decode("ascii"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signer-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(body, fh, indent=2)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return made

    @classmethod
    def load(cls, path: Path) -> Signer:
        """Read a key file.

        Raises:
            SignerKeyError: missing, malformed, or its public key does not match its private key.
        """
        try:
            raw = json.loads(path.read_text("utf-8"))
            if raw.get("format") != KEY_FILE_FORMAT:
                raise SignerKeyError(f"signer key file {path} has an unknown format")
            private = base64.b64decode(raw["private_key"], validate=True)
            key = Ed25519PrivateKey.from_private_bytes(private)
            signer = cls(str(raw["signer"]), key)
        except FileNotFoundError:
            raise SignerKeyError(
                f"signer key file not found at {path}; run 'domicile desk keys init --signer ID'"
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SignerKeyError(f"signer key file {path} is malformed ({type(exc).__name__})") from None
        key_ids = (signer.key_id, signer._legacy_key_id)  # files written before the prefix load too
        if raw.get("public_key") != signer.public_key_hex or raw.get("key_id") not in key_ids:
            raise SignerKeyError(f"signer key file {path}: public key does not match the private key")
        return signer


def verify_one(row: Mapping[str, Any], public_key_hex: str | None, prev_hash: str | None) -> str | None:
    """Check one stored decision; returns the problem, or None when it verifies.

    Args:
        row: the ``desk_decisions`` row.
        public_key_hex: the registered public key of ``row['key_id']`` (None: unknown key).
        prev_hash: the previous decision's ``entry_hash`` (genesis for seq 1); None skips the link.
    """
    payload = payload_from_row(row)
    if public_key_hex is None:
        return f"signing key {payload.key_id} is not registered"
    canonical = canonical_bytes(payload)
    try:
        signature = bytes.fromhex(str(row["signature"]))
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(signature, canonical)
    except (ValueError, InvalidSignature):
        return "signature does not match the decision's content"
    if entry_hash(canonical, signature) != row["entry_hash"]:
        return "entry hash does not match the signed content"
    if prev_hash is not None and payload.prev_hash != prev_hash:
        return "chain link broken: prev_hash is not the previous decision's hash"
    return None


@dataclass(frozen=True)
class DecisionVerifyReport:
    """Result of checking every decision: the first bad one, with the reason."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    first_bad_request: str | None
    problem: str | None
    head_hash: str


def verify_decisions(
    store: DeskStore, *, reasoning_check: Any = None, batch: int = 500
) -> DecisionVerifyReport:
    """Verify every decision's signature, entry hash, sequence and chain link, in order.

    Args:
        store: the desk store.
        reasoning_check: optional callable ``(row) -> str | None`` that checks the stored
            reasoning text against ``reasoning_sha256`` (None when fine or unavailable).
        batch: rows per query.
    """
    keys = {s["key_id"]: str(s["public_key"]) for s in store.signers()}
    prev, expected, checked, after = GENESIS_HASH, 1, 0, 0
    while True:
        rows = store.decision_rows(after, batch)
        for row in rows:
            seq = int(row["seq"])
            problem = None
            if seq != expected:
                problem = f"sequence gap: expected decision {expected}, found {seq}"
            else:
                problem = verify_one(row, keys.get(str(row["key_id"])), prev)
            if problem is None and reasoning_check is not None:
                problem = reasoning_check(row)
            if problem is not None:
                return DecisionVerifyReport(False, checked, seq, str(row["request_id"]), problem, prev)
            checked += 1
            expected += 1
            prev = str(row["entry_hash"])
            after = seq
        if len(rows) < batch:
            return DecisionVerifyReport(True, checked, None, None, None, prev)
