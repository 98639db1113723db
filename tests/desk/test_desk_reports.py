"""Reports reconcile exactly with the ledger on thousands of generated requests, with charts (TR-4, SN-11)."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from desk_kit import DeskKit
from lxml import etree

from domicile.desk import reports as reports_mod
from domicile.desk.errors import ReconciliationError
from domicile.desk.ledger import half_year, ledger_csv, ledger_rows
from domicile.desk.models import ACTIONED_OUTCOMES, GOVERNMENT_AUTHORITIES
from domicile.desk.reports import annual_report, cross_check, transparency_report, write_report
from domicile.desk.synthetic import SeededRequest, seed_ledger

N = 2500
ACTED = {o.value for o in ACTIONED_OUTCOMES}
GOV = {a.value for a in GOVERNMENT_AUTHORITIES}


def _in(r: SeededRequest, year: int, half: int) -> bool:
    p = half_year(year, half)
    return p.start <= r.received_at < p.end


def _hours(r: SeededRequest) -> float | None:
    if r.first_action_at is None:
        return None
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    a = datetime.strptime(r.first_action_at, fmt).replace(tzinfo=UTC)
    return (a - datetime.strptime(r.received_at, fmt).replace(tzinfo=UTC)).total_seconds() / 3600


def _expected_groups(made: list[SeededRequest], half: int) -> dict[tuple[str, str], dict[str, Any]]:
    groups: dict[tuple[str, str], list[SeededRequest]] = {}
    for r in made:
        if r.authority_type in GOV and _in(r, 2025, half):
            groups.setdefault((r.authority_type, r.legal_basis), []).append(r)
    out = {}
    for key, rs in groups.items():
        outcomes = Counter(o for r in rs for o in r.outcomes if o)
        hours = [h for r in rs if (h := _hours(r)) is not None]
        out[key] = {
            "requests": len(rs),
            "items": sum(len(r.outcomes) for r in rs),
            "accounts": sum(r.accounts for r in rs),
            "actioned": sum(n for o, n in outcomes.items() if o in ACTED),
            "outcomes": dict(outcomes),
            "median": round(statistics.median(hours), 2) if hours else None,
        }
    return out


def test_reports_reconcile_with_the_generated_ledger(any_kit: DeskKit, tmp_path: Path) -> None:
    """Both half-year reports and the annual report equal figures recomputed from the generated requests."""
    desk = any_kit.desk
    made = seed_ledger(desk, N, year=2025, seed=11)
    assert desk.verify().ok
    halves = []
    for half in (1, 2):
        rep = transparency_report(desk, 2025, half)
        halves.append(rep)
        assert rep.reconciled and rep.checks
        expected = _expected_groups(made, half)
        got = {(g.authority_type, g.legal_basis): g for g in rep.rows}
        assert set(got) == set(expected)
        for key, exp in expected.items():
            g = got[key]
            assert (g.requests, g.items_specified, g.accounts_specified, g.items_actioned) == (
                exp["requests"],
                exp["items"],
                exp["accounts"],
                exp["actioned"],
            ), key
            assert {k: v for k, v in g.outcomes.items() if v} == exp["outcomes"], key
            assert g.median_hours_to_action == exp["median"], key
        assert rep.totals.requests == sum(e["requests"] for e in expected.values())
        produced = Counter(
            r.produced for r in made if r.kind == "user_data" and _in(r, 2025, half) and r.produced
        )
        assert {u.authority_type for u in rep.user_data} <= GOV
        assert sum(u.produced_full for u in rep.user_data) == produced["full"]
        assert sum(u.produced_none for u in rep.user_data) == produced["none"]
        pending = sum(1 for r in made if r.kind == "user_data" and _in(r, 2025, half) and r.produced is None)
        assert sum(u.pending for u in rep.user_data) == pending
    annual = annual_report(desk, 2025)
    content = [r for r in made if r.kind in ("removal", "complaint", "detection")]
    own = sum(1 for r in content if r.kind in ("complaint", "detection") for o in r.outcomes if o in ACTED)
    rkn = sum(
        1
        for r in content
        if r.kind == "removal" and r.authority_type in ("rkn", "prosecutor_general")
        for o in r.outcomes
        if o in ACTED
    )
    assert (annual.restricted_own_initiative, annual.restricted_on_rkn_demand) == (own, rkn)
    assert annual.referred_to_rkn == sum(r.outcomes.count("referred_to_rkn") for r in content)
    complaints = Counter(r.category for r in made if r.kind == "complaint")
    assert {k: v["complaints"] for k, v in annual.complaints_by_category.items()} == dict(complaints)
    assert annual.due_at == "2026-02-01T20:59:59.999000Z"  # end of 1 Feb, Moscow
    assert all(c.ok for c in cross_check(annual, halves))
    files = write_report(halves[0], tmp_path) + write_report(annual, tmp_path)
    svgs = [p for p in files if p.suffix == ".svg"]
    assert len(svgs) == 4 and all(p.stat().st_size > 0 for p in files)
    chart = etree.parse(str(tmp_path / "transparency-2025-H1-requests.svg"))
    values = [int(v) for v in chart.xpath("//*[local-name()='rect']/@data-value")]
    assert sum(values) == halves[0].totals.requests
    table = list(csv.DictReader(io.StringIO((tmp_path / "transparency-2025-H1.csv").read_text())))
    assert table[-1]["authority_type"] == "all" and int(table[-1]["requests"]) == halves[0].totals.requests


def test_a_report_that_does_not_add_up_is_refused(kit: DeskKit, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the aggregated rows lose a request, the reconciliation with the raw tables refuses the report."""
    seed_ledger(kit.desk, 200, year=2025, seed=5)
    real = reports_mod.ledger_rows
    monkeypatch.setattr(reports_mod, "ledger_rows", lambda *a, **k: real(*a, **k)[1:])
    with pytest.raises(ReconciliationError, match="requests"):
        transparency_report(kit.desk, 2025, 1)


def test_ledger_export_has_one_row_per_government_request(kit: DeskKit) -> None:
    """The CSV ledger lists every government request once with its TR-1 fields and outcome counts."""
    made = seed_ledger(kit.desk, 300, year=2024, seed=2)
    with kit.desk.db.read() as store:
        rows = ledger_rows(store)
    expected = sorted(r.request_id for r in made if r.authority_type in GOV)
    assert sorted(r.request_id for r in rows) == expected
    parsed = list(csv.DictReader(io.StringIO(ledger_csv(rows))))
    first = next(r for r in rows if r.items_specified)
    line = next(p for p in parsed if p["request_id"] == first.request_id)
    outcome_total = sum(int(v) for k, v in line.items() if k.startswith("outcome_"))
    assert int(line["items_specified"]) == first.items_specified >= outcome_total
