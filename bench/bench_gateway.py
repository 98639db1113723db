"""Gateway benchmark: batch tokenize over HTTP on loopback vs the same work in-process.

Setup: the embedded default (SQLite cells) in a temporary data folder, N Russian subjects,
and ``domicile serve`` in a child process on a loopback port.

Measured, interleaved round by round so drift hits both sides alike:

* ``http``: ``POST /v1/tokens/tokenize`` with a batch of B items (B distinct subjects, one
  deterministic token each, a fresh scope per round so every call issues and writes new
  tokens) through the Python client (keep-alive, idempotency key, JSON both ways);
* ``inproc``: the same call in-process, :func:`domicile.gateway.batch.tokenize_many` on the
  same cells (one transaction per cell, one audit entry per token) - the library the route
  calls, so the ratio is the cost of HTTP, authentication, authorization and idempotency.

Also reported: the per-value core loop (:func:`domicile.tokens.service.tokenize` once per
item), which is what a naive in-process integration would run. Target: ratio >= 0.5 at B=500.

Usage: python bench/bench_gateway.py [--subjects 2000] [--batch 500] [--rounds 8]
Prints its figures last as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from _gateway_server import Server, api_key, seed

from domicile.client import DomicileClient, TokenItem
from domicile.gateway.batch import TokenRequest, tokenize_many
from domicile.tokens.formats import TokenKind
from domicile.tokens.service import tokenize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subjects", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    if not 1 <= args.batch <= 1000 or args.subjects < args.batch:
        raise SystemExit("need 1 <= batch <= 1000 and subjects >= batch")

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        dom, subjects = seed(data, args.subjects)
        print(f"seeded {len(subjects)} subjects in {time.perf_counter() - t0:.1f} s")
        key = api_key(data)
        http_times: list[float] = []
        inproc_times: list[float] = []
        with Server(data) as server, DomicileClient(server.url, key, timeout=120) as gw:
            gw.tokenize([TokenItem(subjects[0].subject_id, "email")], purpose="bench.warmup")
            for r in range(args.rounds):
                window = [subjects[(r * args.batch + i) % len(subjects)] for i in range(args.batch)]
                http_items = [
                    TokenItem(s.subject_id, "family_name", "deterministic", f"h{r}") for s in window
                ]
                start = time.perf_counter()
                issued = gw.tokenize(http_items, purpose="bench.tokenize")
                http_times.append(time.perf_counter() - start)
                assert len(issued) == args.batch
                requests = [
                    TokenRequest(s.subject_id, "family_name", TokenKind.DETERMINISTIC, f"p{r}")
                    for s in window
                ]
                start = time.perf_counter()
                done = tokenize_many(dom, requests, actor="bench", purpose="bench.tokenize")
                inproc_times.append(time.perf_counter() - start)
                assert len(done) == args.batch
                ms = (http_times[-1] * 1000, inproc_times[-1] * 1000)
                print(f"round {r}: http {ms[0]:.0f} ms, in-process {ms[1]:.0f} ms")
            naive_n = min(args.batch, 200)
            start = time.perf_counter()
            for s in subjects[:naive_n]:
                tokenize(dom, s.subject_id, "given_name", TokenKind.DETERMINISTIC, "naive",
                         actor="bench", purpose="bench.tokenize")  # fmt: skip
            naive = naive_n / (time.perf_counter() - start)
        for cell in dom.cells.values():
            cell.close()

    http_rate = args.batch / statistics.median(http_times)
    inproc_rate = args.batch / statistics.median(inproc_times)
    figures = {
        "benchmark": "gateway_tokenize",
        "subjects": args.subjects,
        "batch": args.batch,
        "rounds": args.rounds,
        "http_values_per_s": round(http_rate),
        "inproc_values_per_s": round(inproc_rate),
        "ratio_http_vs_inproc": round(http_rate / inproc_rate, 3),
        "target_ratio": 0.5,
        "http_batch_ms_p50": round(statistics.median(http_times) * 1000, 1),
        "inproc_batch_ms_p50": round(statistics.median(inproc_times) * 1000, 1),
        "naive_core_loop_values_per_s": round(naive),
        "ratio_http_vs_naive_loop": round(http_rate / naive, 2),
        "backend": "sqlite",
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
