"""``domicile desk ...``: the regulator desk from the command line (a thin adapter).

Registered on the main app with one line at the end of ``cli/app.py``. Each command parses its
input, calls :class:`domicile.desk.service.Desk`, and renders the result (``--json`` for
scripts). Errors go through the CLI's one exit-code table: bad input 3, not found 4,
integrity failure (a broken decision chain) 6, missing signing key 7, refused by the workflow 8,
desk database 9, configuration 10.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from domicile.cli.desk_calendar import calendar_app
from domicile.cli.options import DataDir, JsonOut
from domicile.cli.options import settings_for as _settings
from domicile.cli.render import emit, to_jsonable
from domicile.core.errors import InputError

desk_app = typer.Typer(
    help="The regulator desk: authorities' requests, legal clocks, signed decisions, reports.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="The representative's Ed25519 signing key.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Refused raw inputs kept for a person.", no_args_is_help=True)
report_app = typer.Typer(help="Transparency and annual reports (CSV, JSON, SVG).", no_args_is_help=True)
incident_app = typer.Typer(help="PD breach incidents and the two notices to RKN.", no_args_is_help=True)
desk_app.add_typer(keys_app, name="keys")
desk_app.add_typer(quarantine_app, name="quarantine")
desk_app.add_typer(report_app, name="report")
desk_app.add_typer(incident_app, name="incident")
desk_app.add_typer(calendar_app, name="calendar")

console = Console(width=200) if not sys.stdout.isatty() else Console()

Actor = Annotated[
    str, typer.Option("--actor", envvar="DOMICILE_ACTOR", help="Who acts (a staff id, for the audit log).")
]
RequestId = Annotated[str, typer.Argument(help="Request id (rq_...).")]


def _desk(data_dir: Path | None) -> Any:
    from domicile.desk.runtime import open_desk

    return open_desk(_settings(data_dir))


def _read_bytes(source: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except FileNotFoundError:
        raise InputError(f"input file not found: {source}") from None
    except OSError as exc:
        raise InputError(f"cannot read input {source}: {type(exc).__name__}") from None


def _text(value: str | None, file: Path | None, what: str) -> str:
    if (value is None) == (file is None):
        raise InputError(f"give the {what} either inline or as a file, not both or neither")
    if file is not None:
        try:
            return file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {what} file: {type(exc).__name__}") from None
    return str(value)


def _json_file(source: str) -> Any:
    raw = _read_bytes(source)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"malformed JSON input ({type(exc).__name__})") from None


def _request_line(r: Any) -> str:
    return f"{r.id}  {r.type_id:<18} {r.state:<13} due {r.due_at}  {r.authority_type:<18} {r.assignee or '-'}"


@desk_app.command("init")
def init_cmd(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Write desk.yaml (kept if present), create the desk folders and bring the desk schema up to date."""
    from domicile.desk.runtime import init_desk

    report = init_desk(_settings(data_dir))
    emit(
        report,
        json_out,
        f"desk config {report.config_file}"
        + (" (created)" if report.created_config else " (kept)")
        + f"; database {report.backend} at schema {report.revision}; inbox {report.inbox}",
    )


@keys_app.command("init")
def keys_init(
    signer: Annotated[
        str, typer.Option("--signer", help="The representative's staff id, e.g. rep:office-1.")
    ],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Create the representative's Ed25519 key file and register its public key with the desk."""
    from domicile.cells.config import resolve_path
    from domicile.desk.config import load_desk_config
    from domicile.desk.runtime import desk_config_path, open_desk
    from domicile.desk.signing import Signer

    settings = _settings(data_dir)
    cfg = load_desk_config(desk_config_path(settings))
    made = Signer.create(resolve_path(settings.data_dir, cfg.signer_key), signer)
    desk = open_desk(settings, signer=made)
    desk.register_signer(made, actor=actor)
    info = {"signer": made.signer, "key_id": made.key_id, "public_key": made.public_key_hex}
    emit(info, json_out, f"signer {made.signer}: key {made.key_id} (public {made.public_key_hex})")


@keys_app.command("show")
def keys_show(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """List the registered public keys and the key loaded from the key file."""
    desk = _desk(data_dir)
    with desk.db.read() as store:
        rows = store.signers()
    loaded = desk.signer.key_id if desk.signer else None
    body = {"loaded": loaded, "registered": rows}
    lines = [f"{r['key_id']}  {r['signer']}  since {r['created_at']}" for r in rows]
    emit(body, json_out, "\n".join([*lines, f"loaded key: {loaded or 'none'}"]))


@desk_app.command("submit")
def submit_cmd(
    source: Annotated[str, typer.Argument(help="JSON request file, or - for stdin.")] = "-",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Submit a request (JSON, as for POST /requests); prints the acknowledgement receipt."""
    desk = _desk(data_dir)
    receipt = desk.submit_json(_read_bytes(source), channel="cli", actor=actor)
    dup = "(duplicate) " if receipt.duplicate else ""
    lines = [f"{receipt.request_id} {dup}acknowledged {receipt.acknowledged_at}"]
    lines += [f"  {c.clock_id:<28} due {c.due_at}  {c.legal_source}" for c in receipt.clocks]
    emit(receipt, json_out, "\n".join(lines))


@desk_app.command("mail-scan")
def mail_scan(
    folder: Annotated[
        Path | None, typer.Option("--folder", help="Drop folder (default: inbox of desk.yaml).")
    ] = None,
    actor: Actor = "svc:mail-drop",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Ingest every .eml file of the e-mail drop; bad messages are quarantined (exit 3 if any)."""
    from domicile.cells.config import resolve_path
    from domicile.desk.config import load_desk_config
    from domicile.desk.errors import DeskInputError
    from domicile.desk.mail import scan
    from domicile.desk.runtime import desk_config_path

    settings = _settings(data_dir)
    desk = _desk(data_dir)
    inbox = folder or resolve_path(settings.data_dir, load_desk_config(desk_config_path(settings)).inbox)
    result = scan(desk, inbox, actor=actor)
    lines = [
        f"{r.file}: {r.status} {r.request_id or r.quarantine_id or ''} {r.message or ''}".rstrip()
        for r in result.results
    ]
    emit(result, json_out, "\n".join(lines) or "no .eml files")
    bad = result.count("quarantined")
    if bad:
        raise DeskInputError(f"{bad} message(s) quarantined; see 'domicile desk quarantine list'")


@desk_app.command("list")
def list_cmd(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    type_id: Annotated[str | None, typer.Option("--type", help="Only this request type.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only requests not closed.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 100,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Requests, most urgent first."""
    rows = _desk(data_dir).list_requests(state=state, type_id=type_id, open_only=open_only, limit=limit)
    emit(rows, json_out, "\n".join(_request_line(r) for r in rows) or "no requests")


@desk_app.command("show")
def show_cmd(request_id: RequestId, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """A request: type, legal basis, state, items, clocks and timeline (no PD)."""
    r = _desk(data_dir).get(request_id)
    if json_out:
        emit(r, True)
        return
    console.print(_request_line(r), markup=False)
    console.print(f"  legal basis: {r.legal_basis}", markup=False)
    for c in r.clocks:
        console.print(f"  clock {c.clock_id:<28} due {c.due_at}  met {c.met_at or '-'}", markup=False)
    for i in r.items:
        console.print(
            f"  item {i.item_no}: {i.content_id or '-'} verdict {i.verdict or '-'} outcome {i.outcome or '-'}"
        )
    for ev in r.events:
        console.print(
            f"  {ev.at} {ev.actor:<16} {ev.action} {ev.from_state or ''}->{ev.to_state or ''}", markup=False
        )


@desk_app.command("receipt")
def receipt_cmd(request_id: RequestId, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Print a request's acknowledgement receipt again."""
    receipt = _desk(data_dir).receipt(request_id)
    emit(
        receipt,
        json_out,
        f"{receipt.request_id} acknowledged {receipt.acknowledged_at} ({receipt.legal_basis})",
    )


@desk_app.command("triage")
def triage_cmd(
    request_id: RequestId,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Assign to this staff id.")] = None,
    priority: Annotated[int | None, typer.Option("--priority", help="0 (highest) .. 3.")] = None,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Triage an acknowledged request (optionally assign it and set its priority)."""
    r = _desk(data_dir).triage(request_id, actor=actor, assignee=assignee, priority=priority)
    emit(r, json_out, _request_line(r))


@desk_app.command("assign")
def assign_cmd(
    request_id: RequestId,
    to: Annotated[str, typer.Option("--to", help="Staff id.")],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Assign an open request to a person."""
    r = _desk(data_dir).assign(request_id, to, actor=actor)
    emit(r, json_out, _request_line(r))


@desk_app.command("review")
def review_cmd(
    request_id: RequestId, actor: Actor = "cli", data_dir: DataDir = None, json_out: JsonOut = False
) -> None:
    """Start legal review of a triaged request."""
    r = _desk(data_dir).start_review(request_id, actor=actor)
    emit(r, json_out, _request_line(r))


@desk_app.command("decide")
def decide_cmd(
    request_id: RequestId,
    decision: Annotated[str, typer.Option("--decision", help="approve, partial or reject.")],
    basis: Annotated[str, typer.Option("--basis", help="Legal basis, e.g. '149-FZ art. 15.1'.")],
    reasoning: Annotated[str | None, typer.Option("--reasoning", help="Reasoning text.")] = None,
    reasoning_file: Annotated[
        Path | None, typer.Option("--reasoning-file", help="Reasoning from a file.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="What execution does (default: the type's).")
    ] = None,
    item: Annotated[
        list[str] | None, typer.Option("--item", help="N=VERDICT for a partial decision.")
    ] = None,
    field: Annotated[list[str] | None, typer.Option("--field", help="Vault field to produce.")] = None,
    reject_verdict: Annotated[str, typer.Option("--reject-verdict", help="Item verdict of a rejection.")] = (
        "no_action_lawful"
    ),
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Sign the representative's decision with the key file (needs legal review; exit 7 without a key)."""
    from domicile.desk.decisions import DecisionInput

    items: dict[int, str] = {}
    for spec in item or []:
        number, sep, verdict = spec.partition("=")
        if not sep or not number.strip().isdigit():
            raise InputError(f"--item takes N=VERDICT, got {spec[:40]!r}")
        items[int(number)] = verdict.strip()
    d = DecisionInput(
        decision,
        basis,
        _text(reasoning, reasoning_file, "reasoning"),
        action,
        items or None,
        reject_verdict,
        tuple(field or ()),
    )
    signed = _desk(data_dir).decide(request_id, d, actor=actor)
    emit(
        signed,
        json_out,
        f"decision {signed.seq} on {signed.request_id}: {signed.decision} ({signed.action}), "
        f"signed by {signed.signer} key {signed.key_id}; chain {signed.entry_hash[:16]}",
    )


@desk_app.command("execute")
def execute_cmd(
    request_id: RequestId, actor: Actor = "cli", data_dir: DataDir = None, json_out: JsonOut = False
) -> None:
    """Execute the signed decision (refused without legal review and a verifying signature)."""
    rep = _desk(data_dir).execute(request_id, actor=actor)
    lines = [f"{rep.request_id}: {rep.action} executed at {rep.executed_at}"]
    lines += [f"  item {i.item_no}: {i.outcome} ({i.status})" for i in rep.items]
    lines += [f"  package {p}" for p in rep.packages] + ([f"  vault: {rep.vault}"] if rep.vault else [])
    emit(rep, json_out, "\n".join(lines))


@desk_app.command("extend")
def extend_cmd(
    request_id: RequestId,
    clock: Annotated[str, typer.Option("--clock", help="Clock id, e.g. pd.dsr.access.")],
    reasoning: Annotated[str | None, typer.Option("--reasoning", help="The reasoned notice.")] = None,
    reasoning_file: Annotated[
        Path | None, typer.Option("--reasoning-file", help="Notice from a file.")
    ] = None,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Extend a clock once with a reasoned notice to the requester (e.g. +5 working days)."""
    d = _desk(data_dir).extend(request_id, clock, _text(reasoning, reasoning_file, "notice"), actor=actor)
    body = {"clock_id": d.clock_id, "due_at": d.due_at.isoformat(), "extensions": d.extensions_used}
    emit(body, json_out, f"{d.clock_id} now due {d.due_at_moscow.isoformat()} (Moscow)")


@desk_app.command("answer")
def answer_cmd(
    request_id: RequestId, actor: Actor = "cli", data_dir: DataDir = None, json_out: JsonOut = False
) -> None:
    """Deliver the answer to the requester through the platform adapter."""
    rep = _desk(data_dir).answer(request_id, actor=actor)
    emit(rep, json_out, f"{rep.request_id}: answered ({rep.delivery}); outcomes {rep.outcomes}")


@desk_app.command("close")
def close_cmd(
    request_id: RequestId, actor: Actor = "cli", data_dir: DataDir = None, json_out: JsonOut = False
) -> None:
    """Close an answered request."""
    r = _desk(data_dir).close(request_id, actor=actor)
    emit(r, json_out, _request_line(r))


@desk_app.command("verify")
def verify_cmd(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Check every decision's signature and the chain; names the first bad decision. Exit 6 if broken."""
    from domicile.desk.errors import DecisionIntegrityError

    result = _desk(data_dir).verify()
    d = result.decisions
    emit(
        {**to_jsonable(result), "ok": result.ok},
        json_out,
        f"decisions: {d.checked} verified"
        if d.ok
        else f"decisions: BROKEN at {d.first_bad_seq} (request {d.first_bad_request}): {d.problem}",
    )
    if not d.ok:
        raise DecisionIntegrityError(f"decision {d.first_bad_seq} fails verification: {d.problem}")
    if result.audit_problem:
        raise DecisionIntegrityError(f"audit cross-check: {result.audit_problem}")


@desk_app.command("escalate")
def escalate_cmd(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Assess every open clock and notify at 50 %, 90 % and breach through the configured notifiers."""
    run = _desk(data_dir).escalate()
    lines = [
        f"{d.request_id} {d.clock_id} {d.level} via {d.notifier}: {'ok' if d.ok else d.error}"
        for d in run.deliveries
    ]
    emit(
        run,
        json_out,
        "\n".join([*lines, f"{run.assessed} clock(s) assessed, {run.sent} sent, {run.failed} failed"]),
    )


@quarantine_app.command("list")
def quarantine_list(
    status: Annotated[str, typer.Option("--status", help="open, released, discarded or all.")] = "open",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Refused raw inputs, newest first."""
    rows = _desk(data_dir).quarantine_list(status=None if status == "all" else status)
    lines = [
        f"{q.id}  {q.channel:<6} {q.reason:<14} {q.status:<9} {q.received_at}  {q.message}" for q in rows
    ]
    emit(rows, json_out, "\n".join(lines) or "quarantine is empty")


@quarantine_app.command("show")
def quarantine_show(
    qid: Annotated[str, typer.Argument(help="Quarantine id (qr_...).")],
    out: Annotated[Path, typer.Option("--out", help="Write the raw bytes to this file (RU storage).")],
    purpose: Annotated[
        str, typer.Option("--purpose", help="Why it is read (audited).")
    ] = "desk.quarantine-review",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Write a quarantined raw input to a file for a person to look at (audited)."""
    entry, data = _desk(data_dir).quarantine_show(qid, actor=actor, purpose=purpose)
    out.write_bytes(data)
    emit(entry, json_out, f"{entry.id}: {len(data)} bytes written to {out} ({entry.reason}: {entry.message})")


@quarantine_app.command("resolve")
def quarantine_resolve(
    qid: Annotated[str, typer.Argument(help="Quarantine id (qr_...).")],
    status: Annotated[str, typer.Option("--status", help="released or discarded (shreds the raw input).")],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Resolve a quarantine entry."""
    entry = _desk(data_dir).quarantine_resolve(qid, status, actor=actor)
    emit(entry, json_out, f"{entry.id}: {entry.status}")


@desk_app.command("ledger")
def ledger_cmd(
    year: Annotated[
        int | None, typer.Option("--year", help="Only requests received that year (Moscow).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Export the government-request ledger (TR-1) as CSV or JSON."""
    from domicile.desk.ledger import ledger_csv, ledger_json, ledger_rows, year_period

    if fmt not in ("csv", "json"):
        raise InputError("--format is csv or json")
    desk = _desk(data_dir)
    with desk.db.read() as store:
        rows = ledger_rows(store, year_period(year) if year else None)
    text = ledger_csv(rows) if fmt == "csv" else ledger_json(rows)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, "utf-8")
        console.print(f"{len(rows)} request(s) written to {out}", markup=False)


def _write(report: Any, out: Path, json_out: bool) -> None:
    from domicile.desk.reports import write_report

    paths = write_report(report, out)
    checks = ", ".join(f"{c.name}={c.report}" for c in report.checks[:3])
    emit(
        {"files": [str(p) for p in paths], "reconciled": report.reconciled},
        json_out,
        "\n".join([*(str(p) for p in paths), f"reconciled with the ledger: {checks}"]),
    )


@report_app.command("transparency")
def report_transparency(
    year: Annotated[int, typer.Option("--year", help="Year.")],
    half: Annotated[int, typer.Option("--half", help="1 (Jan-Jun) or 2 (Jul-Dec).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Half-year transparency report (TR-4): JSON, CSV and SVG charts, reconciled with the ledger."""
    from domicile.desk.reports import transparency_report

    _write(transparency_report(_desk(data_dir), year, half), out, json_out)


@report_app.command("annual")
def report_annual(
    year: Annotated[int, typer.Option("--year", help="Reporting year (due 1 February next year).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Annual social-network report (SN-11): JSON, CSV and SVG charts, reconciled with the ledger."""
    from domicile.desk.reports import annual_report

    _write(annual_report(_desk(data_dir), year), out, json_out)


@desk_app.command("seed")
def seed_cmd(
    count: Annotated[int, typer.Option("--count", help="How many requests.")] = 1000,
    year: Annotated[int, typer.Option("--year", help="Year of receipt.")] = 2025,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Fill the desk with a generated ledger of finished requests (demos; needs the signing key)."""
    from domicile.desk.synthetic import seed_ledger

    if not 1 <= count <= 1_000_000:
        raise InputError("--count must be 1..1000000")
    made = seed_ledger(_desk(data_dir), count, year=year, seed=seed)
    emit({"requests": len(made)}, json_out, f"{len(made)} request(s) generated for {year}")


@incident_app.command("record")
def incident_record(
    source: Annotated[str, typer.Argument(help="Incident JSON file, or - for stdin.")] = "-",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Record a PD breach incident; prints both notice deadlines and affected subjects per cell."""
    inc = _desk(data_dir).record_incident(_json_file(source), actor=actor)
    lines = [f"{inc.request_id}: detected {inc.detected_at}; affected {inc.affected}"]
    lines += [f"  {c.clock_id:<24} due {c.due_at}" for c in inc.clocks]
    emit(inc, json_out, "\n".join(lines))


@incident_app.command("show")
def incident_show(request_id: RequestId, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """An incident: clocks, filing times and affected-subject counts."""
    inc = _desk(data_dir).incident(request_id)
    emit(
        inc,
        json_out,
        f"{inc.request_id} ({inc.state}): notice 1 {inc.notice1_at or '-'}, notice 2 "
        f"{inc.notice2_at or '-'}; affected {inc.affected}",
    )


@incident_app.command("update")
def incident_update(
    request_id: RequestId,
    source: Annotated[
        str, typer.Argument(help="JSON with causes, harm, measures, contact, investigation...")
    ] = "-",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Add investigation results or correct notice fields of an incident."""
    from pydantic import ValidationError

    from domicile.desk.incidents import IncidentUpdate

    try:
        upd = IncidentUpdate.model_validate(_json_file(source))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            f"invalid update: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        ) from None
    inc = _desk(data_dir).update_incident(request_id, upd, actor=actor)
    emit(inc, json_out, f"{inc.request_id} updated")


@incident_app.command("notices")
def incident_notices(
    request_id: RequestId,
    out: Annotated[Path | None, typer.Option("--out", help="Write the drafts (PD) to this folder.")] = None,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Draft notice 1 (24 h) and notice 2 (72 h) to RKN; lists the fields still missing."""
    drafts = _desk(data_dir).draft_notices(request_id, actor=actor)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for d in drafts:
            (out / f"{request_id}-notice-{d.number}.txt").write_text(d.text_ru, "utf-8")
            (out / f"{request_id}-notice-{d.number}.json").write_text(
                json.dumps(to_jsonable(d), ensure_ascii=False, indent=1), "utf-8"
            )
    lines = [
        f"notice {d.number}: due {d.due_at}; missing {', '.join(d.missing) or 'nothing'}" for d in drafts
    ]
    emit(
        [{k: v for k, v in to_jsonable(d).items() if k != "fields"} for d in drafts],
        json_out,
        "\n".join(lines),
    )


@incident_app.command("filed")
def incident_filed(
    request_id: RequestId,
    notice: Annotated[int, typer.Option("--notice", help="1 or 2.")],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Record that a notice was filed with RKN (meets its clock)."""
    inc = _desk(data_dir).file_notice(request_id, notice, actor=actor)
    emit(inc, json_out, f"{inc.request_id}: notice {notice} filed; state {inc.state}")
