"""Production calendar: official counts, working weekends, loader validation, missing years."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from domicile.core.errors import DeskError
from domicile.desk.calendar import (
    DayKind,
    ProductionCalendar,
    load_ru_calendar,
    load_year_file,
    ru_calendar_dir,
)
from domicile.desk.deadline_errors import CalendarDataError, CalendarYearMissingError

# Official 5-day-week figures from public production calendars (see docs/deadlines.md, Sources).
OFFICIAL_WORKING_DAYS = {2023: 247, 2024: 248, 2025: 247, 2026: 247}
OFFICIAL_HOURS_40H = {2023: 1973, 2024: 1979, 2025: 1972, 2026: 1972}
DECREE_NUMBERS = {2023: "1505", 2024: "1314", 2025: "1335", 2026: "1466"}

D = dt.date


@pytest.fixture(scope="module")
def cal() -> ProductionCalendar:
    return load_ru_calendar()


@pytest.mark.parametrize("year", sorted(OFFICIAL_WORKING_DAYS))
def test_working_days_per_year_match_official_count(cal: ProductionCalendar, year: int) -> None:
    """Iterating every day of the year yields the official working-day count (§0.2, PD-DSR-1)."""
    day, total = D(year, 1, 1), 0
    while day.year == year:
        total += cal.is_working_day(day)
        day += dt.timedelta(days=1)
    assert total == OFFICIAL_WORKING_DAYS[year]


@pytest.mark.parametrize("year", sorted(OFFICIAL_HOURS_40H))
def test_hours_norm_matches_official(cal: ProductionCalendar, year: int) -> None:
    """Shortened pre-holiday days (Labour Code art. 95) give the official 40-hour norm."""
    assert cal.for_year(year).hours_40h() == OFFICIAL_HOURS_40H[year]


@pytest.mark.parametrize("year", sorted(DECREE_NUMBERS))
def test_each_year_cites_its_decree(cal: ProductionCalendar, year: int) -> None:
    """Every year names the Government decree on moved days off as its source."""
    source = cal.source(year)
    assert source.number == DECREE_NUMBERS[year]
    assert f"№ {DECREE_NUMBERS[year]}" in source.cite()
    assert source.signed.year == year - 1


@pytest.mark.parametrize("day", [D(2024, 4, 27), D(2024, 11, 2), D(2024, 12, 28), D(2025, 11, 1)])
def test_working_saturdays_are_working(cal: ProductionCalendar, day: dt.date) -> None:
    """Saturdays made working by decree count as working days (the `holidays` package misses them)."""
    info = cal.day(day)
    assert day.weekday() == 5
    assert info.working and info.kind is DayKind.WORKING_WEEKEND


@pytest.mark.parametrize(
    "day",
    [D(2024, 12, 30), D(2024, 12, 31), D(2025, 5, 8), D(2025, 6, 13), D(2025, 11, 3), D(2026, 1, 9)],
)
def test_moved_days_off_are_not_working(cal: ProductionCalendar, day: dt.date) -> None:
    """Weekdays that receive a moved day off are non-working (Labour Code art. 112 parts 2, 5)."""
    info = cal.day(day)
    assert day.weekday() < 5
    assert not info.working and info.kind is DayKind.MOVED_DAY_OFF
    assert "moved from" in info.note


@pytest.mark.parametrize("day", [D(2025, 2, 24), D(2025, 3, 10)])
def test_decree_overrides_the_automatic_move(cal: ProductionCalendar, day: dt.date) -> None:
    """In 2025 the decree moved the 23 Feb / 8 Mar days off elsewhere, so the next Monday works."""
    assert cal.is_working_day(day)


def test_holidays_and_weekends_are_classified(cal: ProductionCalendar) -> None:
    """Holidays carry their name; ordinary weekends are weekends; shortened days are flagged."""
    assert cal.day(D(2024, 11, 4)).kind is DayKind.HOLIDAY
    assert cal.day(D(2024, 11, 4)).note == "День народного единства"
    assert cal.day(D(2024, 11, 3)).kind is DayKind.WEEKEND
    assert cal.day(D(2024, 11, 2)).shortened
    assert not cal.day(D(2024, 12, 27)).shortened


def test_year_without_data_is_a_typed_error(cal: ProductionCalendar) -> None:
    """A year without calendar data raises CalendarYearMissingError (a DeskError), never a guess."""
    with pytest.raises(CalendarYearMissingError) as info:
        cal.is_working_day(D(2027, 1, 11))
    assert isinstance(info.value, DeskError)
    assert info.value.year == 2027
    assert "2027" in str(info.value)
    with pytest.raises(CalendarYearMissingError):
        cal.add_working_days(D(2026, 12, 25), 10)


def test_add_working_days_counts_from_the_next_day(cal: ProductionCalendar) -> None:
    """Day 1 is the first working day after the date; 0 days is the date itself."""
    assert cal.add_working_days(D(2024, 11, 1), 1) == D(2024, 11, 2)
    assert cal.add_working_days(D(2024, 11, 2), 1) == D(2024, 11, 5)
    assert cal.add_working_days(D(2024, 11, 3), 0) == D(2024, 11, 3)
    assert cal.working_days_between(D(2024, 11, 1), D(2024, 11, 5)) == 3


def test_negative_count_is_refused(cal: ProductionCalendar) -> None:
    """Counting a negative number of working days is a typed error."""
    with pytest.raises(DeskError):
        cal.add_working_days(D(2024, 1, 9), -1)


# --------------------------------------------------------------------------- loader validation


def _copy_year(tmp_path: Path, year: int) -> Path:
    target = tmp_path / f"{year}.yaml"
    shutil.copy(ru_calendar_dir() / f"{year}.yaml", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_count_mismatch_is_rejected(tmp_path: Path) -> None:
    """A file whose data does not yield its declared official count is refused, naming the line."""
    path = _copy_year(tmp_path, 2024)
    _edit(path, "working_weekends: [2024-04-27, 2024-11-02, 2024-12-28]", "working_weekends: []")
    with pytest.raises(CalendarDataError, match="working_weekends"):
        load_year_file(path)
    path = _copy_year(tmp_path, 2025)
    _edit(path, "official_working_days: 247", "official_working_days: 246")
    with pytest.raises(CalendarDataError) as info:
        load_year_file(path)
    assert f"line {_line_of(path, 'official_working_days')}" in str(info.value)
    assert "yields 247" in str(info.value)


def test_schema_error_names_file_field_and_line(tmp_path: Path) -> None:
    """An unknown key or a bad date is one CalendarDataError with the file, field and line."""
    path = _copy_year(tmp_path, 2026)
    _edit(path, "{date: 2026-02-23,", "{date: 2026-02-31,")
    with pytest.raises(CalendarDataError) as info:
        load_year_file(path)
    message = str(info.value)
    assert message.startswith("2026.yaml line ")
    assert f"line {_line_of(path, '2026-02-31')}" in message
    assert "holidays[8].date" in message


def test_transfer_onto_a_holiday_is_rejected(tmp_path: Path) -> None:
    """A day off cannot be moved onto a holiday or a weekend (inconsistent data)."""
    path = _copy_year(tmp_path, 2024)
    _edit(path, "{from: 2024-04-27, to: 2024-04-29,", "{from: 2024-04-27, to: 2024-05-01,")
    with pytest.raises(CalendarDataError, match=r"transfers\[2\]\.to"):
        load_year_file(path)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    """Broken YAML is a CalendarDataError with its line number."""
    path = _copy_year(tmp_path, 2023)
    _edit(path, "year: 2023", "year: [2023")
    with pytest.raises(CalendarDataError, match=r"2023\.yaml line \d+"):
        load_year_file(path)


def test_file_name_must_match_year(tmp_path: Path) -> None:
    """A year file saved under another year's name is refused."""
    path = tmp_path / "2030.yaml"
    shutil.copy(ru_calendar_dir() / "2024.yaml", path)
    with pytest.raises(CalendarDataError, match="holds year 2024"):
        load_year_file(path)


def test_extra_directory_replaces_a_year_and_bad_data_loses_nothing(
    cal: ProductionCalendar, tmp_path: Path
) -> None:
    """An operator directory overrides a packaged year; a bad one raises and the old calendar stays."""
    good = tmp_path / "good"
    good.mkdir()
    path = _copy_year(good, 2026)
    _edit(path, "checked_against:", "checked_against:\n    - operator copy")
    merged = load_ru_calendar(extra_dirs=[good])
    assert "operator copy" in merged.source(2026).checked_against
    assert merged.years == cal.years

    bad = tmp_path / "bad"
    bad.mkdir()
    _edit(_copy_year(bad, 2025), "official_working_days: 247", "official_working_days: 250")
    with pytest.raises(CalendarDataError, match=r"2025\.yaml line \d+"):
        load_ru_calendar(extra_dirs=[good, bad])
    assert cal.source(2025).number == "1335"
    assert cal.is_working_day(D(2025, 11, 1))


def test_duplicate_years_are_refused(cal: ProductionCalendar) -> None:
    """Giving the same year twice to one calendar is a CalendarDataError."""
    year = cal.for_year(2024)
    with pytest.raises(CalendarDataError, match="2024 given twice"):
        ProductionCalendar([year, year])
