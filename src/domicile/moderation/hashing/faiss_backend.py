"""FAISS index backends (the ``faiss`` extra: ``pip install 'domicile[faiss]'``).

``faiss`` wraps ``IndexBinaryFlat`` (exact scan with hardware popcount, 32 bytes per
hash). ``faiss-mih`` wraps ``IndexBinaryMultiHash`` with 16 tables of 16 bits and
``nflip = threshold // 16``, which by the pigeonhole principle is also exact; it keeps the
codes plus 16 hash maps (tens of bytes per hash per table). FAISS may use several
OpenMP threads; set ``faiss.omp_set_num_threads`` in the application if that matters.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domicile.moderation.hashing._deps import require
from domicile.moderation.hashing.backends import IndexBackend, Positions
from domicile.moderation.hashing.bits import BYTES_PER_HASH, Words, np
from domicile.moderation.hashing.pdq import PDQ_BITS

_MIH_TABLES = 16


def _as_bytes(words: Words) -> Any:
    return np.ascontiguousarray(words, dtype="<u8").view(np.uint8).reshape(-1, BYTES_PER_HASH)


class _FaissBackend(IndexBackend):
    def __init__(self, index: Any) -> None:
        self._index = index
        self._size = 0

    def add(self, words: Words) -> None:
        """Append packed hashes."""
        self._index.add(_as_bytes(words))
        self._size += len(words)

    def range_search(self, query: Words, threshold: int) -> tuple[Positions, Positions]:
        """FAISS range search (its radius is exclusive, hence ``threshold + 1``)."""
        self._prepare(threshold)
        lims, distances, labels = self._index.range_search(_as_bytes(query.reshape(1, -1)), threshold + 1)
        end = int(lims[1])
        return labels[:end].astype(np.int64), distances[:end].astype(np.int64)

    def _prepare(self, threshold: int) -> None:
        """Hook for per-query settings."""

    def __len__(self) -> int:
        return self._size

    def nbytes(self) -> int:
        """Bytes of the stored codes (hash maps of ``faiss-mih`` not counted)."""
        return self._size * BYTES_PER_HASH


class FaissFlatBackend(_FaissBackend):
    """``faiss.IndexBinaryFlat``: exact scan."""

    NAME: ClassVar[str] = "faiss"

    def __init__(self) -> None:
        faiss = require("faiss", "the faiss PDQ index backend")
        super().__init__(faiss.IndexBinaryFlat(PDQ_BITS))


class FaissMultiHashBackend(_FaissBackend):
    """``faiss.IndexBinaryMultiHash`` (16 x 16 bits), exact for any threshold < 256."""

    NAME: ClassVar[str] = "faiss-mih"

    def __init__(self) -> None:
        faiss = require("faiss", "the faiss PDQ index backend")
        super().__init__(faiss.IndexBinaryMultiHash(PDQ_BITS, _MIH_TABLES, PDQ_BITS // _MIH_TABLES))

    def _prepare(self, threshold: int) -> None:
        self._index.nflip = threshold // _MIH_TABLES
