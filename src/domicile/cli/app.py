"""``domicile`` commands. Each parses input, calls the library, renders the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from domicile.cli.errors import INTERNAL, USAGE, exit_code, one_line
from domicile.cli.options import DataDir, JsonOut
from domicile.cli.options import settings_for as _settings
from domicile.cli.render import emit
from domicile.core.errors import DomicileError, InputError
from domicile.residency.resolver import Signals
from domicile.tokens.formats import TokenKind

app = typer.Typer(
    name="domicile",
    help="Keep each country's users' personal data at home: residency cells, an encrypted vault, "
    "tokens for the global app, and a tamper-evident audit log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
keys_app = typer.Typer(help="Cell keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The per-cell, hash-chained audit log.", no_args_is_help=True)
cells_app = typer.Typer(help="Configured cells.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(cells_app, name="cells")

console = Console(width=200) if not sys.stdout.isatty() else Console()

Purpose = Annotated[
    str, typer.Option("--purpose", help="Why the data is needed: an id such as support.ticket.")
]
Actor = Annotated[
    str, typer.Option("--actor", envvar="DOMICILE_ACTOR", help="Who acts (an id, for the audit log).")
]


def _open(data_dir: Path | None) -> Any:
    from domicile.app import open_domicile

    return open_domicile(_settings(data_dir))


def _read_json(source: str) -> Any:
    """JSON from a file path, or from stdin when *source* is '-'."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"input file not found: {source}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read input {source}: {type(exc).__name__}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply") from None


def _subject_input(obj: Any) -> tuple[dict[str, Any], Signals]:
    if not isinstance(obj, dict):
        raise InputError('each subject must be a JSON object {"fields": {...}, "signals": {...}}')
    unknown = set(obj) - {"fields", "signals"}
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(sorted(unknown))}; expected 'fields' and optional 'signals'"
        )
    if "fields" not in obj:
        raise InputError("missing 'fields' object")
    return obj["fields"], Signals.from_mapping(obj.get("signals"))


@app.command()
def init(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Create the data folder, cells file and keys; bring every cell's schema up to date."""
    from domicile.app import init_data_dir

    settings = _settings(data_dir)
    report = init_data_dir(settings)
    moderation = _init_moderation(settings)
    if json_out:
        emit(report, True)
        return
    console.print(
        f"data folder: {report.data_dir}  cells file: {report.cells_file}"
        + (" (created)" if report.created_cells_file else " (kept)")
    )
    for name, jur, rev in report.cells:
        console.print(f"  cell {name:<12} jurisdiction {jur:<7} schema {rev}")
    if moderation is not None:
        console.print(f"  moderation tables in {moderation[0]}: {moderation[1]}")


def _init_moderation(settings: Any) -> tuple[str, str | None] | None:
    """Create the moderation tables in the RU cell too (None when there is no RU SQL cell)."""
    from domicile.app import open_domicile
    from domicile.core.errors import NotFoundError
    from domicile.moderation.queue import init_space

    dom = open_domicile(settings)
    try:
        return init_space(dom)
    except NotFoundError:  # no Russian cell in this cells file
        return None
    finally:
        for cell in dom.cells.values():
            cell.close()


@app.command()
def put(
    source: Annotated[
        str,
        typer.Argument(
            help='JSON file, or - for stdin: {"fields": {...}, "signals": {...}} or a list of such objects.'
        ),
    ] = "-",
    purpose: Purpose = "registration",
    actor: Actor = "cli",
    no_tokens: Annotated[bool, typer.Option("--no-tokens", help="Do not issue tokens.")] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Store subjects' PD in their home cells; prints ids, cells and tokens."""
    raw = _read_json(source)
    items = [_subject_input(o) for o in (raw if isinstance(raw, list) else [raw])]
    if not items:
        raise InputError("no subjects given")
    dom = _open(data_dir)
    results = dom.put_many(items, actor=actor, purpose=purpose, issue_tokens=not no_tokens)
    if json_out:
        emit(results, True)
        return
    for r in results:
        console.print(f"{r.subject_id}  cell {r.cell}  ({r.jurisdiction}, rule {r.decision.rule})")
        for name, tok in r.tokens.items():
            console.print(f"    {name:<12} {tok}")


@app.command()
def get(
    subject_id: str,
    purpose: Purpose,
    field: Annotated[list[str] | None, typer.Option("--field", help="Only these fields.")] = None,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Read a subject's PD from its home cell (audited with the purpose)."""
    view = _open(data_dir).get(subject_id, field, actor=actor, purpose=purpose)
    if json_out:
        emit(view, True)
        return
    print(f"{view.subject_id}  cell {view.cell} ({view.jurisdiction})")
    for k, v in sorted(view.values.items()):
        print(f"  {k:<12} {v}")  # plain print: PD values are shown exactly, never re-rendered


@app.command()
def patch(
    subject_id: str,
    source: Annotated[str, typer.Argument(help="JSON file or - : an object of field -> new value.")] = "-",
    purpose: Purpose = "profile.update",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Update fields in the home cell; re-homes the subject if its phone changes country."""
    view = _open(data_dir).patch(subject_id, _read_json(source), actor=actor, purpose=purpose)
    emit(view, json_out, f"{view.subject_id} updated in cell {view.cell} (version {view.record_version})")


@app.command()
def residency(
    subject_id: str,
    signals: Annotated[
        str,
        typer.Option(
            "--signals", help='JSON: {"citizenship": ["RU"], "residence": "DE", "ip_country": "RU"}'
        ),
    ],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Record new residency evidence; moves the subject to its new home cell if it changed."""
    from domicile.residency.rehome import update_residency

    try:
        parsed = Signals.from_mapping(json.loads(signals))
    except json.JSONDecodeError as exc:
        raise InputError(f"--signals is malformed JSON: {exc.msg}") from None
    result = update_residency(_open(data_dir), subject_id, parsed, actor=actor)
    where = f"moved {result.from_cell} -> {result.to_cell}" if result.moved else f"stays in {result.to_cell}"
    emit(result, json_out, f"{result.subject_id}: {where} (rule {result.decision.rule})")


@app.command()
def find(
    field: str,
    value: str,
    purpose: Purpose,
    cell: Annotated[list[str] | None, typer.Option("--cell", help="Only these cells.")] = None,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Find subjects by a searchable field through keyed blind indexes (nothing is decrypted)."""
    hits = _open(data_dir).find(field, value, actor=actor, purpose=purpose, cells=cell)
    emit(hits, json_out, "\n".join(f"{h.subject_id}  cell {h.cell}" for h in hits) or "no match")


@app.command()
def tokenize(
    subject_id: str,
    field: str,
    purpose: Purpose,
    kind: Annotated[TokenKind, typer.Option("--kind", help="Token kind.")] = TokenKind.RANDOM,
    scope: Annotated[str, typer.Option("--scope", help="Scope of deterministic tokens.")] = "default",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Issue a token for one field of a stored subject."""
    from domicile.tokens.service import tokenize as do_tokenize

    token = do_tokenize(_open(data_dir), subject_id, field, kind, scope, actor=actor, purpose=purpose)
    emit({"token": token}, json_out, token)


@app.command()
def detokenize(
    token: str, purpose: Purpose, actor: Actor = "cli", data_dir: DataDir = None, json_out: JsonOut = False
) -> None:
    """Resolve a token to its value (needs a purpose; audited in the subject's cell)."""
    from domicile.tokens.service import detokenize as do_detokenize

    result = do_detokenize(_open(data_dir), token, actor=actor, purpose=purpose)
    if json_out:
        emit(result, True)
    else:
        print(result.value)


@app.command()
def erase(
    subject_id: Annotated[str | None, typer.Argument(help="Subject to crypto-shred.")] = None,
    replay: Annotated[
        bool, typer.Option("--replay", help="Re-apply the erasure ledger (after a restore).")
    ] = False,
    cell: Annotated[str | None, typer.Option("--cell", help="With --replay: only this cell.")] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Reason code, e.g. subject-request.")
    ] = "subject-request",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Erase a subject by destroying its data key, or replay the erasure ledger."""
    if cell and not replay:
        raise InputError("--cell goes with --replay")
    dom = _open(data_dir)
    if replay:
        if subject_id:
            raise InputError("give either a subject id or --replay, not both")
        counts = dom.replay_erasures(cell, actor=actor)
        emit(counts, json_out, "\n".join(f"cell {c}: {n} erasure(s) re-applied" for c, n in counts.items()))
        return
    if not subject_id:
        raise InputError("give a subject id to erase, or --replay")
    result = dom.erase(subject_id, actor=actor, reason=reason)
    emit(result, json_out, f"{result.subject_id} erased in cell {result.cell} (ledger #{result.ledger_seq})")


@keys_app.command("rotate")
def keys_rotate(
    cell: Annotated[str, typer.Option("--cell", help="Cell whose keys rotate.")],
    batch: Annotated[int, typer.Option("--batch", help="Rows per transaction.")] = 1000,
    reencrypt: Annotated[
        bool, typer.Option("--reencrypt", help="New data keys and ciphertexts, not just re-wrap.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish an interrupted rotation; no new version.")
    ] = False,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Add a key version and move every record onto it, batch by batch, while the cell stays online."""
    from domicile.operations import rotate_keys

    result = rotate_keys(
        _open(data_dir), cell, actor=actor, batch=batch, reencrypt=reencrypt, add_version=not resume
    )
    emit(
        result,
        json_out,
        f"cell {result.cell}: key version {result.new_version}; {result.rewrapped} record(s) "
        f"moved in {result.batches} batch(es)",
    )


def _cells(dom: Any, cell: str | None) -> list[str]:
    return [dom.cell(cell).name] if cell else list(dom.cells)


@audit_app.command("verify")
def audit_verify(
    cell: Annotated[str | None, typer.Option("--cell", help="Only this cell.")] = None,
    anchor: Annotated[
        str | None, typer.Option("--anchor", help="A head printed earlier: CELL:SEQ:HASH.")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Check every entry of the audit chain; names the first bad entry. Exit 6 if broken."""
    from domicile.audit import AuditHead
    from domicile.core.errors import AuditChainError
    from domicile.operations import verify_audit

    if anchor and not cell:  # the anchor names its cell
        cell = AuditHead.parse_anchor(anchor).cell
    dom = _open(data_dir)
    reports = {name: verify_audit(dom, name, anchor) for name in _cells(dom, cell)}
    if json_out:
        emit(reports, True)
    else:
        for name, r in reports.items():
            console.print(
                f"cell {name}: "
                + (f"ok, {r.checked} entries" if r.ok else f"BROKEN at seq {r.first_bad_seq}: {r.problem}")
            )
    bad = [(n, r) for n, r in reports.items() if not r.ok]
    if bad:
        name, r = bad[0]
        raise AuditChainError(f"audit chain of cell {name} broken at seq {r.first_bad_seq}: {r.problem}")


@audit_app.command("head")
def audit_head_cmd(
    cell: Annotated[str | None, typer.Option("--cell", help="Only this cell.")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Print each cell's chain head (CELL:SEQ:HASH) to anchor it elsewhere."""
    from domicile.operations import audit_head

    dom = _open(data_dir)
    heads = {name: audit_head(dom, name) for name in _cells(dom, cell)}
    emit(
        {n: (h.to_anchor() if h else None) for n, h in heads.items()},
        json_out,
        "\n".join(h.to_anchor() if h else f"{n}: empty" for n, h in heads.items()),
    )


@cells_app.command("status")
def cells_status_cmd(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Reachability, schema, keys, counts and audit head of every cell."""
    from domicile.operations import cells_status

    rows = cells_status(_open(data_dir))
    if json_out:
        emit(rows, True)
        return
    table = Table(
        "cell",
        "jurisdiction",
        "backend",
        "ok",
        "schema",
        "keys",
        "subjects",
        "erased",
        "tokens",
        "audit head",
    )
    for r in rows:
        table.add_row(
            r.name,
            r.jurisdiction,
            r.backend,
            ("yes" if r.reachable else "NO") + (f": {r.error}" if r.error else ""),
            r.schema or "-",
            f"v{r.current_key_version} of {len(r.key_versions)}" if r.key_versions else "-",
            str(r.subjects),
            str(r.erased),
            str(r.tokens),
            (r.audit_head or "-").split(":")[1] if r.audit_head else "-",
        )
    console.print(table)


@app.command()
def demo(
    people: Annotated[int, typer.Option("--people", help="Synthetic people per origin.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Walk-through: store synthetic RU, KZ, DE, US users; show cells, the global side, the audit chain."""
    from domicile.demo.walkthrough import render, run_walkthrough

    report = run_walkthrough(_settings(data_dir), per_origin=people, seed=seed)
    if json_out:
        emit(report, True)
    else:
        render(report, console)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and maps every error to one line and an exit code."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        code = app(args=argv, standalone_mode=False)  # a command's typer.Exit(n) comes back as n
    except DomicileError as exc:
        err.print(f"error: {one_line(exc.message)}", markup=False)
        return exit_code(exc)
    except OSError as exc:  # a file or folder the user named cannot be used
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"error: {exc.strerror or type(exc).__name__}{where}", markup=False)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err.print("error: aborted", markup=False)
        return 1
    except typer.TyperException as exc:  # usage errors from the (vendored) click layer
        formatter = getattr(exc, "format_message", None)
        message = formatter() if callable(formatter) else str(exc)
        err.print(f"error: {one_line(message)}", markup=False)
        return int(getattr(exc, "exit_code", USAGE)) or USAGE
    except Exception as exc:  # a bug: no traceback for the user, but say what kind
        err.print(
            f"internal error: {type(exc).__name__} (run with DOMICILE_DEBUG=1 for details)", markup=False
        )
        import os

        if os.environ.get("DOMICILE_DEBUG"):
            raise
        return INTERNAL
    return code if isinstance(code, int) else 0


def run() -> None:  # pragma: no cover - console script
    sys.exit(main())


from domicile.cli.serve import register as _register_gateway  # noqa: E402

_register_gateway(app)

from domicile.cli.desk import desk_app as _desk_app  # noqa: E402

app.add_typer(_desk_app, name="desk")

from domicile.cli.moderation import register as _register_moderation  # noqa: E402

_register_moderation(app)

from domicile.cli.scan import register as _register_scan  # noqa: E402

_register_scan(app)

from domicile.cli.localize import register as _register_localize  # noqa: E402

_register_localize(app)
