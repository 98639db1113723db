"""``domicile moderation ...``: the register, link filtering, self-checks, the review queue, appeals.

Registered on the main app by :func:`register` (two lines at the end of ``cli/app.py``). Each
command parses its input, calls the library and renders the result. Queue commands work on the
moderation tables in the Russian cell's database (``domicile moderation init`` creates them;
``domicile init`` does too); when the data folder has a regulator desk (``domicile desk init``),
takedown tasks are also handed to its intake (:class:`DeskTaskSink`). The platform itself is
not reachable from the CLI, so actions and notices are recorded and audited but carried out by
the operator in the platform's own tools (``RecordOnlyPlatform``). Hash banks and matching:
:mod:`domicile.cli.moderation_banks`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from domicile.cli.options import DataDir, JsonOut
from domicile.cli.options import settings_for as _settings
from domicile.cli.render import emit as _emit
from domicile.core.errors import InputError

moderation_app = typer.Typer(
    help="Moderation: the prohibited-content register, link filtering, the review queue and appeals.",
    no_args_is_help=True,
)

Actor = Annotated[
    str,
    typer.Option(
        "--actor", envvar="DOMICILE_ACTOR", help="Who acts (a staff or service id, for the audit log)."
    ),
]
Reason = Annotated[str, typer.Option("--reason", help="Reason code (a category such as C-DRUG, or a code).")]
Dump = Annotated[Path, typer.Argument(help="Register dump: the official dump.xml or the z-i dump.csv.")]


def _plain(obj: Any) -> Any:
    """Records to JSON-ready values (instants as ISO-8601 UTC text)."""
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset) and not isinstance(obj, str):
        return [_plain(v) for v in obj]
    return obj


def emit(obj: Any, as_json: bool, text: str | None = None) -> None:
    """:func:`domicile.cli.render.emit` with instants made JSON-ready."""
    _emit(_plain(obj) if as_json else obj, as_json, text)


@contextmanager
def _queue(data_dir: Path | None) -> Iterator[Any]:
    """The review queue on the RU cell of the data folder (its schema must be current)."""
    from domicile.app import open_domicile
    from domicile.core.clock import SystemClock
    from domicile.moderation.actions import RecordOnlyPlatform
    from domicile.moderation.queue import ReviewQueue, SqlModerationSpace, space_for

    settings = _settings(data_dir)
    dom = open_domicile(settings)
    desk = None
    try:
        space = space_for(dom)
        if isinstance(space, SqlModerationSpace):
            space.check_schema()
        platform = RecordOnlyPlatform()
        desk = _desk(settings, dom)
        sink = None
        if desk is not None:
            from domicile.moderation.actions.desk_sink import DeskTaskSink

            sink = DeskTaskSink(desk)
        yield ReviewQueue(space, clock=SystemClock(), platform=platform, notifier=platform, task_sink=sink)
    finally:
        if desk is not None:
            desk.close_resources()
        for cell in dom.cells.values():
            cell.close()


def _desk(settings: Any, dom: Any) -> Any:
    """The regulator desk of the data folder when it is set up (``domicile desk init``), else None."""
    from domicile.core.errors import DomicileError
    from domicile.desk.runtime import desk_config_path, open_desk

    if not desk_config_path(settings).exists():
        return None
    try:
        return open_desk(settings, dom=dom)
    except DomicileError:  # a desk that does not open: tasks stay in the local ledger
        return None


def _register(dump: Path) -> Any:
    from domicile.moderation.registry import Register

    register = Register()
    register.load(dump)
    return register


def _case_line(c: Any) -> str:
    due = c.action_due_at.strftime("%Y-%m-%d %H:%M")
    return (
        f"{c.case_id}  {c.state.value:<14} {c.category or '-':<14} {c.content_ref}  (first action due {due}Z)"
    )


# -- register ------------------------------------------------------------------------------------
@moderation_app.command("check")
def check(
    dump: Dump,
    value: Annotated[str, typer.Argument(help="A URL, domain, IP address or CIDR network.")],
    json_out: JsonOut = False,
) -> None:
    """Is a URL, domain or IP listed in the register, and why (rule, entry, decision)?"""
    result = _register(dump).matcher.check(value)
    lines = [
        f"{result.normalized}: {'BLOCKED' if result.blocked else 'listed' if result.listed else 'not listed'}"
    ]
    for h in result.hits:
        d = h.entry.decision
        basis = f", {h.legal_basis}" if h.legal_basis else ""
        lines.append(f"  {h.rule.value:<16} entry {h.entry_id} ({d.org} {d.number} {d.date}{basis})")
    data = {
        "normalized": result.normalized,
        "listed": result.listed,
        "blocked": result.blocked,
        "hits": [{"rule": h.rule.value, "entry_id": h.entry_id, "blocking": h.blocking} for h in result.hits],
        "register_sha256": result.register_sha256,
    }
    emit(data, json_out, "\n".join(lines))


@moderation_app.command("links")
def links(
    dump: Dump,
    text: Annotated[str, typer.Option("--text", help="The comment or message; '-' reads stdin.")],
    country: Annotated[str, typer.Option("--country", help="The viewer's country (ISO alpha-2).")] = "RU",
    json_out: JsonOut = False,
) -> None:
    """Show a comment or message as a viewer in COUNTRY sees it: blocked links hidden in Russia."""
    from domicile.moderation.pipeline import filter_for_viewer

    body = sys.stdin.read() if text == "-" else text
    result = filter_for_viewer(body, country, _register(dump).matcher)
    reasons = ", ".join(f"{r.reason_code} (entries {','.join(r.entry_ids)})" for r in result.redactions)
    tail = (
        f"\n[{len(result.redactions)} blocked link(s): {reasons}; applied: {result.geo_scoped}]"
        if reasons
        else ""
    )
    emit(result, json_out, result.text + tail)


@moderation_app.command("self-check")
def self_check(
    dump: Dump,
    domain: Annotated[
        list[str] | None, typer.Option("--domain", help="A platform domain (repeatable).")
    ] = None,
    ip: Annotated[list[str] | None, typer.Option("--ip", help="A platform IP or CIDR (repeatable).")] = None,
    actor: Actor = "svc:selfcheck",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """REG-5: match the platform's domains and IPs; each hit opens a 24 h takedown task (REG-2)."""
    from domicile.moderation.pipeline import self_check_tasks

    if not domain and not ip:
        raise InputError("give at least one --domain or --ip")
    register = _register(dump)
    with _queue(data_dir) as queue:
        outcome = self_check_tasks(queue, register.matcher, domains=domain or [], ips=ip or [], actor=actor)
    lines = [f"{len(outcome.report.hits)} hit(s); {outcome.created} new task(s), {len(outcome.tasks)} in all"]
    lines += [
        f"  {t.task_id}  {t.target}  entry {t.register_entry_id}  due {t.due_at:%Y-%m-%d %H:%M}Z"
        for t in outcome.tasks
    ]
    emit({"created": outcome.created, "tasks": outcome.tasks}, json_out, "\n".join(lines))


# -- the queue -----------------------------------------------------------------------------------
@moderation_app.command("init")
def init(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Create or upgrade the moderation tables in the Russian cell's database (safe to re-run)."""
    from domicile.app import open_domicile
    from domicile.moderation.queue import init_space

    dom = open_domicile(_settings(data_dir))
    try:
        done = init_space(dom)
    finally:
        for cell in dom.cells.values():
            cell.close()
    if done is None:
        raise InputError("the Russian cell is not a SQL cell")
    location, revision = done
    emit({"cell": location, "revision": revision}, json_out, f"moderation tables in {location}: {revision}")


@moderation_app.command("open")
def open_case(
    content: Annotated[str, typer.Argument(help="Content id (e.g. vid:123).")],
    source: Annotated[str, typer.Option("--source", help="user_report, rkn_referral, pg_demand, court...")],
    reason: Reason,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner's pseudonymous subject id.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Category code, e.g. C-DRUG.")] = None,
    hold: Annotated[str | None, typer.Option("--hold", help="Hide pending review: RU or GLOBAL.")] = None,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Open a case by hand (a report, an RKN referral, a demand) with a human finding as evidence."""
    from domicile.moderation.queue import Detector, Evidence, EvidenceKind

    report = source == "user_report"
    evidence = Evidence(
        EvidenceKind.REPORT if report else EvidenceKind.HUMAN,
        Detector.USER_REPORT if report else Detector.HUMAN,
        category=category,
        rule=f"cli.{source}" if source.isidentifier() else None,
    )
    with _queue(data_dir) as queue:
        case = queue.open_case(
            content, source=source, evidence=[evidence], actor=actor, reason_code=reason,
            owner_ref=owner, category=category, hold_scope=hold,
        )  # fmt: skip
    emit(case, json_out, _case_line(case))


@moderation_app.command("queue")
def queue_list(
    all_cases: Annotated[bool, typer.Option("--all", help="Every case, not only those waiting.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.", min=1, max=10000)] = 100,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Cases waiting for a person, soonest deadline first (--all: every case)."""
    with _queue(data_dir) as queue:
        cases = queue.cases(limit=limit) if all_cases else queue.waiting(limit)
    emit(cases, json_out, "\n".join(_case_line(c) for c in cases) or "the queue is empty")


@moderation_app.command("show")
def show(
    case_id: Annotated[str, typer.Argument(help="Case id (mc_...).")],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """A case with its evidence, history, appeals, notices and tasks (the view is audited)."""
    with _queue(data_dir) as queue:
        view = queue.review(case_id, actor)
    lines = [_case_line(view.case), "evidence:"]
    for e in view.evidence:
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in e.to_dict().items()))
    lines.append("history:")
    for t in view.history:
        when = f"{t.at:%Y-%m-%d %H:%M:%S}Z"
        lines.append(
            f"  {t.seq:>2} {when} {t.event:<14} -> {t.to_state.value:<14} {t.actor} ({t.reason_code})"
        )
    for a in view.appeals:
        lines.append(
            f"appeal {a.appeal_id}: {a.state.value} {a.outcome or ''} due {a.due_at:%Y-%m-%d %H:%M}Z"
        )
    for task in view.tasks:
        lines.append(
            f"task {task.task_id}: {task.kind.value} {task.status.value} due {task.due_at:%Y-%m-%d %H:%M}Z"
        )
    lines.append("next: " + (", ".join(view.next_events) or "nothing (final)"))
    emit(
        {
            k: getattr(view, k)
            for k in ("case", "evidence", "history", "appeals", "notices", "tasks", "next_events")
        },
        json_out,
        "\n".join(lines),
    )


@moderation_app.command("claim")
def claim(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Take a waiting case for review."""
    with _queue(data_dir) as queue:
        case = queue.claim(case_id, reviewer=actor)
    emit(case, json_out, _case_line(case))


@moderation_app.command("decide")
def decide(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    outcome: Annotated[str, typer.Argument(help="keep, restrict_ru, remove_global or age_gate_18.")],
    reason: Reason,
    category: Annotated[str | None, typer.Option("--category", help="Category code, if it changes.")] = None,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Decide a case (claims it first if it is waiting); a restriction is notified to the owner."""
    from domicile.moderation.queue import CaseState, Outcome
    from domicile.moderation.queue.ops import enum_value

    chosen = enum_value(Outcome, outcome, "outcome")  # check before claiming: bad input changes nothing
    with _queue(data_dir) as queue:
        if queue.get(case_id).state in (CaseState.DETECTED, CaseState.HELD, CaseState.AUTO_ACTIONED):
            queue.claim(case_id, reviewer=actor)
        case = queue.decide(case_id, chosen, reviewer=actor, reason_code=reason, category=category)
    emit(case, json_out, _case_line(case))


@moderation_app.command("refer")
def refer(
    case_id: Annotated[str, typer.Argument(help="Case id (in review).")],
    reason: Reason,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Doubtful content (SN-3): restrict in Russia and open an RKN referral task due in 24 h."""
    with _queue(data_dir) as queue:
        case, task = queue.refer_to_rkn(case_id, reviewer=actor, reason_code=reason)
    emit(
        {"case": case, "task": task},
        json_out,
        f"{_case_line(case)}\nreferral {task.task_id} due {task.due_at:%Y-%m-%d %H:%M}Z",
    )


@moderation_app.command("appeal")
def appeal(
    case_id: Annotated[str, typer.Argument(help="Case id (the owner was notified).")],
    appellant: Annotated[str, typer.Option("--appellant", help="The owner's subject id.")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """File the owner's appeal; it is due in 3 days (SN-7)."""
    with _queue(data_dir) as queue:
        filed = queue.file_appeal(case_id, appellant_ref=appellant)
    emit(filed, json_out, f"{filed.appeal_id} due {filed.due_at:%Y-%m-%d %H:%M}Z (sn.appeal.decide)")


@moderation_app.command("appeal-decide")
def appeal_decide(
    appeal_id: Annotated[str, typer.Argument(help="Appeal id (ap_...).")],
    outcome: Annotated[str, typer.Argument(help="upheld or reversed.")],
    reason: Reason,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Decide an appeal (someone other than the first reviewer); reversed restores the content."""
    with _queue(data_dir) as queue:
        done = queue.decide_appeal(appeal_id, outcome, reviewer=actor, reason_code=reason)
    on_time = done.decided_at is not None and done.decided_at <= done.due_at
    emit(done, json_out, f"{done.appeal_id}: {outcome} ({'on time' if on_time else 'LATE'})")


@moderation_app.command("tasks")
def tasks(
    all_tasks: Annotated[bool, typer.Option("--all", help="Done tasks too.")] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Takedown and referral tasks with their legal deadlines, soonest first."""
    from domicile.moderation.queue import TaskStatus

    with _queue(data_dir) as queue:
        found = queue.tasks(None if all_tasks else TaskStatus.OPEN)
    text = "\n".join(
        f"{t.task_id}  {t.kind.value:<18} {t.status.value:<5} due {t.due_at:%Y-%m-%d %H:%M}Z  "
        + (t.target or t.case_id or "")
        for t in found
    )
    emit(found, json_out, text or "no tasks")


@moderation_app.command("task-done")
def task_done(
    task_id: Annotated[str, typer.Argument(help="Task id (tk_...).")],
    reason: Reason,
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Mark a task done (the takedown or referral was carried out)."""
    with _queue(data_dir) as queue:
        done = queue.complete_task(task_id, actor=actor, reason_code=reason)
    on_time = done.done_at is not None and done.done_at <= done.due_at
    emit(done, json_out, f"{done.task_id} done ({'on time' if on_time else 'LATE'})")


@moderation_app.command("sweep")
def sweep(actor: Actor = "svc:moderation", data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Escalate running clocks (first actions, appeals, tasks) that crossed 50 %, 90 % or breach."""
    with _queue(data_dir) as queue:
        found = queue.sweep(actor=actor)
    text = "\n".join(
        f"{e.kind} {e.item_id}: {e.level} of {e.clock_id} (due {e.due_at:%Y-%m-%d %H:%M}Z)" for e in found
    )
    emit(found, json_out, text or "nothing to escalate")


def register(app: typer.Typer) -> None:
    """Add ``moderation`` to the main CLI."""
    app.add_typer(moderation_app, name="moderation")


from domicile.cli.moderation_banks import register as _register_banks  # noqa: E402 - needs the above

_register_banks(moderation_app)
