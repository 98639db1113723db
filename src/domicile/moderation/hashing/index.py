"""``PdqIndex``: all stored PDQ hashes within a Hamming radius of a query, exactly.

Backends, registered in :data:`INDEX_BACKENDS` (the only place):

``numpy``
    Brute force: XOR + SWAR popcount over column-major ``uint64`` words, in chunks that
    fit the CPU cache. 32 bytes per hash. Exact for any threshold.
``mih`` (default)
    Multi-index hashing in numpy. The 256 bits are cut into 16 chunks of 16 bits; by
    the pigeonhole principle a hash within distance ``t`` agrees with the query on some
    chunk up to ``t // 16`` bit flips, so probing 16 tables with every key within that
    many flips finds every candidate, and candidates are then verified exactly. For the
    PDQ threshold 31 that is 16 x 17 bucket probes. Exact; 32 + 64 bytes per hash plus
    a fixed 8.4 MB; falls back to brute force for thresholds >= 48 or when the probed
    buckets hold too many hashes (skewed data). Hashes added after the last build are
    scanned by brute force until the tail grows past 1/8 of the index, then the tables
    are rebuilt (16 stable argsorts: 1-3 s per million hashes on a 2-core machine).
``faiss`` / ``faiss-mih``
    ``faiss.IndexBinaryFlat`` / ``faiss.IndexBinaryMultiHash`` (the ``faiss`` extra),
    see :mod:`domicile.moderation.hashing.faiss_backend`.

Ids are caller-supplied ``int64`` (8 bytes per hash). An index is not safe for
concurrent ``add`` and ``query``; build it, then share it read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from domicile.moderation.hashing.backends import BruteForceBackend, IndexBackend, MultiIndexBackend
from domicile.moderation.hashing.bits import WORDS, Words, hex_to_words, np, npt
from domicile.moderation.hashing.errors import InvalidHashError, InvalidThresholdError, UnknownBackendError
from domicile.moderation.hashing.faiss_backend import FaissFlatBackend, FaissMultiHashBackend
from domicile.moderation.hashing.pdq import DIHEDRAL_VARIANTS, PDQ_BITS, PDQ_MATCH_THRESHOLD, DihedralHashes
from domicile.moderation.hashing.signal_types import PdqSignal

__all__ = ["INDEX_BACKENDS", "IndexBackend", "IndexHit", "PdqIndex", "make_backend"]


@dataclass(frozen=True, slots=True)
class IndexHit:
    """One stored hash within the radius.

    Attributes:
        id: The id given when the hash was added.
        distance: Hamming distance to the query (to the best variant in dihedral mode).
        variant: Dihedral variant that matched (``original`` for a plain query).
    """

    id: int
    distance: int
    variant: str = "original"


INDEX_BACKENDS: Mapping[str, Callable[[], IndexBackend]] = {
    BruteForceBackend.NAME: BruteForceBackend,
    MultiIndexBackend.NAME: MultiIndexBackend,
    FaissFlatBackend.NAME: FaissFlatBackend,
    FaissMultiHashBackend.NAME: FaissMultiHashBackend,
}
"""Every index backend, by name (FAISS ones import faiss only when constructed)."""


def make_backend(name: str) -> IndexBackend:
    """Build a backend by name.

    Raises:
        UnknownBackendError: No backend of that name.
        MissingDependencyError: A FAISS backend without the ``faiss`` extra.
    """
    try:
        factory = INDEX_BACKENDS[name]
    except KeyError:
        raise UnknownBackendError(
            f"unknown PDQ index backend {name!r}; known: {', '.join(sorted(INDEX_BACKENDS))}"
        ) from None
    return factory()


def _check_threshold(threshold: int) -> int:
    if not 0 <= threshold <= PDQ_BITS:
        raise InvalidThresholdError(f"PDQ distance threshold must be within 0..{PDQ_BITS}, got {threshold}")
    return threshold


class PdqIndex:
    """Exact PDQ radius search over a pluggable backend.

    Args:
        backend: Backend name from :data:`INDEX_BACKENDS` or a backend instance.
        threshold: Default largest matching distance (industry PDQ: 31).

    Example:
        >>> index = PdqIndex()
        >>> index.add(PdqSignal.examples(), ids=[7, 8])
        >>> [hit.id for hit in index.query(PdqSignal.examples()[0])]
        [7, 8]
    """

    def __init__(self, backend: str | IndexBackend = "mih", *, threshold: int = PDQ_MATCH_THRESHOLD) -> None:
        self._backend = make_backend(backend) if isinstance(backend, str) else backend
        self.threshold = _check_threshold(threshold)
        self._ids: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._size = 0

    @property
    def backend_name(self) -> str:
        """Name of the backend in use."""
        return self._backend.NAME

    def __len__(self) -> int:
        return self._size

    def nbytes(self) -> int:
        """Approximate memory held by the backend and the ids."""
        return self._backend.nbytes() + int(self._ids.nbytes)

    def add(self, hashes: Iterable[str], ids: Iterable[int] | None = None) -> None:
        """Add PDQ hex hashes; all are validated before any is added.

        Args:
            hashes: 64-digit hex PDQ hashes (any case, surrounding spaces ignored).
            ids: One id per hash; defaults to consecutive positions.

        Raises:
            InvalidHashError: A hash is malformed (the message gives its position) or the
                number of ids differs from the number of hashes. Nothing is added.
        """
        normalized: list[str] = []
        for position, value in enumerate(hashes):
            try:
                normalized.append(PdqSignal.normalize(value))
            except InvalidHashError as exc:
                raise InvalidHashError(f"hash #{position}: {exc.message}") from exc
        words = hex_to_words(normalized) if normalized else np.empty((0, WORDS), dtype=np.uint64)
        self.add_words(words, None if ids is None else np.fromiter(ids, dtype=np.int64))

    def add_words(self, words: Words, ids: npt.NDArray[np.int64] | None = None) -> None:
        """Fast path: add already packed ``(n, 4)`` uint64 hashes (see :mod:`.bits`)."""
        packed = np.ascontiguousarray(words, dtype=np.uint64)
        if packed.ndim != 2 or packed.shape[1] != WORDS:
            raise InvalidHashError(f"packed hashes must have shape (n, {WORDS}), got {packed.shape}")
        count = len(packed)
        if ids is None:
            new_ids = np.arange(self._size, self._size + count, dtype=np.int64)
        else:
            new_ids = np.asarray(ids, dtype=np.int64)
            if new_ids.shape != (count,):
                raise InvalidHashError(f"got {count} hashes but {new_ids.size} ids")
        if count == 0:
            return
        self._backend.add(packed)
        needed = self._size + count
        if needed > len(self._ids):
            grown = np.empty(max(needed, 2 * len(self._ids), 1024), dtype=np.int64)
            grown[: self._size] = self._ids[: self._size]
            self._ids = grown
        self._ids[self._size : needed] = new_ids
        self._size = needed

    def query(self, value: str, *, threshold: int | None = None) -> tuple[IndexHit, ...]:
        """Every stored hash within ``threshold`` of ``value``, nearest first (ties by id).

        Raises:
            InvalidHashError: ``value`` is malformed.
            InvalidThresholdError: ``threshold`` is outside 0..256.
        """
        limit = self.threshold if threshold is None else _check_threshold(threshold)
        words = hex_to_words([PdqSignal.normalize(value)])[0]
        return self._hits(words, limit, "original")

    def query_many(
        self, values: Sequence[str], *, threshold: int | None = None
    ) -> tuple[tuple[IndexHit, ...], ...]:
        """:meth:`query` for each value, in order."""
        limit = self.threshold if threshold is None else _check_threshold(threshold)
        words = hex_to_words([PdqSignal.normalize(v) for v in values]) if values else None
        if words is None:
            return ()
        return tuple(self._hits(row, limit, "original") for row in words)

    def query_dihedral(
        self,
        variants: DihedralHashes | Mapping[str, str] | Sequence[str],
        *,
        threshold: int | None = None,
    ) -> tuple[IndexHit, ...]:
        """Query all 8 dihedral hashes of an image; keep each id's best variant.

        Args:
            variants: A :class:`~.pdq.DihedralHashes`, a mapping variant name -> hex, or
                hexes in :data:`~.pdq.DIHEDRAL_VARIANTS` order.
            threshold: Largest matching distance (default: the index's).

        Returns:
            One hit per matching id with the smallest distance and the variant giving it
            (on ties the earlier variant in :data:`~.pdq.DIHEDRAL_VARIANTS` order).
        """
        limit = self.threshold if threshold is None else _check_threshold(threshold)
        if isinstance(variants, DihedralHashes):
            named = [(h.variant, h.hex) for h in variants.hashes]
        elif isinstance(variants, Mapping):
            named = list(variants.items())
        else:
            named = list(zip(DIHEDRAL_VARIANTS, variants, strict=False))
        best: dict[int, IndexHit] = {}
        for name, value in named:
            words = hex_to_words([PdqSignal.normalize(value)])[0]
            for hit in self._hits(words, limit, name):
                current = best.get(hit.id)
                if current is None or hit.distance < current.distance:
                    best[hit.id] = hit
        return tuple(sorted(best.values(), key=lambda h: (h.distance, h.id)))

    def _hits(self, words: Words, threshold: int, variant: str) -> tuple[IndexHit, ...]:
        if self._size == 0:
            return ()
        positions, distances = self._backend.range_search(words, threshold)
        ids = self._ids[positions]
        order = np.lexsort((ids, distances))
        return tuple(IndexHit(int(ids[i]), int(distances[i]), variant) for i in order)
