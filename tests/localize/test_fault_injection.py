"""kill -9 at random points of ``domicile localize``, then resume: nothing lost, duplicated or left behind.

Each trial runs the real CLI in a subprocess with ``DOMICILE_FAULT=<point>:<n>`` (point and n drawn
from a seeded RNG), checks it died by SIGKILL, re-runs it to completion and then checks: every RU
value is in the RU cell (items decrypted and compared with the original rows), none is left in
the source (comparison + leakscan), no subject or item is duplicated, non-RU rows are
byte-for-byte untouched, and one more run changes nothing (cell counts, audit head, source).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import localize_kit as kit
import pytest

from domicile.localize.faults import POINTS
from domicile.localize.leakscan import leakscan

SQLITE_TRIALS = 20
PG_TRIALS = 4
WORKER_TRIALS = 4
_RNG = random.Random(20261129)
_POINTS = list(POINTS) * 4  # every point four times, in a random order
_RNG.shuffle(_POINTS)
PLAN = [(p, _RNG.randint(1, 8), _RNG.choice((5, 7, 13))) for p in _POINTS]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A source database and an initialised data folder, copied by every trial."""
    root = tmp_path_factory.mktemp("fault-template")
    kit.make_source(f"sqlite:///{root / 'src.db'}")
    kit.init_data(root / "data")
    kit.write_map(root / "map.yaml")
    return root


def _trial(root: Path, url: str, point: str, n: int, batch: int, workers: int | None = None) -> None:
    original = kit.snapshot(url)
    args = ["localize", url, "--map", str(root / "map.yaml"), "--data-dir", str(root / "data")]
    args += ["--batch-size", str(batch), "--json"]
    if workers is not None:
        args += ["--workers", str(workers)]
    crashed = kit.run_cli(args, env={"DOMICILE_FAULT": f"{point}:{n}"})
    assert kit.killed(crashed), (point, n, crashed.returncode, crashed.stderr[-500:])
    resumed = kit.run_cli(args)
    assert resumed.returncode == 0, resumed.stderr[-500:]
    dom = kit.open_dom(root / "data")
    try:
        dm = kit.datamap()
        kit.check_converged(dom, url, original, dm)
        before, snap = kit.cell_state(dom), kit.snapshot(url)
        again = kit.run_cli(args)
        assert again.returncode == 0, again.stderr[-500:]
        assert kit.cell_state(dom) == before and kit.snapshot(url) == snap
        found = leakscan(dom, url, dm=dm)
        assert found.clean, [(f.table, f.column, f.row, f.kind) for f in found.findings]
    finally:
        kit.close(dom)


@pytest.mark.parametrize(("point", "n", "batch"), PLAN[SQLITE_TRIALS : SQLITE_TRIALS + WORKER_TRIALS])
def test_kill_and_resume_with_a_staging_worker(
    template: Path, tmp_path: Path, point: str, n: int, batch: int
) -> None:
    """The same with a worker process staging the subject tables (``--workers 1``)."""
    shutil.copytree(template / "data", tmp_path / "data")
    shutil.copy(template / "src.db", tmp_path / "src.db")
    kit.write_map(tmp_path / "map.yaml")
    _trial(tmp_path, f"sqlite:///{tmp_path / 'src.db'}", point, n, batch, workers=1)


@pytest.mark.parametrize(("point", "n", "batch"), PLAN[:SQLITE_TRIALS])
def test_kill_and_resume_sqlite(template: Path, tmp_path: Path, point: str, n: int, batch: int) -> None:
    """SQLite source, SQLite RU cell: a SIGKILL at the drawn point and pass, then resume, converges."""
    shutil.copytree(template / "data", tmp_path / "data")
    shutil.copy(template / "src.db", tmp_path / "src.db")
    kit.write_map(tmp_path / "map.yaml")
    _trial(tmp_path, f"sqlite:///{tmp_path / 'src.db'}", point, n, batch)


@pytest.mark.postgres
@pytest.mark.parametrize(("point", "n", "batch"), PLAN[SQLITE_TRIALS:])
def test_kill_and_resume_postgres(
    template: Path, tmp_path: Path, pg_databases: Any, point: str, n: int, batch: int
) -> None:
    """PostgreSQL source, SQLite RU cell: the same convergence after a SIGKILL."""
    url = pg_databases.create("src")
    kit.make_source(url)
    shutil.copytree(template / "data", tmp_path / "data")
    kit.write_map(tmp_path / "map.yaml")
    _trial(tmp_path, url, point, n, batch)


def _evidence_of(root: Path, url: str, fault: str | None) -> dict[str, Any]:
    args = ["localize", url, "--map", str(root / "map.yaml"), "--data-dir", str(root / "data")]
    args += ["--batch-size", "7", "--json"]
    if fault is not None:
        crashed = kit.run_cli(args, env={"DOMICILE_FAULT": fault})
        assert kit.killed(crashed), (fault, crashed.returncode, crashed.stderr[-500:])
    done = kit.run_cli(args)
    assert done.returncode == 0, done.stderr[-500:]
    out: dict[str, Any] = json.loads(done.stdout)
    return out


@pytest.mark.parametrize(
    "fault", ["after_source_commit:3", "before_source_commit:2", "after_cell_commit:4", "after_checkpoint:5"]
)
def test_resumed_job_evidence_equals_an_uninterrupted_one(template: Path, tmp_path: Path, fault: str) -> None:
    """Killed and resumed, the job's evidence has the same per-table totals and checksums as a clean run."""
    runs = {}
    for name, plan in (("clean", None), ("killed", fault)):
        root = tmp_path / name
        shutil.copytree(template / "data", root / "data")  # same keys: same keyed digests
        shutil.copy(template / "src.db", root / "src.db")
        kit.write_map(root / "map.yaml")
        runs[name] = _evidence_of(root, f"sqlite:///{root / 'src.db'}", plan)
    clean, killed = runs["clean"], runs["killed"]
    assert killed["job_totals"] == clean["job_totals"] and clean["job_totals"]["items_in_cell"] > 0
    for table, t in clean["tables"].items():
        assert killed["tables"][table]["job"] == t["job"], table
        assert t["job"]["checksums_equal"] and t["job"]["moved_earlier_runs"] == 0
        for k in ("moved", "skipped_non_ru", "source_checksum", "cell_checksum", "columns"):
            assert killed["tables"][table][k] == t[k], (table, k)
