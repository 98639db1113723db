"""``/v1/subjects`` and ``/v1/search``: PD in the home cell, ids and tokens out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from domicile.gateway.authz import Action
from domicile.gateway.deps import (
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
    FIELD_PATTERN,
    PURPOSE_PATTERN,
    SUBJECT_PATTERN,
    CreatedSubjectOut,
    ErasedOut,
    HitOut,
    PatchedSubjectOut,
    SearchOut,
    SearchRequest,
    SubjectCreate,
    SubjectOut,
    SubjectPatch,
)

router = APIRouter(prefix="/v1", tags=["subjects"])
SubjectPath = Annotated[str, Path(pattern=SUBJECT_PATTERN, description="Pseudonymous subject id.")]


@router.post(
    "/subjects",
    status_code=201,
    openapi_extra=action(Action.SUBJECT_CREATE),
    response_model=CreatedSubjectOut,
    responses=responses(READ, WRITE),
    summary="Store a new subject's PD in its home cell",
)
def create_subject(
    body: SubjectCreate,
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    key: IdempotencyKeyDep = None,
) -> Response:
    """Residency is decided from the signals and the phone (PD-LOC-3); the PD is written first and
    only in the home cell (152-FZ art. 18 part 5, PD-LOC-1). The response holds the subject id,
    the cell and tokens - never the values, so a caller abroad receives no PD."""

    def run() -> CreatedSubjectOut:
        created = ctx.gateway.create_subject(
            principal,
            body.fields,
            body.signals.model_dump(exclude_none=True) if body.signals else None,
            purpose=body.purpose,
            issue_tokens=body.tokens,
        )
        return CreatedSubjectOut.model_validate(created)

    return idempotent(ctx, principal, key, request, body, run, status_code=201)


@router.get(
    "/subjects/{subject_id}",
    response_model=SubjectOut,
    openapi_extra=action(Action.SUBJECT_READ),
    responses=responses(READ, SUBJECT, (409,)),
    summary="Read a subject's PD (audited; cross-border reads go through the transfer rules)",
)
def read_subject(
    subject_id: SubjectPath,
    gateway: GatewayDep,
    principal: PrincipalDep,
    request_id: RequestIdDep,
    purpose: Annotated[str, Query(pattern=PURPOSE_PATTERN, description="Why the PD is needed.")],
    fields: Annotated[
        list[Annotated[str, Query(pattern=FIELD_PATTERN)]] | None,
        Query(max_length=64, description="Only these fields (data minimisation; narrows the transfer)."),
    ] = None,
) -> SubjectOut:
    """A caller outside the subject's country receives PD only if the pack's cross-border rules
    allow it (152-FZ art. 12); the release is then in the transfer ledger (``transfer``)."""
    read = gateway.read_subject(principal, subject_id, fields, purpose=purpose, request_id=request_id)
    return SubjectOut.model_validate(read)


@router.patch(
    "/subjects/{subject_id}",
    response_model=PatchedSubjectOut,
    openapi_extra=action(Action.SUBJECT_PATCH),
    responses=responses(READ, SUBJECT, WRITE),
    summary="Update a subject's PD in its home cell",
)
def patch_subject(
    subject_id: SubjectPath,
    body: SubjectPatch,
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    key: IdempotencyKeyDep = None,
) -> Response:
    """Changes land in the home cell first (PD-LOC-1); a change of residency re-homes the subject
    and returns its new tokens. No values are echoed."""

    def run() -> PatchedSubjectOut:
        patched = ctx.gateway.patch_subject(principal, subject_id, body.fields, purpose=body.purpose)
        return PatchedSubjectOut.model_validate(patched)

    return idempotent(ctx, principal, key, request, body, run)


@router.delete(
    "/subjects/{subject_id}",
    response_model=ErasedOut,
    openapi_extra=action(Action.SUBJECT_ERASE),
    responses=responses(READ, SUBJECT, (409,)),
    summary="Erase a subject (crypto-shredding, ledgered)",
)
def erase_subject(
    subject_id: SubjectPath,
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    reason: Annotated[str, Query(pattern=PURPOSE_PATTERN, description="Reason code.")] = "subject-request",
    key: IdempotencyKeyDep = None,
) -> Response:
    """Destroys the subject's data key (152-FZ art. 21; PD-DSR-6, PD-DSR-11); every token dies."""

    def run() -> ErasedOut:
        return ErasedOut.model_validate(ctx.gateway.erase_subject(principal, subject_id, reason=reason))

    return idempotent(ctx, principal, key, request, None, run)


@router.post(
    "/search",
    openapi_extra=action(Action.SUBJECT_SEARCH),
    response_model=SearchOut,
    responses=responses(READ, (400, 413, 415)),
    summary="Find subjects by a searchable field (keyed blind index)",
)
def search(body: SearchRequest, gateway: GatewayDep, principal: PrincipalDep) -> SearchOut:
    """Nothing is decrypted; only subject ids and cells come back. POST keeps the value out of URLs
    and access logs."""
    hits = gateway.search(principal, body.field, body.value, purpose=body.purpose, cells=body.cells)
    return SearchOut(hits=[HitOut.model_validate(h) for h in hits])
