"""Health, readiness, Prometheus metrics and cells status."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from domicile.gateway.authz import Action
from domicile.gateway.deps import READ, ContextDep, GatewayDep, PrincipalDep, action, responses
from domicile.gateway.schemas import CellStatusOut, HealthOut, ReadyOut

router = APIRouter(prefix="/v1", tags=["operations"])


def _version() -> str:
    try:
        return version("domicile")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


@router.get("/health", response_model=HealthOut, summary="Liveness: the process answers")
def health() -> HealthOut:
    """No authentication; says nothing about the cells (see ``/v1/ready``)."""
    return HealthOut(status="ok", version=_version())


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A cell or the gateway database is unreachable."}},
    summary="Readiness: every cell and the gateway database answer",
)
def ready(gateway: GatewayDep) -> JSONResponse:
    """No authentication; names each failing component, never data."""
    report = gateway.ready()
    body = ReadyOut.model_validate(report).model_dump()
    return JSONResponse(body, status_code=200 if report.ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text."}
    },
    summary="Prometheus metrics (route templates only: no ids, tokens or values)",
)
def metrics(ctx: ContextDep) -> Response:
    body, content_type = ctx.metrics.render()
    return Response(body, media_type=content_type)


@router.get(
    "/cells",
    openapi_extra=action(Action.CELLS_STATUS),
    response_model=list[CellStatusOut],
    responses=responses(READ),
    summary="Reachability, schema, keys, counts and audit head of every cell",
)
def cells(gateway: GatewayDep, principal: PrincipalDep) -> list[CellStatusOut]:
    rows = gateway.cells_status(principal)
    return [
        CellStatusOut(
            name=r.name,
            jurisdiction=r.jurisdiction,
            location=r.location,
            backend=r.backend,
            reachable=r.reachable,
            schema_revision=r.schema,
            key_versions=list(r.key_versions),
            current_key_version=r.current_key_version,
            key_matches=r.key_matches,
            subjects=r.subjects,
            erased=r.erased,
            tokens=r.tokens,
            rows_by_key_version={str(k): v for k, v in r.rows_by_key_version.items()},
            audit_head=r.audit_head,
            error=r.error,
        )
        for r in rows
    ]
