"""Escalation thresholds of a running clock: which levels (50 %, 90 %, breach) are crossed.

Pure: :func:`assess` takes the deadline and "now"; :class:`Escalator` reads "now" from an
injected :class:`~domicile.core.clock.Clock` (a ``FixedClock`` in tests). Workflows and
notifiers call it; nothing here sends anything (ru-requirements §9 item 3).

How elapsed time is measured:

* working-day clocks measure **working time**: the window is the counted working days, each a
  full Moscow calendar day (00:00-24:00); non-working days in between freeze the clock. So
  50 % of a 10-working-day clock is reached at the end of the 5th working day, and the New
  Year holidays never trigger a warning on their own.
* every other clock measures **wall time** from the trigger to ``due_at``: 50 % of a 24 h
  breach notice is trigger + 12 h (PD-BR-2).

A level is crossed when ``now >= `` its instant; breach when ``now > due_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from domicile.core.clock import Clock
from domicile.desk.calendar import moscow_tz
from domicile.desk.clocks import ClockKind
from domicile.desk.deadline_errors import DeadlineInputError
from domicile.desk.deadlines import Deadline, as_utc

__all__ = [
    "BREACH",
    "EscalationStatus",
    "Escalator",
    "Measure",
    "ThresholdState",
    "assess",
    "threshold_instant",
]

BREACH = "breach"


class Measure(StrEnum):
    """How elapsed time is measured."""

    WORKING_TIME = "working_time"
    WALL_TIME = "wall_time"


@dataclass(frozen=True)
class ThresholdState:
    """One threshold of a clock: its fraction, when it is reached, and whether it is."""

    label: str  # "50%", "90%"
    fraction: float
    at: dt.datetime  # UTC
    crossed: bool


@dataclass(frozen=True)
class EscalationStatus:
    """Where a clock stands at ``now``, with the evidence behind it."""

    clock_id: str
    now: dt.datetime  # UTC
    due_at: dt.datetime  # UTC
    measure: Measure
    elapsed_fraction: float  # 0..1 (working time) or unbounded (wall time, > 1 once breached)
    thresholds: tuple[ThresholdState, ...]
    breached: bool
    level: str | None  # highest crossed: None, "50%", "90%" or "breach"
    next_level: str | None
    next_level_at: dt.datetime | None
    remaining: dt.timedelta  # due_at - now (negative once breached)


def _label(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _measure(deadline: Deadline) -> Measure:
    ev = deadline.evidence
    if ev.rule.kind is ClockKind.WORKING_DAYS and ev.counted_days:
        return Measure.WORKING_TIME
    return Measure.WALL_TIME


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = moscow_tz()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return start, end


def _working_window(deadline: Deadline) -> list[tuple[dt.datetime, dt.datetime]]:
    return [_day_bounds(d) for d in deadline.evidence.counted_days]


def threshold_instant(deadline: Deadline, fraction: float) -> dt.datetime:
    """The UTC instant at which ``fraction`` (0 < f <= 1) of the clock has elapsed.

    Raises:
        DeadlineInputError: ``fraction`` is outside (0, 1].
    """
    if not 0.0 < fraction <= 1.0:
        raise DeadlineInputError(f"threshold fraction must be in (0, 1], got {fraction}")
    if _measure(deadline) is Measure.WALL_TIME:
        return deadline.started_at + (deadline.due_at - deadline.started_at) * fraction
    window = _working_window(deadline)
    total = sum(((end - start) for start, end in window), dt.timedelta())
    target = total * fraction
    spent = dt.timedelta()
    for start, end in window:
        length = end - start
        if spent + length >= target:
            return start + (target - spent)
        spent += length
    return window[-1][1]  # pragma: no cover - unreachable: fraction <= 1


def _elapsed_fraction(deadline: Deadline, now: dt.datetime) -> float:
    if _measure(deadline) is Measure.WALL_TIME:
        span = (deadline.due_at - deadline.started_at).total_seconds()
        return (now - deadline.started_at).total_seconds() / span if span > 0 else 1.0
    window = _working_window(deadline)
    total = sum((end - start).total_seconds() for start, end in window)
    spent = sum(
        min(max((now - start).total_seconds(), 0.0), (end - start).total_seconds()) for start, end in window
    )
    return spent / total


def assess(
    deadline: Deadline, now: dt.datetime, thresholds: Sequence[float] | None = None
) -> EscalationStatus:
    """Which escalation levels a clock has crossed at ``now``.

    Args:
        deadline: the computed deadline (its rule's ``escalation`` thresholds are the default).
        now: the current instant (aware).
        thresholds: fractions in (0, 1), increasing, to use instead of the rule's.

    Raises:
        DeadlineInputError: ``now`` is naive or the thresholds are invalid.
    """
    at = as_utc(now, "now")
    fractions = tuple(deadline.evidence.rule.escalation if thresholds is None else thresholds)
    steps = (0.0, *fractions, 1.0)
    if any(b <= a for a, b in pairwise(steps)):
        raise DeadlineInputError("escalation thresholds must increase strictly inside (0, 1)")
    states = tuple(
        ThresholdState(_label(f), f, t, at >= t)
        for f, t in ((f, threshold_instant(deadline, f)) for f in fractions)
    )
    breached = at > deadline.due_at
    crossed = [s.label for s in states if s.crossed]
    level = BREACH if breached else (crossed[-1] if crossed else None)
    pending = [s for s in states if not s.crossed]
    if breached:
        next_level, next_at = None, None
    elif pending:
        next_level, next_at = pending[0].label, pending[0].at
    else:
        next_level, next_at = BREACH, deadline.due_at + dt.timedelta(microseconds=1)
    return EscalationStatus(
        clock_id=deadline.clock_id,
        now=at,
        due_at=deadline.due_at,
        measure=_measure(deadline),
        elapsed_fraction=_elapsed_fraction(deadline, at),
        thresholds=states,
        breached=breached,
        level=level,
        next_level=next_level,
        next_level_at=next_at,
        remaining=deadline.due_at - at,
    )


class Escalator:
    """Assesses deadlines against an injected clock.

    Args:
        clock: time source (``SystemClock`` in production, ``FixedClock`` in tests).
        thresholds: fractions to use instead of each rule's own.
    """

    def __init__(self, clock: Clock, thresholds: Sequence[float] | None = None) -> None:
        self._clock = clock
        self._thresholds = tuple(thresholds) if thresholds is not None else None

    def assess(self, deadline: Deadline) -> EscalationStatus:
        """Status of ``deadline`` now."""
        return assess(deadline, self._clock.now(), self._thresholds)
