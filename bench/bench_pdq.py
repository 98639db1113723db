"""Benchmark PDQ matching: index query time vs python-threatexchange, and hashing throughput.

(a) Index: N random PDQ hashes (default 1,000,000); queries are stored hashes with 0-31
    random bit flips (must match), 32-48 flips (near misses) and fresh random hashes.
    Every backend of ours and python-threatexchange's ``PDQIndex`` (the index its
    ``PdqSignal`` uses: FAISS ``IndexBinaryMultiHash``) index the same hashes in the same
    run; recall and precision are measured against our exact brute force. If
    ``threatexchange`` is not importable the baseline is a naive numpy scan (byte lookup
    table popcount) and the JSON says so. FAISS is pinned to one thread for a like-for-like
    comparison with numpy (which is single-threaded).
(b) Hashing: images/s of our pipeline (bytes -> Pillow decode -> RGB -> pdqhash -> hex)
    vs calling the ``pdqhash`` binding directly on pre-decoded arrays (the floor), plus
    python-threatexchange's ``PdqSignal.hash_from_bytes`` when installed.

Run: ``.venv/bin/python bench/bench_pdq.py`` (``--size 10000000`` for 10 M hashes;
``--help`` for the rest). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from domicile.moderation.hashing import PdqHasher, PdqIndex
from domicile.moderation.hashing.bits import words_to_hex

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / ".." / "shared" / "fixtures" / "pdq"


def _log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _queries(words: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Perturbed copies of stored hashes (half within 31 flips, a quarter 32-48) + random ones."""
    out = np.empty((count, 4), dtype=np.uint64)
    for i in range(count):
        kind = i % 4
        if kind == 3:
            out[i] = rng.integers(0, 2**64 - 1, size=4, dtype=np.uint64, endpoint=True)
            continue
        row = words[rng.integers(0, len(words))].copy()
        flips = int(rng.integers(0, 32)) if kind < 2 else int(rng.integers(32, 49))
        for bit in rng.choice(256, size=flips, replace=False):
            row[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
        out[i] = row
    return out


def _stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "mean_ms": round(statistics.fmean(ms), 4),
        "p50_ms": round(statistics.median(ms), 4),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 4),
    }


def _recall(found: list[set[int]], truth: list[set[int]]) -> tuple[float, float]:
    relevant = sum(len(t) for t in truth)
    retrieved = sum(len(f) for f in found)
    hit = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    return (hit / relevant if relevant else 1.0), (hit / retrieved if retrieved else 1.0)


def _their_index(words: np.ndarray, threshold: int) -> tuple[str, Callable[[str], set[int]], float]:
    """python-threatexchange's PDQIndex, or a naive numpy scan when it is not installed."""
    start = time.perf_counter()
    try:
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex
    except ImportError as exc:
        _log("threatexchange not importable:", exc, "- baseline is a naive numpy LUT scan")
        lut = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
        rows = words.view(np.uint8).reshape(len(words), 32)

        def naive(q: str) -> set[int]:
            qb = np.frombuffer(bytes.fromhex(q), dtype=np.uint8)
            d = lut[rows ^ qb].sum(axis=1, dtype=np.uint16)
            return set(np.flatnonzero(d <= threshold).tolist())

        return "naive numpy LUT scan (threatexchange NOT installed)", naive, time.perf_counter() - start
    import importlib.metadata

    if threshold != PDQIndex.get_match_threshold():
        _log("note: python-threatexchange PDQIndex always uses threshold", PDQIndex.get_match_threshold())
    tx_index = PDQIndex(entries=zip(words_to_hex(words), range(len(words)), strict=True))
    name = (
        f"python-threatexchange {importlib.metadata.version('threatexchange')} PDQIndex "
        "(faiss IndexBinaryMultiHash)"
    )
    return name, lambda q: {int(m.metadata) for m in tx_index.query(q)}, time.perf_counter() - start


def bench_index(
    size: int, n_queries: int, threshold: int, seed: int, backends: list[str], *, with_theirs: bool = True
) -> dict[str, Any]:
    """Build every index on the same hashes, then time each query on all of them in turn.

    Round-robin timing makes every contender see the same background load.
    """
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2**64 - 1, size=(size, 4), dtype=np.uint64, endpoint=True)
    queries = words_to_hex(_queries(words, n_queries, rng))
    report: dict[str, Any] = {"size": size, "queries": n_queries, "threshold": threshold}
    try:
        import faiss

        faiss.omp_set_num_threads(1)
        report["faiss_threads"] = 1
    except ImportError:
        backends = [b for b in backends if not b.startswith("faiss")]

    runners: dict[str, Callable[[str], set[int]]] = {}
    builds: dict[str, float] = {}
    memory: dict[str, float] = {}
    for name in dict.fromkeys(["numpy", *backends]):  # brute force first: it is the ground truth
        index = PdqIndex(name, threshold=threshold)
        start = time.perf_counter()
        index.add_words(words)
        index.query(queries[0])  # builds lazily-built tables
        builds[name] = time.perf_counter() - start
        memory[name] = index.nbytes() / size
        runners[name] = lambda q, ix=index: {h.id for h in ix.query(q)}
        _log(f"built ours[{name}] in {builds[name]:.2f} s")
    theirs_name = ""
    if with_theirs:
        theirs_name, runners["theirs"], builds["theirs"] = _their_index(words, threshold)
        _log(f"built theirs in {builds['theirs']:.2f} s")

    found: dict[str, list[set[int]]] = {name: [] for name in runners}
    times: dict[str, list[float]] = {name: [] for name in runners}
    for q in queries[:5]:  # warm-up
        for run in runners.values():
            run(q)
    for i, q in enumerate(queries):
        names = list(runners)
        for name in names[i % len(names) :] + names[: i % len(names)]:  # rotate who goes first
            start = time.perf_counter()
            found[name].append(runners[name](q))
            times[name].append((time.perf_counter() - start) * 1000)

    truth = found["numpy"]
    report["matches_total"] = sum(len(t) for t in truth)
    results: dict[str, Any] = {}
    for name in runners:
        recall, precision = _recall(found[name], truth)
        results[name] = {
            "build_s": round(builds[name], 3),
            **_stats(times[name]),
            "recall": recall,
            "precision": precision,
        }
        if name in memory:
            results[name]["bytes_per_hash"] = round(memory[name], 1)
        _log(name, results[name])
    report["ours"] = {k: v for k, v in results.items() if k != "theirs"}
    if with_theirs:
        report["theirs"] = {"name": theirs_name, **results["theirs"]}
        for stat in ("mean_ms", "p50_ms"):
            ratio = results["mih"][stat] / results["theirs"][stat] if "mih" in results else float("nan")
            report[f"ratio_ours_mih_over_theirs_{stat}"] = round(ratio, 3)
    return report


def bench_hashing(repeat: int) -> dict[str, Any]:
    import pdqhash

    files = sorted((FIXTURES / "bridge-mods").glob("*.jpg")) + sorted((FIXTURES / "dih").glob("*.jpg"))
    blobs = [f.read_bytes() for f in files]
    hasher = PdqHasher()
    arrays = [hasher.decode(b) for b in blobs]
    n = len(blobs) * repeat

    def rate(fn: Callable[[], object]) -> float:
        fn()  # warm-up
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        return round(n / (time.perf_counter() - start), 2)

    report: dict[str, Any] = {
        "images": len(blobs),
        "repeat": repeat,
        "ours_bytes_per_s": rate(lambda: [hasher.hash_bytes(b) for b in blobs]),
        "ours_array_per_s": rate(lambda: [hasher.hash_array(a) for a in arrays]),
        "ours_dihedral_bytes_per_s": rate(lambda: [hasher.dihedral_bytes(b) for b in blobs]),
        "binding_on_arrays_per_s": rate(lambda: [pdqhash.compute(a) for a in arrays]),
    }
    try:
        from threatexchange.signal_type.pdq.signal import PdqSignal as TxPdq
    except ImportError:
        report["threatexchange_bytes_per_s"] = None
    else:
        report["threatexchange_bytes_per_s"] = rate(lambda: [TxPdq.hash_from_bytes(b) for b in blobs])
    report["ratio_ours_bytes_over_binding"] = round(
        report["ours_bytes_per_s"] / report["binding_on_arrays_per_s"], 3
    )
    report["ratio_ours_array_over_binding"] = round(
        report["ours_array_per_s"] / report["binding_on_arrays_per_s"], 3
    )
    _log("hashing", report)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="hashes in the index (default 1M)")
    parser.add_argument("--queries", type=int, default=400, help="queries per backend (default 400)")
    parser.add_argument("--threshold", type=int, default=31, help="PDQ distance threshold (default 31)")
    parser.add_argument("--seed", type=int, default=20241129)
    parser.add_argument(
        "--backends", default="numpy,mih,faiss,faiss-mih", help="our backends to run (comma separated)"
    )
    parser.add_argument("--hash-repeat", type=int, default=3, help="passes over the 20 fixture photos")
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--skip-hashing", action="store_true")
    parser.add_argument(
        "--skip-theirs", action="store_true", help="do not build python-threatexchange's index (large sizes)"
    )
    args = parser.parse_args()

    out: dict[str, Any] = {"bench": "pdq"}
    if not args.skip_index:
        out["index"] = bench_index(
            args.size,
            args.queries,
            args.threshold,
            args.seed,
            args.backends.split(","),
            with_theirs=not args.skip_theirs,
        )
    if not args.skip_hashing:
        out["hashing"] = bench_hashing(args.hash_repeat)
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
