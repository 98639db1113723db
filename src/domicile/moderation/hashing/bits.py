"""Packed 256-bit hashes and vectorized Hamming distances (numpy, the ``pdq`` extra).

A hash is four little-endian ``uint64`` words made from its 32 bytes (``bytes.fromhex``).
Hamming distance does not depend on how the bits are grouped, so the same packing
serves numpy, FAISS (which reads the same 32 bytes) and the multi-index tables.

Popcount is a SWAR bit trick on whole ``uint64`` arrays (numpy < 2 has no
``bitwise_count``): about 4 ns per hash on one core.
"""

from __future__ import annotations

from collections.abc import Sequence

from domicile.moderation.hashing.errors import InvalidHashError, MissingDependencyError

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError(
        "PDQ indexing needs the optional package 'numpy': pip install 'domicile[pdq]'"
    ) from exc

__all__ = [
    "BYTES_PER_HASH",
    "WORDS",
    "Words",
    "distances_columns",
    "distances_rows",
    "hex_to_words",
    "neighbour_flags",
    "np",
    "npt",
    "pairwise_distances",
    "words_to_hex",
]

WORDS = 4
"""uint64 words per 256-bit hash."""
BYTES_PER_HASH = 32

Words = npt.NDArray[np.uint64]

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_S1 = np.uint64(1)
_S2 = np.uint64(2)
_S4 = np.uint64(4)
_S56 = np.uint64(56)


def hex_to_words(hexes: Sequence[str]) -> Words:
    """Pack normalized 64-digit hex strings into an ``(n, 4)`` uint64 array.

    Raises:
        InvalidHashError: A string is not 64 hex digits (names its position).
    """
    for position, value in enumerate(hexes):
        if len(value) != 64:
            raise InvalidHashError(f"hash #{position}: expected 64 hex digits, got {len(value)} characters")
    try:
        raw = bytes.fromhex("".join(hexes))
    except ValueError as exc:
        raise InvalidHashError("a hash contains a non-hex character") from exc
    words: Words = np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(len(hexes), WORDS)
    return words


def words_to_hex(words: Words) -> list[str]:
    """Inverse of :func:`hex_to_words`."""
    raw = np.ascontiguousarray(words, dtype="<u8").tobytes()
    return [raw[i : i + BYTES_PER_HASH].hex() for i in range(0, len(raw), BYTES_PER_HASH)]


def _byte_counts(x: Words) -> Words:
    """Replace each byte of ``x`` (in place) by its popcount (0-8) and return ``x``."""
    y = x >> _S1
    y &= _M1
    x -= y
    y = x >> _S2
    y &= _M2
    x &= _M2
    x += y
    y = x >> _S4
    x += y
    x &= _M4
    return x


def distances_columns(columns: Words, query: Words) -> npt.NDArray[np.int64]:
    """Hamming distances from ``query`` (4 words) to each column of ``columns`` (4, m).

    Broadcasts: ``columns[i] ^ query[i]`` may have any shape (see :func:`pairwise_distances`).
    """
    low = _byte_counts(columns[0] ^ query[0])
    low += _byte_counts(columns[1] ^ query[1])  # each byte <= 16
    high = _byte_counts(columns[2] ^ query[2])
    high += _byte_counts(columns[3] ^ query[3])
    low *= _H01  # top byte = sum of bytes (<= 128, no wrap)
    low >>= _S56
    high *= _H01
    high >>= _S56
    low += high
    return low.astype(np.int64)


def distances_rows(rows: Words, query: Words) -> npt.NDArray[np.int64]:
    """Hamming distances from ``query`` (4 words) to each row of ``rows`` (n, 4)."""
    return distances_columns(np.ascontiguousarray(rows.T), query)


def pairwise_distances(a: Words, b: Words) -> npt.NDArray[np.int64]:
    """``(len(a), len(b))`` matrix of Hamming distances between two row-packed sets.

    Works on blocks of rows of ``a`` so that temporaries stay near 32 MB.
    """
    out = np.empty((len(a), len(b)), dtype=np.int64)
    columns = np.ascontiguousarray(b.T)[:, None, :]  # (4, 1, n)
    block = max(1, (1 << 20) // max(1, len(b)))
    for lo in range(0, len(a), block):
        rows = np.ascontiguousarray(a[lo : lo + block].T)[:, :, None]  # (4, k, 1)
        out[lo : lo + block] = distances_columns(columns, rows)
    return out


def neighbour_flags(a: Words, b: Words, distance: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which rows of ``a`` have a row of ``b`` within ``distance``, and vice versa.

    Blockwise, so memory stays bounded for long videos (no full distance matrix).
    """
    a_hit = np.zeros(len(a), dtype=np.bool_)
    b_hit = np.zeros(len(b), dtype=np.bool_)
    columns = np.ascontiguousarray(b.T)[:, None, :]
    block = max(1, (1 << 20) // max(1, len(b)))
    for lo in range(0, len(a), block):
        rows = np.ascontiguousarray(a[lo : lo + block].T)[:, :, None]
        close = distances_columns(columns, rows) <= distance
        a_hit[lo : lo + block] = close.any(axis=1)
        b_hit |= close.any(axis=0)
    return a_hit, b_hit
