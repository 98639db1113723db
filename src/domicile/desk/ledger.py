"""The government-request ledger (TR-1, TR-2, TR-3): one row per request, PD-free.

Rows are read straight from the desk tables (requests, items, decisions, timeline) for a period
of receipt; reports (:mod:`domicile.desk.reports`) aggregate these rows and reconcile their
totals with independent SQL counts over the same tables. Exports: CSV and JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from domicile.core.clock import iso_utc
from domicile.desk.calendar import moscow_tz
from domicile.desk.errors import DeskInputError
from domicile.desk.models import ACTIONED_OUTCOMES, GOVERNMENT_AUTHORITIES, ItemOutcome, parse_ts
from domicile.desk.schema import desk_decisions, desk_events, desk_items, desk_requests
from domicile.desk.store import DeskStore

__all__ = [
    "LEDGER_COLUMNS",
    "LedgerRow",
    "Period",
    "half_year",
    "ledger_csv",
    "ledger_json",
    "ledger_rows",
    "year_period",
]

OUTCOMES: tuple[str, ...] = tuple(o.value for o in ItemOutcome)
_ACTIONED = tuple(o.value for o in ACTIONED_OUTCOMES)
EXECUTE_ACTIONS = ("desk.execute", "desk.execute.auto")


@dataclass(frozen=True)
class Period:
    """A reporting period [start, end) in UTC, with its label (e.g. ``2025-H1``)."""

    label: str
    start: str
    end: str


def _moscow_midnight(year: int, month: int) -> str:
    return iso_utc(dt.datetime(year, month, 1, tzinfo=moscow_tz()))


def half_year(year: int, half: int) -> Period:
    """H1 (1 Jan - 30 Jun) or H2 (1 Jul - 31 Dec), Moscow time (transparency periods, TR-4)."""
    if half not in (1, 2) or not 2000 <= year <= 2100:
        raise DeskInputError("a half-year is (year 2000..2100, half 1 or 2)")
    if half == 1:
        return Period(f"{year}-H1", _moscow_midnight(year, 1), _moscow_midnight(year, 7))
    return Period(f"{year}-H2", _moscow_midnight(year, 7), _moscow_midnight(year + 1, 1))


def year_period(year: int) -> Period:
    """The calendar year in Moscow time (the annual report, SN-11)."""
    if not 2000 <= year <= 2100:
        raise DeskInputError("year must be 2000..2100")
    return Period(str(year), _moscow_midnight(year, 1), _moscow_midnight(year + 1, 1))


@dataclass(frozen=True)
class LedgerRow:
    """One request in the ledger (TR-1 fields, per-item outcome counts TR-2, production TR-3)."""

    request_id: str
    received_at: str
    channel: str
    authority_type: str
    authority_name: str | None
    legal_basis: str
    decision_no: str | None
    decision_date: str | None
    registry_entry_no: str | None
    category: str | None
    type_id: str
    request_kind: str
    priority: int
    due_at: str
    state: str
    decision: str | None
    items_specified: int
    accounts_specified: int
    items_actioned: int
    first_action_at: str | None
    answered_at: str | None
    closed_at: str | None
    produced: str | None
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def hours_to_action(self) -> float | None:
        """Hours from receipt to the first action (item actioned or execution), if any."""
        if self.first_action_at is None:
            return None
        delta = parse_ts(self.first_action_at) - parse_ts(self.received_at)
        return delta.total_seconds() / 3600


LEDGER_COLUMNS: tuple[str, ...] = (
    *(f for f in LedgerRow.__dataclass_fields__ if f != "outcomes"),
    *(f"outcome_{o}" for o in OUTCOMES),
)


def ledger_rows(
    store: DeskStore, period: Period | None = None, *, government_only: bool = True
) -> list[LedgerRow]:
    """Ledger rows received in ``period`` (all time if None), by receipt time.

    Args:
        store: the desk store.
        period: the reporting period.
        government_only: only requests from government authorities (TR-1); False adds
            complaints, appeals, subject requests, detections and incidents.
    """
    conn = store.conn
    r = desk_requests.c
    where: list[Any] = [r.kind != "incident"] if government_only else []
    if government_only:
        where.append(r.authority_type.in_(sorted(a.value for a in GOVERNMENT_AUTHORITIES)))
    if period is not None:
        where += [r.received_at >= period.start, r.received_at < period.end]
    reqs = list(conn.execute(sa.select(desk_requests).where(*where).order_by(r.received_at, r.id)).mappings())
    ids = [q["id"] for q in reqs]
    items: dict[str, dict[str, Any]] = {
        i: {"n": 0, "acc": 0, "act": 0, "first": None, "out": {}} for i in ids
    }
    events: dict[str, dict[str, str]] = {i: {} for i in ids}
    decisions: dict[str, str] = {}
    for chunk in _chunks(ids, 500):
        i = desk_items.c
        for row in conn.execute(sa.select(desk_items).where(i.request_id.in_(chunk))).mappings():
            agg = items[row["request_id"]]
            agg["n"] += 1
            agg["acc"] += 1 if row["account_id"] else 0
            if row["outcome"]:
                agg["out"][row["outcome"]] = agg["out"].get(row["outcome"], 0) + 1
            if row["outcome"] in _ACTIONED:
                agg["act"] += 1
                if row["actioned_at"] and (agg["first"] is None or row["actioned_at"] < agg["first"]):
                    agg["first"] = row["actioned_at"]
        e = desk_events.c
        stmt = (
            sa.select(e.request_id, e.action, sa.func.min(e.at))
            .where(e.request_id.in_(chunk), e.action.in_([*EXECUTE_ACTIONS, "desk.answer"]))
            .group_by(e.request_id, e.action)
        )
        for rid, action, at in conn.execute(stmt):
            events[rid][action] = at
        d = desk_decisions.c
        for rid, decision in conn.execute(
            sa.select(d.request_id, d.decision).where(d.request_id.in_(chunk)).order_by(d.seq)
        ):
            decisions[rid] = decision
    out = []
    for req in reqs:
        q = req
        rid = q["id"]
        agg, ev = items[rid], events[rid]
        executed = min((ev[a] for a in EXECUTE_ACTIONS if a in ev), default=None)
        first = agg["first"] if agg["n"] else executed
        out.append(
            LedgerRow(
                request_id=rid,
                received_at=q["received_at"],
                channel=q["channel"],
                authority_type=q["authority_type"],
                authority_name=q["authority_name"],
                legal_basis=q["legal_basis"],
                decision_no=q["decision_no"],
                decision_date=q["decision_date"],
                registry_entry_no=q["registry_entry_no"],
                category=q["category"],
                type_id=q["type_id"],
                request_kind=q["kind"],
                priority=q["priority"],
                due_at=q["due_at"],
                state=q["state"],
                decision=decisions.get(rid),
                items_specified=agg["n"],
                accounts_specified=agg["acc"] + (1 if q["subject_id"] else 0),
                items_actioned=agg["act"],
                first_action_at=first,
                answered_at=ev.get("desk.answer"),
                closed_at=q["closed_at"],
                produced=q["produced"],
                outcomes=dict(sorted(agg["out"].items())),
            )
        )
    return out


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _flat(row: LedgerRow) -> dict[str, Any]:
    body = asdict(row)
    outcomes = body.pop("outcomes")
    body.update({f"outcome_{o}": outcomes.get(o, 0) for o in OUTCOMES})
    return body


def ledger_csv(rows: Sequence[LedgerRow]) -> str:
    """The ledger as CSV (header :data:`LEDGER_COLUMNS`)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(LEDGER_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(_flat(row))
    return buf.getvalue()


def ledger_json(rows: Sequence[LedgerRow]) -> str:
    """The ledger as a JSON array."""
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1)
