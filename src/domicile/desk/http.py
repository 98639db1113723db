"""The desk's HTTP API: a FastAPI ``APIRouter`` factory the gateway mounts under ``/v1/desk``.

Dependencies are injected: ``get_desk`` returns the :class:`~domicile.desk.service.Desk` and
``authenticate`` returns the verified :class:`DeskCaller` (the gateway maps its API keys and
roles onto desk roles). Routes are thin: parse, authorise with the one :data:`PERMISSIONS`
table, call the library, render JSON. Every domicile error becomes one JSON body with the
status of :func:`domicile.desk.errors.desk_http_status` (the route class does it, so the router
behaves the same in any app). The public complaint form (``/form``) needs no authentication.

Mount::

    app.include_router(create_desk_router(get_desk, authenticate), prefix="/v1/desk")
"""

# No ``from __future__ import annotations`` here: FastAPI must see the dependency aliases built
# inside :func:`create_desk_router` as real objects, not as strings to resolve in module globals.
import dataclasses
from collections.abc import Awaitable, Callable, Coroutine
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from domicile.core.errors import DomicileError
from domicile.desk.decisions import DecisionInput
from domicile.desk.errors import (
    AccessRefusedError,
    DeskInputError,
    FieldProblem,
    FormValidationError,
    IntakeRejectedError,
    PayloadTooLargeError,
    desk_http_status,
)
from domicile.desk.form import parse_form_body, render_form, render_receipt, submit_form
from domicile.desk.incidents import IncidentInput, IncidentUpdate
from domicile.desk.intake import quarantine
from domicile.desk.ledger import half_year, ledger_csv, ledger_json, ledger_rows, year_period
from domicile.desk.models import AuthorityType, Verdict
from domicile.desk.reports import annual_report, report_files, transparency_report
from domicile.desk.service import Desk

__all__ = [
    "PERMISSIONS",
    "DeskAction",
    "DeskCaller",
    "DeskRole",
    "authorize",
    "create_desk_router",
    "to_jsonable",
]


class DeskRole(StrEnum):
    """Who may do what at the desk."""

    AUTHORITY = "authority"  # an authority's account (RKN personal-account bridge, MVD...)
    SERVICE = "service"  # the platform's own services (moderation pipeline, detections)
    LIAISON = "regulator-liaison"  # works requests: triage, review, execute, answer
    REPRESENTATIVE = "representative"  # signs decisions (LAND-4)
    DPO = "dpo"  # PD-subject requests and breach incidents (152-FZ art. 22.1)
    ADMIN = "admin"  # reports, verification, quarantine housekeeping


class DeskAction(StrEnum):
    """What a route does."""

    SUBMIT = "submit"
    READ = "read"
    WORK = "work"
    DECIDE = "decide"
    AUTO_EXECUTE = "auto_execute"
    VERIFY = "verify"
    ESCALATE = "escalate"
    QUARANTINE = "quarantine"
    QUARANTINE_RAW = "quarantine_raw"
    REPORTS = "reports"
    INCIDENTS = "incidents"


R = DeskRole
#: The one authorization table of the desk API.
PERMISSIONS: dict[DeskAction, frozenset[DeskRole]] = {
    DeskAction.SUBMIT: frozenset({R.AUTHORITY, R.SERVICE, R.LIAISON, R.DPO}),
    DeskAction.READ: frozenset({R.LIAISON, R.REPRESENTATIVE, R.DPO, R.ADMIN}),
    DeskAction.WORK: frozenset({R.LIAISON, R.DPO}),
    DeskAction.DECIDE: frozenset({R.REPRESENTATIVE}),
    DeskAction.AUTO_EXECUTE: frozenset({R.SERVICE}),
    DeskAction.VERIFY: frozenset({R.LIAISON, R.REPRESENTATIVE, R.DPO, R.ADMIN}),
    DeskAction.ESCALATE: frozenset({R.LIAISON, R.ADMIN, R.SERVICE}),
    DeskAction.QUARANTINE: frozenset({R.LIAISON, R.DPO, R.ADMIN}),
    DeskAction.QUARANTINE_RAW: frozenset({R.LIAISON, R.DPO}),
    DeskAction.REPORTS: frozenset({R.LIAISON, R.DPO, R.ADMIN}),
    DeskAction.INCIDENTS: frozenset({R.DPO, R.LIAISON}),
}


@dataclasses.dataclass(frozen=True)
class DeskCaller:
    """The authenticated caller: an id for the audit log, its desk roles, and (for an authority
    account) the authority type it may submit as."""

    principal: str
    roles: frozenset[DeskRole]
    authority_type: AuthorityType | None = None


def authorize(caller: DeskCaller, action: DeskAction) -> None:
    """Raise :class:`AccessRefusedError` unless one of the caller's roles allows ``action``."""
    if not caller.roles & PERMISSIONS[action]:
        raise AccessRefusedError(f"role(s) {sorted(r.value for r in caller.roles)} may not {action.value}")


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, enums, tuples and dicts to plain JSON types."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, StrEnum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    return obj


def error_response(exc: DomicileError) -> JSONResponse:
    """One JSON error body for any domicile error (PD-free message, field problems, quarantine id)."""
    status, code = desk_http_status(exc)
    body: dict[str, Any] = {"error": code, "message": exc.message}
    if isinstance(exc, IntakeRejectedError):
        body["quarantine_id"] = exc.quarantine_id
        body["problems"] = [dataclasses.asdict(p) for p in exc.problems]
    return JSONResponse(body, status_code=status)


class _DeskRoute(APIRoute):
    """Renders domicile errors raised by a route with the desk's status table."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except DomicileError as exc:
                return error_response(exc)

        return guarded


async def read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, read up to ``limit`` bytes; True when there was more (the rest is not read)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[: limit + 1], True
    return b"".join(chunks), False


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TriageIn(_Strict):
    assignee: str | None = None
    priority: int | None = Field(default=None, ge=0, le=3)


class AssignIn(_Strict):
    assignee: str


class DecisionIn(_Strict):
    decision: str
    legal_basis: str = Field(max_length=300)
    reasoning: str
    action: str | None = None
    items: dict[int, str] | None = None
    reject_verdict: str = Verdict.NO_ACTION_LAWFUL.value
    fields: list[str] = Field(default_factory=list)


class AutoIn(_Strict):
    rule: str
    trigger: str
    evidence: dict[str, str | int | bool | None] = Field(default_factory=dict)


class ExtendIn(_Strict):
    clock_id: str
    reasoning: str


class ResolveIn(_Strict):
    status: str


def create_desk_router(
    get_desk: Callable[..., Desk] | Callable[..., Awaitable[Desk]],
    authenticate: Callable[..., DeskCaller] | Callable[..., Awaitable[DeskCaller]],
    *,
    public_form: bool = True,
) -> APIRouter:
    """Build the desk router.

    Args:
        get_desk: a FastAPI dependency returning the desk.
        authenticate: a FastAPI dependency returning the verified caller (raise for 401).
        public_form: serve the unauthenticated complaint form at ``/form``.
    """
    router = APIRouter(route_class=_DeskRoute, tags=["desk"])
    DeskParam = Annotated[Desk, Depends(get_desk)]  # noqa: N806 - a type alias
    CallerParam = Annotated[DeskCaller, Depends(authenticate)]  # noqa: N806 - a type alias

    def ok(obj: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(to_jsonable(obj), status_code=status)

    @router.post(
        "/requests", status_code=201, summary="Submit a request; returns the acknowledgement receipt"
    )
    async def submit_request(request: Request, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.SUBMIT)
        body, more = await read_body(request, desk.limits.max_body_bytes)
        bound = caller.authority_type if DeskRole.AUTHORITY in caller.roles else None
        if DeskRole.AUTHORITY in caller.roles and bound is None:
            raise AccessRefusedError("an authority account must be bound to an authority type")
        if more:
            raise quarantine(
                desk,
                "api",
                body,
                PayloadTooLargeError(f"body larger than {desk.limits.max_body_bytes} bytes", channel="api"),
            )
        receipt = desk.submit_json(body, channel="api", actor=caller.principal, caller_authority=bound)
        return ok(receipt, 200 if receipt.duplicate else 201)

    @router.get("/requests", summary="Requests, most urgent first")
    def list_requests(
        desk: DeskParam,
        caller: CallerParam,
        state: str | None = None,
        type_id: Annotated[str | None, Query(alias="type")] = None,
        assignee: str | None = None,
        open_only: bool = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JSONResponse:
        authorize(caller, DeskAction.READ)
        return ok(
            desk.list_requests(
                state=state, type_id=type_id, assignee=assignee, open_only=open_only, limit=limit
            )
        )

    @router.get("/requests/{request_id}", summary="A request with items, clocks and timeline (no PD)")
    def get_request(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.READ)
        return ok(desk.get(request_id))

    @router.get("/requests/{request_id}/receipt", summary="The acknowledgement receipt again")
    def get_receipt(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        view = desk.get(request_id, with_events=False)
        if not caller.roles & PERMISSIONS[DeskAction.READ] and view.created_by != caller.principal:
            raise AccessRefusedError("only the submitter or desk staff may read a receipt")
        return ok(desk.receipt(request_id))

    @router.post("/requests/{request_id}/triage")
    def triage(request_id: str, body: TriageIn, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.WORK)
        return ok(
            desk.triage(request_id, actor=caller.principal, assignee=body.assignee, priority=body.priority)
        )

    @router.post("/requests/{request_id}/assign")
    def assign(request_id: str, body: AssignIn, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.WORK)
        return ok(desk.assign(request_id, body.assignee, actor=caller.principal))

    @router.post("/requests/{request_id}/review")
    def review(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.WORK)
        return ok(desk.start_review(request_id, actor=caller.principal))

    @router.post(
        "/requests/{request_id}/decision", status_code=201, summary="Sign the representative's decision"
    )
    def decision(request_id: str, body: DecisionIn, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.DECIDE)
        d = DecisionInput(
            body.decision,
            body.legal_basis,
            body.reasoning,
            body.action,
            body.items,
            body.reject_verdict,
            tuple(body.fields),
        )
        return ok(desk.decide(request_id, d, actor=caller.principal), 201)

    @router.post("/requests/{request_id}/execute")
    def execute(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.WORK)
        return ok(desk.execute(request_id, actor=caller.principal))

    @router.post("/requests/{request_id}/auto-execute")
    def auto_execute(request_id: str, body: AutoIn, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.AUTO_EXECUTE)
        return ok(
            desk.auto_execute(
                request_id, body.rule, trigger=body.trigger, actor=caller.principal, evidence=body.evidence
            )
        )

    @router.post("/requests/{request_id}/extend")
    def extend(request_id: str, body: ExtendIn, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.WORK)
        d = desk.extend(request_id, body.clock_id, body.reasoning, actor=caller.principal)
        return ok({"clock_id": d.clock_id, "due_at": d.due_at.isoformat(), "extensions": d.extensions_used})

    @router.post("/requests/{request_id}/answer")
    def answer(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.WORK)
        return ok(desk.answer(request_id, actor=caller.principal))

    @router.post("/requests/{request_id}/close")
    def close(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.WORK)
        return ok(desk.close(request_id, actor=caller.principal))

    @router.get("/verify", summary="Verify every signed decision and the chain")
    def verify(desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.VERIFY)
        result = desk.verify()
        return ok({**to_jsonable(result), "ok": result.ok}, 200 if result.ok else 409)

    @router.post("/escalations/run", summary="Assess clocks; notify at 50 %, 90 % and breach")
    def escalate(desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.ESCALATE)
        run = desk.escalate()
        return ok({**to_jsonable(run), "sent": run.sent, "failed": run.failed})

    @router.get("/quarantine")
    def quarantine_list(desk: DeskParam, caller: CallerParam, status: str | None = "open") -> JSONResponse:
        authorize(caller, DeskAction.QUARANTINE)
        return ok(desk.quarantine_list(status=status))

    @router.get("/quarantine/{qid}/raw", summary="The raw refused input (audited)")
    def quarantine_raw(qid: str, desk: DeskParam, caller: CallerParam) -> Response:
        authorize(caller, DeskAction.QUARANTINE_RAW)
        _entry, data = desk.quarantine_show(qid, actor=caller.principal, purpose="desk.quarantine-review")
        return Response(data, media_type="application/octet-stream")

    @router.post("/quarantine/{qid}/resolve")
    def quarantine_resolve(qid: str, body: ResolveIn, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.QUARANTINE)
        return ok(desk.quarantine_resolve(qid, body.status, actor=caller.principal))

    @router.get("/ledger", summary="The government-request ledger (TR-1), JSON or CSV")
    def ledger(
        desk: DeskParam,
        caller: CallerParam,
        year: int | None = None,
        fmt: Annotated[str, Query(alias="format")] = "json",
    ) -> Response:
        authorize(caller, DeskAction.REPORTS)
        with desk.db.read() as store:
            rows = ledger_rows(store, year_period(year) if year else None)
        if fmt == "csv":
            return PlainTextResponse(ledger_csv(rows), media_type="text/csv; charset=utf-8")
        return Response(ledger_json(rows), media_type="application/json")

    @router.get("/reports/transparency", summary="Half-year transparency report (TR-4), reconciled")
    def transparency(
        desk: DeskParam,
        caller: CallerParam,
        year: int,
        half: int,
        fmt: Annotated[str, Query(alias="format", pattern="^(json|csv|requests.svg|outcomes.svg)$")] = "json",
    ) -> Response:
        authorize(caller, DeskAction.REPORTS)
        half_year(year, half)
        files = report_files(transparency_report(desk, year, half))
        return _file(files, fmt)

    @router.get("/reports/annual", summary="Annual social-network report (SN-11), reconciled")
    def annual(
        desk: DeskParam,
        caller: CallerParam,
        year: int,
        fmt: Annotated[
            str, Query(alias="format", pattern="^(json|csv|sources.svg|complaints.svg)$")
        ] = "json",
    ) -> Response:
        authorize(caller, DeskAction.REPORTS)
        return _file(report_files(annual_report(desk, year)), fmt)

    @router.post("/incidents", status_code=201, summary="Record a PD breach incident")
    async def record_incident(request: Request, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.INCIDENTS)
        body, more = await read_body(request, desk.limits.max_body_bytes)
        if more:
            raise DeskInputError("incident body is too large")
        try:
            incident = IncidentInput.model_validate_json(body)
        except ValueError as exc:
            raise FormValidationError(
                f"invalid incident ({type(exc).__name__})",
                channel="api",
                problems=[FieldProblem("body", "invalid", str(exc).splitlines()[0][:200])],
            ) from None
        return ok(desk.record_incident(incident, actor=caller.principal), 201)

    @router.get("/incidents/{request_id}")
    def incident(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.INCIDENTS)
        return ok(desk.incident(request_id))

    @router.post("/incidents/{request_id}/update")
    def incident_update(
        request_id: str, body: IncidentUpdate, desk: DeskParam, caller: CallerParam
    ) -> JSONResponse:
        authorize(caller, DeskAction.INCIDENTS)
        return ok(desk.update_incident(request_id, body, actor=caller.principal))

    @router.get("/incidents/{request_id}/notices", summary="Draft notices 1 and 2 (PD: RU staff only)")
    def incident_notices(request_id: str, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.INCIDENTS)
        return ok(desk.draft_notices(request_id, actor=caller.principal))

    @router.post("/incidents/{request_id}/notices/{number}/filed")
    def incident_filed(request_id: str, number: int, desk: DeskParam, caller: CallerParam) -> JSONResponse:
        authorize(caller, DeskAction.INCIDENTS)
        return ok(desk.file_notice(request_id, number, actor=caller.principal))

    if public_form:

        @router.get("/form", response_class=HTMLResponse, summary="The public complaint form (Russian)")
        def form_page(desk: DeskParam) -> HTMLResponse:
            return HTMLResponse(render_form(desk.catalog))

        @router.post("/form", summary="Submit the public complaint form (no authentication)")
        async def form_submit(request: Request, desk: DeskParam) -> Response:
            body, more = await read_body(request, desk.limits.max_body_bytes)
            wants_html = "text/html" in request.headers.get("accept", "")
            try:
                receipt = submit_form(desk, body, request.headers.get("content-type", ""), truncated=more)
            except IntakeRejectedError as exc:
                if not wants_html:
                    return error_response(exc)
                status, _ = desk_http_status(exc)
                values = _form_values(body, request.headers.get("content-type", ""), desk)
                return HTMLResponse(
                    render_form(desk.catalog, values=values, problems=exc.problems), status_code=status
                )
            if wants_html:
                return HTMLResponse(render_receipt(receipt), status_code=201)
            return ok(receipt, 201)

    return router


def _form_values(body: bytes, content_type: str, desk: Desk) -> dict[str, str]:
    try:
        return parse_form_body(body, content_type, desk.limits).fields
    except DomicileError:
        return {}


def _file(files: dict[str, str], fmt: str) -> Response:
    suffix = "." + fmt if not fmt.endswith(".svg") else "-" + fmt
    name = next(n for n in files if n.endswith(suffix))
    media = {"json": "application/json", "csv": "text/csv; charset=utf-8"}.get(fmt, "image/svg+xml")
    return Response(files[name], media_type=media)
