"""Bounded load on the gateway: loopback only, a fixed request rate for a fixed duration.

Open loop: request *i* is sent at ``start + i / rate`` whatever the answers, and its
latency is counted from that scheduled instant (so a stalled server shows up as latency,
not as a lower rate). The mix is what a global app sends:

* 40 % ``GET /v1/subjects/{id}`` from a caller inside Russia (one field);
* 30 % ``POST /v1/tokens/detokenize`` of 10 e-mail tokens from a caller in Germany (a
  cross-border transfer under a recorded notice: rules checked, ledger written);
* 20 % ``POST /v1/search`` by e-mail (blind index);
* 10 % ``POST /v1/subjects`` (a sign-up with an idempotency key).

Usage: python bench/load_gateway.py [--rate 10] [--duration 10] [--subjects 500] [--host 127.0.0.1]
Prints p50 / p99 latency, errors and the achieved rate, last as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _gateway_server import LOOPBACK, Server, api_key, email_tokens, seed

from domicile.gateway.authz import Role


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_load(url: str, keys: dict[str, str], subjects: list[str], tokens: list[str], rate: float,
                   duration: float, seed_value: int) -> dict[str, object]:  # fmt: skip
    rng = random.Random(seed_value)
    total = int(rate * duration)
    lat: dict[str, list[float]] = {"read": [], "detokenize": [], "search": [], "create": []}
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        start = time.perf_counter() + 0.2

        async def one(i: int) -> None:
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            pick = rng.random()
            n = rng.randrange(len(subjects))
            if pick < 0.4:
                op, req = (
                    "read",
                    http.get(
                        f"/v1/subjects/{subjects[n]}",
                        params={"purpose": "support.ticket", "fields": "given_name"},
                        headers={"Authorization": f"Bearer {keys['ru']}"},
                    ),
                )
            elif pick < 0.7:
                batch = [tokens[(n + k) % len(tokens)] for k in range(10)]
                op, req = (
                    "detokenize",
                    http.post(
                        "/v1/tokens/detokenize",
                        json={"purpose": "support.contact", "tokens": batch},
                        headers={"Authorization": f"Bearer {keys['de']}"},
                    ),
                )
            elif pick < 0.9:
                op, req = (
                    "search",
                    http.post(
                        "/v1/search",
                        json={"field": "email", "value": f"user{n}@mail.ru", "purpose": "support.lookup"},
                        headers={"Authorization": f"Bearer {keys['ru']}"},
                    ),
                )
            else:
                body = {
                    "fields": {"given_name": "Ольга", "phone": f"+7925{i:07d}"},
                    "signals": {"citizenship": ["RU"]},
                }
                op, req = (
                    "create",
                    http.post(
                        "/v1/subjects",
                        json=body,
                        headers={
                            "Authorization": f"Bearer {keys['ru']}",
                            "Idempotency-Key": uuid.uuid4().hex,
                        },
                    ),
                )
            try:
                response = await req
                ok = 200 <= response.status_code < 300
                reason = str(response.status_code)
            except httpx.HTTPError as exc:
                ok, reason = False, type(exc).__name__
            lat[op].append(time.perf_counter() - scheduled)
            if not ok:
                errors[f"{op}:{reason}"] = errors.get(f"{op}:{reason}", 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - t0
    every = [v for values in lat.values() for v in values]
    return {
        "requests": total,
        "achieved_rps": round(total / elapsed, 1),
        "p50_ms": round(_pct(every, 0.5) * 1000, 1),
        "p99_ms": round(_pct(every, 0.99) * 1000, 1),
        "max_ms": round(max(every) * 1000, 1) if every else 0.0,
        "mean_ms": round(statistics.fmean(every) * 1000, 1) if every else 0.0,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "by_op_p50_ms": {k: round(_pct(v, 0.5) * 1000, 1) for k, v in lat.items()},
        "by_op_p99_ms": {k: round(_pct(v, 0.99) * 1000, 1) for k, v in lat.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=10.0, help="requests per second")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds")
    ap.add_argument("--subjects", type=int, default=500)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.host not in LOOPBACK:
        raise SystemExit("loopback only: --host must be 127.0.0.1, ::1 or localhost")
    if not (0 < args.rate <= 2000 and 0 < args.duration <= 600):
        raise SystemExit("need 0 < rate <= 2000 and 0 < duration <= 600")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        dom, results = seed(data, args.subjects)
        tokens = email_tokens(dom, results)
        for cell in dom.cells.values():
            cell.close()
        keys = {"ru": api_key(data, Role.APP, "RU"), "de": api_key(data, Role.APP, "DE")}
        with Server(data, host=args.host) as server:
            dpo = api_key(data, Role.DPO, "RU")
            notice = {
                "destination": "DE",
                "reference": "RKN-load-1",
                "filed_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                "recipient": "Load Test GmbH",
                "assessed_on": (datetime.now(UTC) - timedelta(days=2)).date().isoformat(),
            }
            r = httpx.post(
                f"{server.url}/v1/transfers/notices", json=notice, headers={"Authorization": f"Bearer {dpo}"}
            )
            r.raise_for_status()
            print(f"gateway on {server.url}: {args.rate:g} req/s for {args.duration:g} s ...")
            figures = asyncio.run(
                run_load(
                    server.url,
                    keys,
                    [s.subject_id for s in results],
                    tokens,
                    args.rate,
                    args.duration,
                    args.seed,
                )
            )
            ledger = httpx.get(f"{server.url}/v1/transfers/ledger", params={"limit": 1000},
                               headers={"Authorization": f"Bearer {dpo}"}).json()  # fmt: skip
    out = {
        "benchmark": "gateway_load",
        "rate_rps": args.rate,
        "duration_s": args.duration,
        "subjects": args.subjects,
        **figures,
        "ledger_entries": len(ledger),
        "backend": "sqlite",
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
