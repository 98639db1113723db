"""Hash matching of uploads: PDQ (+ dihedral), MD5/SHA-256, vPDQ, hash banks, an index.

Importing this package loads no optional dependency. ``PdqIndex``, ``HashMatcher`` and
their result types need numpy (the ``pdq`` extra) and are imported on first access;
hashing images needs pdqhash and Pillow, videos need ``vpdq``, the FAISS backends
``faiss``. See ``docs/hashing.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from domicile.moderation.hashing.banks import (
    BankEntry,
    HashBank,
    HashBankStore,
    InMemoryHashBankStore,
    NewEntry,
)
from domicile.moderation.hashing.errors import (
    BankExistsError,
    BankFormatError,
    BankNotFoundError,
    DuplicateSignalTypeError,
    HashingError,
    InvalidHashError,
    InvalidThresholdError,
    LowQualityError,
    MediaDecodeError,
    MissingDependencyError,
    UnknownBackendError,
    UnknownSignalTypeError,
)
from domicile.moderation.hashing.formats import (
    BankFormat,
    export_bank,
    format_entries,
    import_bank,
    import_vpdq_frames,
    parse_entries,
)
from domicile.moderation.hashing.pdq import (
    DIHEDRAL_VARIANTS,
    PDQ_MATCH_THRESHOLD,
    PDQ_MIN_QUALITY,
    DihedralHashes,
    PdqHash,
    PdqHasher,
)
from domicile.moderation.hashing.registry import BUILTIN_SIGNAL_TYPES, SignalTypeRegistry, default_registry
from domicile.moderation.hashing.results import ComputedHash, MatchResult
from domicile.moderation.hashing.signal_types import (
    BytesHasher,
    FileHasher,
    Md5Signal,
    PdqSignal,
    Sha256Signal,
    SignalType,
)
from domicile.moderation.hashing.vpdq import (
    VpdqFrame,
    VpdqHasher,
    VpdqSignal,
    VpdqThresholds,
    compare_frames,
    format_vpdq_frames,
    frames_to_signal,
    parse_vpdq_frames,
    signal_to_frames,
)

if TYPE_CHECKING:
    from domicile.moderation.hashing.index import (
        INDEX_BACKENDS,
        IndexBackend,
        IndexHit,
        PdqIndex,
        make_backend,
    )
    from domicile.moderation.hashing.matcher import BankMatch, HashMatcher, Rejection, ScanResult

_LAZY = {
    "INDEX_BACKENDS": "index",
    "IndexBackend": "index",
    "IndexHit": "index",
    "PdqIndex": "index",
    "make_backend": "index",
    "BankMatch": "matcher",
    "HashMatcher": "matcher",
    "Rejection": "matcher",
    "ScanResult": "matcher",
}

__all__ = [
    "BUILTIN_SIGNAL_TYPES",
    "DIHEDRAL_VARIANTS",
    "INDEX_BACKENDS",
    "PDQ_MATCH_THRESHOLD",
    "PDQ_MIN_QUALITY",
    "BankEntry",
    "BankExistsError",
    "BankFormat",
    "BankFormatError",
    "BankMatch",
    "BankNotFoundError",
    "BytesHasher",
    "ComputedHash",
    "DihedralHashes",
    "DuplicateSignalTypeError",
    "FileHasher",
    "HashBank",
    "HashBankStore",
    "HashMatcher",
    "HashingError",
    "InMemoryHashBankStore",
    "IndexBackend",
    "IndexHit",
    "InvalidHashError",
    "InvalidThresholdError",
    "LowQualityError",
    "MatchResult",
    "Md5Signal",
    "MediaDecodeError",
    "MissingDependencyError",
    "NewEntry",
    "PdqHash",
    "PdqHasher",
    "PdqIndex",
    "PdqSignal",
    "Rejection",
    "ScanResult",
    "Sha256Signal",
    "SignalType",
    "SignalTypeRegistry",
    "UnknownBackendError",
    "UnknownSignalTypeError",
    "VpdqFrame",
    "VpdqHasher",
    "VpdqSignal",
    "VpdqThresholds",
    "compare_frames",
    "default_registry",
    "export_bank",
    "format_entries",
    "format_vpdq_frames",
    "frames_to_signal",
    "import_bank",
    "import_vpdq_frames",
    "make_backend",
    "parse_entries",
    "parse_vpdq_frames",
    "signal_to_frames",
]


def __getattr__(name: str) -> Any:
    """Import numpy-backed names on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
