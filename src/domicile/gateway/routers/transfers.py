"""``/v1/transfers``: adequacy list, notices, kill switches, the ledger, and a dry-run check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from domicile.gateway.authz import Action
from domicile.gateway.deps import (
    READ,
    WRITE,
    ContextDep,
    GatewayDep,
    IdempotencyKeyDep,
    PrincipalDep,
    action,
    idempotent,
    responses,
)
from domicile.gateway.schemas import (
    COUNTRY_PATTERN,
    JURISDICTION_PATTERN,
    AdequacyOut,
    CheckOut,
    KillSwitchIn,
    KillSwitchOut,
    LedgerEntryOut,
    NoticeIn,
    NoticeOut,
    TransferCheckIn,
    TransferDecisionOut,
)
from domicile.gateway.transfers import KillSwitch

router = APIRouter(prefix="/v1/transfers", tags=["cross-border transfers"])
JurisdictionQuery = Annotated[str, Query(pattern=JURISDICTION_PATTERN, description="Pack code, e.g. RU.")]
CountryQuery = Annotated[str | None, Query(pattern=COUNTRY_PATTERN, description="ISO 3166 alpha-2.")]


def _switch(s: KillSwitch) -> KillSwitchOut:
    return KillSwitchOut.model_validate({**vars(s), "active": s.active})


@router.get(
    "/adequacy",
    openapi_extra=action(Action.TRANSFERS_READ),
    response_model=AdequacyOut,
    responses=responses(READ, (404,)),
    summary="The pack's adequate-country list, with its source and date (PD-XB-4)",
)
def adequacy(
    gateway: GatewayDep, principal: PrincipalDep, jurisdiction: JurisdictionQuery = "RU"
) -> AdequacyOut:
    from domicile.gateway.errors import GatewayRecordNotFoundError

    found = gateway.adequacy(principal, jurisdiction)
    if found is None:
        raise GatewayRecordNotFoundError(f"jurisdiction {jurisdiction} has no adequacy list")
    return AdequacyOut(
        jurisdiction=jurisdiction.upper(),
        countries=sorted(found.countries),
        source=found.source.cite(),
        as_of=found.as_of,
    )


@router.get(
    "/notices",
    response_model=list[NoticeOut],
    openapi_extra=action(Action.TRANSFERS_READ),
    responses=responses(READ),
    summary="Recorded notices",
)
def list_notices(
    gateway: GatewayDep,
    principal: PrincipalDep,
    jurisdiction: Annotated[str | None, Query(pattern=JURISDICTION_PATTERN)] = None,
    destination: CountryQuery = None,
) -> list[NoticeOut]:
    return [NoticeOut.model_validate(n) for n in gateway.notices(principal, jurisdiction, destination)]


@router.post(
    "/notices",
    status_code=201,
    openapi_extra=action(Action.TRANSFERS_NOTICE),
    response_model=NoticeOut,
    responses=responses(READ, WRITE),
    summary="Record a cross-border transfer notice filed with the regulator (PD-XB-2)",
)
def record_notice(
    body: NoticeIn, request: Request, ctx: ContextDep, principal: PrincipalDep, key: IdempotencyKeyDep = None
) -> Response:
    def run() -> NoticeOut:
        notice = ctx.gateway.record_notice(
            principal,
            jurisdiction=body.jurisdiction,
            destination=body.destination,
            reference=body.reference,
            filed_at=body.filed_at,
            recipient=body.recipient,
            categories=[c.value for c in body.categories],
            purposes=body.purposes,
            assessed_on=body.assessed_on.isoformat() if body.assessed_on else None,
        )
        return NoticeOut.model_validate(notice)

    return idempotent(ctx, principal, key, request, body, run, status_code=201)


@router.post(
    "/notices/{notice_id}/withdraw",
    openapi_extra=action(Action.TRANSFERS_NOTICE),
    response_model=NoticeOut,
    responses=responses(READ, (404,)),
    summary="Withdraw a notice (transfers under it stop)",
)
def withdraw_notice(
    notice_id: Annotated[int, Path(ge=1, le=2**62)], gateway: GatewayDep, principal: PrincipalDep
) -> NoticeOut:
    return NoticeOut.model_validate(gateway.withdraw_notice(principal, notice_id))


@router.get(
    "/kill-switches",
    response_model=list[KillSwitchOut],
    openapi_extra=action(Action.TRANSFERS_READ),
    responses=responses(READ),
    summary="Kill switches",
)
def list_kill_switches(
    gateway: GatewayDep, principal: PrincipalDep, active: Annotated[bool, Query()] = False
) -> list[KillSwitchOut]:
    return [_switch(s) for s in gateway.kill_switches(principal, active)]


@router.post(
    "/kill-switches",
    response_model=KillSwitchOut,
    openapi_extra=action(Action.KILL_ENGAGE),
    responses=responses(READ, WRITE),
    summary="Stop transfers to a destination now (RKN ban or restriction, PD-XB-5)",
)
def engage_kill_switch(
    body: KillSwitchIn,
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    key: IdempotencyKeyDep = None,
) -> Response:
    def run() -> KillSwitchOut:
        return _switch(ctx.gateway.engage(principal, body.jurisdiction, body.destination, body.decision_ref))

    return idempotent(ctx, principal, key, request, body, run)


@router.delete(
    "/kill-switches/{jurisdiction}/{destination}",
    openapi_extra=action(Action.KILL_RELEASE),
    response_model=KillSwitchOut,
    responses=responses(READ, (404,)),
    summary="Release the kill switch for a destination",
)
def release_kill_switch(
    jurisdiction: Annotated[str, Path(pattern=JURISDICTION_PATTERN)],
    destination: Annotated[str, Path(pattern=COUNTRY_PATTERN)],
    gateway: GatewayDep,
    principal: PrincipalDep,
) -> KillSwitchOut:
    return _switch(gateway.release(principal, jurisdiction, destination))


@router.get(
    "/ledger",
    openapi_extra=action(Action.TRANSFERS_LEDGER),
    response_model=list[LedgerEntryOut],
    responses=responses(READ),
    summary="The transfer ledger: every allowed cross-border release of PD (no values)",
)
def ledger(
    gateway: GatewayDep,
    principal: PrincipalDep,
    destination: CountryQuery = None,
    jurisdiction: Annotated[str | None, Query(pattern=JURISDICTION_PATTERN)] = None,
    since: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$")] = None,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[LedgerEntryOut]:
    entries = gateway.ledger(
        principal,
        destination=destination,
        jurisdiction=jurisdiction,
        since=since,
        after_id=after_id,
        limit=limit,
    )
    return [LedgerEntryOut.model_validate(e) for e in entries]


@router.post(
    "/check",
    openapi_extra=action(Action.TRANSFERS_READ),
    response_model=TransferDecisionOut,
    responses=responses(READ, (400, 413, 415)),
    summary="Dry run: would a transfer be allowed now, and on what evidence",
)
def check(body: TransferCheckIn, gateway: GatewayDep, principal: PrincipalDep) -> TransferDecisionOut:
    d = gateway.check_transfer(
        principal, body.jurisdiction, body.destination, [c.value for c in body.categories], body.purpose
    )
    return TransferDecisionOut.model_validate(
        {**vars(d), "checks": [CheckOut.model_validate(c) for c in d.checks]}
    )
