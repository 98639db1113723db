"""``domicile desk calendar ...``: which production-calendar years the desk uses, and adding new ones.

The packaged years ship with domicile; a deployment adds next year's official decree (or, by an
explicit choice, a provisional year built from the Labour Code alone) to ``<data dir>/calendar/``,
which the desk lays over the packaged years. Every file is validated before it is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domicile.cli.options import DataDir, JsonOut, settings_for
from domicile.cli.render import emit

calendar_app = typer.Typer(
    help="Production-calendar years: list them, add next year's decree, or a provisional year.",
    no_args_is_help=True,
)

Replace = Annotated[bool, typer.Option("--replace", help="Overwrite a year already installed locally.")]


def _data_dir(data_dir: Path | None) -> Path:
    return settings_for(data_dir).data_dir


@calendar_app.command("list")
def list_cmd(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """The years the desk can count working days in, each with its decree (local years marked)."""
    from domicile.desk.calendar_provisional import calendar_dir, is_provisional, with_local_years
    from domicile.desk.runtime import packaged_calendar

    data = _data_dir(data_dir)
    folder = calendar_dir(data)
    cal = with_local_years(packaged_calendar(), data)
    rows = []
    for y in cal.years:
        yc = cal.for_year(y)
        rows.append(
            {
                "year": y,
                "working_days": yc.official_working_days,
                "provisional": is_provisional(yc),
                "local": (folder / f"{y}.yaml").is_file(),
                "source": yc.source.act,
            }
        )
    text = "\n".join(
        f"{r['year']}  {r['working_days']} working days"
        + ("  PROVISIONAL" if r["provisional"] else "")
        + ("  (local)" if r["local"] else "")
        + f"  {r['source']}"
        for r in rows
    )
    emit(rows, json_out, text)


@calendar_app.command("add")
def add_cmd(
    file: Annotated[Path, typer.Argument(help="A year file named <year>.yaml in the packaged format.")],
    data_dir: DataDir = None,
    replace: Replace = False,
    json_out: JsonOut = False,
) -> None:
    """Validate an official year file (decree, holidays, moves, working-day count) and install it."""
    from domicile.desk.calendar_provisional import install_year_file

    yc, target = install_year_file(_data_dir(data_dir), file, replace=replace)
    emit(
        {"year": yc.year, "installed": str(target), "working_days": yc.official_working_days},
        json_out,
        f"installed {yc.year} ({yc.official_working_days} working days, {yc.source.act}) at {target}",
    )


@calendar_app.command("provisional")
def provisional_cmd(
    year: Annotated[int, typer.Argument(help="The year with no decree yet, e.g. 2027.")],
    data_dir: DataDir = None,
    replace: Replace = False,
    json_out: JsonOut = False,
) -> None:
    """Install a PROVISIONAL year from the Labour Code alone (art. 112 parts 1-2, art. 95).

    Use it only while the decree is not signed: deadlines computed on it cite it as provisional
    and may be a few working days off; `desk calendar add` replaces it with the official file.
    """
    from domicile.desk.calendar_provisional import install_year, provisional_year
    from domicile.desk.deadline_errors import CalendarDataError
    from domicile.desk.runtime import packaged_calendar

    if year in packaged_calendar().years:
        raise CalendarDataError(f"{year} has an official calendar already; a provisional one is not needed")
    yc = provisional_year(year)
    target = install_year(_data_dir(data_dir), yc, replace=replace)
    emit(
        {"year": year, "installed": str(target), "days": yc.official_working_days, "provisional": True},
        json_out,
        f"installed PROVISIONAL {year} ({yc.official_working_days} working days) at {target}; "
        "replace it with the official decree's file as soon as it is signed",
    )
