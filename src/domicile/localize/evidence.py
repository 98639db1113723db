"""The evidence report of a localize run, as JSON and as a readable HTML page.

Written to ``<data dir>/localize/<job>/evidence.{json,html}``. Per table and column: rows seen,
moved, tokenized, nulled, skipped (non-RU), already done, changed meanwhile; per table a checksum
of the moved rows' source values and of their copies read back from the cell (equal when every
copy was verified), and the count and checksum of all the job's items in the cell; start and end
time, the job id, the map digest and the RU cell's audit-chain head to anchor elsewhere.

Nothing in it is PD: counts, keyed checksums, ids, the masked source URL (PD-LOC-1..3 evidence).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from domicile.localize.engine import LocalizeReport

FORMAT = "domicile.localize-evidence/1"
_ROWS = ("seen", "moved", "relocalized", "already_done", "skipped_non_ru", "changed_meanwhile", "erased")


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
            + f"<p>checksum of moved source values <code>{e(t['source_checksum'])}</code><br>"
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


def write_evidence(report: LocalizeReport, data_dir: Path) -> tuple[Path, Path]:
    """Write ``evidence.json`` and ``evidence.html`` for the report's job; return both paths."""
    folder = data_dir / "localize" / report.job
    folder.mkdir(parents=True, exist_ok=True)
    ev = build_evidence(report)
    jpath, hpath = folder / "evidence.json", folder / "evidence.html"
    jpath.write_text(json.dumps(ev, indent=2, ensure_ascii=False) + "\n", "utf-8")
    hpath.write_text(render_html(ev), "utf-8")
    return jpath, hpath
