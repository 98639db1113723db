"""Age and age bands from a birth date (436-FZ art. 6-10 age categories; PD-MIN-1 consent ages).

Bands follow the 436-FZ label thresholds (6, 12, 16, 18) plus the 14-year boundary of the
Civil Code (art. 26, 28) used for consent (PD-MIN-1): ``under_6``, ``6-11``, ``12-13``,
``14-15``, ``16-17``, ``18+``. Ages are whole years reached on a birthday; a person born on
29 February reaches a new age on 1 March in common years (``[U]``: the Civil Code does not say;
1 March is the later, safer day for the protections).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from domicile.moderation.actions.errors import ModerationInputError

__all__ = ["MAX_AGE", "AgeBand", "age_band", "age_years"]

MAX_AGE = 130


class AgeBand(StrEnum):
    """An account's age band (MIN-6 ``user.age_band``)."""

    UNDER_6 = "under_6"
    AGE_6_11 = "6-11"
    AGE_12_13 = "12-13"
    AGE_14_15 = "14-15"
    AGE_16_17 = "16-17"
    ADULT = "18+"

    @property
    def is_minor(self) -> bool:
        """Under 18."""
        return self is not AgeBand.ADULT

    @property
    def min_age(self) -> int:
        """The youngest age in the band."""
        return _MIN_AGE[self]


_MIN_AGE = {
    AgeBand.UNDER_6: 0,
    AgeBand.AGE_6_11: 6,
    AgeBand.AGE_12_13: 12,
    AgeBand.AGE_14_15: 14,
    AgeBand.AGE_16_17: 16,
    AgeBand.ADULT: 18,
}


def age_years(birth_date: date, today: date) -> int:
    """Whole years reached by ``today``.

    Raises:
        ModerationInputError: Not dates, a birth date after ``today``, or an age above 130.
    """
    if not isinstance(birth_date, date) or not isinstance(today, date):
        raise ModerationInputError("birth_date and today must be dates")
    if birth_date > today:
        raise ModerationInputError("birth_date is after today")
    years = today.year - birth_date.year
    birthday_passed = (today.month, today.day) >= (birth_date.month, birth_date.day)
    if not birthday_passed:
        years -= 1
    if years > MAX_AGE:
        raise ModerationInputError(f"birth_date gives an age above {MAX_AGE}")
    return years


def age_band(birth_date: date, today: date) -> AgeBand:
    """The age band of a person born on ``birth_date``, on ``today``.

    Raises:
        ModerationInputError: As :func:`age_years`.
    """
    age = age_years(birth_date, today)
    band = AgeBand.UNDER_6
    for candidate, lowest in _MIN_AGE.items():
        if age >= lowest:
            band = candidate
    return band
