"""``domicile serve``, ``domicile apikeys ...`` and ``domicile transfers ...``.

Registered on the main app by :func:`register` (one line at the end of ``cli/app.py``).
Only ``serve`` needs the ``[gateway]`` extra; key and transfer management work on the
gateway database directly (the operator's shell is trusted like the data folder).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from domicile.cli.options import DataDir, JsonOut
from domicile.cli.options import settings_for as _settings
from domicile.cli.render import emit
from domicile.core.errors import ConfigError, InputError

apikeys_app = typer.Typer(help="API keys of the HTTP gateway (stored hashed).", no_args_is_help=True)
transfers_app = typer.Typer(
    help="Cross-border transfer control: notices, kill switches, the ledger (152-FZ art. 12).",
    no_args_is_help=True,
)
notices_app = typer.Typer(
    help="Cross-border transfer notices filed with the regulator.", no_args_is_help=True
)
kill_app = typer.Typer(help="Kill switches per destination (regulator bans, PD-XB-5).", no_args_is_help=True)
transfers_app.add_typer(notices_app, name="notices")
transfers_app.add_typer(kill_app, name="kill-switch")

Actor = Annotated[
    str, typer.Option("--actor", envvar="DOMICILE_ACTOR", help="Who acts (an id, for the records).")
]
Jurisdiction = Annotated[str, typer.Option("--jurisdiction", help="Jurisdiction pack of the data.")]
Destination = Annotated[str, typer.Option("--destination", help="Destination country (ISO alpha-2).")]


def _store(data_dir: Path | None) -> Any:
    from domicile.gateway.runtime import gateway_db_url
    from domicile.gateway.settings import GatewaySettings
    from domicile.gateway.store import GatewayStore

    return GatewayStore.open(gateway_db_url(GatewaySettings(), _settings(data_dir).data_dir))


def _records(data_dir: Path | None) -> Any:
    from domicile.core.clock import SystemClock
    from domicile.gateway.transfers import TransferRecords
    from domicile.jurisdictions import default_registry

    return TransferRecords(_store(data_dir), default_registry(), SystemClock())


def _parse_time(text: str, what: str) -> dt.datetime:
    """An ISO date (taken as 00:00 Moscow time) or an ISO datetime with an offset."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=3)))
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} must be an ISO date or datetime (e.g. 2025-01-15)") from None
    if parsed.tzinfo is None:
        raise InputError(f"{what} needs a UTC offset (e.g. 2025-01-15T10:00:00+03:00)")
    return parsed


def _run_server(app: Any, host: str, port: int, access_log: bool = True) -> None:
    """Run uvicorn (replaced in tests). Access-log lines carry paths, never PD: values travel in bodies."""
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("domicile serve needs uvicorn: pip install 'domicile[gateway]'") from None
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log)


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8787,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed synthetic users; print API keys and curl examples.")
    ] = False,
    people: Annotated[int, typer.Option("--people", help="With --demo: synthetic people per origin.")] = 2,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log each request.")
    ] = True,
    data_dir: DataDir = None,
) -> None:
    """Run the HTTP gateway (OpenAPI at /openapi.json) on the data folder, initialising it if needed."""
    from domicile.app import init_data_dir
    from domicile.gateway.app import create_app
    from domicile.gateway.settings import GatewaySettings

    if not 1 <= people <= 1000:
        raise InputError("--people must be between 1 and 1000")
    settings = _settings(data_dir)
    if not settings.resolved_cells_file().exists():
        init_data_dir(settings)
    app = create_app(settings, settings=GatewaySettings(host=host, port=port))
    base_url = f"http://{host}:{port}"
    if demo:
        from domicile.gateway.demo import render_demo, seed_demo

        typer.echo(render_demo(seed_demo(app.state.runtime, per_origin=people), base_url))
    else:
        typer.echo(
            f"domicile gateway on {base_url}  (OpenAPI {base_url}/openapi.json; "
            "API keys: domicile apikeys create)"
        )
    _run_server(app, host, port, access_log)


# -- API keys ---------------------------------------------------------------------------------
@apikeys_app.command("create")
def apikeys_create(
    principal: Annotated[str, typer.Option("--principal", help="Caller id written to the audit log.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="app, support-ru, dpo, regulator-liaison, admin, representative, authority or moderator.",
        ),
    ],
    location: Annotated[str, typer.Option("--location", help="Country where the caller runs (ISO alpha-2).")],
    note: Annotated[str, typer.Option("--note", help="A label for listings.")] = "",
    authority_type: Annotated[
        str | None,
        typer.Option("--authority-type", help="With --role authority: rkn, mvd, court... (one per key)."),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Create an API key; its secret is printed once and stored only as a salted HMAC."""
    from domicile.core.clock import SystemClock
    from domicile.gateway.auth import ApiKeys

    issued = ApiKeys(_store(data_dir), SystemClock()).create(principal, role, location, note, authority_type)
    emit(
        {"key": issued.info, "api_key": issued.api_key},
        json_out,
        f"{issued.api_key}\n(key id {issued.info.key_id}, {issued.info.principal}, "
        f"role {issued.info.role.value}, located {issued.info.location}; shown once)",
    )


@apikeys_app.command("list")
def apikeys_list(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Every key (without secrets), revoked ones marked."""
    from domicile.core.clock import SystemClock
    from domicile.gateway.auth import ApiKeys

    keys = ApiKeys(_store(data_dir), SystemClock()).list()
    text = "\n".join(
        f"{k.key_id}  {k.principal:<24} {k.role.value:<18} {k.location}"
        + (f"  revoked {k.revoked_at}" if k.revoked_at else "")
        for k in keys
    )
    emit(keys, json_out, text or "no API keys")


@apikeys_app.command("revoke")
def apikeys_revoke(
    key_id: Annotated[str, typer.Argument(help="Key id (the 12 characters after dmk_).")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Revoke a key; requests with it fail at once."""
    from domicile.core.clock import SystemClock
    from domicile.gateway.auth import ApiKeys

    info = ApiKeys(_store(data_dir), SystemClock()).revoke(key_id)
    emit(info, json_out, f"{info.key_id} revoked at {info.revoked_at}")


# -- transfers --------------------------------------------------------------------------------
@transfers_app.command("adequacy")
def transfers_adequacy(jurisdiction: Jurisdiction = "RU", json_out: JsonOut = False) -> None:
    """The pack's adequate-country list, with its legal source and date (PD-XB-4)."""
    from domicile.gateway.transfers import pack_for
    from domicile.jurisdictions import default_registry

    adequacy = pack_for(default_registry(), jurisdiction).ADEQUACY
    if adequacy is None:
        raise InputError(f"jurisdiction {jurisdiction} has no adequacy list")
    data = {
        "countries": sorted(adequacy.countries),
        "source": adequacy.source.cite(),
        "as_of": adequacy.as_of,
    }
    emit(data, json_out, f"{adequacy.source.cite()}, as of {adequacy.as_of}:\n" + " ".join(data["countries"]))


@notices_app.command("add")
def notices_add(
    destination: Destination,
    reference: Annotated[str, typer.Option("--reference", help="The regulator's reference of the notice.")],
    filed_at: Annotated[str, typer.Option("--filed-at", help="Filing date or datetime (ISO).")],
    recipient: Annotated[str, typer.Option("--recipient", help="The foreign recipient (organisation).")],
    assessed_on: Annotated[
        str | None, typer.Option("--assessed-on", help="Date of the recipient assessment (PD-XB-1).")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Data category covered (repeat; none = all).")
    ] = None,
    purpose: Annotated[
        list[str] | None, typer.Option("--purpose", help="Purpose covered (repeat; none = any).")
    ] = None,
    jurisdiction: Jurisdiction = "RU",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Record a cross-border transfer notice filed with the regulator (PD-XB-2)."""
    notice = _records(data_dir).record_notice(
        jurisdiction=jurisdiction,
        destination=destination,
        reference=reference,
        filed_at=_parse_time(filed_at, "--filed-at"),
        recipient=recipient,
        categories=category or [],
        purposes=purpose or [],
        assessed_on=assessed_on,
        actor=actor,
    )
    emit(
        notice,
        json_out,
        f"notice {notice.id}: {notice.jurisdiction} -> {notice.destination} filed {notice.filed_at}",
    )


@notices_app.command("list")
def notices_list(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Every recorded notice."""
    notices = _records(data_dir).notices()
    text = "\n".join(
        f"{n.id:>4}  {n.jurisdiction} -> {n.destination}  filed {n.filed_at}  ref {n.reference}"
        + (f"  WITHDRAWN {n.withdrawn_at}" if n.withdrawn_at else "")
        for n in notices
    )
    emit(notices, json_out, text or "no notices")


@notices_app.command("withdraw")
def notices_withdraw(
    notice_id: Annotated[int, typer.Argument(help="Notice id.")],
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Withdraw a notice; transfers under it stop."""
    notice = _records(data_dir).withdraw_notice(notice_id, actor=actor)
    emit(notice, json_out, f"notice {notice.id} withdrawn at {notice.withdrawn_at}")


@kill_app.command("engage")
def kill_engage(
    destination: Destination,
    decision: Annotated[str, typer.Option("--decision", help="The regulator's decision reference.")],
    jurisdiction: Jurisdiction = "RU",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Stop every transfer to a destination now."""
    switch = _records(data_dir).engage(
        jurisdiction=jurisdiction, destination=destination, decision_ref=decision, actor=actor
    )
    emit(switch, json_out, f"kill switch {switch.id} engaged: {switch.jurisdiction} -> {switch.destination}")


@kill_app.command("release")
def kill_release(
    destination: Destination,
    jurisdiction: Jurisdiction = "RU",
    actor: Actor = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Release the kill switch for a destination."""
    switch = _records(data_dir).release(jurisdiction=jurisdiction, destination=destination, actor=actor)
    emit(switch, json_out, f"kill switch {switch.id} released: {switch.jurisdiction} -> {switch.destination}")


@kill_app.command("list")
def kill_list(
    active: Annotated[bool, typer.Option("--active", help="Only engaged switches.")] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Kill switches, engaged and released."""
    switches = _records(data_dir).kill_switches(active_only=active)
    text = "\n".join(
        f"{s.id:>4}  {s.jurisdiction} -> {s.destination}  {'ENGAGED' if s.active else 'released'}  "
        f"decision {s.decision_ref}"
        for s in switches
    )
    emit(switches, json_out, text or "no kill switches")


@transfers_app.command("ledger")
def transfers_ledger(
    destination: Annotated[str | None, typer.Option("--destination", help="Only this destination.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many entries.")] = 100,
    after_id: Annotated[int, typer.Option("--after-id", help="Entries after this id.")] = 0,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Allowed cross-border releases of PD (who, what categories, where, why; no values)."""
    entries = _records(data_dir).ledger(destination=destination, limit=limit, after_id=after_id)
    text = "\n".join(
        f"{e.id:>5}  {e.at}  {e.principal} -> {e.destination}  {e.action}  {','.join(e.categories)}  "
        f"purpose {e.purpose}  values {e.value_count}"
        for e in entries
    )
    emit(entries, json_out, text or "the transfer ledger is empty")


@transfers_app.command("check")
def transfers_check(
    destination: Destination,
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose of the transfer.")],
    category: Annotated[list[str] | None, typer.Option("--category", help="Data category (repeat).")] = None,
    jurisdiction: Jurisdiction = "RU",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Would a transfer be allowed now? Prints every rule checked; exit 8 when refused."""
    from domicile.core.clock import SystemClock
    from domicile.gateway.countries import check_country
    from domicile.gateway.policy import DeskWaitClock, TransferPolicy
    from domicile.gateway.transfers import check_categories, pack_for
    from domicile.jurisdictions import default_registry
    from domicile.service import check_purpose

    records = _records(data_dir)
    packs = default_registry()
    policy = TransferPolicy(records, packs, SystemClock(), DeskWaitClock())
    decision = policy.evaluate(
        pack_for(packs, jurisdiction).CODE,
        check_country(destination, "destination"),
        check_categories(category or []),
        check_purpose(purpose),
    )
    lines = [
        f"{'ALLOWED' if decision.allowed else 'REFUSED'}: {decision.jurisdiction} -> {decision.destination}"
    ]
    lines += [
        f"  {'pass' if c.passed else 'FAIL'}  {c.rule:<16} {c.detail}  [{c.legal_source}]"
        for c in decision.checks
    ]
    emit(decision, json_out, "\n".join(lines))
    decision.raise_if_refused()  # exit code 8 (forbidden by a rule), from the one exit-code table


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``apikeys`` and ``transfers`` to the main CLI."""
    app.command("serve")(serve)
    app.add_typer(apikeys_app, name="apikeys")
    app.add_typer(transfers_app, name="transfers")
