"""``domicile scan`` and ``domicile leakscan``: draft a data map of a source database; prove no PD stayed.

Registered on the main app by :func:`register`. Progress bars go to stderr, only on a terminal
and never with ``--json``. Neither command prints a PD value: the map holds counts, the leak
report holds table, column, primary key and the matched item or subject id.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from domicile.cli.errors import LEAKS_FOUND
from domicile.cli.options import DataDir, JsonOut, settings_for
from domicile.cli.render import emit, to_jsonable

SourceUrl = Annotated[
    str, typer.Argument(help="SQLAlchemy URL of the source database, e.g. postgresql+psycopg://app@db/app.")
]


@contextmanager
def _progress(enabled: bool, what: str) -> Iterator[Any]:
    """A Rich progress bar on stderr (a no-op callback when disabled)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        TextColumn(f"{what} [bold]{{task.fields[table]}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        yield bar


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def scan_cmd(
    url: SourceUrl,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the data map here (default: print it).")
    ] = None,
    sample: Annotated[int, typer.Option("--sample", help="Rows sampled per table.", min=1)] = 1000,
    json_out: JsonOut = False,
) -> None:
    """Sample every table read-only, classify every column, draft a data map (YAML) to review."""
    from domicile.localize.scan import scan_with_notes

    with _progress(not json_out, "scanning") as bar:
        task = bar.add_task("scan", total=None, table="") if bar is not None else None

        def tick(table: str, done: int, total: int) -> None:
            if bar is not None:
                bar.update(task, completed=done, total=total, table=table)

        result = scan_with_notes(url, sample_rows=sample, progress=tick)
    text = result.yaml()
    if out is not None:
        _write_atomic(out, text)
    if json_out:
        emit({"datamap": result.datamap, "notes": result.notes, "sampling": result.sampling}, True)
        return
    if out is None:
        print(text, end="")
        return
    console = Console(width=200) if not sys.stdout.isatty() else Console()
    table = Table("table", "column", "category", "confidence", "field", "replace", title="PD columns")
    for t in result.datamap.tables:
        for c in t.pd_columns:
            cats = ", ".join(c.categories) if c.free_text else (c.category or "")
            conf = f"{c.confidence:.2f}" if c.confidence is not None else "-"
            table.add_row(t.name, c.name, cats, conf, c.field or "-", c.replace.value)
    console.print(table)
    for t in result.datamap.tables:
        link = t.subject
        if link is not None and not link.is_subject_table:
            chain = result.datamap.owner_chain(t.name)
            hops = " -> ".join(f"{table}.{column}" for table, column in chain[:-1])
            who = f"rows of {chain[-1][0]} via {hops}"
        else:
            who = "subject table" if link else "no PD" if not t.pd_columns else "SUBJECT UNKNOWN"
        console.print(f"{t.name}: {t.rows} rows, {len(t.pd_columns)} PD column(s); {who}", markup=False)
        for note in result.notes.get(t.name, ()):
            console.print(f"  review: {note}", markup=False)
    console.print(f"data map written to {out}", markup=False)


def leakscan_cmd(
    url: SourceUrl,
    map_path: Annotated[
        Path | None, typer.Option("--map", help="Data map: adds the categories of mapped columns.")
    ] = None,
    jurisdiction: Annotated[
        str, typer.Option("--jurisdiction", help="Whose cell to probe (its localized values and vault).")
    ] = "RU",
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on weak findings too (a full name, address or IP alone).")
    ] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Read every text column of the source; report values localized to the cell that are still there.

    Exit code 12 when a strong finding (an identifier, or a corroborated name or address) is
    found; weak findings (a full name, address or IP alone) are listed and fail only with --strict.
    """
    from domicile.app import open_domicile
    from domicile.localize.datamap import load_datamap
    from domicile.localize.leakscan import leakscan

    settings = settings_for(data_dir)
    dom = open_domicile(settings)
    try:
        dm = load_datamap(map_path, fields=set(dom.schema.names())) if map_path is not None else None
        with _progress(not json_out, "leakscan") as bar:
            task = bar.add_task("leakscan", total=None, table="") if bar is not None else None

            def tick(table: str, rows: int, done: int, total: int) -> None:
                if bar is not None:
                    bar.update(task, completed=done, total=total, table=table)

            report = leakscan(dom, url, dm=dm, jurisdiction=jurisdiction.upper(), progress=tick)
    finally:
        for cell in dom.cells.values():
            cell.close()
    if json_out:
        emit(to_jsonable(report) | {"clean": report.clean, "passed": report.passes(strict=strict)}, True)
    else:
        console = Console(width=200) if not sys.stdout.isatty() else Console()
        console.print(
            f"{report.source}: {report.tables} tables, {report.columns} columns, {report.rows} rows, "
            f"{report.values} values probed against cell {report.cell} "
            f"(key versions {', '.join(map(str, report.key_versions))})",
            markup=False,
        )
        for title, found in (("leaks", report.leaks), ("weak findings (review)", report.weak)):
            if found:
                table = Table("table", "column", "row", "kind", "matched", "ref", title=title)
                for f in found:
                    table.add_row(f.table, f.column, ",".join(f.row), f.kind, f.matched, f.ref)
                console.print(table)
        if report.weak:
            console.print(
                f"weak: {len(report.weak)} value(s) match only as a full name, address or IP, which "
                "another person may share" + ("" if strict else " (not a failure without --strict)"),
                markup=False,
            )
        if report.leaks:
            console.print(f"LEAKS FOUND: {len(report.leaks)} value(s)", markup=False)
        elif not report.weak:
            console.print("clean: no localized PD found", markup=False)
    if not report.passes(strict=strict):
        raise typer.Exit(LEAKS_FOUND)


def register(app: typer.Typer) -> None:
    """Add ``scan`` and ``leakscan`` to the main CLI."""
    app.command("scan")(scan_cmd)
    app.command("leakscan")(leakscan_cmd)
