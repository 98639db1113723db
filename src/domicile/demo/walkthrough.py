"""Walk-through on the embedded default: where each synthetic user's PD lands.

Stores Russian, Kazakh, German and American users (Faker; Kazakhs made from
Russian-language names with +7 7xx numbers), then shows which cell each landed
in, what the global application's own database holds (tokens only), a blind
index search, a purposeful detokenize, an erasure, and a verified audit chain
in every cell.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from domicile.app import init_data_dir, open_domicile
from domicile.core.errors import InputError, SubjectErasedError
from domicile.operations import audit_head, verify_audit
from domicile.residency.resolver import Signals
from domicile.settings import DomicileSettings
from domicile.synthetic.people import Origin, make_people
from domicile.tokens.service import detokenize

log = logging.getLogger(__name__)
ORIGINS: tuple[Origin, ...] = ("RU", "KZ", "DE", "US")
APP_COLUMNS = ("given_name", "family_name", "email", "phone")


@dataclass(frozen=True)
class Placement:
    origin: str
    subject_id: str
    cell: str
    jurisdiction: str
    rule: str


@dataclass
class WalkthroughReport:
    data_dir: str
    app_database: str
    placements: list[Placement] = field(default_factory=list)
    app_rows: list[dict[str, str]] = field(default_factory=list)
    search: dict[str, object] = field(default_factory=dict)
    detokenized_field: str = ""
    erased_subject: str = ""
    erased_unreadable: bool = False
    audit: dict[str, dict[str, object]] = field(default_factory=dict)


def _app_table(meta: sa.MetaData) -> sa.Table:
    """The global short-video app's own user table: ids and tokens, never PD."""
    return sa.Table(
        "app_users",
        meta,
        sa.Column("subject_id", sa.String(36), primary_key=True),
        sa.Column("home_cell", sa.String(32), nullable=False),
        *(sa.Column(f"{c}_token", sa.String(200)) for c in APP_COLUMNS),
    )


def run_walkthrough(settings: DomicileSettings, per_origin: int = 3, seed: int = 7) -> WalkthroughReport:
    """Run the walk-through in the data folder of *settings* (creating it if needed)."""
    if not 1 <= per_origin <= 10_000:
        raise InputError("people per origin must be between 1 and 10000")
    init_data_dir(settings)
    dom = open_domicile(settings)
    app_db = settings.data_dir / "global-app" / "app.db"
    app_db.parent.mkdir(parents=True, exist_ok=True)
    report = WalkthroughReport(str(settings.data_dir), str(app_db))
    people = make_people(per_origin * len(ORIGINS), origins=ORIGINS, seed=seed)
    items = [(p.pd_fields(), Signals(citizenship=(p.citizenship,), residence=p.residence)) for p in people]
    results = dom.put_many(items, actor="demo", purpose="registration", issue_tokens=True)
    log.info("stored %d synthetic subjects", len(results))

    engine = sa.create_engine(f"sqlite:///{app_db}")
    meta = sa.MetaData()
    table = _app_table(meta)
    meta.create_all(engine)
    with engine.begin() as conn:
        for r in results:
            row = {"subject_id": r.subject_id, "home_cell": r.cell}
            row.update({f"{c}_token": r.tokens.get(c, "") for c in APP_COLUMNS})
            conn.execute(table.insert().prefix_with("OR REPLACE"), row)
            report.app_rows.append(row)
    engine.dispose()
    for person, r in zip(people, results, strict=True):
        report.placements.append(
            Placement(person.origin, r.subject_id, r.cell, r.jurisdiction, r.decision.rule)
        )

    ru_index = next(i for i, p in enumerate(people) if p.origin == "RU")
    ru_person, ru_result = people[ru_index], results[ru_index]
    hits = dom.find("phone", ru_person.phone, actor="demo", purpose="support.lookup")
    report.search = {"field": "phone", "subject": ru_result.subject_id, "hits": [h.subject_id for h in hits]}
    detok = detokenize(dom, ru_result.tokens["email"], actor="demo", purpose="support.contact")
    report.detokenized_field = detok.field if detok.value == ru_person.email else "MISMATCH"

    us_result = next(r for p, r in zip(people, results, strict=True) if p.origin == "US")
    dom.erase(us_result.subject_id, actor="demo", reason="subject-request")
    report.erased_subject = us_result.subject_id
    try:
        dom.get(us_result.subject_id, actor="demo", purpose="support.lookup")
    except SubjectErasedError:
        report.erased_unreadable = True

    for name in dom.cells:
        verdict = verify_audit(dom, name)
        head = audit_head(dom, name)
        report.audit[name] = {
            "ok": verdict.ok,
            "entries": verdict.checked,
            "head": head.to_anchor() if head else None,
        }
    for cell in dom.cells.values():
        cell.close()
    return report


def render(report: WalkthroughReport, console: Console) -> None:
    """Print the walk-through for people."""
    console.print(f"[bold]domicile walk-through[/bold]  data folder: {report.data_dir}")
    placed = Table(
        "origin", "subject", "home cell", "jurisdiction", "rule", title="Where each user's PD lives"
    )
    for p in report.placements:
        placed.add_row(p.origin, p.subject_id, p.cell, p.jurisdiction, p.rule)
    console.print(placed)
    app = Table(
        "subject", "home cell", *APP_COLUMNS, title=f"What the global app holds ({report.app_database})"
    )
    for row in report.app_rows:
        app.add_row(row["subject_id"][:12] + "…", row["home_cell"], *(row[f"{c}_token"] for c in APP_COLUMNS))
    console.print(app)
    console.print(
        f"blind-index search by phone found {report.search.get('hits')} "
        f"(expected {report.search.get('subject')}) without decrypting anything"
    )
    console.print(
        f"detokenized one e-mail token for purpose support.contact: field {report.detokenized_field!r}"
    )
    console.print(
        f"erased {report.erased_subject}: now unreadable = {report.erased_unreadable} (data key destroyed)"
    )
    for cell, a in report.audit.items():
        state = "[green]verified[/green]" if a["ok"] else "[red]BROKEN[/red]"
        console.print(f"audit chain of {cell}: {state}, {a['entries']} entries, head {a['head']}")
