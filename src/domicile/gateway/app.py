"""The FastAPI application factory.

``create_app(DomicileSettings(...))`` opens the data folder's cells and owns them;
``create_app(dom)`` wraps an open :class:`~domicile.service.Domicile` (tests, embedding).
OpenAPI 3 is served at ``/openapi.json``, the API under ``/v1``. Errors of every kind -
domain, validation, routing, bugs - are rendered as :class:`~domicile.gateway.schemas.ErrorOut`
JSON by the handlers here, with the status from :func:`domicile.gateway.errors.http_status`.
The regulator desk's and the moderation queue's routers are mounted at ``/v1/desk`` and
``/v1/moderation``; they render their own domain errors (``{"error", "message"}``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from domicile.gateway._deps import require

require()

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402
from starlette.exceptions import HTTPException as StarletteHTTPException  # noqa: E402

from domicile.core.clock import Clock  # noqa: E402
from domicile.core.errors import DomicileError, InputError  # noqa: E402
from domicile.gateway.deps import (  # noqa: E402
    GatewayContext,
    MountedAuthError,
    get_desk,
    get_desk_caller,
    get_matcher,
    get_moderation_caller,
    get_queue,
)
from domicile.gateway.errors import MalformedJsonError, RuleRefusal, http_status  # noqa: E402
from domicile.gateway.metrics import GatewayMetrics  # noqa: E402
from domicile.gateway.middleware import GuardMiddleware  # noqa: E402
from domicile.gateway.policy import WaitClock  # noqa: E402
from domicile.gateway.routers import admin, ops, subjects, tokens, transfers  # noqa: E402
from domicile.gateway.runtime import GatewayRuntime, open_runtime  # noqa: E402
from domicile.gateway.schemas import ErrorOut, MountedErrorOut  # noqa: E402
from domicile.gateway.settings import GatewaySettings  # noqa: E402
from domicile.gateway.store import GatewayStore  # noqa: E402
from domicile.service import Domicile  # noqa: E402
from domicile.settings import DomicileSettings  # noqa: E402

log = logging.getLogger("domicile.gateway")
DESK_PREFIX = "/v1/desk"
MODERATION_PREFIX = "/v1/moderation"
PUBLIC_FORM_PATH = f"{DESK_PREFIX}/form"
MATCH_IMAGE_PATH = f"{MODERATION_PREFIX}/match/image"  # the raw image bytes, any content type
_SAFE_LOC = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")

DESCRIPTION = """The domicile gateway: the global platform's services store PD in the subject's home
cell and get tokens back, search by blind index, and - only where a rule allows, for a stated
purpose - detokenize. Cross-border releases follow the subject pack's transfer rules (152-FZ
art. 12) and are written to a transfer ledger. Authenticate with `Authorization: Bearer <API key>`."""


def _request_id(request: Request) -> str | None:
    rid = getattr(request.state, "request_id", None)
    return str(rid) if rid else None


def _error(request: Request, status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body = ErrorOut(status=status, code=code, message=message, request_id=_request_id(request), **extra)
    return JSONResponse(body.model_dump(), status_code=status)


def _loc(loc: tuple[Any, ...]) -> str:
    """A validation error location with anything that is not a plain name masked (no PD echoed)."""
    parts = [str(p) if _SAFE_LOC.match(str(p)) else "?" for p in loc]
    return ".".join(parts) or "request"


async def _domicile_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomicileError)
    status, code = http_status(exc)
    if status >= 500:
        log.error("error %s status=%d request=%s", type(exc).__name__, status, _request_id(request))
    if isinstance(exc, RuleRefusal):
        return _error(
            request,
            status,
            code,
            exc.message,
            rule=exc.rule,
            legal_source=exc.legal_source,
            evidence=dict(exc.evidence),
        )
    return _error(request, status, code, exc.message)


async def _mounted_auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MountedAuthError)
    return await _domicile_error(request, exc.error)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        doc = exc.body if isinstance(exc.body, str) else ""
        loc = first.get("loc", ())
        pos = int(loc[1]) if len(loc) > 1 and isinstance(loc[1], int) else 0
        line = doc.count("\n", 0, pos) + 1
        col = pos - (doc.rfind("\n", 0, pos) + 1) + 1
        ctx = first.get("ctx")
        reason = ctx.get("error", "JSON decode error") if isinstance(ctx, dict) else "JSON decode error"
        message = f"malformed JSON at line {line} column {col} (offset {pos}): {reason}"
        return await _domicile_error(request, MalformedJsonError(message))
    shown = "; ".join(f"{_loc(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return await _domicile_error(request, InputError(shown + more))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))


_MOUNTED_ERRORS = {
    400: "Malformed input.",
    401: "No valid API key (not for the public complaint form).",
    403: "The caller's role may not do this (the router's permission table).",
    404: "No such record.",
    409: "Refused by the workflow, or a concurrent change won.",
    410: "The subject was erased.",
    413: "Request body too large.",
    415: "Request body is not application/json.",
    422: "Invalid input.",
    502: "A platform adapter or notifier failed.",
    503: "The desk or queue is unavailable (the message says why), or its store is.",
}


def _mounted_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": MountedErrorOut, "description": _MOUNTED_ERRORS[c]} for c in codes}


def _mount(app: FastAPI) -> None:
    """Mount the regulator desk and the moderation queue (their routers authorise themselves)."""
    from domicile.desk.http import create_desk_router
    from domicile.moderation.queue.http import create_moderation_router

    app.include_router(
        create_desk_router(get_desk, get_desk_caller),
        prefix=DESK_PREFIX,
        responses=_mounted_responses(400, 401, 403, 404, 409, 410, 413, 415, 422, 502, 503),
    )
    app.include_router(
        create_moderation_router(get_queue, get_moderation_caller, get_matcher),
        prefix=MODERATION_PREFIX,
        responses=_mounted_responses(400, 401, 403, 404, 409, 413, 415, 422, 502, 503),
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error %s request=%s", type(exc).__name__, _request_id(request))
    log.debug("internal error details", exc_info=exc)
    return _error(request, 500, "internal_error", "internal error; report the request id")


def create_app(
    source: DomicileSettings | Domicile,
    *,
    settings: GatewaySettings | None = None,
    store: GatewayStore | None = None,
    clock: Clock | None = None,
    wait_clock: WaitClock | None = None,
    desk_data: DomicileSettings | None = None,
) -> FastAPI:
    """Build the HTTP API over a data folder or an open :class:`Domicile`.

    Args:
        source: ``DomicileSettings`` (the app opens and later closes the cells) or a ``Domicile``.
        settings: Gateway settings (body limit, gateway database, secret file).
        store: An open gateway database to use instead of the configured one.
        clock: Time source (defaults to the facade's clock).
        wait_clock: Waiting-period calculator (defaults to the production calendar).
        desk_data: The data folder of the regulator desk when ``source`` is a ``Domicile``
            (by default the desk is served only over a data folder; otherwise ``/v1/desk`` is 503).

    Returns:
        The FastAPI application; its ``state.domicile`` holds the :class:`GatewayContext`.
    """
    metrics = GatewayMetrics()
    runtime: GatewayRuntime = open_runtime(
        source,
        settings=settings,
        store=store,
        clock=clock,
        wait_clock=wait_clock,
        metrics=metrics,
        desk_data=desk_data,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()

    app = FastAPI(
        title="domicile gateway",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.domicile = GatewayContext(
        runtime.gateway, runtime.idempotency, metrics, runtime.settings, runtime
    )
    app.state.runtime = runtime
    for module in (subjects, tokens, ops, transfers, admin):
        app.include_router(module.router)
    _mount(app)
    app.add_middleware(
        GuardMiddleware,
        max_body_bytes=runtime.settings.max_body_bytes,
        metrics=metrics,
        form_paths=frozenset({PUBLIC_FORM_PATH, MATCH_IMAGE_PATH}),
    )
    app.add_exception_handler(MountedAuthError, _mounted_auth_error)
    app.add_exception_handler(DomicileError, _domicile_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
    return app
