"""``domicile localize URL --map MAP``: move Russian subjects' PD home, verified, batch by batch.

Registered on the main app by :func:`register` (one line at the end of ``cli/app.py``). Parses
input, calls :func:`domicile.localize.engine.localize`, writes the evidence report, renders.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from domicile.cli.errors import LEAKS_FOUND
from domicile.cli.options import DataDir, settings_for
from domicile.cli.render import emit, to_jsonable


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} rows/s")


def localize_cmd(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the application database.")],
    map_path: Annotated[Path, typer.Option("--map", help="Data map (YAML) written by `domicile scan`.")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="Whose subjects move home.")] = "RU",
    job: Annotated[
        str | None, typer.Option("--job", help="Job id (default: derived from the source URL).")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows per batch (one transaction).")] = 2000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would move; write nothing.")
    ] = False,
    actor: Annotated[
        str, typer.Option("--actor", envvar="DOMICILE_ACTOR", help="Who acts (an id).")
    ] = "localize",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            max=8,
            help="Worker processes for the per-row work of subject tables "
            "(default: one for a table of 20,000 rows or more on a multi-core machine; 0: none).",
        ),
    ] = None,
    data_dir: DataDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Copy RU subjects' PD into the RU cell, verify it, then replace it in the source with tokens."""
    from domicile.app import open_domicile
    from domicile.localize.datamap import load_datamap
    from domicile.localize.engine import localize
    from domicile.localize.evidence import build_evidence, write_evidence
    from domicile.localize.source import open_source

    dm = load_datamap(map_path)  # a broken map fails before anything is opened
    settings = settings_for(data_dir)
    engine = open_source(url)
    dom = open_domicile(settings)
    options: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "job": job,
        "batch_size": batch_size,
        "dry_run": dry_run,
        "actor": actor,
        "workers": workers,
    }
    try:
        if json_out or not sys.stderr.isatty():
            report = localize(dom, engine, dm, **options)
        else:
            report = _with_progress(dom, engine, dm, options)
    finally:
        engine.dispose()
        for cell in dom.cells.values():
            cell.close()
    paths = None if dry_run else write_evidence(report, settings.data_dir)
    if json_out:
        out = build_evidence(report)
        out["evidence"] = [str(p) for p in paths] if paths else None
        emit(to_jsonable(out), True)
        _exit_if_pd_after_erasure(report)
        return
    verb = "would move" if dry_run else "moved"
    lines = [f"job {report.job} ({report.state}): {verb} {report.moved:,} row(s) into cell {report.cell}"]
    for name, t in report.tables.items():
        lines.append(
            f"  {name:<24} seen {t.seen:>9,}  {verb} {t.moved + t.relocalized:>9,}  already done "
            f"{t.already_done:>9,}  non-{report.jurisdiction} {t.skipped_non_ru:>9,}  changed meanwhile "
            f"{t.changed_meanwhile:,}"
            + (f"  holding tokens of another job {t.tokenized_elsewhere:,}" if t.tokenized_elsewhere else "")
        )
    if paths:
        lines.append(f"evidence: {paths[0]}  {paths[1]}")
    lines.append(f"audit head: {report.audit_head or '-'}")
    emit(None, False, "\n".join(lines))
    _exit_if_pd_after_erasure(report)


def _exit_if_pd_after_erasure(report: Any) -> None:
    """Exit 12 when erased subjects' rows hold PD again: a person must look (it is never copied)."""
    rows = {n: t.pd_after_erasure for n, t in report.tables.items() if t.pd_after_erasure}
    if rows:
        listed = ", ".join(f"{n}: {k}" for n, k in rows.items())
        typer.echo(
            f"warning: rows of erased subjects hold PD again ({listed}); the application wrote it "
            "after the erasure - review them, they were not copied",
            err=True,
        )
        raise typer.Exit(LEAKS_FOUND)


def _with_progress(dom: Any, engine: Any, dm: Any, options: dict[str, Any]) -> Any:
    from domicile.localize.engine import localize

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeRemainingColumn(),
        console=console,
    ) as bars:
        tasks: dict[str, Any] = {}

        def update(table: str, done: int, total: int | None) -> None:
            if table not in tasks:
                tasks[table] = bars.add_task(table, total=total)
            bars.update(tasks[table], completed=done)

        return localize(dom, engine, dm, progress=update, **options)


def register(app: typer.Typer) -> None:
    """Add ``localize`` to the main app."""
    app.command("localize")(localize_cmd)
