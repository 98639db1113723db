"""Benchmark the register: XML parse throughput and lookup rate, each against a same-run baseline.

* Parse: the 2015 export's ``<content>`` elements are repeated ``--repeat`` times (ids renumbered)
  into one synthetic windows-1251 dump under ``--workdir``. Our full parse (entries, validation,
  normalization checks, legal basis, SHA-256) is timed against a bare ``lxml.etree.iterparse``
  pass over the same file that only clears elements (the floor any lxml streaming parser pays).
* Lookups: a mix of URLs, domains and IPs (listed and unlisted, in equal parts) against a matcher
  built from that dump, versus a naive linear scan over pre-normalized entries on a sample.

Run: ``.venv/bin/python bench/bench_registry.py [--repeat 10] [--lookups 20000] [--naive 200]``.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import re
import time
from pathlib import Path
from typing import Any

from lxml import etree

from domicile.moderation.registry import (
    Matcher,
    RegisterSnapshot,
    XmlDumpParser,
    normalize_host,
    normalize_url,
)

FIXTURE = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "registry" / "rkn-dump-2015-02.xml"
)


def _variant(block: str, copy: int) -> str:
    """Copy 0 is the fixture; later copies get distinct hosts and addresses, as a larger dump has."""
    if not copy:
        return block
    text = block.replace("://", f"://c{copy}.").replace("<domain><![CDATA[", f"<domain><![CDATA[c{copy}.")
    shift = 7 * copy
    return re.sub(r"<ip>(\d+)\.", lambda m: f"<ip>{(int(m.group(1)) + shift) % 223 + 1}.", text)


def build_dump(repeat: int, workdir: Path) -> Path:
    """Write the fixture's entries ``repeat`` times (fresh ids, hosts and IPs) as one cp1251 dump."""
    text = FIXTURE.read_bytes().decode("cp1251")
    head = text[: text.index("<content")]
    blocks = re.findall(r"<content\b.*?</content>", text, flags=re.DOTALL)
    out = [head]
    next_id = 1
    for copy in range(repeat):
        for block in blocks:
            out.append(_variant(re.sub(r'id="\d+"', f'id="{next_id}"', block, count=1), copy))
            next_id += 1
    out.append("</reg:register>")
    path = workdir / f"bench_registry_dump_x{repeat}.xml"
    path.write_bytes("".join(out).encode("cp1251"))
    return path


def raw_iterparse(path: Path) -> int:
    """Baseline: stream the file with iterparse, clearing elements, doing nothing else."""
    count = 0
    for _, elem in etree.iterparse(str(path), events=("end",), tag="content"):
        count += 1
        elem.clear(keep_tail=False)
        parent = elem.getparent()
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]
    return count


def best_of(rounds: int, fn: Any, *args: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def make_queries(snapshot: RegisterSnapshot, n: int, seed: int) -> list[tuple[str, str]]:
    """Equal parts listed/unlisted URLs, domains and IPs."""
    rng = random.Random(seed)
    entries = snapshot.entries
    queries: list[tuple[str, str]] = []
    while len(queries) < n:
        e = entries[rng.randrange(len(entries))]
        k = len(queries) % 6
        if k == 0 and e.urls:
            queries.append(("url", rng.choice(e.urls)))
        elif k == 1:
            queries.append(("url", f"http://unlisted-{rng.randrange(10**9)}.example/p?q={rng.random()}"))
        elif k == 2 and e.domains:
            queries.append(("domain", rng.choice(e.domains)))
        elif k == 3:
            queries.append(("domain", f"www.unlisted-{rng.randrange(10**9)}.example"))
        elif k == 4 and e.ips:
            queries.append(("ip", str(rng.choice(e.ips))))
        elif k == 5:
            queries.append(("ip", str(ipaddress.IPv4Address(rng.getrandbits(32)))))
    return queries


def run_matcher(matcher: Matcher, queries: list[tuple[str, str]]) -> list[frozenset[str]]:
    out = []
    for kind, value in queries:
        if kind == "url":
            result = matcher.check_url(value)
        elif kind == "domain":
            result = matcher.check_domain(value)
        else:
            result = matcher.check_ip(value)
        out.append(frozenset(result.entry_ids))
    return out


class NaiveScan:
    """Baseline: every query scans every entry (values pre-normalized once, outside the timing)."""

    def __init__(self, snapshot: RegisterSnapshot) -> None:
        self.rows = [
            (
                e.id,
                {normalize_url(u).split("://", 1)[1] for u in e.urls},
                {normalize_url(u).split("/")[2] for u in e.urls} | {normalize_host(d) for d in e.domains},
                set(e.ips),
                e.subnets,
            )
            for e in snapshot.entries
        ]

    def run(self, queries: list[tuple[str, str]]) -> list[frozenset[str]]:
        out = []
        for kind, value in queries:
            found: set[str] = set()
            if kind == "ip":
                addr = ipaddress.ip_address(value)
                for eid, _, _, ips, nets in self.rows:
                    if addr in ips or any(addr in n for n in nets):
                        found.add(eid)
                for eid, _, hosts, _, _ in self.rows:
                    if value in hosts:
                        found.add(eid)
            else:
                url = normalize_url(value if kind == "url" else f"http://{value}/")
                key, host = url.split("://", 1)[1], url.split("/")[2]
                for eid, urls, hosts, _, _ in self.rows:
                    if (kind == "url" and key in urls) or host in hosts:
                        found.add(eid)
            out.append(frozenset(found))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=10, help="copies of the fixture's entries (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds, best kept (default 3)")
    parser.add_argument("--lookups", type=int, default=20000, help="matcher lookups (default 20000)")
    parser.add_argument("--naive", type=int, default=200, help="naive-scan lookups (default 200)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"), help="where the synthetic dump goes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    path = build_dump(args.repeat, args.workdir)
    size_mb = path.stat().st_size / 1e6
    raw_s, raw_count = best_of(args.rounds, raw_iterparse, path)
    ours_s, snapshot = best_of(args.rounds, XmlDumpParser().parse, path)
    assert raw_count == len(snapshot) and not snapshot.rejected
    print(f"dump: {path} {size_mb:.1f} MB, {len(snapshot)} entries")
    print(f"parse: ours {size_mb / ours_s:.2f} MB/s, raw iterparse {size_mb / raw_s:.2f} MB/s")

    build_s, matcher = best_of(1, Matcher.from_snapshot, snapshot)
    queries = make_queries(snapshot, args.lookups, args.seed)
    fast_s, fast = best_of(args.rounds, run_matcher, matcher, queries)
    naive = NaiveScan(snapshot)
    sample = queries[: args.naive]
    slow_s, slow = best_of(1, naive.run, sample)
    mismatches = sum(1 for a, b in zip(fast[: len(sample)], slow, strict=True) if a != b)
    lps, naive_lps = len(queries) / fast_s, len(sample) / slow_s
    print(f"matcher build {build_s:.2f} s; lookups: {lps:,.0f}/s vs naive scan {naive_lps:,.1f}/s")
    print("(a lookup returns every matching entry as evidence; popular hosts have hundreds)")
    print(f"agreement on {len(sample)} sampled queries: {len(sample) - mismatches}/{len(sample)}")
    print(
        json.dumps(
            {
                "bench": "registry",
                "entries": len(snapshot),
                "dump_mb": round(size_mb, 2),
                "parse_mb_s": round(size_mb / ours_s, 2),
                "raw_iterparse_mb_s": round(size_mb / raw_s, 2),
                "parse_time_ratio_vs_raw": round(ours_s / raw_s, 2),
                "entries_per_s": round(len(snapshot) / ours_s),
                "matcher_build_s": round(build_s, 3),
                "lookups": len(queries),
                "lookups_per_s": round(lps),
                "mean_entries_per_lookup": round(sum(len(f) for f in fast) / len(fast), 1),
                "naive_lookups_per_s": round(naive_lps, 1),
                "lookup_speedup_vs_naive": round(lps / naive_lps, 1),
                "naive_sample": len(sample),
                "naive_mismatches": mismatches,
            }
        )
    )


if __name__ == "__main__":
    main()
