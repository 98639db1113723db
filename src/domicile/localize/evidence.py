"""The evidence report of a localize job, as JSON and as a readable HTML page.

Written to ``<data dir>/localize/<job>/evidence.{json,html}``. For the whole job, per table
(``tables.*.job``, totals in ``job_totals``): the job's items in the RU cell (count and checksum
of their digests, read from the cell), the source-side checksum (the digests the rows were
verified against when moved), rows moved by this run and by earlier runs, relocalized, skipped
(non-RU) and changed meanwhile. For this run, per table and column: rows seen, moved, tokenized,
nulled, skipped, already done, changed meanwhile, and checksums of the moved rows' source values
and of their copies read back from the cell. Start and end time, the job id, the map digest and
the RU cell's audit-chain head to anchor elsewhere. A job killed and resumed has the same job
totals as one run straight through.

Nothing in it is PD: counts, keyed checksums, ids, the masked source URL (PD-LOC-1..3 evidence).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from domicile.localize.report import LocalizeReport

FORMAT = "domicile.localize-evidence/1"
_ROWS = (
    "seen",
    "moved",
    "relocalized",
    "already_done",
    "skipped_non_ru",
    "changed_meanwhile",
    "erased",
    "tokenized_elsewhere",
    "pd_after_erasure",
)
_JOB = (
    "items_in_cell",
    "moved_this_run",
    "moved_earlier_runs",
    "relocalized",
    "skipped_non_ru",
    "changed_meanwhile",
)


def build_evidence(report: LocalizeReport) -> dict[str, Any]:
    """The evidence as a JSON-ready mapping (see the module docstring)."""
    tables: dict[str, Any] = {}
    for name, t in report.tables.items():
        tables[name] = {
            **{k: getattr(t, k) for k in _ROWS},
            "columns": {
                c: {"tokenized": v.tokenized, "nulled": v.nulled} for c, v in sorted(t.columns.items())
            },
            "source_checksum": t.source_checksum,
            "cell_checksum": t.cell_checksum,
            "checksums_equal": t.source_checksum == t.cell_checksum,
            "items_in_cell": report.items_in_cell.get(name, 0),
            "cell_items_checksum": report.cell_items_checksum.get(name, "0" * 64),
        }
        j = report.job_tables.get(name)
        if j is not None:
            tables[name]["job"] = {
                **{k: getattr(j, k) for k in _JOB},
                "cell_items_checksum": j.cell_items_checksum,
                "source_checksum": j.source_checksum,
                "checksums_equal": j.checksums_equal,
            }
    return {
        "format": FORMAT,
        "job": report.job,
        "state": report.state,
        "dry_run": report.dry_run,
        "jurisdiction": report.jurisdiction,
        "cell": report.cell,
        "source": report.source,
        "map_digest": report.map_digest,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "audit_head": report.audit_head,
        "totals": {k: sum(getattr(t, k) for t in report.tables.values()) for k in _ROWS},
        "job_totals": {k: sum(getattr(t, k) for t in report.job_tables.values()) for k in _JOB},
        "tables": tables,
    }


def render_html(ev: dict[str, Any]) -> str:
    """A self-contained HTML page of the evidence (every value escaped)."""
    e = html.escape
    head = "".join(
        f"<tr><th>{e(k)}</th><td><code>{e(str(ev[k]))}</code></td></tr>"
        for k in ("job", "state", "jurisdiction", "cell", "source", "map_digest", "started_at", "finished_at")
    )
    anchor = e(str(ev["audit_head"] or "-"))
    rows = []
    for name, t in ev["tables"].items():
        ok = "equal" if t["checksums_equal"] else "DIFFERENT"
        rows.append(
            f"<h2>{e(name)}</h2><table><tr>"
            + "".join(f"<th>{e(k.replace('_', ' '))}</th>" for k in _ROWS)
            + "</tr><tr>"
            + "".join(f"<td>{t[k]:,}</td>" for k in _ROWS)
            + "</tr></table>"
            + "<table><tr><th>column</th><th>tokenized</th><th>nulled</th></tr>"
            + "".join(
                f"<tr><td>{e(c)}</td><td>{v['tokenized']:,}</td><td>{v['nulled']:,}</td></tr>"
                for c, v in t["columns"].items()
            )
            + "</table>"
            + _job_html(t.get("job"))
            + f"<p>this run: checksum of moved source values <code>{e(t['source_checksum'])}</code><br>"
            f"checksum of their cell copies <code>{e(t['cell_checksum'])}</code> ({ok})<br>"
            f"items of this job in the cell: {t['items_in_cell']:,}, checksum "
            f"<code>{e(t['cell_items_checksum'])}</code></p>"
        )
    title = f"Localization evidence: {e(ev['job'])}"
    style = (
        "body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}code{font-size:90%}"
    )
    dry = "<p><strong>Dry run: nothing was written.</strong></p>" if ev["dry_run"] else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{style}</style></head><body><h1>{title}</h1>{dry}<table>{head}</table>"
        f"<p>RU cell audit-chain head: <code>{anchor}</code> (check with <code>domicile audit verify "
        f"--anchor {anchor}</code>)</p>{''.join(rows)}</body></html>\n"
    )


def _job_html(j: dict[str, Any] | None) -> str:
    if j is None:
        return ""
    e = html.escape
    ok = "equal" if j["checksums_equal"] else "DIFFERENT"
    return (
        "<table><tr><th>whole job</th>"
        + "".join(f"<th>{e(k.replace('_', ' '))}</th>" for k in _JOB)
        + "</tr><tr><td></td>"
        + "".join(f"<td>{j[k]:,}</td>" for k in _JOB)
        + "</tr></table>"
        + f"<p>job: checksum of the items in the cell <code>{e(j['cell_items_checksum'])}</code><br>"
        f"job: checksum of the source values they were verified against "
        f"<code>{e(j['source_checksum'])}</code> ({ok})</p>"
    )


def write_evidence(report: LocalizeReport, data_dir: Path) -> tuple[Path, Path]:
    """Write ``evidence.json`` and ``evidence.html`` for the report's job; return both paths."""
    folder = data_dir / "localize" / report.job
    folder.mkdir(parents=True, exist_ok=True)
    ev = build_evidence(report)
    jpath, hpath = folder / "evidence.json", folder / "evidence.html"
    jpath.write_text(json.dumps(ev, indent=2, ensure_ascii=False) + "\n", "utf-8")
    hpath.write_text(render_html(ev), "utf-8")
    return jpath, hpath
