"""PDQ index backends in numpy: exact brute force and exact multi-index hashing.

See :mod:`domicile.moderation.hashing.index` for how they are chosen and what they cost.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from domicile.moderation.hashing.bits import WORDS, Words, distances_columns, np, npt
from domicile.moderation.hashing.errors import HashingError

Positions = npt.NDArray[np.int64]


class IndexBackend(ABC):
    """Stores packed hashes by position and answers exact radius queries."""

    NAME: ClassVar[str]

    @abstractmethod
    def add(self, words: Words) -> None:
        """Append ``(n, 4)`` uint64 packed hashes; their positions follow the existing ones."""

    @abstractmethod
    def range_search(self, query: Words, threshold: int) -> tuple[Positions, Positions]:
        """Positions and distances of every stored hash with ``distance <= threshold``."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of stored hashes."""

    @abstractmethod
    def nbytes(self) -> int:
        """Approximate memory held, in bytes."""


class _Packed:
    """Growable packed-hash store with amortized O(1) append.

    Column-major ``(4, capacity)`` makes brute-force scans fastest; row-major
    ``(capacity, 4)`` keeps each hash in one cache line for random gathers (MIH).
    Either way :meth:`view` and :meth:`gather` return ``(4, m)`` word columns.
    """

    def __init__(self, *, row_major: bool) -> None:
        self.row_major = row_major
        self._data: Words = np.empty((0, WORDS) if row_major else (WORDS, 0), dtype=np.uint64)
        self.size = 0

    def _capacity(self) -> int:
        return int(self._data.shape[0 if self.row_major else 1])

    def append(self, words: Words) -> None:
        needed = self.size + len(words)
        if needed > self._capacity():
            capacity = max(needed, 2 * self._capacity(), 1024)
            if self.row_major:
                grown = np.empty((capacity, WORDS), dtype=np.uint64)
                grown[: self.size] = self._data[: self.size]
            else:
                grown = np.empty((WORDS, capacity), dtype=np.uint64)
                grown[:, : self.size] = self._data[:, : self.size]
            self._data = grown
        if self.row_major:
            self._data[self.size : needed] = words
        else:
            self._data[:, self.size : needed] = words.T
        self.size = needed

    def view(self, start: int = 0, stop: int | None = None) -> Words:
        end = self.size if stop is None else stop
        view: Words = self._data[start:end].T if self.row_major else self._data[:, start:end]
        return view

    def gather(self, positions: Positions) -> Words:
        picked: Words = self._data[positions].T if self.row_major else self._data[:, positions]
        return picked

    def nbytes(self) -> int:
        return int(self._data.nbytes)


_CHUNK = 1 << 17


def _scan(columns: _Packed, query: Words, threshold: int, start: int = 0) -> tuple[Positions, Positions]:
    """Brute-force scan of ``columns[start:]`` in cache-sized chunks."""
    found: list[Positions] = []
    dists: list[Positions] = []
    for lo in range(start, columns.size, _CHUNK):
        hi = min(lo + _CHUNK, columns.size)
        d = distances_columns(columns.view(lo, hi), query)
        hits = np.flatnonzero(d <= threshold)
        if hits.size:
            found.append(hits + lo)
            dists.append(d[hits])
    if not found:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(found), np.concatenate(dists)


class BruteForceBackend(IndexBackend):
    """Exact brute force over column-major packed words (32 bytes per hash)."""

    NAME: ClassVar[str] = "numpy"

    def __init__(self) -> None:
        self._columns = _Packed(row_major=False)

    def add(self, words: Words) -> None:
        """Append packed hashes."""
        self._columns.append(words)

    def range_search(self, query: Words, threshold: int) -> tuple[Positions, Positions]:
        """Scan every stored hash."""
        return _scan(self._columns, query, threshold)

    def __len__(self) -> int:
        return self._columns.size

    def nbytes(self) -> int:
        """Bytes of the packed store."""
        return self._columns.nbytes()


_CHUNKS = 16
_CHUNK_BITS = 16
_BUCKETS = 1 << _CHUNK_BITS
_MAX_FLIPS = 2
_MIN_BUILD = 16_384
_MIN_TAIL = 32_768


def _flip_masks(max_flips: int) -> npt.NDArray[np.int64]:
    """All 16-bit masks with at most ``max_flips`` bits set (0 first)."""
    values = np.arange(_BUCKETS, dtype=np.int64)
    counts = np.zeros(_BUCKETS, dtype=np.int64)
    for bit in range(_CHUNK_BITS):
        counts += (values >> bit) & 1
    masks: npt.NDArray[np.int64] = values[counts <= max_flips]
    return masks


class MultiIndexBackend(IndexBackend):
    """Exact multi-index hashing (16 x 16-bit tables) with a brute-force tail.

    Args:
        min_build: Below this many hashes, scan instead of building tables.
        min_tail: Rebuild when more than ``max(min_tail, built // 8)`` hashes are unindexed.
    """

    NAME: ClassVar[str] = "mih"

    def __init__(self, *, min_build: int = _MIN_BUILD, min_tail: int = _MIN_TAIL) -> None:
        self._min_build = min_build
        self._min_tail = min_tail
        self._columns = _Packed(row_major=True)
        self._built = 0
        self._order: npt.NDArray[np.uint32] = np.empty((_CHUNKS, 0), dtype=np.uint32)
        self._starts: npt.NDArray[np.int64] = np.zeros((_CHUNKS, 0), dtype=np.int64)  # sized by build()
        self._masks = [_flip_masks(flips) for flips in range(_MAX_FLIPS + 1)]
        self._table_rows = np.arange(_CHUNKS, dtype=np.int64)[:, None]
        self._starts_base = self._table_rows * (_BUCKETS + 1)
        self._shifts = (np.arange(WORDS, dtype=np.uint64) * np.uint64(_CHUNK_BITS))[None, :]
        self._low16 = np.uint64(0xFFFF)

    def add(self, words: Words) -> None:
        """Append packed hashes (tables are rebuilt lazily at query time)."""
        self._columns.append(words)

    def __len__(self) -> int:
        return self._columns.size

    def nbytes(self) -> int:
        """Bytes of the packed store and the tables."""
        return self._columns.nbytes() + int(self._order.nbytes) + int(self._starts.nbytes)

    @property
    def indexed(self) -> int:
        """How many hashes the tables cover (the rest are scanned)."""
        return self._built

    def build(self) -> None:
        """(Re)build the 16 tables over every stored hash."""
        size = self._columns.size
        if size >= 2**32:
            raise HashingError("the mih backend holds at most 2**32 - 1 hashes")
        order = np.empty((_CHUNKS, size), dtype=np.uint32)
        starts = np.empty((_CHUNKS, _BUCKETS + 1), dtype=np.int64)
        columns = self._columns.view()
        for table in range(_CHUNKS):
            keys = self._keys(columns, table)
            order[table] = np.argsort(keys, kind="stable")
            starts[table, 0] = 0
            np.cumsum(np.bincount(keys, minlength=_BUCKETS), out=starts[table, 1:])
        self._order, self._starts, self._built = order, starts, size

    @staticmethod
    def _keys(columns: Words, table: int) -> npt.NDArray[np.uint16]:
        word, part = divmod(table, WORDS)
        shifted = columns[word] >> np.uint64(_CHUNK_BITS * part)
        keys: npt.NDArray[np.uint16] = shifted.astype(np.uint16)
        return keys

    def _maybe_build(self) -> None:
        tail = self._columns.size - self._built
        if self._columns.size >= self._min_build and tail > max(self._min_tail, self._built // 8):
            self.build()

    def range_search(self, query: Words, threshold: int) -> tuple[Positions, Positions]:
        """Probe the tables, verify candidates exactly, scan the unbuilt tail."""
        self._maybe_build()
        flips = threshold // _CHUNKS
        probed = None if self._built == 0 or flips > _MAX_FLIPS else self._probe(query, threshold, flips)
        if probed is None:
            return _scan(self._columns, query, threshold)
        positions, distances = probed
        if self._built < self._columns.size:
            tail_pos, tail_dist = _scan(self._columns, query, threshold, start=self._built)
            positions = np.concatenate([positions, tail_pos])
            distances = np.concatenate([distances, tail_dist])
        return positions, distances

    def _probe(self, query: Words, threshold: int, flips: int) -> tuple[Positions, Positions] | None:
        """Candidates from the tables, verified; None when a full scan is cheaper."""
        keys = (
            ((query[:, None] >> self._shifts) & self._low16).ravel().astype(np.int64)
        )  # table t = word t//4
        slots = (keys[:, None] ^ self._masks[flips][None, :]) + self._starts_base
        starts = self._starts.ravel()
        lo = starts[slots]
        lengths = (starts[slots + 1] - lo).ravel()
        total = int(lengths.sum())
        if total > max(self._built // 4, 4096):  # skewed buckets: a scan is cheaper
            return None
        base = (lo + self._table_rows * self._built).ravel()
        keep = lengths > 0
        base, lengths = base[keep], lengths[keep]
        offsets = np.cumsum(lengths) - lengths
        flat = np.arange(total, dtype=np.int64) + np.repeat(base - offsets, lengths)
        candidates = self._order.ravel()[flat].astype(np.int64)
        distances = distances_columns(self._columns.gather(candidates), query)
        hit = distances <= threshold
        positions, first = np.unique(candidates[hit], return_index=True)  # a hash hits in many tables
        return positions, distances[hit][first]
