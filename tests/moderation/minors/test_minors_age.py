"""Age and age bands from a birth date (436-FZ age categories; PD-MIN-1 consent ages)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.moderation.actions import ModerationInputError
from domicile.moderation.minors import AgeBand, age_band, age_years


@pytest.mark.parametrize(
    ("born", "today", "age", "band"),
    [
        (date(2010, 3, 15), date(2016, 3, 14), 5, AgeBand.UNDER_6),
        (date(2010, 3, 15), date(2016, 3, 15), 6, AgeBand.AGE_6_11),
        (date(2010, 3, 15), date(2022, 3, 14), 11, AgeBand.AGE_6_11),
        (date(2010, 3, 15), date(2022, 3, 15), 12, AgeBand.AGE_12_13),
        (date(2010, 3, 15), date(2024, 3, 15), 14, AgeBand.AGE_14_15),
        (date(2010, 3, 15), date(2026, 3, 15), 16, AgeBand.AGE_16_17),
        (date(2010, 3, 15), date(2028, 3, 14), 17, AgeBand.AGE_16_17),
        (date(2010, 3, 15), date(2028, 3, 15), 18, AgeBand.ADULT),
        (date(2008, 2, 29), date(2026, 2, 28), 17, AgeBand.AGE_16_17),  # leap-day birthday: 1 March
        (date(2008, 2, 29), date(2026, 3, 1), 18, AgeBand.ADULT),
        (date(2008, 2, 29), date(2028, 2, 29), 20, AgeBand.ADULT),
    ],
)
def test_band_boundaries(born: date, today: date, age: int, band: AgeBand) -> None:
    """The band changes exactly on the 6th, 12th, 14th, 16th and 18th birthday (MIN-3, PD-MIN-1)."""
    assert age_years(born, today) == age
    assert age_band(born, today) is band
    assert band.is_minor is (age < 18)


def _oracle_age(born: date, today: date) -> int:
    """Count birthdays up to today; a 29 February birthday falls on 1 March in common years."""
    count = 0
    for year in range(born.year + 1, today.year + 1):
        try:
            birthday = born.replace(year=year)
        except ValueError:
            birthday = date(year, 3, 1)
        count += birthday <= today
    return count


@settings(max_examples=300)
@given(st.dates(date(1900, 1, 1), date(2030, 12, 31)), st.integers(0, 365 * 100))
def test_age_matches_birthday_counting_and_bands_follow_ages(born: date, days: int) -> None:
    """age_years equals counting birthdays; the band is the one whose ages contain it; ages never go down."""
    today = born + timedelta(days=days)
    age = age_years(born, today)
    assert age == _oracle_age(born, today)
    band = age_band(born, today)
    lows = [b.min_age for b in AgeBand]
    assert band.min_age <= age and all(not (band.min_age < low <= age) for low in lows)
    assert age_years(born, today + timedelta(days=1)) >= age


@pytest.mark.parametrize(
    ("born", "today"),
    [
        (date(2020, 1, 2), date(2020, 1, 1)),
        (date(1800, 1, 1), date(2025, 1, 1)),
        ("2010-01-01", date(2025, 1, 1)),
    ],
)
def test_bad_dates_are_typed_errors(born: object, today: date) -> None:
    """A birth date after today, an age over 130 or a non-date raise ModerationInputError."""
    with pytest.raises(ModerationInputError):
        age_band(born, today)  # type: ignore[arg-type]
