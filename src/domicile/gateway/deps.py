"""FastAPI wiring, in one place: the app context, the caller, the request id, idempotency,
and the dependencies of the mounted desk (``/v1/desk``) and moderation (``/v1/moderation``)
routers: their service objects and gateway principals mapped onto their callers.

Routes declare what they need with the ``Annotated`` aliases below; nothing else in the
gateway reads ``request.app.state``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Header, Request, Security
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from domicile.gateway.auth import Principal
from domicile.gateway.authz import Action, Role
from domicile.gateway.errors import STATUS_TABLE, AuthenticationError
from domicile.gateway.idempotency import KEY_PATTERN, IdempotencyStore
from domicile.gateway.metrics import GatewayMetrics
from domicile.gateway.schemas import ErrorOut
from domicile.gateway.service import Gateway
from domicile.gateway.settings import GatewaySettings

if TYPE_CHECKING:
    from domicile.desk.http import DeskCaller
    from domicile.desk.service import Desk
    from domicile.gateway.runtime import GatewayRuntime
    from domicile.moderation.hashing.matcher import HashMatcher
    from domicile.moderation.queue.http import ModerationCaller
    from domicile.moderation.queue.service import ReviewQueue


@dataclass(frozen=True)
class GatewayContext:
    """Everything a request may need, built once by :func:`domicile.gateway.app.create_app`."""

    gateway: Gateway
    idempotency: IdempotencyStore
    metrics: GatewayMetrics
    settings: GatewaySettings
    runtime: GatewayRuntime | None = None


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from 'domicile apikeys create': Authorization: Bearer dmk_<key id>.<secret>",
)


def get_context(request: Request) -> GatewayContext:
    ctx: GatewayContext = request.app.state.domicile
    return ctx


def get_gateway(ctx: Annotated[GatewayContext, Depends(get_context)]) -> Gateway:
    return ctx.gateway


def get_principal(
    gateway: Annotated[Gateway, Depends(get_gateway)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    """The verified caller (401 otherwise)."""
    return gateway.authenticate(credentials.credentials if credentials else None)


def get_request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    return str(rid) if rid else uuid.uuid4().hex


ContextDep = Annotated[GatewayContext, Depends(get_context)]
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=KEY_PATTERN,
        description="Retries of a write with the same key return the first response, not a new write.",
    ),
]


def idempotent(
    ctx: GatewayContext,
    principal: Principal,
    key: str | None,
    request: Request,
    payload: BaseModel | None,
    fn: Callable[[], BaseModel],
    status_code: int = 200,
) -> Response:
    """Run a write once per idempotency key and render its (possibly replayed) JSON response."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    data = payload.model_dump_json().encode() if payload is not None else b""

    def run() -> tuple[int, str]:
        return status_code, fn().model_dump_json()

    result = ctx.idempotency.run(principal.principal, key, request.method, path, data, run)
    if result.replayed:
        ctx.metrics.idempotent_replays.inc()
    return Response(
        result.body,
        status_code=result.status,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true" if result.replayed else "false"},
    )


_DESCRIPTIONS = {
    400: "Malformed JSON body.",
    401: "No valid API key.",
    403: "Refused by the authorization matrix or a cross-border transfer rule (named in 'rule').",
    404: "No such subject or record.",
    409: "Idempotency key reused for another request or still in progress, or a concurrent write won.",
    410: "The subject was erased.",
    413: "Request body too large.",
    415: "Request body is not application/json.",
    422: "Invalid input; the message names the field or item index.",
    503: "A cell, the gateway database or the production calendar is unavailable.",
}
assert all(any(code == s for _, s, _ in STATUS_TABLE) for code in _DESCRIPTIONS)

READ = (401, 403, 422, 503)
SUBJECT = (404, 410)
BODY = (400, 413, 415)
WRITE = (*BODY, 409)


def responses(*groups: tuple[int, ...]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses for a route: every status it can answer besides success."""
    codes = sorted({c for g in groups for c in g})
    return {c: {"model": ErrorOut, "description": _DESCRIPTIONS[c]} for c in codes}


ACTION_KEY = "x-domicile-action"


def action(a: Action) -> dict[str, Any]:
    """OpenAPI extension naming the matrix action a route performs (read by tests and docs)."""
    return {ACTION_KEY: a.value}


# -- the mounted desk and moderation routers ------------------------------------------------------
class MountedAuthError(Exception):
    """An :class:`AuthenticationError` raised in a mounted router's dependency.

    The desk and moderation routers render every ``DomicileError`` with their own status tables
    (where a ``PolicyError`` is 403 or 409); wrapping it lets the app's handler answer 401 with
    the gateway's error body, like every other unauthenticated request.
    """

    def __init__(self, error: AuthenticationError) -> None:
        super().__init__(error.message)
        self.error = error


def _mounted_principal(
    gateway: Annotated[Gateway, Depends(get_gateway)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    try:
        return gateway.authenticate(credentials.credentials if credentials else None)
    except AuthenticationError as exc:
        raise MountedAuthError(exc) from None


def _runtime(ctx: GatewayContext) -> GatewayRuntime:
    if ctx.runtime is None:  # pragma: no cover - create_app always sets it
        raise RuntimeError("the gateway context has no runtime")
    return ctx.runtime


def desk_roles(role: Role) -> frozenset[str]:
    """The desk roles (values of :class:`~domicile.desk.http.DeskRole`) of a gateway role."""
    return _DESK_ROLES.get(role, frozenset())


def moderation_roles(role: Role) -> frozenset[str]:
    """The moderation roles (values of :class:`~domicile.moderation.queue.http.ModerationRole`)."""
    return _MODERATION_ROLES.get(role, frozenset())


#: Gateway role -> desk roles. support-ru and moderator have no desk role.
_DESK_ROLES: dict[Role, frozenset[str]] = {
    Role.REGULATOR_LIAISON: frozenset({"regulator-liaison"}),
    Role.DPO: frozenset({"dpo"}),
    Role.ADMIN: frozenset({"admin"}),
    Role.APP: frozenset({"service"}),
    Role.REPRESENTATIVE: frozenset({"representative"}),
    Role.AUTHORITY: frozenset({"authority"}),
}
#: Gateway role -> moderation roles. The queue itself refuses an appeal decided by the original
#: reviewer, so one moderator role may hold both.
_MODERATION_ROLES: dict[Role, frozenset[str]] = {
    Role.APP: frozenset({"service"}),
    Role.MODERATOR: frozenset({"reviewer", "appeals"}),
    Role.SUPPORT_RU: frozenset({"support"}),
    Role.ADMIN: frozenset({"admin"}),
}


def get_desk(ctx: Annotated[GatewayContext, Depends(get_context)]) -> Desk:
    """The open desk (503 with the reason when it could not be opened)."""
    return _runtime(ctx).desk_or_raise()


def get_desk_caller(principal: Annotated[Principal, Depends(_mounted_principal)]) -> DeskCaller:
    """The gateway principal as a desk caller (an authority key carries its authority type)."""
    from domicile.desk.http import DeskCaller, DeskRole
    from domicile.desk.models import AuthorityType

    roles = frozenset(DeskRole(r) for r in desk_roles(principal.role))
    bound = AuthorityType(principal.authority_type) if principal.authority_type else None
    return DeskCaller(principal.principal, roles, bound if DeskRole.AUTHORITY in roles else None)


def get_queue(ctx: Annotated[GatewayContext, Depends(get_context)]) -> ReviewQueue:
    """The review queue (503 with the reason when it could not be opened)."""
    return _runtime(ctx).queue_or_raise()


def get_matcher(ctx: Annotated[GatewayContext, Depends(get_context)]) -> HashMatcher:
    """The hash matcher over the moderation banks (503 with the reason when unavailable)."""
    return _runtime(ctx).matcher_or_raise()


def get_moderation_caller(
    principal: Annotated[Principal, Depends(_mounted_principal)],
) -> ModerationCaller:
    """The gateway principal as a moderation caller."""
    from domicile.moderation.queue.http import ModerationCaller, ModerationRole

    return ModerationCaller(
        principal.principal, frozenset(ModerationRole(r) for r in moderation_roles(principal.role))
    )
