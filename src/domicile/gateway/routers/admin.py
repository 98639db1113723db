"""``/v1/admin/api-keys``: key management for the ``admin`` role (bootstrap with the CLI)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from domicile.gateway.authz import Action
from domicile.gateway.deps import BODY, READ, GatewayDep, PrincipalDep, action, responses
from domicile.gateway.schemas import ApiKeyIn, ApiKeyOut, IssuedKeyOut

router = APIRouter(prefix="/v1/admin", tags=["administration"])


@router.get(
    "/api-keys",
    response_model=list[ApiKeyOut],
    openapi_extra=action(Action.APIKEYS_MANAGE),
    responses=responses(READ),
    summary="API keys",
)
def list_keys(gateway: GatewayDep, principal: PrincipalDep) -> list[ApiKeyOut]:
    """Keys without their secrets (only a salted HMAC is stored)."""
    return [ApiKeyOut.model_validate(k) for k in gateway.list_keys(principal)]


@router.post(
    "/api-keys",
    status_code=201,
    openapi_extra=action(Action.APIKEYS_MANAGE),
    response_model=IssuedKeyOut,
    responses=responses(READ, BODY),
    summary="Create an API key (the secret is shown once)",
)
def create_key(body: ApiKeyIn, gateway: GatewayDep, principal: PrincipalDep) -> IssuedKeyOut:
    """Not idempotency-keyed: the response holds a secret, which the gateway never stores."""
    issued = gateway.create_key(
        principal, body.principal, body.role, body.location, body.note, body.authority_type
    )
    return IssuedKeyOut(key=ApiKeyOut.model_validate(issued.info), api_key=issued.api_key)


@router.delete(
    "/api-keys/{key_id}",
    openapi_extra=action(Action.APIKEYS_MANAGE),
    response_model=ApiKeyOut,
    responses=responses(READ, (404,)),
    summary="Revoke an API key (effective at once)",
)
def revoke_key(
    key_id: Annotated[str, Path(pattern=r"^[a-z2-7]{12}$")], gateway: GatewayDep, principal: PrincipalDep
) -> ApiKeyOut:
    return ApiKeyOut.model_validate(gateway.revoke_key(principal, key_id))
