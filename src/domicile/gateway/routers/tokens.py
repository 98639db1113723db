"""``/v1/tokens``: batch tokenize and detokenize (up to 1,000 values a call)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domicile.gateway.authz import Action
from domicile.gateway.batch import TokenRequest
from domicile.gateway.deps import (
    BODY,
    READ,
    SUBJECT,
    WRITE,
    ContextDep,
    GatewayDep,
    IdempotencyKeyDep,
    PrincipalDep,
    RequestIdDep,
    action,
    idempotent,
    responses,
)
from domicile.gateway.schemas import (
    DetokenizeOut,
    DetokenizeRequest,
    IssuedTokenOut,
    TokenizeOut,
    TokenizeRequest,
)

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post(
    "/tokenize",
    openapi_extra=action(Action.TOKENIZE),
    response_model=TokenizeOut,
    responses=responses(READ, SUBJECT, WRITE),
    summary="Issue tokens for stored subjects' fields",
)
def tokenize(
    body: TokenizeRequest,
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    key: IdempotencyKeyDep = None,
) -> Response:
    """One transaction per cell; an existing token of the same field, kind and scope is reused."""
    items = [TokenRequest(i.subject_id, i.field, i.kind, i.scope) for i in body.items]

    def run() -> TokenizeOut:
        issued = ctx.gateway.tokenize(principal, items, purpose=body.purpose)
        return TokenizeOut(tokens=[IssuedTokenOut.model_validate(t) for t in issued])

    return idempotent(ctx, principal, key, request, body, run)


@router.post(
    "/detokenize",
    openapi_extra=action(Action.DETOKENIZE),
    response_model=DetokenizeOut,
    responses=responses(READ, BODY),
    summary="Resolve tokens to values (purpose required; cross-border through the transfer rules)",
)
def detokenize(
    body: DetokenizeRequest, gateway: GatewayDep, principal: PrincipalDep, request_id: RequestIdDep
) -> DetokenizeOut:
    """Every value is audited in its home cell. A caller outside a subject's country gets values
    only if the pack's rules allow (152-FZ art. 12, PD-XB-2..5); each allowed release is one
    transfer-ledger entry per cell (``transfers``). Unknown or erased tokens come back with
    ``status`` ``not_found`` / ``erased``; a malformed token refuses the whole call (422)."""
    result = gateway.detokenize(principal, body.tokens, purpose=body.purpose, request_id=request_id)
    return DetokenizeOut.model_validate(result)
