"""Property tests of the deadline arithmetic (ru-requirements §9 item 1)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.desk.calendar import load_ru_calendar
from domicile.desk.clocks import load_ru_clocks
from domicile.desk.deadlines import DeadlineEngine
from domicile.desk.escalation import threshold_instant

UTC = dt.UTC
CAL = load_ru_calendar()
ENGINE = DeadlineEngine(CAL, load_ru_clocks())
# Receipts whose 10 + 5 working-day deadlines stay inside the loaded years (2023-2026).
instants = st.datetimes(
    min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 11, 30), timezones=st.just(UTC)
)
dates = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 9, 30))  # + 50 wd stays in 2026
WD_CLOCKS = ["pd.dsr.access", "pd.dsr.rectify", "pd.unlawful.stop", "pd.xb.wait"]


@settings(max_examples=150, deadline=None)
@given(at=instants, clock=st.sampled_from(WD_CLOCKS))
def test_working_day_due_never_on_a_non_working_day(at: dt.datetime, clock: str) -> None:
    """PD-DSR-1, PD-XB-3: a working-day due date is always a working day of the calendar."""
    deadline = ENGINE.compute(clock, at)
    due_day = deadline.due_at_moscow.date()
    assert CAL.is_working_day(due_day)
    assert due_day == deadline.evidence.counted_days[-1]
    assert all(not cd.working for cd in deadline.evidence.skipped_days)


@settings(max_examples=150, deadline=None)
@given(a=instants, b=instants, clock=st.sampled_from([*WD_CLOCKS, "pd.notice.change", "sn.appeal.decide"]))
def test_due_is_monotonic_in_receipt_time(a: dt.datetime, b: dt.datetime, clock: str) -> None:
    """§9: due(received) is non-decreasing in the receipt instant."""
    early, late = sorted((a, b))
    assert ENGINE.compute(clock, early).due_at <= ENGINE.compute(clock, late).due_at


@settings(max_examples=150, deadline=None)
@given(day=dates, n=st.integers(0, 25), m=st.integers(0, 25))
def test_adding_n_then_m_equals_adding_n_plus_m(day: dt.date, n: int, m: int) -> None:
    """Working-day addition composes: add(add(d, n), m) == add(d, n + m)."""
    assert CAL.add_working_days(CAL.add_working_days(day, n), m) == CAL.add_working_days(day, n + m)
    assert CAL.working_days_between(day + dt.timedelta(days=1), CAL.add_working_days(day, n)) == n


@settings(max_examples=100, deadline=None)
@given(at=instants, extra=st.integers(1, 5))
def test_extension_equals_the_longer_clock(at: dt.datetime, extra: int) -> None:
    """PD-DSR-1: 10 wd extended by k wd ends where a (10 + k) wd clock ends."""
    base = ENGINE.compute("pd.dsr.access", at)
    extended = ENGINE.extend(base, notice_sent_at=at, working_days=extra)
    longer = ENGINE.compute_rule(base.evidence.rule.revised("test", amount=10 + extra), at)
    assert extended.due_at == longer.due_at
    assert extended.evidence.counted_days == longer.evidence.counted_days


@settings(max_examples=100, deadline=None)
@given(at=instants, hours=st.sampled_from(["pd.breach.notice_24h", "pd.breach.notice_72h"]))
def test_hour_clocks_are_exact_whatever_the_input_zone(at: dt.datetime, hours: str) -> None:
    """PD-BR-2/3: the due instant is trigger + N hours, identical for any zone of the input."""
    deadline = ENGINE.compute(hours, at)
    amount = deadline.evidence.rule.amount
    assert deadline.due_at - deadline.started_at == dt.timedelta(hours=amount)
    for zone in ("Europe/Moscow", "America/New_York", "Asia/Kamchatka"):
        assert ENGINE.compute(hours, at.astimezone(ZoneInfo(zone))).due_at == deadline.due_at


@settings(max_examples=100, deadline=None)
@given(at=instants, f=st.floats(0.01, 1.0), g=st.floats(0.01, 1.0))
def test_threshold_instants_are_monotonic(at: dt.datetime, f: float, g: float) -> None:
    """Escalation instants grow with the fraction and never pass the end of the window."""
    deadline = ENGINE.compute("pd.dsr.access", at)
    lo, hi = sorted((f, g))
    assert threshold_instant(deadline, lo) <= threshold_instant(deadline, hi)
    assert threshold_instant(deadline, hi) <= deadline.due_at + dt.timedelta(milliseconds=1)
