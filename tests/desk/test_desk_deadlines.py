"""Deadline engine: working-day, hour, calendar-day and date clocks, extensions and evidence."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from domicile.core.errors import DeskError
from domicile.desk.calendar import DayKind, load_ru_calendar
from domicile.desk.clocks import ClockRegistry, load_ru_clocks
from domicile.desk.deadline_errors import (
    CalendarYearMissingError,
    DeadlineInputError,
    ExtensionRefusedError,
    UnknownClockError,
)
from domicile.desk.deadlines import Deadline, DeadlineEngine

MSK = dt.timezone(dt.timedelta(hours=3))  # fixed offset: independent of the engine's zoneinfo
UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
D = dt.date


@pytest.fixture(scope="module")
def engine() -> DeadlineEngine:
    return DeadlineEngine(load_ru_calendar(), load_ru_clocks())


def msk(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=MSK)


def end_of_moscow_day(day: dt.date) -> dt.datetime:
    """23:59:59.999 Moscow of ``day``, as UTC."""
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, 999000, tzinfo=MSK).astimezone(UTC)


def skipped(deadline: Deadline) -> list[dt.date]:
    return [cd.day for cd in deadline.evidence.skipped_days]


# --------------------------------------------------------------------------- working days


def test_friday_27_dec_2024_counts_the_working_saturday(engine: DeadlineEngine) -> None:
    """PD-DSR-1: received Fri 27 Dec 2024, day 1 is working Sat 28 Dec; due Tue 21 Jan 2025."""
    d = engine.compute("pd.dsr.access", msk(2024, 12, 27, 15))
    assert d.evidence.counted_days[:2] == (D(2024, 12, 28), D(2025, 1, 9))
    assert d.due_at == end_of_moscow_day(D(2025, 1, 21))
    assert d.due_at == dt.datetime(2025, 1, 21, 20, 59, 59, 999000, tzinfo=UTC)
    holidays = [D(2025, 1, n) for n in range(1, 9)]
    weekends = [D(2025, 1, 11), D(2025, 1, 12), D(2025, 1, 18), D(2025, 1, 19)]
    assert skipped(d) == [D(2024, 12, 29), D(2024, 12, 30), D(2024, 12, 31), *holidays, *weekends]


def test_tuesday_31_dec_2024_starts_after_the_holidays(engine: DeadlineEngine) -> None:
    """PD-DSR-1: received on the non-working 31 Dec 2024, day 1 is Thu 9 Jan; due Wed 22 Jan 2025."""
    d = engine.compute("pd.dsr.access", msk(2024, 12, 31, 10))
    assert d.evidence.counted_days[0] == D(2025, 1, 9)
    assert d.due_at == end_of_moscow_day(D(2025, 1, 22))


def test_30_dec_2025_with_extension(engine: DeadlineEngine) -> None:
    """PD-DSR-1: received Tue 30 Dec 2025 -> due Fri 23 Jan 2026; +5 wd once -> Fri 30 Jan 2026."""
    d = engine.compute("pd.dsr.access", msk(2025, 12, 30, 18))
    assert d.evidence.counted_days[0] == D(2026, 1, 12)
    assert d.due_at == end_of_moscow_day(D(2026, 1, 23))
    kinds = {cd.day: cd.kind for cd in d.evidence.skipped_days}
    assert kinds[D(2025, 12, 31)] is DayKind.MOVED_DAY_OFF
    assert kinds[D(2026, 1, 7)] is DayKind.HOLIDAY
    assert kinds[D(2026, 1, 9)] is DayKind.MOVED_DAY_OFF
    extended = engine.extend(d, notice_sent_at=msk(2026, 1, 20))
    assert extended.due_at == end_of_moscow_day(D(2026, 1, 30))
    assert extended.evidence.extensions[0].previous_due_at == d.due_at
    assert d.extensions_used == 0 and extended.extensions_used == 1


def test_1_nov_2024_counts_working_saturday_and_skips_the_holiday(engine: DeadlineEngine) -> None:
    """PD-DSR-1: received Fri 1 Nov 2024: Sat 2 Nov is day 1, 3-4 Nov skipped; due Fri 15 Nov."""
    d = engine.compute("pd.dsr.access", msk(2024, 11, 1, 9))
    assert d.evidence.counted_days[:2] == (D(2024, 11, 2), D(2024, 11, 5))
    assert skipped(d) == [D(2024, 11, 3), D(2024, 11, 4), D(2024, 11, 9), D(2024, 11, 10)]
    assert d.due_at == end_of_moscow_day(D(2024, 11, 15))


def test_10_working_days_spanning_sat_2_nov_2024(engine: DeadlineEngine) -> None:
    """PD-DSR-7: received Fri 25 Oct 2024 -> due Fri 8 Nov 2024 (Sat 2 Nov is the 6th day)."""
    d = engine.compute("pd.rkn.request", msk(2024, 10, 25))
    assert d.evidence.counted_days[5] == D(2024, 11, 2)
    assert d.due_at == end_of_moscow_day(D(2024, 11, 8))


def test_cross_border_wait_spanning_sat_1_nov_2025(engine: DeadlineEngine) -> None:
    """PD-XB-3: notice filed Mon 27 Oct 2025 -> the wait ends after Tue 11 Nov 2025."""
    d = engine.compute("pd.xb.wait", msk(2025, 10, 27))
    assert D(2025, 11, 1) in d.evidence.counted_days
    assert skipped(d)[:3] == [D(2025, 11, 2), D(2025, 11, 3), D(2025, 11, 4)]
    assert d.due_at == end_of_moscow_day(D(2025, 11, 11))
    assert not d.is_breached(msk(2025, 11, 10, 12))  # filed + 9 wd: transfer still forbidden
    assert d.is_breached(msk(2025, 11, 12, 0, 0))  # after 10 wd: allowed


def test_receipt_date_is_the_moscow_date(engine: DeadlineEngine) -> None:
    """27 Dec 2024 21:30 UTC is already Sat 28 Dec in Moscow, so counting starts a day later."""
    before = engine.compute("pd.dsr.access", dt.datetime(2024, 12, 27, 20, 30, tzinfo=UTC))
    after = engine.compute("pd.dsr.access", dt.datetime(2024, 12, 27, 21, 30, tzinfo=UTC))
    assert before.evidence.trigger_local_date == D(2024, 12, 27)
    assert after.evidence.trigger_local_date == D(2024, 12, 28)
    assert before.due_at == end_of_moscow_day(D(2025, 1, 21))
    assert after.due_at == end_of_moscow_day(D(2025, 1, 22))


def test_deadline_into_a_year_without_data_is_refused(engine: DeadlineEngine) -> None:
    """A 10-wd clock from 25 Dec 2026 needs 2027, which has no decree yet: typed DeskError."""
    with pytest.raises(CalendarYearMissingError) as info:
        engine.compute("pd.dsr.access", msk(2026, 12, 25))
    assert isinstance(info.value, DeskError)
    assert info.value.year == 2027


def test_evidence_names_rule_law_tag_and_decrees(engine: DeadlineEngine) -> None:
    """Evidence carries the rule id, legal source, tag, requirement IDs and the years' decrees."""
    ev = engine.compute("pd.dsr.access", msk(2024, 12, 27)).evidence
    assert ev.rule_id == "pd.dsr.access"
    assert ev.tag == "[V]"
    assert "152-FZ art. 20" in ev.legal_source
    assert "PD-DSR-1" in ev.rule.source.requirement_ids
    assert [s.number for s in ev.calendar_sources] == ["1314", "1335"]
    assert ev.timezone == "Europe/Moscow"
    assert "day after" in ev.convention
    assert not ev.internal_target


# --------------------------------------------------------------------------- hours and immediate


def test_breach_notices_across_eu_dst_night(engine: DeadlineEngine) -> None:
    """PD-BR-2/3: 24 h and 72 h are exact clock hours; Moscow has no DST (EU switch 31 Mar 2024)."""
    detected = dt.datetime(2024, 3, 30, 22, 30, tzinfo=UTC)
    first = engine.compute("pd.breach.notice_24h", detected)
    second = engine.compute("pd.breach.notice_72h", detected)
    assert first.due_at == dt.datetime(2024, 3, 31, 22, 30, tzinfo=UTC)
    assert second.due_at == dt.datetime(2024, 4, 2, 22, 30, tzinfo=UTC)
    assert first.due_at_moscow.utcoffset() == dt.timedelta(hours=3)
    assert first.evidence.calendar_sources == () and first.evidence.skipped_days == ()


def test_breach_notice_across_utc_midnight_and_holidays(engine: DeadlineEngine) -> None:
    """PD-BR-2: detected 31 Dec 2024 23:30 UTC (1 Jan 02:30 MSK): due 1 Jan 23:30 UTC, holidays count."""
    detected = dt.datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    d = engine.compute("pd.breach.notice_24h", detected)
    assert d.due_at == dt.datetime(2025, 1, 1, 23, 30, tzinfo=UTC)
    assert d.due_at - d.started_at == dt.timedelta(hours=24)


def test_input_zone_does_not_change_the_instant(engine: DeadlineEngine) -> None:
    """The same instant given in New York time (US DST day) yields the same UTC due time."""
    ny = dt.datetime(2024, 3, 10, 1, 30, tzinfo=NEW_YORK)
    as_utc = ny.astimezone(UTC)
    for clock in ("pd.breach.notice_24h", "reg.takedown.remove", "pd.dsr.access"):
        assert engine.compute(clock, ny).due_at == engine.compute(clock, as_utc).due_at
    assert engine.compute("pd.breach.notice_24h", ny).due_at.tzinfo is UTC


def test_register_takedown_is_24_hours(engine: DeadlineEngine) -> None:
    """REG-2: a 149-FZ art. 15.1 notice must be actioned within 24 clock hours."""
    received = msk(2024, 12, 31, 23, 15)
    d = engine.compute("reg.takedown.remove", received)
    assert d.due_at == received.astimezone(UTC) + dt.timedelta(hours=24)
    assert "15.1" in d.evidence.legal_source


def test_prosecutor_demand_uses_the_internal_target(engine: DeadlineEngine) -> None:
    """PG-1: «незамедлительно» -> internal target 60 min by default, flagged as internal."""
    received = msk(2025, 5, 9, 3, 0)
    d = engine.compute("pg.demand.restrict", received)
    assert d.due_at - d.started_at == dt.timedelta(minutes=60)
    assert d.evidence.internal_target
    assert "15.3" in d.evidence.legal_source


def test_internal_target_override_is_recorded(engine: DeadlineEngine) -> None:
    """An internal-target override applies and the evidence names where it came from."""
    clocks = load_ru_clocks({"pg.demand.restrict": {"internal_target_minutes": 30}}, label="ops.yaml")
    other = DeadlineEngine(load_ru_calendar(), clocks)
    d = other.compute("pg.demand.restrict", msk(2025, 5, 9, 3, 0))
    assert d.due_at - d.started_at == dt.timedelta(minutes=30)
    assert d.evidence.rule.overridden_by == "ops.yaml"
    assert engine.compute("pg.demand.restrict", msk(2025, 5, 9)).evidence.rule.overridden_by is None


def test_rkn_acknowledgement_is_15_minutes(engine: DeadlineEngine) -> None:
    """§7: any RKN message is acknowledged within the 15-minute internal target."""
    d = engine.compute("rkn.contact.ack", msk(2024, 6, 12, 4))
    assert d.due_at - d.started_at == dt.timedelta(minutes=15)


# --------------------------------------------------------------------------- calendar days and dates


def test_user_appeal_is_three_calendar_days(engine: DeadlineEngine) -> None:
    """SN-7: an appeal received 30 Dec 2024 is due at the end of 2 Jan 2025 (holidays count)."""
    d = engine.compute("sn.appeal.decide", msk(2024, 12, 30, 10))
    assert d.due_at == end_of_moscow_day(D(2025, 1, 2))


def test_calendar_term_ending_on_holiday_rolls_only_when_configured(engine: DeadlineEngine) -> None:
    """PD-CON-3: 30 days from 9 Dec 2024 end on holiday 8 Jan; roll_forward (art. 193) gives 9 Jan."""
    kept = engine.compute("pd.consent.destroy", msk(2024, 12, 9))
    assert kept.due_at == end_of_moscow_day(D(2025, 1, 8))
    clocks = load_ru_clocks({"pd.consent.destroy": {"end_on_non_working": "roll_forward"}})
    rolled = DeadlineEngine(load_ru_calendar(), clocks).compute("pd.consent.destroy", msk(2024, 12, 9))
    assert rolled.due_at == end_of_moscow_day(D(2025, 1, 9))
    assert skipped(rolled) == [D(2025, 1, 8)]
    assert [s.number for s in rolled.evidence.calendar_sources] == ["1335"]


def test_art22_change_is_due_on_the_15th_of_next_month(engine: DeadlineEngine) -> None:
    """PD-NOT-3: the month is the Moscow month of the change; December rolls into January."""
    late_dec = engine.compute("pd.notice.change", dt.datetime(2024, 12, 31, 20, 0, tzinfo=UTC))
    new_year = engine.compute("pd.notice.change", dt.datetime(2024, 12, 31, 21, 30, tzinfo=UTC))
    assert late_dec.due_at == end_of_moscow_day(D(2025, 1, 15))
    assert new_year.due_at == end_of_moscow_day(D(2025, 2, 15))


def test_annual_report_is_due_1_february(engine: DeadlineEngine) -> None:
    """SN-11: the report for a year is due by 1 February of the next year."""
    d = engine.compute("sn.annual_report", msk(2025, 7, 1))
    assert d.due_at == end_of_moscow_day(D(2026, 2, 1))


# --------------------------------------------------------------------------- extensions and errors


def test_extension_needs_notice_before_the_deadline(engine: DeadlineEngine) -> None:
    """PD-DSR-1: no extension without a notice sent before the original deadline."""
    d = engine.compute("pd.dsr.access", msk(2024, 11, 1))
    with pytest.raises(ExtensionRefusedError, match="before the deadline"):
        engine.extend(d, notice_sent_at=d.due_at + dt.timedelta(milliseconds=1))
    assert engine.extend(d, notice_sent_at=d.due_at).due_at > d.due_at


def test_extension_is_once_and_at_most_5_working_days(engine: DeadlineEngine) -> None:
    """PD-DSR-1: one extension of at most 5 wd; shorter is allowed."""
    d = engine.compute("pd.dsr.access", msk(2024, 11, 1))
    with pytest.raises(ExtensionRefusedError, match=r"1\.\.5"):
        engine.extend(d, notice_sent_at=msk(2024, 11, 5), working_days=6)
    two = engine.extend(d, notice_sent_at=msk(2024, 11, 5), working_days=2)
    assert two.due_at == end_of_moscow_day(D(2024, 11, 19))
    with pytest.raises(ExtensionRefusedError, match="all are used"):
        engine.extend(two, notice_sent_at=msk(2024, 11, 6))


def test_clock_without_extension_refuses_it(engine: DeadlineEngine) -> None:
    """A 24 h breach notice cannot be extended."""
    d = engine.compute("pd.breach.notice_24h", msk(2024, 11, 1))
    with pytest.raises(ExtensionRefusedError, match="cannot be extended"):
        engine.extend(d, notice_sent_at=msk(2024, 11, 1, 13))


def test_bad_inputs_are_typed_errors(engine: DeadlineEngine) -> None:
    """Naive datetimes, unknown clocks and notices before the start are typed DeskErrors."""
    with pytest.raises(DeadlineInputError, match="timezone-aware"):
        engine.compute("pd.dsr.access", dt.datetime(2024, 11, 1, 12))
    with pytest.raises(UnknownClockError, match=r"no\.such"):
        engine.compute("no.such", msk(2024, 11, 1))
    d = engine.compute("pd.dsr.access", msk(2024, 11, 1))
    with pytest.raises(DeadlineInputError, match="before the clock started"):
        engine.extend(d, notice_sent_at=msk(2024, 10, 31))


def test_per_request_term_via_rule_copy(engine: DeadlineEngine) -> None:
    """A law-enforcement demand's stated term is applied to a copy of the [U] rule (TR-3)."""
    base: ClockRegistry = engine.clocks
    rule = base.rule("le.data_request").revised("demand 42", amount=5)
    d = engine.compute_rule(rule, msk(2024, 11, 1))
    assert d.due_at == end_of_moscow_day(D(2024, 11, 8))
    assert d.evidence.rule.legal_review
    assert d.evidence.rule.overridden_by == "demand 42"
