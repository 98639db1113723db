"""The legal deadline engine: when a clock started, when it is due, and why.

Conventions (docs/deadlines.md has the long form):

* Inputs are aware datetimes in any zone; outputs are aware UTC datetimes. Calendar dates are
  taken in Europe/Moscow (UTC+3 all year, no DST since 26.10.2014), the zone of the law.
* ``hours``: N consecutive clock hours from the trigger, weekends and holidays included
  («в течение суток» / «24 часа», ru-requirements §0.2; PD-BR-2, PD-BR-3, REG-2).
* ``immediate``: «незамедлительно» has no number in law; the due time is an internal target
  (default 60 min, configurable) and the evidence says so (PG-1, SN-2).
* ``working_days``: counting starts on the day after the trigger's Moscow date (Civil Code
  art. 191: a term in days begins the day after the event), so day 1 is the first working day
  after that date; non-working days are skipped per the official calendar (PD-DSR-1, PD-XB-3).
* ``calendar_days``: day 1 is the day after the trigger's Moscow date (Civil Code art. 191); by
  default the term ends on day N even if it is non-working (stricter than Civil Code art. 193,
  which a rule may opt into with ``end_on_non_working: roll_forward``) (SN-7, PD-DSR-11).
* ``day_of_next_month`` / ``annual_date``: the named day of the next month / next year (PD-NOT-3).
* "Due" for every day-based clock is the end of the last day: 23:59:59.999 Moscow (Civil Code
  art. 194 part 1: a term ends at 24:00 of its last day; milliseconds so the instant survives
  millisecond stores). A clock is breached when ``now > due_at``.
* An extension (e.g. +5 working days once with a reasoned notice, PD-DSR-1) counts from the
  original due date, and needs the notice to be sent no later than the current due time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from domicile.desk.calendar import (
    CalendarDay,
    CalendarSource,
    WorkCalendar,
    moscow_tz,
    walk_working_days,
)
from domicile.desk.clocks import ClockKind, ClockRegistry, ClockRule, EndOnNonWorking
from domicile.desk.deadline_errors import DeadlineInputError, ExtensionRefusedError

__all__ = [
    "END_OF_DAY_SLACK",
    "Deadline",
    "DeadlineEngine",
    "DeadlineEvidence",
    "ExtensionRecord",
    "as_utc",
]

END_OF_DAY_SLACK = dt.timedelta(milliseconds=1)  # due = next local midnight minus this
_UTC = dt.UTC

_CONVENTIONS: dict[ClockKind, str] = {
    ClockKind.HOURS: "N consecutive clock hours from the trigger, weekends and holidays included",
    ClockKind.IMMEDIATE: "«незамедлительно»: no statutory number; due = trigger + internal target",
    ClockKind.WORKING_DAYS: (
        "N working days of the official calendar counted from the day after the trigger's Moscow "
        "date (Civil Code art. 191); due at the end of the Nth (23:59:59.999 Moscow, art. 194)"
    ),
    ClockKind.CALENDAR_DAYS: (
        "N calendar days counted from the day after the trigger's Moscow date (Civil Code art. 191); "
        "due at the end of the Nth (23:59:59.999 Moscow, art. 194)"
    ),
    ClockKind.DAY_OF_NEXT_MONTH: (
        "the given day of the month after the trigger's Moscow month; due at its end (23:59:59.999 Moscow)"
    ),
    ClockKind.ANNUAL_DATE: (
        "the given date of the year after the trigger's Moscow year; due at its end (23:59:59.999 Moscow)"
    ),
}


def as_utc(value: dt.datetime, what: str = "datetime") -> dt.datetime:
    """Check that ``value`` is aware and return it in UTC.

    Raises:
        DeadlineInputError: ``value`` is naive.
    """
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise DeadlineInputError(f"{what} must be timezone-aware (got a naive datetime)")
    return value.astimezone(_UTC)


@dataclass(frozen=True)
class ExtensionRecord:
    """One extension applied to a deadline."""

    working_days: int
    notice_sent_at: dt.datetime  # UTC
    previous_due_at: dt.datetime  # UTC


@dataclass(frozen=True)
class DeadlineEvidence:
    """Why a deadline is what it is: the rule, its law, the calendar and the days skipped."""

    rule: ClockRule
    convention: str
    timezone: str
    trigger_local_date: dt.date
    counted_days: tuple[dt.date, ...]  # working days counted (working-day clocks), in order
    skipped_days: tuple[CalendarDay, ...]  # non-working days passed over, with why
    calendar_sources: tuple[CalendarSource, ...]  # decrees of every year consulted
    internal_target: bool  # True when the due time is an internal target, not a statute
    extensions: tuple[ExtensionRecord, ...] = ()

    @property
    def rule_id(self) -> str:
        """The clock rule id."""
        return self.rule.id

    @property
    def legal_source(self) -> str:
        """Citation of the rule's legal source with tag and requirement IDs."""
        return self.rule.source.cite()

    @property
    def tag(self) -> str:
        """Verification tag of the rule: [V], [P] or [U]."""
        return self.rule.source.tag


@dataclass(frozen=True)
class Deadline:
    """A computed deadline (UTC instants) and its evidence."""

    clock_id: str
    started_at: dt.datetime
    due_at: dt.datetime
    evidence: DeadlineEvidence

    @property
    def due_at_moscow(self) -> dt.datetime:
        """``due_at`` shown in Moscow time."""
        return self.due_at.astimezone(moscow_tz())

    @property
    def extensions_used(self) -> int:
        """How many extensions have been applied."""
        return len(self.evidence.extensions)

    def is_breached(self, now: dt.datetime) -> bool:
        """True when ``now`` is past the due time (for a waiting period: the wait is over)."""
        return as_utc(now, "now") > self.due_at


class DeadlineEngine:
    """Computes deadlines from clock rules and a working-day calendar.

    Args:
        calendar: the production calendar (any :class:`~domicile.desk.calendar.WorkCalendar`).
        clocks: the clock rules of the jurisdiction.
    """

    def __init__(self, calendar: WorkCalendar, clocks: ClockRegistry) -> None:
        self._calendar = calendar
        self._clocks = clocks
        self._tz = moscow_tz()

    @property
    def clocks(self) -> ClockRegistry:
        """The clock rules in use."""
        return self._clocks

    def compute(self, clock_id: str, started_at: dt.datetime) -> Deadline:
        """Deadline of the named clock started at ``started_at``.

        Raises:
            UnknownClockError: no such clock.
            DeadlineInputError: ``started_at`` is naive.
            CalendarYearMissingError: the count needs a year without calendar data.
        """
        return self.compute_rule(self._clocks.rule(clock_id), started_at)

    def compute_rule(self, rule: ClockRule, started_at: dt.datetime) -> Deadline:
        """Deadline of an explicit rule (e.g. a registry rule with a per-request term)."""
        start = as_utc(started_at, "started_at")
        local = start.astimezone(self._tz).date()
        counted: tuple[dt.date, ...] = ()
        skipped: tuple[CalendarDay, ...] = ()
        consulted: tuple[dt.date, ...] = ()
        kind = rule.kind
        if kind is ClockKind.HOURS:
            due = start + dt.timedelta(hours=rule.amount)
        elif kind is ClockKind.IMMEDIATE:
            due = start + dt.timedelta(minutes=rule.internal_target_minutes or 0)
        elif kind is ClockKind.WORKING_DAYS:
            walk = walk_working_days(self._calendar, local, rule.amount)
            counted, skipped = walk.counted, walk.skipped
            due = self._end_of_day(counted[-1])
        else:
            last = self._last_day(rule, local)
            if rule.end_on_non_working is EndOnNonWorking.ROLL_FORWARD:
                rolled = walk_working_days(self._calendar, last - dt.timedelta(days=1), 1)
                skipped, last = rolled.skipped, rolled.counted[-1]
                consulted = (last,)
            due = self._end_of_day(last)
        evidence = DeadlineEvidence(
            rule=rule,
            convention=_CONVENTIONS[kind],
            timezone=self._tz.key,
            trigger_local_date=local,
            counted_days=counted,
            skipped_days=skipped,
            calendar_sources=self._sources(counted + consulted, skipped),
            internal_target=kind is ClockKind.IMMEDIATE,
        )
        return Deadline(rule.id, start, due, evidence)

    def extend(
        self, deadline: Deadline, *, notice_sent_at: dt.datetime, working_days: int | None = None
    ) -> Deadline:
        """Extend a working-day deadline from its current due date (e.g. +5 wd once, PD-DSR-1).

        Args:
            deadline: the deadline to extend (not changed; a new one is returned).
            notice_sent_at: when the reasoned notice was sent to the requester.
            working_days: days to add; defaults to the rule's maximum.

        Raises:
            ExtensionRefusedError: the rule has no extension, it is used up, the amount exceeds
                the rule, or the notice was sent after the current due time.
            DeadlineInputError: ``notice_sent_at`` is naive or before the clock started.
        """
        rule = deadline.evidence.rule
        policy = rule.extension
        if policy is None:
            raise ExtensionRefusedError(f"clock {rule.id!r} cannot be extended")
        if deadline.extensions_used >= policy.max_times:
            raise ExtensionRefusedError(
                f"clock {rule.id!r} allows {policy.max_times} extension(s); all are used"
            )
        amount = policy.working_days if working_days is None else working_days
        if not 1 <= amount <= policy.working_days:
            raise ExtensionRefusedError(
                f"clock {rule.id!r} extends by 1..{policy.working_days} working days, not {amount}"
            )
        notice = as_utc(notice_sent_at, "notice_sent_at")
        if notice < deadline.started_at:
            raise DeadlineInputError("notice_sent_at is before the clock started")
        if policy.notice_required and notice > deadline.due_at:
            raise ExtensionRefusedError(
                f"clock {rule.id!r}: the extension notice must be sent before the deadline "
                f"({deadline.due_at.isoformat()})"
            )
        due_local = deadline.due_at.astimezone(self._tz).date()
        walk = walk_working_days(self._calendar, due_local, amount)
        ev = deadline.evidence
        counted = ev.counted_days + walk.counted
        skipped = ev.skipped_days + walk.skipped
        record = ExtensionRecord(amount, notice, deadline.due_at)
        evidence = replace(
            ev,
            counted_days=counted,
            skipped_days=skipped,
            calendar_sources=self._sources(counted, skipped),
            extensions=(*ev.extensions, record),
        )
        return replace(deadline, due_at=self._end_of_day(walk.counted[-1]), evidence=evidence)

    def _last_day(self, rule: ClockRule, local: dt.date) -> dt.date:
        if rule.kind is ClockKind.CALENDAR_DAYS:
            return local + dt.timedelta(days=rule.amount)
        day = rule.day_of_month or 1
        if rule.kind is ClockKind.DAY_OF_NEXT_MONTH:
            year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
            return dt.date(year, month, day)
        return dt.date(local.year + 1, rule.month or 1, day)

    def _end_of_day(self, day: dt.date) -> dt.datetime:
        next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self._tz)
        return (next_midnight - END_OF_DAY_SLACK).astimezone(_UTC)

    def _sources(
        self, counted: tuple[dt.date, ...], skipped: tuple[CalendarDay, ...]
    ) -> tuple[CalendarSource, ...]:
        years = sorted({d.year for d in counted} | {cd.day.year for cd in skipped})
        return tuple(self._calendar.source(y) for y in years)
