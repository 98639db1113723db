"""The Russian production calendar (производственный календарь) as validated data.

Working-day clocks («рабочие дни», ru-requirements §0.2) follow the official calendar, not
weekday arithmetic: the non-working holidays of the Labour Code art. 112 part 1, the automatic
move of a day off that falls on a holiday to the next working day (art. 112 part 2), the two
1-8 January days off that the Government moves by decree each year (art. 112 part 5) together
with any other moves in that decree, which turn some Saturdays into working days (e.g. 2 Nov and
28 Dec 2024, 1 Nov 2025), and the pre-holiday working days shortened by one hour (art. 95).

Each year is one YAML file (``jurisdictions/ru/data/calendar/<year>.yaml``) naming its decree.
The loader validates the file with pydantic, checks it for internal consistency, and checks that
the working days it yields equal the official count the file declares. A year without a file is
:class:`~domicile.desk.deadline_errors.CalendarYearMissingError`, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domicile.desk.deadline_errors import CalendarDataError, CalendarError, CalendarYearMissingError

MOSCOW_TZ_NAME = "Europe/Moscow"
WORKDAY_HOURS_40H = 8  # 40-hour week, 5-day week: 8 h a day, 7 h on a pre-holiday day (art. 95)

__all__ = [
    "MOSCOW_TZ_NAME",
    "CalendarDay",
    "CalendarSource",
    "DayKind",
    "ProductionCalendar",
    "Transfer",
    "TransferBasis",
    "WorkCalendar",
    "WorkingDayWalk",
    "YearCalendar",
    "load_ru_calendar",
    "load_year_file",
    "moscow_tz",
    "ru_calendar_dir",
]


def moscow_tz() -> ZoneInfo:
    """Return the Europe/Moscow zone (UTC+3, no DST since 26.10.2014).

    Raises:
        CalendarError: the IANA time-zone database is missing (install ``tzdata``).
    """
    try:
        return ZoneInfo(MOSCOW_TZ_NAME)
    except ZoneInfoNotFoundError as exc:
        raise CalendarError(
            f"time zone {MOSCOW_TZ_NAME} not found: install the system tzdata or `pip install tzdata`"
        ) from exc


class DayKind(StrEnum):
    """What a calendar day is under the production calendar."""

    WORKING = "working"
    WORKING_WEEKEND = "working_weekend"  # a Saturday/Sunday made working by the decree
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # non-working public holiday, Labour Code art. 112 part 1
    MOVED_DAY_OFF = "moved_day_off"  # a weekday made a day off (art. 112 parts 2 and 5)


class TransferBasis(StrEnum):
    """Why a day off moved."""

    DECREE = "decree"  # the year's Government decree (art. 112 part 5)
    LABOUR_CODE = "labour_code_112_2"  # automatic: day off on a holiday moves to the next weekday


@dataclass(frozen=True)
class CalendarSource:
    """The legal act behind one year's calendar, and what it was checked against."""

    year: int
    act: str
    number: str
    signed: dt.date
    checked_against: tuple[str, ...] = ()

    def cite(self) -> str:
        """One-line citation, e.g. for evidence and docs."""
        return f"{self.year}: {self.act}"


@dataclass(frozen=True)
class Transfer:
    """A day off moved from a weekend day to a weekday."""

    from_day: dt.date
    to_day: dt.date
    basis: TransferBasis


@dataclass(frozen=True)
class CalendarDay:
    """One day of the calendar, with why it is (non-)working."""

    day: dt.date
    kind: DayKind
    shortened: bool = False
    note: str = ""

    @property
    def working(self) -> bool:
        """True on working days (including working weekends and shortened days)."""
        return self.kind in (DayKind.WORKING, DayKind.WORKING_WEEKEND)


@dataclass(frozen=True)
class WorkingDayWalk:
    """The result of counting working days forward: what counted and what was skipped."""

    counted: tuple[dt.date, ...]
    skipped: tuple[CalendarDay, ...]


Loc = tuple[str | int, ...]


class _InconsistentError(Exception):
    """Internal: a consistency problem at a location of the year file."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


@dataclass(frozen=True)
class YearCalendar:
    """One validated year of the production calendar (5-day week).

    Construction checks consistency and the official working-day count; a bad year raises
    :class:`CalendarDataError`.
    """

    year: int
    source: CalendarSource
    holidays: tuple[tuple[dt.date, str], ...]
    transfers: tuple[Transfer, ...]
    working_weekends: frozenset[dt.date]
    shortened_days: frozenset[dt.date]
    official_working_days: int
    official_hours_40h: int | None = None
    _holiday_names: dict[dt.date, str] = field(init=False, repr=False, compare=False)
    _moved_to: dict[dt.date, Transfer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_holiday_names", dict(self.holidays))
        object.__setattr__(self, "_moved_to", {t.to_day: t for t in self.transfers})
        try:
            self._check()
        except _InconsistentError as exc:
            message = f"calendar {self.year}: {_fmt_loc(exc.loc)}: {exc.message}"
            raise CalendarDataError(message, exc.loc) from None

    def day(self, d: dt.date) -> CalendarDay:
        """Classify a date of this year."""
        if d.year != self.year:
            raise CalendarError(f"{d.isoformat()} is outside the {self.year} calendar")
        shortened = d in self.shortened_days
        if d in self._holiday_names:
            return CalendarDay(d, DayKind.HOLIDAY, note=self._holiday_names[d])
        moved = self._moved_to.get(d)
        if moved is not None:
            note = f"day off moved from {moved.from_day.isoformat()} ({moved.basis.value})"
            return CalendarDay(d, DayKind.MOVED_DAY_OFF, note=note)
        if d.weekday() >= 5:
            if d in self.working_weekends:
                return CalendarDay(d, DayKind.WORKING_WEEKEND, shortened, "working day by decree")
            return CalendarDay(d, DayKind.WEEKEND)
        return CalendarDay(d, DayKind.WORKING, shortened)

    def days(self) -> list[CalendarDay]:
        """Every day of the year, classified, in order."""
        first = dt.date(self.year, 1, 1)
        count = (dt.date(self.year + 1, 1, 1) - first).days
        return [self.day(first + dt.timedelta(days=i)) for i in range(count)]

    def working_days(self) -> list[dt.date]:
        """Every working day of the year, in order."""
        return [cd.day for cd in self.days() if cd.working]

    def hours_40h(self) -> int:
        """Norm of working hours for a 40-hour week (art. 95 shortening included)."""
        days = self.days()
        return sum(WORKDAY_HOURS_40H - (1 if cd.shortened else 0) for cd in days if cd.working)

    def _check(self) -> None:
        def in_year(d: dt.date, loc: Loc) -> None:
            if d.year != self.year:
                raise _InconsistentError(loc, f"{d.isoformat()} is not in {self.year}")

        seen: set[dt.date] = set()
        for i, (d, _name) in enumerate(self.holidays):
            in_year(d, ("holidays", i, "date"))
            if d in seen:
                raise _InconsistentError(("holidays", i, "date"), f"duplicate holiday {d.isoformat()}")
            seen.add(d)
        froms: set[dt.date] = set()
        tos: set[dt.date] = set()
        for i, t in enumerate(self.transfers):
            in_year(t.from_day, ("transfers", i, "from"))
            in_year(t.to_day, ("transfers", i, "to"))
            if t.from_day.weekday() < 5:
                problem = f"{t.from_day} is not a Saturday or Sunday"
                raise _InconsistentError(("transfers", i, "from"), problem)
            if t.to_day.weekday() >= 5 or t.to_day in seen:
                raise _InconsistentError(("transfers", i, "to"), f"{t.to_day} is not an ordinary weekday")
            if t.from_day in froms or t.to_day in tos:
                raise _InconsistentError(("transfers", i), "day moved twice")
            froms.add(t.from_day)
            tos.add(t.to_day)
        expected_working_weekends = {d for d in froms if d not in seen}
        for i, d in enumerate(sorted(self.working_weekends)):
            in_year(d, ("working_weekends", i))
            if d not in expected_working_weekends:
                raise _InconsistentError(
                    ("working_weekends", i),
                    f"{d} is not an ordinary weekend day whose day off the transfers move",
                )
        missing = expected_working_weekends - self.working_weekends
        if missing:
            listed = ", ".join(sorted(d.isoformat() for d in missing))
            raise _InconsistentError(("working_weekends",), f"transfers make {listed} working; list them")
        for i, d in enumerate(sorted(self.shortened_days)):
            in_year(d, ("shortened_days", i))
            if not self.day(d).working:
                raise _InconsistentError(("shortened_days", i), f"{d} is not a working day")
        counted = len(self.working_days())
        if counted != self.official_working_days:
            raise _InconsistentError(
                ("official_working_days",),
                f"the data yields {counted} working days, the file declares {self.official_working_days}",
            )
        if self.official_hours_40h is not None and self.hours_40h() != self.official_hours_40h:
            raise _InconsistentError(
                ("official_hours_40h",),
                f"the data yields {self.hours_40h()} h, the file declares {self.official_hours_40h}",
            )


@runtime_checkable
class WorkCalendar(Protocol):
    """The seam the deadline engine needs from a working-day calendar."""

    @property
    def years(self) -> tuple[int, ...]: ...

    def day(self, d: dt.date) -> CalendarDay: ...

    def source(self, year: int) -> CalendarSource: ...


class ProductionCalendar:
    """Several validated years; answers per day and counts working days across years.

    Immutable: :meth:`with_years` returns a new calendar, so a failed load never damages one in use.
    """

    def __init__(self, years: Iterable[YearCalendar]) -> None:
        by_year: dict[int, YearCalendar] = {}
        for yc in years:
            if yc.year in by_year:
                raise CalendarDataError(f"calendar {yc.year} given twice")
            by_year[yc.year] = yc
        self._years = dict(sorted(by_year.items()))

    @property
    def years(self) -> tuple[int, ...]:
        """Years with data, ascending."""
        return tuple(self._years)

    def for_year(self, year: int) -> YearCalendar:
        """The year's calendar, or :class:`CalendarYearMissingError`."""
        try:
            return self._years[year]
        except KeyError:
            raise CalendarYearMissingError(year, self.years) from None

    def with_years(self, years: Iterable[YearCalendar]) -> ProductionCalendar:
        """A new calendar where the given years replace or add to these."""
        merged = dict(self._years)
        for yc in ProductionCalendar(years)._years.values():
            merged[yc.year] = yc
        return ProductionCalendar(merged.values())

    def day(self, d: dt.date) -> CalendarDay:
        """Classify a date (raises when its year has no data)."""
        return self.for_year(d.year).day(d)

    def is_working_day(self, d: dt.date) -> bool:
        """True when ``d`` is a working day of the official calendar."""
        return self.day(d).working

    def source(self, year: int) -> CalendarSource:
        """The decree behind a year."""
        return self.for_year(year).source

    def walk(self, after: dt.date, n: int) -> WorkingDayWalk:
        """Count ``n`` working days strictly after ``after``; see :func:`walk_working_days`."""
        return walk_working_days(self, after, n)

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The ``n``-th working day strictly after ``d`` (``d`` itself when ``n`` is 0)."""
        walk = walk_working_days(self, d, n)
        return walk.counted[-1] if walk.counted else d

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Number of working days in ``[first, last]`` (0 when ``last < first``)."""
        total = 0
        d = first
        while d <= last:
            total += self.day(d).working
            d += dt.timedelta(days=1)
        return total

    @classmethod
    def from_directory(cls, path: Path) -> ProductionCalendar:
        """Load every ``<year>.yaml`` in a directory (validated; all or nothing)."""
        return cls(_load_directory(path))


def walk_working_days(calendar: WorkCalendar, after: dt.date, n: int) -> WorkingDayWalk:
    """Count ``n`` working days strictly after ``after`` on any :class:`WorkCalendar`.

    Day 1 is the first working day after ``after``; non-working days met on the way are
    returned as skipped (with why). ``n == 0`` counts nothing.

    Raises:
        CalendarError: ``n`` is negative.
        CalendarYearMissingError: the walk reaches a year without data.
    """
    if n < 0:
        raise CalendarError(f"cannot count a negative number of working days ({n})")
    counted: list[dt.date] = []
    skipped: list[CalendarDay] = []
    d = after
    while len(counted) < n:
        d += dt.timedelta(days=1)
        cd = calendar.day(d)
        if cd.working:
            counted.append(cd.day)
        else:
            skipped.append(cd)
    return WorkingDayWalk(tuple(counted), tuple(skipped))


# --------------------------------------------------------------------------- file format


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _SourceModel(_Strict):
    act: str = Field(min_length=1, description="Title of the Government decree on moved days off")
    number: str = Field(min_length=1, description="Decree number")
    signed: dt.date = Field(description="Date the decree was signed")
    checked_against: list[str] = Field(default_factory=list, description="Where the data was checked")


class _HolidayModel(_Strict):
    date: dt.date
    name: str = Field(min_length=1)


class _TransferModel(_Strict):
    from_: dt.date = Field(alias="from", description="The weekend day whose day off moves")
    to: dt.date = Field(description="The weekday that becomes a day off")
    basis: TransferBasis


class _YearFileModel(_Strict):
    year: int = Field(ge=1992, le=2100)
    source: _SourceModel
    official_working_days: int = Field(ge=1, le=366, description="Official count, 5-day week")
    official_hours_40h: int | None = Field(default=None, ge=1, description="Official 40-h week norm")
    holidays: list[_HolidayModel] = Field(min_length=1)
    transfers: list[_TransferModel] = Field(default_factory=list)
    working_weekends: list[dt.date] = Field(default_factory=list)
    shortened_days: list[dt.date] = Field(default_factory=list)

    def to_calendar(self) -> YearCalendar:
        src = self.source
        return YearCalendar(
            year=self.year,
            source=CalendarSource(self.year, src.act, src.number, src.signed, tuple(src.checked_against)),
            holidays=tuple((h.date, h.name) for h in self.holidays),
            transfers=tuple(Transfer(t.from_, t.to, t.basis) for t in self.transfers),
            working_weekends=frozenset(self.working_weekends),
            shortened_days=frozenset(self.shortened_days),
            official_working_days=self.official_working_days,
            official_hours_40h=self.official_hours_40h,
        )


class _DateAsTextLoader(yaml.SafeLoader):
    """Safe loader that leaves dates as text so pydantic validates them with their location."""


_DateAsTextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _fmt_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<file>"


def _line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its deepest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def load_year_file(path: Path) -> YearCalendar:
    """Load and validate one ``<year>.yaml`` production-calendar file.

    Raises:
        CalendarDataError: unreadable, not YAML, not the schema, inconsistent, or its working
            days differ from the declared official count. The message names the file and line.
    """
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarDataError(f"{name}: cannot read calendar file ({type(exc).__name__})") from exc
    try:
        root = yaml.compose(text, Loader=_DateAsTextLoader)
        raw: Any = yaml.load(text, Loader=_DateAsTextLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise CalendarDataError(f"{name}{where}: not valid YAML") from exc
    try:
        model = _YearFileModel.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc: Loc = tuple(first["loc"])
        line = _line_of(root, loc)
        where = f" line {line}" if line else ""
        problem = f"{name}{where}: {_fmt_loc(loc)}: {first['msg']} ({exc.error_count()} error(s))"
        raise CalendarDataError(problem) from None
    if path.stem != str(model.year):
        raise CalendarDataError(f"{name}: holds year {model.year}; name the file {model.year}.yaml")
    try:
        return model.to_calendar()
    except CalendarDataError as exc:
        line = _line_of(root, exc.loc) if exc.loc else None
        where = f" line {line}" if line else ""
        raise CalendarDataError(f"{name}{where}: {exc.message}") from None


def _load_directory(path: Path) -> list[YearCalendar]:
    if not path.is_dir():
        raise CalendarDataError(f"calendar directory {path} does not exist")
    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [load_year_file(p) for p in files]


def ru_calendar_dir() -> Path:
    """The packaged RU calendar data directory."""
    return Path(__file__).resolve().parents[1] / "jurisdictions" / "ru" / "data" / "calendar"


def load_ru_calendar(extra_dirs: Sequence[Path] = ()) -> ProductionCalendar:
    """Load the packaged RU calendar, then each of ``extra_dirs`` over it.

    A year file in an extra directory replaces the packaged year (e.g. to add next year's
    decree before a release ships it). Everything is validated; any bad file raises and
    nothing is returned.
    """
    calendar = ProductionCalendar.from_directory(ru_calendar_dir())
    for extra in extra_dirs:
        calendar = calendar.with_years(_load_directory(extra))
    return calendar
