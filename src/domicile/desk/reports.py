"""Transparency reports, reconciled with the raw ledger.

* :func:`transparency_report`: the half-year report (TR-4): per authority type and legal basis,
  requests, items and accounts specified, per-item outcomes (TR-2), items actioned, compliance
  rate (actioned / specified) and median hours to action; user-data production (TR-3).
* :func:`annual_report`: the social network's annual report on e-form appeals and restrictions
  (149-FZ art. 10.6, draft RKN order; SN-11, TR-5), due 1 February of the next year.

Both are built from :func:`domicile.desk.ledger.ledger_rows` and then **reconciled**: every total
is recounted with independent SQL aggregates over the raw tables, and any difference raises
:class:`~domicile.desk.errors.ReconciliationError`. :func:`write_report` writes JSON, CSV and SVG
charts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from domicile.core.clock import iso_utc
from domicile.desk.errors import ReconciliationError
from domicile.desk.ledger import OUTCOMES, LedgerRow, Period, half_year, ledger_rows, year_period
from domicile.desk.models import ACTIONED_OUTCOMES, GOVERNMENT_AUTHORITIES, ItemOutcome, parse_ts
from domicile.desk.schema import desk_items, desk_requests
from domicile.desk.store import DeskStore
from domicile.desk.svg import bar_chart

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = [
    "AnnualReport",
    "Check",
    "GroupRow",
    "TransparencyReport",
    "UserDataRow",
    "annual_report",
    "cross_check",
    "transparency_report",
    "write_report",
]

_ACTIONED = frozenset(o.value for o in ACTIONED_OUTCOMES)
_RKN_DEMAND = ("rkn", "prosecutor_general")


@dataclass(frozen=True)
class Check:
    """One reconciliation: a total from the report and the same total recounted from the raw tables."""

    name: str
    report: int
    ledger: int

    @property
    def ok(self) -> bool:
        """Whether the two agree."""
        return self.report == self.ledger


@dataclass(frozen=True)
class GroupRow:
    """One (authority type, legal basis) group of the transparency report."""

    authority_type: str
    legal_basis: str
    requests: int
    items_specified: int
    accounts_specified: int
    items_actioned: int
    compliance_rate: float | None
    median_hours_to_action: float | None
    outcomes: dict[str, int]


@dataclass(frozen=True)
class UserDataRow:
    """User-data requests of one authority type (TR-3)."""

    authority_type: str
    requests: int
    accounts_specified: int
    produced_none: int
    produced_partial: int
    produced_full: int
    pending: int  # not decided yet


@dataclass(frozen=True)
class TransparencyReport:
    """The half-year transparency report (TR-4), reconciled."""

    period: Period
    generated_at: str
    rows: tuple[GroupRow, ...]
    totals: GroupRow
    user_data: tuple[UserDataRow, ...]
    checks: tuple[Check, ...]

    @property
    def reconciled(self) -> bool:
        """True when every check agrees."""
        return all(c.ok for c in self.checks)


@dataclass(frozen=True)
class AnnualReport:
    """The annual social-network report (SN-11), reconciled."""

    year: int
    due_at: str
    generated_at: str
    pages_restricted_total: int
    restricted_own_initiative: int
    restricted_on_rkn_demand: int
    restricted_other_authority: int
    referred_to_rkn: int
    complaints_by_category: dict[str, dict[str, int]]
    appeals: dict[str, int]
    checks: tuple[Check, ...]

    @property
    def reconciled(self) -> bool:
        """True when every check agrees."""
        return all(c.ok for c in self.checks)


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(statistics.median(vals), 2) if vals else None


def _group(authority: str, basis: str, rows: Sequence[LedgerRow]) -> GroupRow:
    outcomes: Counter[str] = Counter()
    for r in rows:
        outcomes.update(r.outcomes)
    specified = sum(r.items_specified for r in rows)
    actioned = sum(r.items_actioned for r in rows)
    return GroupRow(
        authority_type=authority,
        legal_basis=basis,
        requests=len(rows),
        items_specified=specified,
        accounts_specified=sum(r.accounts_specified for r in rows),
        items_actioned=actioned,
        compliance_rate=round(actioned / specified, 4) if specified else None,
        median_hours_to_action=_median(r.hours_to_action for r in rows),
        outcomes={o: outcomes.get(o, 0) for o in OUTCOMES},
    )


def _raw_counts(
    store: DeskStore, period: Period, authorities: Sequence[str], kinds: Sequence[str] | None = None
) -> dict[str, int]:
    """Totals recounted with SQL aggregates over the raw tables (independent of the ledger code)."""
    r, i = desk_requests.c, desk_items.c
    where = [
        r.received_at >= period.start,
        r.received_at < period.end,
        r.authority_type.in_(list(authorities)),
        r.kind != "incident",
    ]
    if kinds is not None:
        where.append(r.kind.in_(list(kinds)))
    conn = store.conn
    out = {
        "requests": int(
            conn.execute(sa.select(sa.func.count()).select_from(desk_requests).where(*where)).scalar() or 0
        )
    }
    joined = desk_items.join(desk_requests, r.id == i.request_id)
    out["items"] = int(
        conn.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar() or 0
    )
    for outcome, n in conn.execute(
        sa.select(i.outcome, sa.func.count()).select_from(joined).where(*where).group_by(i.outcome)
    ):
        if outcome is not None:
            out[f"outcome:{outcome}"] = int(n)
    out["actioned"] = sum(out.get(f"outcome:{o}", 0) for o in _ACTIONED)
    return out


def transparency_report(desk: Desk, year: int, half: int) -> TransparencyReport:
    """The half-year report of government requests, reconciled with the raw ledger.

    Raises:
        ReconciliationError: a total differs from the raw tables.
    """
    period = half_year(year, half)
    with desk.db.read() as store:
        rows = ledger_rows(store, period)
        raw = _raw_counts(store, period, sorted(a.value for a in GOVERNMENT_AUTHORITIES))
    groups: dict[tuple[str, str], list[LedgerRow]] = {}
    for r in rows:
        groups.setdefault((r.authority_type, r.legal_basis), []).append(r)
    table = tuple(_group(a, b, g) for (a, b), g in sorted(groups.items()))
    totals = _group("all", "all", rows)
    user_data = []
    by_auth: dict[str, list[LedgerRow]] = {}
    for r in rows:
        if r.request_kind == "user_data":
            by_auth.setdefault(r.authority_type, []).append(r)
    for auth, group in sorted(by_auth.items()):
        produced = Counter(r.produced or "pending" for r in group)
        user_data.append(
            UserDataRow(
                auth,
                len(group),
                sum(r.accounts_specified for r in group),
                produced["none"],
                produced["partial"],
                produced["full"],
                produced["pending"],
            )
        )
    checks = [
        Check("requests", sum(g.requests for g in table), raw["requests"]),
        Check("items_specified", sum(g.items_specified for g in table), raw["items"]),
        Check("items_actioned", sum(g.items_actioned for g in table), raw["actioned"]),
        *(
            Check(f"outcome:{o}", sum(g.outcomes[o] for g in table), raw.get(f"outcome:{o}", 0))
            for o in OUTCOMES
        ),
        Check("totals.requests", totals.requests, raw["requests"]),
    ]
    report = TransparencyReport(period, desk.now(), table, totals, tuple(user_data), tuple(checks))
    _raise_if_unreconciled(report.checks, period.label)
    return report


def _raise_if_unreconciled(checks: Sequence[Check], label: str) -> None:
    bad = [c for c in checks if not c.ok]
    if bad:
        c = bad[0]
        raise ReconciliationError(
            f"report {label}: {c.name} is {c.report} in the report, {c.ledger} in the ledger"
        )


def annual_report(desk: Desk, year: int) -> AnnualReport:
    """The annual report (SN-11) for ``year``, due 1 February of the next year, reconciled.

    Raises:
        ReconciliationError: a total differs from the raw tables.
    """
    period = year_period(year)
    with desk.db.read() as store:
        rows = ledger_rows(store, period, government_only=False)
        all_auth = sorted({r.authority_type for r in rows}) or ["none"]
        raw_all = _raw_counts(store, period, all_auth, ["removal", "complaint", "detection"])
        raw_rkn = _raw_counts(store, period, list(_RKN_DEMAND), ["removal"])
    content = [r for r in rows if r.request_kind in ("removal", "complaint", "detection")]
    own = sum(r.items_actioned for r in content if r.request_kind in ("complaint", "detection"))
    rkn = sum(
        r.items_actioned for r in content if r.request_kind == "removal" and r.authority_type in _RKN_DEMAND
    )
    other = sum(
        r.items_actioned
        for r in content
        if r.request_kind == "removal" and r.authority_type not in _RKN_DEMAND
    )
    total = sum(r.items_actioned for r in content)
    referred = sum(r.outcomes.get(ItemOutcome.REFERRED_TO_RKN.value, 0) for r in content)
    complaints: dict[str, Counter[str]] = {}
    for r in rows:
        if r.request_kind == "complaint":
            complaints.setdefault(r.category or "-", Counter()).update({"complaints": 1, **r.outcomes})
    appeals: Counter[str] = Counter()
    for r in rows:
        if r.request_kind == "appeal":
            appeals["appeals"] += 1
            appeals[f"decision:{r.decision or 'pending'}"] += 1
            appeals.update(r.outcomes)
    due = desk.engine.compute("sn.annual_report", _mid_year(period)).due_at
    checks = (
        Check("pages_restricted_total", total, raw_all["actioned"]),
        Check("sources_add_up", own + rkn + other, total),
        Check("restricted_on_rkn_demand", rkn, raw_rkn["actioned"]),
        Check("referred_to_rkn", referred, raw_all.get(f"outcome:{ItemOutcome.REFERRED_TO_RKN.value}", 0)),
    )
    report = AnnualReport(
        year,
        iso_utc(due),
        desk.now(),
        total,
        own,
        rkn,
        other,
        referred,
        {k: dict(sorted(v.items())) for k, v in sorted(complaints.items())},
        dict(sorted(appeals.items())),
        checks,
    )
    _raise_if_unreconciled(checks, str(year))
    return report


def _mid_year(period: Period) -> dt.datetime:
    return parse_ts(period.start) + dt.timedelta(days=180)


def cross_check(annual: AnnualReport, halves: Sequence[TransparencyReport]) -> tuple[Check, ...]:
    """TR-5: the annual "restricted on RKN demand" equals the half-year reports' actioned items
    of RKN and Prosecutor General removal requests; the halves must cover the same year."""
    labels = sorted(h.period.label for h in halves)
    if labels != [f"{annual.year}-H1", f"{annual.year}-H2"]:
        raise ReconciliationError(f"cross-check needs {annual.year}-H1 and -H2, got {labels}")
    from_halves = sum(g.items_actioned for h in halves for g in h.rows if g.authority_type in _RKN_DEMAND)
    return (Check("annual_vs_halves.rkn_demand", annual.restricted_on_rkn_demand, from_halves),)


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buf.getvalue()


def _group_dict(g: GroupRow) -> dict[str, Any]:
    body = asdict(g)
    outcomes = body.pop("outcomes")
    return {**body, **{f"outcome_{k}": v for k, v in outcomes.items()}}


def report_files(report: TransparencyReport | AnnualReport) -> dict[str, str]:
    """File name -> content: JSON, CSV and SVG charts of a report."""
    if isinstance(report, TransparencyReport):
        name = f"transparency-{report.period.label}"
        table = [_group_dict(g) for g in report.rows] + [_group_dict(report.totals)]
        by_auth: dict[str, Counter[str]] = {}
        for g in report.rows:
            by_auth.setdefault(g.authority_type, Counter()).update({"requests": g.requests, **g.outcomes})
        labels = sorted(by_auth)
        shown = [o for o in OUTCOMES if any(by_auth[a][o] for a in labels)] or list(OUTCOMES[:1])
        return {
            f"{name}.json": json.dumps(asdict(report), ensure_ascii=False, indent=1),
            f"{name}.csv": _csv(table),
            f"{name}-requests.svg": bar_chart(
                f"Government requests {report.period.label} by authority",
                labels,
                {"requests": [by_auth[a]["requests"] for a in labels]},
            ),
            f"{name}-outcomes.svg": bar_chart(
                f"Item outcomes {report.period.label} by authority",
                labels,
                {o: [by_auth[a][o] for a in labels] for o in shown},
            ),
        }
    name = f"annual-{report.year}"
    rows = [
        {"measure": k, "value": v}
        for k, v in (
            ("pages_restricted_total", report.pages_restricted_total),
            ("restricted_own_initiative", report.restricted_own_initiative),
            ("restricted_on_rkn_demand", report.restricted_on_rkn_demand),
            ("restricted_other_authority", report.restricted_other_authority),
            ("referred_to_rkn", report.referred_to_rkn),
        )
    ]
    cats = sorted(report.complaints_by_category)
    return {
        f"{name}.json": json.dumps(asdict(report), ensure_ascii=False, indent=1),
        f"{name}.csv": _csv(rows),
        f"{name}-sources.svg": bar_chart(
            f"Pages restricted in {report.year} by source",
            ["own initiative", "RKN demand", "other authority"],
            {
                "pages": [
                    report.restricted_own_initiative,
                    report.restricted_on_rkn_demand,
                    report.restricted_other_authority,
                ]
            },
        ),
        f"{name}-complaints.svg": bar_chart(
            f"E-form complaints {report.year} by category",
            cats,
            {"complaints": [report.complaints_by_category[c].get("complaints", 0) for c in cats]},
        ),
    }


def write_report(report: TransparencyReport | AnnualReport, out_dir: Path) -> list[Path]:
    """Write the report's JSON, CSV and charts into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in report_files(report).items():
        path = out_dir / name
        path.write_text(text, "utf-8")
        paths.append(path)
    return paths
