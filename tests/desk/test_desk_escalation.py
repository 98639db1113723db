"""Escalation thresholds: 50 %, 90 % and breach, in wall time and in working time."""

from __future__ import annotations

import datetime as dt

import pytest

from domicile.core.clock import FixedClock
from domicile.desk.calendar import load_ru_calendar
from domicile.desk.clocks import load_ru_clocks
from domicile.desk.deadline_errors import DeadlineInputError
from domicile.desk.deadlines import DeadlineEngine
from domicile.desk.escalation import BREACH, Escalator, Measure, assess, threshold_instant

MSK = dt.timezone(dt.timedelta(hours=3))
UTC = dt.UTC


@pytest.fixture(scope="module")
def engine() -> DeadlineEngine:
    return DeadlineEngine(load_ru_calendar(), load_ru_clocks())


def moscow_midnight(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, tzinfo=MSK).astimezone(UTC)


def test_breach_notice_alerts_at_12h_and_breaches_after_24h(engine: DeadlineEngine) -> None:
    """PD-BR-2: with a fake clock, 50 % fires at T+12 h, 90 % at T+21.6 h, breach after T+24 h."""
    detected = dt.datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    deadline = engine.compute("pd.breach.notice_24h", detected)
    clock = FixedClock(detected + dt.timedelta(hours=11, minutes=59))
    escalator = Escalator(clock)
    status = escalator.assess(deadline)
    assert status.measure is Measure.WALL_TIME
    assert status.level is None
    assert status.next_level == "50%"
    assert status.next_level_at == detected + dt.timedelta(hours=12)
    clock.set(detected + dt.timedelta(hours=12))
    assert escalator.assess(deadline).level == "50%"
    clock.set(detected + dt.timedelta(hours=21, minutes=36))
    assert escalator.assess(deadline).level == "90%"
    clock.set(deadline.due_at)
    at_due = escalator.assess(deadline)
    assert not at_due.breached and at_due.next_level == BREACH
    clock.advance(dt.timedelta(microseconds=1))
    late = escalator.assess(deadline)
    assert late.breached and late.level == BREACH
    assert late.remaining < dt.timedelta(0)
    assert late.next_level is None and late.next_level_at is None


def test_working_time_freezes_over_new_year(engine: DeadlineEngine) -> None:
    """PD-DSR-1: from 27 Dec 2024 only 1 of 10 working days is spent by 8 Jan 2025 (no 50 % alert)."""
    deadline = engine.compute("pd.dsr.access", dt.datetime(2024, 12, 27, 15, tzinfo=MSK))
    status = assess(deadline, dt.datetime(2025, 1, 8, 23, tzinfo=MSK))
    assert status.measure is Measure.WORKING_TIME
    assert status.elapsed_fraction == pytest.approx(0.1)
    assert status.level is None
    # wall time would already be past half: 12 of 25 days
    wall = (status.now - deadline.started_at) / (deadline.due_at - deadline.started_at)
    assert wall > 0.45


def test_working_time_thresholds_fall_on_working_day_boundaries(engine: DeadlineEngine) -> None:
    """50 % is the end of the 5th working day (Tue 14 Jan 2025), 90 % the end of the 9th (20 Jan)."""
    deadline = engine.compute("pd.dsr.access", dt.datetime(2024, 12, 27, 15, tzinfo=MSK))
    assert threshold_instant(deadline, 0.5) == moscow_midnight(2025, 1, 15)
    assert threshold_instant(deadline, 0.9) == moscow_midnight(2025, 1, 21)
    assert threshold_instant(deadline, 1.0) == moscow_midnight(2025, 1, 22)
    before = assess(deadline, moscow_midnight(2025, 1, 15) - dt.timedelta(seconds=1))
    after = assess(deadline, moscow_midnight(2025, 1, 15))
    assert before.level is None and after.level == "50%"


def test_extension_widens_the_working_window(engine: DeadlineEngine) -> None:
    """After +5 wd the same instant is a smaller fraction of the longer window (10 -> 15 days)."""
    deadline = engine.compute("pd.dsr.access", dt.datetime(2024, 12, 27, 15, tzinfo=MSK))
    extended = engine.extend(deadline, notice_sent_at=dt.datetime(2025, 1, 20, tzinfo=MSK))
    now = moscow_midnight(2025, 1, 22)
    assert assess(deadline, now).breached
    status = assess(extended, now)
    assert not status.breached
    assert status.elapsed_fraction == pytest.approx(10 / 15)
    assert status.level == "50%"


def test_custom_thresholds_and_invalid_ones(engine: DeadlineEngine) -> None:
    """Callers may pass their own thresholds; unordered or out-of-range ones are refused."""
    deadline = engine.compute("reg.takedown.remove", dt.datetime(2024, 5, 1, 10, tzinfo=UTC))
    status = assess(deadline, dt.datetime(2024, 5, 1, 16, tzinfo=UTC), thresholds=(0.25, 0.75))
    assert [t.label for t in status.thresholds] == ["25%", "75%"]
    assert status.level == "25%"
    with pytest.raises(DeadlineInputError):
        assess(deadline, dt.datetime(2024, 5, 1, 16, tzinfo=UTC), thresholds=(0.9, 0.5))
    with pytest.raises(DeadlineInputError):
        threshold_instant(deadline, 1.5)
    with pytest.raises(DeadlineInputError):
        assess(deadline, dt.datetime(2024, 5, 1, 16))


def test_rule_thresholds_come_from_config(engine: DeadlineEngine) -> None:
    """The escalation thresholds of a rule are data and may be overridden (internal knob)."""
    clocks = load_ru_clocks({"reg.takedown.remove": {"escalation": [0.25, 0.5, 0.75]}})
    deadline = DeadlineEngine(load_ru_calendar(), clocks).compute(
        "reg.takedown.remove", dt.datetime(2024, 5, 1, 10, tzinfo=UTC)
    )
    status = assess(deadline, dt.datetime(2024, 5, 1, 23, tzinfo=UTC))
    assert [t.crossed for t in status.thresholds] == [True, True, False]
    assert status.level == "50%"
