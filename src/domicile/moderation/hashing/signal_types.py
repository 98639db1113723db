"""The signal-type seam: one small ABC, optional abilities as mixins, built-in types.

A *signal type* is a kind of hash (PDQ, MD5...). It knows how to normalize its text
form, compare two values, and give fictitious examples. Hashing content is an optional
ability, added by the :class:`BytesHasher` / :class:`FileHasher` mixins. Types are
registered in :mod:`domicile.moderation.hashing.registry`, the only registry.

Names follow python-threatexchange where they coincide (``pdq``, ``vpdq``); its
``video_md5`` / ``video_sha256`` are kept as :attr:`SignalType.TX_NAME` aliases for
import and export of ThreatExchange files.

Legal basis: hash matching implements the proactive monitoring duty of social networks
(149-FZ art. 10.6, requirement SN-1) and upload-time CSAM matching (MIN-7).
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from domicile.moderation.hashing.errors import InvalidHashError
from domicile.moderation.hashing.pdq import (
    PDQ_HEX_LEN,
    PDQ_MATCH_THRESHOLD,
    PdqHasher,
)
from domicile.moderation.hashing.results import ComputedHash, MatchResult

_HEX = re.compile(r"[0-9a-f]+")
_READ_CHUNK = 1 << 20


def normalize_hex(value: str, length: int, type_name: str) -> str:
    """Strip and lower-case a fixed-length hex string, or raise.

    Args:
        value: Hash text from a caller or a file.
        length: Required number of hex digits.
        type_name: Signal type name, for the error message.

    Returns:
        The lower-case hex string.

    Raises:
        InvalidHashError: Wrong length or a non-hex character (the value is not echoed).
    """
    if not isinstance(value, str):
        raise InvalidHashError(f"{type_name} hash must be text, got {type(value).__name__}")
    text = value.strip().lower()
    if len(text) != length:
        raise InvalidHashError(f"{type_name} hash must be {length} hex digits, got {len(text)} characters")
    if not _HEX.fullmatch(text):
        raise InvalidHashError(f"{type_name} hash contains a non-hex character")
    return text


def pdq_distance(a: str, b: str) -> int:
    """Hamming distance between two normalized 64-digit PDQ hex strings."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


class SignalType(ABC):
    """A kind of hash that can be normalized and compared.

    Subclasses are used as classes (never instantiated) so that the name and
    thresholds can be read without building anything.
    """

    NAME: ClassVar[str]
    """Our name, lower_snake_case, unique in the registry."""
    TX_NAME: ClassVar[str]
    """python-threatexchange ``SignalType.get_name()`` used in its files."""
    THRESHOLD: ClassVar[int]
    """Default largest distance that still matches."""
    EXACT: ClassVar[bool] = False
    """True when only equal normalized values match (lets matchers use a dict lookup)."""

    @classmethod
    @abstractmethod
    def normalize(cls, value: str) -> str:
        """Return the canonical text form of a hash.

        Raises:
            InvalidHashError: The text is not a valid hash of this type.
        """

    @classmethod
    @abstractmethod
    def compare(cls, a: str, b: str, *, threshold: int | None = None) -> MatchResult:
        """Compare two hashes (normalizing both) and return the evidence.

        Raises:
            InvalidHashError: Either value is malformed.
        """

    @classmethod
    @abstractmethod
    def examples(cls) -> tuple[str, ...]:
        """Fictitious or benign example hashes, normalized, for tests and demos."""


class BytesHasher(ABC):
    """Ability: hash content given as bytes."""

    @classmethod
    @abstractmethod
    def hash_bytes(cls, data: bytes) -> ComputedHash:
        """Hash the content.

        Raises:
            MediaDecodeError: The bytes cannot be decoded (perceptual types).
            MissingDependencyError: The optional extra for this type is not installed.
        """


class FileHasher(ABC):
    """Ability: hash content stored in a file (streams; the file may be large)."""

    @classmethod
    @abstractmethod
    def hash_file(cls, path: Path) -> ComputedHash:
        """Hash the file's content.

        Raises:
            MediaDecodeError: The file cannot be decoded (perceptual types).
            MissingDependencyError: The optional extra for this type is not installed.
        """


class _ExactDigest(SignalType, BytesHasher, FileHasher):
    """Shared code of the cryptographic digests: exact match only."""

    ALGORITHM: ClassVar[str]
    HEX_LEN: ClassVar[int]
    THRESHOLD: ClassVar[int] = 0
    EXACT: ClassVar[bool] = True

    @classmethod
    def normalize(cls, value: str) -> str:
        """Lower-case hex digest of the right length."""
        return normalize_hex(value, cls.HEX_LEN, cls.NAME)

    @classmethod
    def compare(cls, a: str, b: str, *, threshold: int | None = None) -> MatchResult:
        """Exact comparison: distance 0 when equal, else 1; threshold is always 0."""
        equal = cls.normalize(a) == cls.normalize(b)
        return MatchResult(signal_type=cls.NAME, match=equal, distance=0 if equal else 1, threshold=0)

    @classmethod
    def hash_bytes(cls, data: bytes) -> ComputedHash:
        """Digest of the bytes."""
        return ComputedHash(cls.NAME, hashlib.new(cls.ALGORITHM, data).hexdigest())

    @classmethod
    def hash_file(cls, path: Path) -> ComputedHash:
        """Digest of the file, read in 1 MiB chunks."""
        digest = hashlib.new(cls.ALGORITHM)
        with Path(path).open("rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                digest.update(chunk)
        return ComputedHash(cls.NAME, digest.hexdigest())


class Md5Signal(_ExactDigest):
    """MD5 of the file bytes: finds byte-identical re-uploads (ThreatExchange ``video_md5``)."""

    NAME: ClassVar[str] = "md5"
    TX_NAME: ClassVar[str] = "video_md5"
    ALGORITHM: ClassVar[str] = "md5"
    HEX_LEN: ClassVar[int] = 32

    @classmethod
    def examples(cls) -> tuple[str, ...]:
        """MD5 of b"" and of b"domicile example"."""
        return (hashlib.md5(b"").hexdigest(), hashlib.md5(b"domicile example").hexdigest())


class Sha256Signal(_ExactDigest):
    """SHA-256 of the file bytes (ThreatExchange ``video_sha256``)."""

    NAME: ClassVar[str] = "sha256"
    TX_NAME: ClassVar[str] = "video_sha256"
    ALGORITHM: ClassVar[str] = "sha256"
    HEX_LEN: ClassVar[int] = 64

    @classmethod
    def examples(cls) -> tuple[str, ...]:
        """SHA-256 of b"" and of b"domicile example"."""
        return (hashlib.sha256(b"").hexdigest(), hashlib.sha256(b"domicile example").hexdigest())


class PdqSignal(SignalType, BytesHasher, FileHasher):
    """Meta's PDQ perceptual image hash: 256 bits, 64 hex digits, ThreatExchange bit order.

    Two images match when their hashes differ in at most 31 bits. Hashing needs the
    ``pdq`` extra (pdqhash, numpy, Pillow); normalizing and comparing do not.
    """

    NAME: ClassVar[str] = "pdq"
    TX_NAME: ClassVar[str] = "pdq"
    THRESHOLD: ClassVar[int] = PDQ_MATCH_THRESHOLD

    @classmethod
    def normalize(cls, value: str) -> str:
        """Lower-case 64-digit hex."""
        return normalize_hex(value, PDQ_HEX_LEN, cls.NAME)

    @classmethod
    def compare(cls, a: str, b: str, *, threshold: int | None = None) -> MatchResult:
        """Hamming distance; match when ``distance <= threshold`` (default 31)."""
        limit = cls.THRESHOLD if threshold is None else threshold
        distance = pdq_distance(cls.normalize(a), cls.normalize(b))
        return MatchResult(signal_type=cls.NAME, match=distance <= limit, distance=distance, threshold=limit)

    @classmethod
    def examples(cls) -> tuple[str, ...]:
        """PDQ hashes of the benign bridge photo from Meta's PDQ test data, and of its blur."""
        return (
            "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
            "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22",
        )

    @classmethod
    def hash_bytes(cls, data: bytes) -> ComputedHash:
        """PDQ of an encoded image (default :class:`~.pdq.PdqHasher`, no quality check)."""
        result = PdqHasher().hash_bytes(data)
        return ComputedHash(cls.NAME, result.hex, result.quality)

    @classmethod
    def hash_file(cls, path: Path) -> ComputedHash:
        """PDQ of an image file (default :class:`~.pdq.PdqHasher`, no quality check)."""
        result = PdqHasher().hash_file(path)
        return ComputedHash(cls.NAME, result.hex, result.quality)
