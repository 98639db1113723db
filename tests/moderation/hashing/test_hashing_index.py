"""PdqIndex: every backend returns exactly what a naive pure-Python Hamming scan returns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domicile.moderation.hashing import (
    INDEX_BACKENDS,
    InvalidHashError,
    InvalidThresholdError,
    MissingDependencyError,
    PdqIndex,
    UnknownBackendError,
)
from domicile.moderation.hashing._deps import available
from domicile.moderation.hashing.backends import MultiIndexBackend
from domicile.moderation.hashing.bits import hex_to_words, neighbour_flags, pairwise_distances, words_to_hex

NUMPY_BACKENDS = ["numpy", "mih"]
HAS_FAISS = available("faiss")
FAISS_BACKENDS = ["faiss", "faiss-mih"]


def _naive(query: str, stored: list[str], threshold: int) -> list[tuple[int, int]]:
    """Reference: (distance, id) of every stored hash within threshold, pure Python."""
    q = int(query, 16)
    pairs = [(bin(q ^ int(h, 16)).count("1"), i) for i, h in enumerate(stored)]
    return sorted(p for p in pairs if p[0] <= threshold)


def _flip(value: str, bits: list[int]) -> str:
    number = int(value, 16)
    for bit in bits:
        number ^= 1 << int(bit)
    return f"{number:064x}"


hex64 = st.binary(min_size=32, max_size=32).map(bytes.hex)


@st.composite
def stored_and_queries(draw: st.DrawFn) -> tuple[list[str], list[str], int]:
    """Random stored hashes plus queries that are near some of them (0-40 flipped bits) or random."""
    stored = draw(st.lists(hex64, min_size=0, max_size=60))
    queries: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        near: bool = draw(st.booleans())
        if stored and near:
            base = draw(st.sampled_from(stored))
            flips = draw(st.lists(st.integers(0, 255), max_size=40, unique=True))
            queries.append(_flip(base, flips))
        else:
            queries.append(draw(hex64))
    threshold = draw(st.sampled_from([0, 5, 15, 16, 31, 32, 47, 48, 64, 256]))
    return stored, queries, threshold


@pytest.mark.parametrize("backend", NUMPY_BACKENDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=stored_and_queries())
def test_index_equals_naive_scan(backend: str, case: tuple[list[str], list[str], int]) -> None:
    """Property: query() returns exactly the naive scan's (distance, id) set, nearest first."""
    stored, queries, threshold = case
    index = PdqIndex(MultiIndexBackend(min_build=8, min_tail=4) if backend == "mih" else backend)
    index.add(stored)
    for query in queries:
        got = [(h.distance, h.id) for h in index.query(query, threshold=threshold)]
        assert got == _naive(query, stored, threshold)


@pytest.mark.parametrize("threshold", [0, 15, 31, 47])
def test_mih_tables_and_tail_equal_brute_force(threshold: int) -> None:
    """MIH with built tables, an unbuilt tail, and after a rebuild returns the brute-force result."""
    rng = np.random.default_rng(threshold)
    words = rng.integers(0, 2**64 - 1, size=(26_000, 4), dtype=np.uint64, endpoint=True)
    backend = MultiIndexBackend(min_build=1000, min_tail=1000)
    mih, brute = PdqIndex(backend), PdqIndex("numpy")

    def check() -> None:
        picked = words_to_hex(np.concatenate([words[:10], words[19_995:20_005], words[-10:]]))
        for value in picked:
            query = _flip(value, list(rng.choice(256, size=int(rng.integers(0, 40)), replace=False)))
            assert mih.query(query, threshold=threshold) == brute.query(query, threshold=threshold)

    for index in (mih, brute):
        index.add_words(words[:20_000])
    check()
    assert backend.indexed == 20_000
    for index in (mih, brute):
        index.add_words(words[20_000:21_000])
    check()
    assert backend.indexed == 20_000  # a small tail is scanned, not rebuilt
    for index in (mih, brute):
        index.add_words(words[21_000:])
    check()
    assert backend.indexed == 26_000  # tail above 1/8 triggers a rebuild


def test_mih_skewed_buckets_fall_back_to_scan() -> None:
    """Many near-identical hashes (one bucket) still give the exact result."""
    base = "0" * 64
    stored = [_flip(base, [i % 256, (i * 7) % 256]) for i in range(20_000)]
    backend = MultiIndexBackend(min_build=1000, min_tail=1000)
    index, brute = PdqIndex(backend), PdqIndex("numpy")
    index.add(stored)
    brute.add(stored)
    assert index.query(base, threshold=3) == brute.query(base, threshold=3)
    assert backend.indexed == 20_000
    assert len(index.query(base, threshold=2)) == len([h for h in stored if bin(int(h, 16)).count("1") <= 2])


def test_duplicates_and_custom_ids() -> None:
    """The same hash under several ids is returned once per id; ties are ordered by id."""
    value = "f" * 64
    index = PdqIndex()
    index.add([value, value, value], ids=[30, 10, 20])
    assert [(h.id, h.distance) for h in index.query(value)] == [(10, 0), (20, 0), (30, 0)]


def test_add_is_all_or_nothing() -> None:
    """A malformed hash in a batch raises InvalidHashError naming its position; nothing is added."""
    index = PdqIndex()
    index.add(["a" * 64])
    with pytest.raises(InvalidHashError) as info:
        index.add(["b" * 64, "c" * 63])
    assert "#1" in str(info.value)
    assert len(index) == 1
    with pytest.raises(InvalidHashError):
        index.add(["b" * 64], ids=[1, 2])
    assert len(index) == 1


def test_thresholds_validated() -> None:
    """Thresholds outside 0..256 raise InvalidThresholdError."""
    with pytest.raises(InvalidThresholdError):
        PdqIndex(threshold=-1)
    index = PdqIndex()
    with pytest.raises(InvalidThresholdError):
        index.query("0" * 64, threshold=257)


def test_unknown_backend() -> None:
    """An unknown backend name raises UnknownBackendError listing the known ones."""
    with pytest.raises(UnknownBackendError) as info:
        PdqIndex("annoy")
    assert "mih" in str(info.value)
    assert set(INDEX_BACKENDS) == {"numpy", "mih", "faiss", "faiss-mih"}


def test_empty_index_and_empty_batches() -> None:
    """Empty index answers nothing; empty adds and query_many are no-ops."""
    index = PdqIndex()
    index.add([])
    assert len(index) == 0
    assert index.query("0" * 64) == ()
    assert index.query_many([]) == ()


def test_query_dihedral_keeps_best_variant() -> None:
    """query_dihedral returns one hit per id with the smallest distance and the variant that gave it."""
    stored = "0" * 64
    index = PdqIndex()
    index.add([stored], ids=[5])
    far = _flip(stored, list(range(40)))
    near = _flip(stored, [1, 2, 3])
    nearer = _flip(stored, [9])
    hits = index.query_dihedral({"original": far, "rotate90": near, "flipx": nearer})
    assert [(h.id, h.distance, h.variant) for h in hits] == [(5, 1, "flipx")]
    hits = index.query_dihedral([far, near])
    assert [(h.id, h.distance, h.variant) for h in hits] == [(5, 3, "rotate90")]


@given(st.lists(hex64, max_size=20))
def test_words_round_trip(values: list[str]) -> None:
    """hex -> packed words -> hex is the identity."""
    assert words_to_hex(hex_to_words(values)) == values


@given(st.lists(hex64, min_size=1, max_size=8), st.lists(hex64, min_size=1, max_size=8))
def test_pairwise_distances_are_hamming(a: list[str], b: list[str]) -> None:
    """The vectorized distance matrix equals pure-Python popcounts."""
    matrix = pairwise_distances(hex_to_words(a), hex_to_words(b))
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            assert matrix[i, j] == bin(int(x, 16) ^ int(y, 16)).count("1")


@given(st.lists(hex64, min_size=1, max_size=8), st.lists(hex64, min_size=1, max_size=8), st.integers(0, 256))
def test_neighbour_flags_match_distance_matrix(a: list[str], b: list[str], distance: int) -> None:
    """Blockwise neighbour flags equal any() over the full distance matrix in both directions."""
    a_hit, b_hit = neighbour_flags(hex_to_words(a), hex_to_words(b), distance)
    close = pairwise_distances(hex_to_words(a), hex_to_words(b)) <= distance
    assert a_hit.tolist() == close.any(axis=1).tolist()
    assert b_hit.tolist() == close.any(axis=0).tolist()


def test_memory_accounting() -> None:
    """nbytes reports at least 32 bytes per stored hash for every numpy backend."""
    rng = np.random.default_rng(0)
    words = rng.integers(0, 2**64 - 1, size=(5000, 4), dtype=np.uint64, endpoint=True)
    for backend in NUMPY_BACKENDS:
        index = PdqIndex(backend)
        index.add_words(words)
        assert index.nbytes() >= 5000 * 40


@pytest.mark.skipif(not HAS_FAISS, reason="faiss-cpu not installed (pip install 'domicile[faiss]')")
@pytest.mark.parametrize("backend", FAISS_BACKENDS)
@settings(max_examples=15, deadline=None)
@given(case=stored_and_queries())
def test_faiss_equals_numpy(backend: str, case: tuple[list[str], list[str], int]) -> None:
    """FAISS backends return the same hits as the numpy brute force (threshold < 256)."""
    stored, queries, threshold = case
    threshold = min(threshold, 255)
    ours, theirs = PdqIndex("numpy"), PdqIndex(backend)
    for index in (ours, theirs):
        index.add(stored)
    for query in queries:
        assert theirs.query(query, threshold=threshold) == ours.query(query, threshold=threshold)


@pytest.mark.skipif(not HAS_FAISS, reason="faiss-cpu not installed (pip install 'domicile[faiss]')")
def test_faiss_large_random_equals_numpy() -> None:
    """On 30k random hashes with near queries, FAISS flat and multi-hash equal numpy."""
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2**64 - 1, size=(30_000, 4), dtype=np.uint64, endpoint=True)
    indexes = {name: PdqIndex(name) for name in ["numpy", "mih", *FAISS_BACKENDS]}
    for index in indexes.values():
        index.add_words(words)
    for value in words_to_hex(words[:20]):
        query = _flip(value, list(rng.choice(256, size=int(rng.integers(0, 35)), replace=False)))
        expected = indexes["numpy"].query(query)
        for name, index in indexes.items():
            assert index.query(query) == expected, name


@pytest.mark.skipif(HAS_FAISS, reason="checks the error raised when faiss is absent")
def test_faiss_missing_gives_install_hint() -> None:
    """Without faiss, asking for the faiss backend explains how to install it."""
    with pytest.raises(MissingDependencyError) as info:
        PdqIndex("faiss")
    assert "domicile[faiss]" in str(info.value)
