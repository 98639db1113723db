"""Crash safety of ``domicile localize`` under kills at random *times* (not hook points).

Each trial copies a prepared source (the labeled synthetic database, SQLite) and data folder,
starts ``python -m domicile localize`` and sends SIGKILL after a random delay drawn from the
span of a full run, then re-runs it to completion and checks what the test suite checks: every
RU row's values are in the RU cell (decrypted and compared), none is left in the source, no item
or subject is duplicated, non-RU rows are byte-for-byte untouched, and one more run changes
nothing. Baseline for the ratio: the same number of uninterrupted runs (time per trial).

    python bench/bench_localize_faults.py --trials 100 --rows 200 [--workers 1]

Prints one JSON line last: trials, kills that landed mid-run, failures, seconds per trial.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "localize"))

import localize_kit as kit  # noqa: E402

WORKERS: list[str] = []  # ["--workers", "N"] when given


def _args(root: Path, batch: int) -> list[str]:
    url = f"sqlite:///{root / 'src.db'}"
    return [sys.executable, "-m", "domicile", "localize", url, "--map", str(root / "map.yaml"),
            "--data-dir", str(root / "data"), "--batch-size", str(batch), "--json", *WORKERS]  # fmt: skip


def _fresh(template: Path, root: Path) -> None:
    shutil.copytree(template / "data", root / "data")
    shutil.copy(template / "src.db", root / "src.db")
    shutil.copy(template / "map.yaml", root / "map.yaml")


def _check(root: Path) -> None:
    url = f"sqlite:///{root / 'src.db'}"
    original = kit.snapshot(f"sqlite:///{root.parent / 'template' / 'src.db'}")
    dom = kit.open_dom(root / "data")
    try:
        kit.check_converged(dom, url, original, kit.datamap())
        before, snap = kit.cell_state(dom), kit.snapshot(url)
        again = subprocess.run(_args(root, 7), capture_output=True, text=True, cwd=REPO, check=False)
        assert again.returncode == 0, again.stderr[-300:]
        assert kit.cell_state(dom) == before and kit.snapshot(url) == snap, "a re-run changed something"
    finally:
        kit.close(dom)


def main() -> None:
    ap = argparse.ArgumentParser(description="kill -9 localize at random times, resume, verify")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--rows", type=int, default=200, help="rows per table of the source")
    ap.add_argument("--batch", type=int, default=7)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=None, help="localize --workers (default: its choice)")
    args = ap.parse_args()
    if args.workers is not None:
        WORKERS[:] = ["--workers", str(args.workers)]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        template = base / "template"
        template.mkdir()
        kit.make_source(f"sqlite:///{template / 'src.db'}", rows=args.rows)
        kit.init_data(template / "data")
        kit.write_map(template / "map.yaml")
        clean = base / "clean"
        _fresh(template, clean)
        t0 = time.perf_counter()
        subprocess.run(_args(clean, args.batch), capture_output=True, cwd=REPO, check=True)
        full = time.perf_counter() - t0
        killed = failures = 0
        errors: list[str] = []
        t_trials = time.perf_counter()
        for i in range(args.trials):
            root = base / f"t{i}"
            _fresh(template, root)
            proc = subprocess.Popen(
                _args(root, args.batch), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO
            )
            time.sleep(rng.uniform(0.05, full))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait()
            resumed = subprocess.run(
                _args(root, args.batch), capture_output=True, text=True, cwd=REPO, check=False
            )
            try:
                assert resumed.returncode == 0, resumed.stderr[-300:]
                _check(root)
            except AssertionError as exc:
                failures += 1
                errors.append(f"trial {i}: {exc}")
            shutil.rmtree(root)
        per_trial = (time.perf_counter() - t_trials) / max(1, args.trials)
    for e in errors[:5]:
        print(e, file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "localize_faults",
                "trials": args.trials,
                "killed_mid_run": killed,
                "failures": failures,
                "rows_per_table": args.rows,
                "batch": args.batch,
                "workers": "auto" if args.workers is None else args.workers,
                "full_run_s": round(full, 2),
                "seconds_per_trial": round(per_trial, 2),
                "trial_vs_full_run": round(per_trial / full, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
