"""The evidence describes the whole job across runs: items in the cell, moves by run, checksums."""

from __future__ import annotations

from pathlib import Path

import localize_kit as kit
import sqlalchemy as sa

from domicile.localize.engine import localize
from domicile.localize.evidence import build_evidence
from domicile.localize.source import open_source


def test_job_totals_span_runs_and_relocalization(tmp_path: Path) -> None:
    """Run 1 moves N rows; run 2 relocalizes one changed row; job totals and both checksums agree."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url)
    original = kit.snapshot(url)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    engine = open_source(url)
    try:
        ru = kit.expected_ru(original, url)
        first = build_evidence(localize(dom, engine, kit.datamap(), batch_size=11))
        for name, t in first["tables"].items():
            job = t["job"]
            assert (job["moved_this_run"], job["moved_earlier_runs"]) == (len(ru[name]), 0)
            assert job["items_in_cell"] == len(ru[name]) and job["checksums_equal"]
        uid = int(sorted(ru["users"])[0].strip("[]"))
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE users SET email = 'changed@example.ru' WHERE id = :i"), {"i": uid})
        second = build_evidence(localize(dom, engine, kit.datamap(), batch_size=11))
        users = second["tables"]["users"]["job"]
        assert (users["moved_this_run"], users["moved_earlier_runs"], users["relocalized"]) == (
            0,
            len(ru["users"]),
            1,
        )
        assert users["checksums_equal"]
        assert users["cell_items_checksum"] != first["tables"]["users"]["job"]["cell_items_checksum"]
        third = build_evidence(localize(dom, engine, kit.datamap(), batch_size=11))
        assert third["job_totals"] == {**second["job_totals"], "moved_this_run": 0}
        for name, t in third["tables"].items():
            assert t["job"]["checksums_equal"] and t["job"]["items_in_cell"] == len(ru[name])
            assert t["job"]["source_checksum"] == second["tables"][name]["job"]["source_checksum"]
        assert third["job_totals"]["moved_earlier_runs"] == sum(len(v) for v in ru.values())
    finally:
        engine.dispose()
        kit.close(dom)
