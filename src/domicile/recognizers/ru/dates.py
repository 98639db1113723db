"""Birth dates: ISO ``yyyy-mm-dd``, Russian/German ``dd.mm.yyyy``, ``dd/mm/yyyy`` or ``mm/dd/yyyy``.

A date of birth is PD (152-FZ art. 3 item 1) and, for users under 14, decides
who may consent (152-FZ art. 9; MIN-* requirements). Any date looks like a
birth date, so base scores stay below 0.5 even for a valid, plausible date:
a context word ("birth", "dob", "дата рождения", "д.р.", "geburtsdatum") is
needed for a report. Timestamps (a date followed by a time) do not match.
"""

from __future__ import annotations

import re
from datetime import date

from domicile.recognizers.base import Example, Pattern, Recognizer, digit_runs

_NOT_TIME = r"(?![\d:.\-/]|[T ]\d{1,2}:)"
_ISO = re.compile(r"((?:19|20)[0-9]{2})-([0-9]{2})-([0-9]{2})")
_DOTTED = re.compile(r"([0-9]{2})([./])([0-9]{2})[./]((?:19|20)[0-9]{2})")
_MAX_AGE_YEARS = 120
#: A bare timestamp: its date is followed by a time and nothing else in it can be a date.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?")


class BirthDateRecognizer(Recognizer):
    """Calendar dates that could be a living person's date of birth."""

    NAME = "birth_date"
    COUNTRY_CODE = "RU"
    CATEGORY = "birth_date"
    PATTERNS = (
        Pattern("iso", rf"(?<![\d\-./:])(?:19|20)\d{{2}}-\d{{2}}-\d{{2}}{_NOT_TIME}", 0.25),
        Pattern("day_first", rf"(?<![\d\-./:])\d{{2}}[./]\d{{2}}[./](?:19|20)\d{{2}}{_NOT_TIME}", 0.25),
    )
    MIN_DIGITS = 8
    NEEDS_ANY = "-./"
    CONTEXT = (
        "birth", "dob", "born", "bday", "рожд", "д.р", "д/р", "др", "geburt", "geb",
        "date of birth", "день рождения",
    )  # fmt: skip
    CHECKSUM_BONUS = 0.2
    MAY_MATCH_MONOTONE = True

    def __init__(self, today: date | None = None) -> None:
        """Build the recognizer.

        Args:
            today: Reference date for the plausibility window; the current
                date by default (inject a fixed one for reproducible scans).
        """
        super().__init__()
        self._today = today or date.today()
        self._earliest = self._today.replace(year=self._today.year - _MAX_AGE_YEARS, day=1)

    def may_match(self, value: str, digits: int) -> bool:
        """Eight digits, a separator, and runs of exactly 4 (year) and 2 digits."""
        if digits < self.MIN_DIGITS or ("-" not in value and "." not in value and "/" not in value):
            return False  # MIN_DIGITS and NEEDS_ANY
        runs = digit_runs(value)
        return 4 in runs and 2 in runs and _TIMESTAMP.fullmatch(value) is None

    def _plausible(self, year: int, month: int, day: int) -> bool:
        try:
            d = date(year, month, day)
        except ValueError:
            return False
        return self._earliest <= d <= self._today

    def validate(self, candidate: str) -> bool | None:
        """A real calendar date, not in the future, at most 120 years ago."""
        iso = _ISO.fullmatch(candidate)
        if iso:
            return self._plausible(int(iso[1]), int(iso[2]), int(iso[3]))
        dotted = _DOTTED.fullmatch(candidate)
        if not dotted:
            return False
        a, sep, b, year = int(dotted[1]), dotted[2], int(dotted[3]), int(dotted[4])
        if sep == ".":
            return self._plausible(year, b, a)
        return self._plausible(year, b, a) or self._plausible(year, a, b)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious dates (context words lift them above 0.5)."""
        return (
            Example("дата рождения: 12.04.1987", True, "day-first with Russian context"),
            Example("1990-02-28", True, "ISO"),
            Example("DOB 07/31/1975", True, "US month-first"),
            Example("1990-02-30", False, "no such day"),
            Example("2024-03-05 12:34:56", False, "timestamp, not a date"),
            Example("31.12.1850", False, "older than 120 years"),
        )
