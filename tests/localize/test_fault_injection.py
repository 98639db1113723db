"""kill -9 at random points of ``domicile localize``, then resume: nothing lost, duplicated or left behind.

Each trial runs the real CLI in a subprocess with ``DOMICILE_FAULT=<point>:<n>`` (point and n drawn
from a seeded RNG), checks it died by SIGKILL, re-runs it to completion and then checks: every RU
value is in the RU cell (items decrypted and compared with the original rows), none is left in
the source (comparison + leakscan), no subject or item is duplicated, non-RU rows are
byte-for-byte untouched, and one more run changes nothing (cell counts, audit head, source).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import localize_kit as kit
import pytest

from domicile.localize.faults import POINTS
from domicile.localize.leakscan import leakscan

SQLITE_TRIALS = 20
PG_TRIALS = 4
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


def _trial(root: Path, url: str, point: str, n: int, batch: int) -> None:
    original = kit.snapshot(url)
    args = ["localize", url, "--map", str(root / "map.yaml"), "--data-dir", str(root / "data")]
    args += ["--batch-size", str(batch), "--json"]
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
    template: Path, tmp_path: Path, pg_databases: kit.Any, point: str, n: int, batch: int
) -> None:
    """PostgreSQL source, SQLite RU cell: the same convergence after a SIGKILL."""
    url = pg_databases.create("src")
    kit.make_source(url)
    shutil.copytree(template / "data", tmp_path / "data")
    kit.write_map(tmp_path / "map.yaml")
    _trial(tmp_path, url, point, n, batch)
