"""Typed errors of the production calendar and the deadline engine.

::

    DeskError                          (domicile.core.errors)
    ├── CalendarError
    │   ├── CalendarYearMissingError   no production-calendar data for a year
    │   └── CalendarDataError          a calendar file is malformed or inconsistent
    └── DeadlineError
        ├── DeadlineInputError         naive datetime, negative amount, wrong clock kind
        ├── UnknownClockError          no clock rule with that id
        ├── ClockConfigError           clocks file or override invalid or not allowed
        └── ExtensionRefusedError      the rule forbids this extension

Messages name files, fields, line numbers, clock ids, years and dates; they never
carry personal data.
"""

from __future__ import annotations

from domicile.core.errors import DeskError


class CalendarError(DeskError):
    """The production calendar cannot answer."""


class CalendarYearMissingError(CalendarError):
    """No production-calendar data is loaded for a year the computation needs."""

    def __init__(self, year: int, loaded: tuple[int, ...]) -> None:
        have = ", ".join(str(y) for y in loaded) or "none"
        super().__init__(
            f"no production-calendar data for {year} (loaded: {have}); add the year file with its "
            "Government decree on moved days off before computing working-day deadlines"
        )
        self.year = year
        self.loaded = loaded


class CalendarDataError(CalendarError):
    """A production-calendar file is malformed or contradicts itself.

    ``loc`` is the path of the offending field inside the year file, when known.
    """

    def __init__(self, message: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.loc = loc


class DeadlineError(DeskError):
    """A deadline cannot be computed or changed."""


class DeadlineInputError(DeadlineError):
    """The caller passed an unusable value (naive datetime, negative amount...)."""


class UnknownClockError(DeadlineError):
    """No clock rule has the requested id."""


class ClockConfigError(DeadlineError):
    """The clocks file or a configuration override is invalid or not allowed."""


class ExtensionRefusedError(DeadlineError):
    """The clock rule does not allow this extension (none, too long, too late, used up)."""
