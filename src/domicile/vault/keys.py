"""Key sources: where a cell's keys come from.

A :class:`KeyProvider` holds versioned root secrets for one cell. From each
version it yields a key-encryption key (wrapping per-subject data keys) and
HMAC keys for blind indexes, deterministic tokens and the audit MAC. The local
key file is the default; :class:`KmsKeyProvider` talks to an external KMS
through the small :class:`KmsClient` protocol and never sees the KEK itself.

Legal basis: 152-FZ art. 19 (SEC-1) — technical measures against
unauthorized access; per-cell keys keep one country's breach from another's data.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domicile.core.errors import KeySourceError
from domicile.vault.crypto import new_key, open_sealed, seal


class KeyPurpose(StrEnum):
    """What a derived key is for; each purpose gets an independent key."""

    KEK = "kek"
    BLIND_INDEX = "blind-index"
    TOKEN = "token"
    AUDIT = "audit"


class KeyProvider(ABC):
    """Versioned keys of one cell."""

    NAME: ClassVar[str]

    def __init__(self, cell: str) -> None:
        self.cell = cell

    @abstractmethod
    def versions(self) -> list[int]:
        """All versions still held, oldest first."""

    @abstractmethod
    def current_version(self) -> int:
        """The version new data is written under."""

    @abstractmethod
    def wrap(self, version: int, dek: bytes, aad: bytes) -> bytes:
        """Wrap a data key under the KEK of *version*."""

    @abstractmethod
    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """Unwrap a data key; DecryptionError if the key or data is wrong."""

    @abstractmethod
    def secret(self, version: int, purpose: KeyPurpose) -> bytes:
        """A 32-byte HMAC key for *purpose* at *version* (never the KEK)."""

    @abstractmethod
    def add_version(self) -> int:
        """Create a new version and make it current; returns its number."""

    def fingerprint(self, version: int) -> str:
        """A short public fingerprint of a version, to detect a wrong key file."""
        mac = hmac.new(self.secret(version, KeyPurpose.AUDIT), b"domicile-key-fingerprint", "sha256")
        return mac.hexdigest()[:16]

    def audit_key(self) -> bytes:
        """The audit MAC key: pinned to the first version so old entries stay verifiable."""
        return self.secret(self.versions()[0], KeyPurpose.AUDIT)

    def _require(self, version: int) -> None:
        if version not in self.versions():
            raise KeySourceError(f"cell {self.cell!r} holds no key version {version}")


def _derive(root: bytes, cell: str, purpose: KeyPurpose) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"domicile/{cell}/{purpose}".encode()
    ).derive(root)


class LocalKeyFileProvider(KeyProvider):
    """Root secrets in a JSON key file (mode 0600), one per version.

    File shape: ``{"cell": NAME, "current": N, "versions": {"N": {"created": ISO, "secret": base64}}}``.
    Keep it outside the data you back up with the cell, or a stolen backup
    carries its own key.
    """

    NAME: ClassVar[str] = "file"

    def __init__(self, cell: str, path: Path) -> None:
        super().__init__(cell)
        self.path = path
        self._roots: dict[int, bytes] = {}
        self._current = 0
        self._derived: dict[tuple[int, KeyPurpose], bytes] = {}
        self._aead: dict[int, AESGCM] = {}
        self._stamp: tuple[int, int] | None = None
        self._load()

    @classmethod
    def create(cls, cell: str, path: Path) -> LocalKeyFileProvider:
        """Write a new key file with version 1; refuses to overwrite one."""
        if path.exists():
            raise KeySourceError(f"key file for cell {cell!r} already exists at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_keyfile(path, cell, 1, {1: (new_key(), datetime.now(UTC).isoformat())})
        return cls(cell, path)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        """Pick up versions another process added (a rotation running elsewhere)."""
        if self._file_stamp() != self._stamp:
            self._load()

    def _load(self) -> None:
        self._stamp = self._file_stamp()
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            if not isinstance(raw, dict) or not isinstance(raw.get("versions"), dict):
                raise TypeError("not a key file object")
            if raw.get("cell") != self.cell:
                raise KeySourceError(
                    f"key file {self.path} belongs to cell {raw.get('cell')!r}, not {self.cell!r}"
                )
            self._roots = {int(v): base64.b64decode(e["secret"]) for v, e in raw["versions"].items()}
            self._created = {int(v): str(e["created"]) for v, e in raw["versions"].items()}
            self._current = int(raw["current"])
        except FileNotFoundError:
            raise KeySourceError(f"key file for cell {self.cell!r} not found at {self.path}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeySourceError(f"key file {self.path} is malformed ({type(exc).__name__})") from None
        if self._current not in self._roots or any(len(k) != 32 for k in self._roots.values()):
            raise KeySourceError(f"key file {self.path} is malformed (bad version or key length)")

    def versions(self) -> list[int]:
        self._refresh()
        return sorted(self._roots)

    def current_version(self) -> int:
        self._refresh()
        return self._current

    def secret(self, version: int, purpose: KeyPurpose) -> bytes:
        if version not in self._roots:
            self._refresh()
        self._require(version)
        key = (version, purpose)
        if key not in self._derived:
            self._derived[key] = _derive(self._roots[version], self.cell, purpose)
        return self._derived[key]

    def _kek(self, version: int) -> AESGCM:
        if version not in self._aead:
            self._aead[version] = AESGCM(self.secret(version, KeyPurpose.KEK))
        return self._aead[version]

    def wrap(self, version: int, dek: bytes, aad: bytes) -> bytes:
        return seal(self._kek(version), dek, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        return open_sealed(self._kek(version), wrapped, aad, f"data key (cell {self.cell}, v{version})")

    def add_version(self) -> int:
        with _locked(self.path):
            self._load()  # under the lock: another rotation may have added one
            new_version = max(self._roots) + 1
            entries = {v: (k, self._created[v]) for v, k in self._roots.items()}
            entries[new_version] = (new_key(), datetime.now(UTC).isoformat())
            _write_keyfile(self.path, self.cell, new_version, entries)
            self._load()
        return new_version


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock beside *path* (serializes rotations across processes)."""
    with open(path.with_name(path.name + ".lock"), "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _write_keyfile(path: Path, cell: str, current: int, entries: Mapping[int, tuple[bytes, str]]) -> None:
    """Atomically and durably write a key file readable only by its owner.

    The file and its folder are fsync'ed before the caller wraps any data key
    under a new version, so a power loss cannot lose a version in use.
    """
    body = {
        "cell": cell,
        "current": current,
        "versions": {
            str(v): {"created": created, "secret": base64.b64encode(k).decode()}
            for v, (k, created) in sorted(entries.items())
        },
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class KmsClient(Protocol):
    """The few calls domicile needs from an external KMS (AWS KMS, Vault transit, ...)."""

    def encrypt(self, key_id: str, plaintext: bytes, aad: bytes) -> bytes: ...

    def decrypt(self, key_id: str, ciphertext: bytes, aad: bytes) -> bytes: ...

    def mac(self, key_id: str, message: bytes) -> bytes: ...

    def create_key(self) -> str: ...


class KmsKeyProvider(KeyProvider):
    """Keys held by an external KMS; each version is a KMS key id.

    Data keys are wrapped by the KMS (the KEK never leaves it). HMAC keys are
    the KMS's MAC of a fixed label, computed once per version and kept in memory.
    """

    NAME: ClassVar[str] = "kms"

    def __init__(self, cell: str, client: KmsClient, key_ids: Mapping[int, str]) -> None:
        super().__init__(cell)
        if not key_ids:
            raise KeySourceError(f"cell {cell!r}: KMS key source lists no key ids")
        self._client = client
        self._ids = dict(key_ids)
        self._secrets: dict[tuple[int, KeyPurpose], bytes] = {}

    @property
    def key_ids(self) -> dict[int, str]:
        return dict(self._ids)

    def register(self, version: int, key_id: str) -> None:
        """Add a key version that is also listed in the cells file (what a restart would load)."""
        if version in self._ids:
            raise KeySourceError(f"cell {self.cell!r} already has key version {version}")
        self._ids[version] = key_id

    def versions(self) -> list[int]:
        return sorted(self._ids)

    def current_version(self) -> int:
        return max(self._ids)

    def wrap(self, version: int, dek: bytes, aad: bytes) -> bytes:
        self._require(version)
        return self._client.encrypt(self._ids[version], dek, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        self._require(version)
        return self._client.decrypt(self._ids[version], wrapped, aad)

    def secret(self, version: int, purpose: KeyPurpose) -> bytes:
        self._require(version)
        key = (version, purpose)
        if key not in self._secrets:
            label = f"domicile/{self.cell}/{purpose}".encode()
            self._secrets[key] = hashlib.sha256(self._client.mac(self._ids[version], label)).digest()
        return self._secrets[key]

    def add_version(self) -> int:
        """Refused: a new KMS key id must first be listed in the cells file.

        Rotating onto a key id that lives only in this process would leave every
        re-wrapped record unreadable by the next one.
        """
        nxt = self.current_version() + 1
        raise KeySourceError(
            f"cell {self.cell!r} uses a KMS: create a new key in the KMS, list it as version {nxt} under "
            "keys.key_ids in the cells file, then run 'domicile keys rotate --resume'"
        )
