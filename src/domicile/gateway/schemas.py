"""Request and response bodies of the HTTP API (pydantic; they make the OpenAPI document).

Requests are strict about shape (unknown keys are refused, lengths and patterns are
declared so clients and fuzzers see them); the domain checks values (phone numbers,
e-mail syntax, field names) and answers 422 with the field or index at fault.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domicile.gateway.authz import Role
from domicile.gateway.batch import MAX_BATCH
from domicile.jurisdictions.base import DataCategory
from domicile.tokens.formats import TokenKind

PURPOSE_PATTERN = r"^[a-z][a-z0-9_.:-]{2,63}$"
SUBJECT_PATTERN = r"^sub_[0-9a-f]{32}$"
FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
CELL_PATTERN = r"^[a-z][a-z0-9-]{1,31}$"
JURISDICTION_PATTERN = r"^[A-Z][A-Z0-9_]{1,15}$"
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:/#-]{0,99}$"
PRINCIPAL_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$"

Purpose = Annotated[str, StringConstraints(pattern=PURPOSE_PATTERN)]
Country = Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)]
FieldName = Annotated[str, StringConstraints(pattern=FIELD_PATTERN)]
SubjectId = Annotated[str, StringConstraints(pattern=SUBJECT_PATTERN)]
CellName = Annotated[str, StringConstraints(pattern=CELL_PATTERN)]
Jurisdiction = Annotated[str, StringConstraints(pattern=JURISDICTION_PATTERN)]
Reference = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]
Value = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
TokenText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- requests -------------------------------------------------------------------------------
class SignalsIn(_In):
    """Residency evidence (PD-LOC-3): declared citizenship and residence, IP country, phone."""

    citizenship: list[Country] = Field(default_factory=list, max_length=8)
    residence: Country | None = None
    phone: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    ip_country: Country | None = None


class SubjectCreate(_In):
    """A new subject's PD, stored in its home cell; only ids and tokens come back."""

    fields: dict[FieldName, Value] = Field(min_length=1, max_length=64, description="PD field -> value.")
    signals: SignalsIn | None = None
    purpose: Purpose = "registration"
    tokens: bool = Field(default=True, description="Issue default tokens for every field.")


class SubjectPatch(_In):
    fields: dict[FieldName, Value] = Field(min_length=1, max_length=64)
    purpose: Purpose = "profile.update"


class SearchRequest(_In):
    """Find subjects by a searchable field (keyed blind index; POST so values stay out of URLs)."""

    field: FieldName
    value: Value
    purpose: Purpose
    cells: list[CellName] | None = Field(default=None, min_length=1, max_length=64)


class TokenItem(_In):
    subject_id: SubjectId
    field: FieldName
    kind: TokenKind | None = Field(default=None, description="Default: fpe for phone/e-mail, else random.")
    scope: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]{1,64}$")] = "default"


class TokenizeRequest(_In):
    purpose: Purpose
    items: list[TokenItem] = Field(min_length=1, max_length=MAX_BATCH)


class DetokenizeRequest(_In):
    purpose: Purpose
    tokens: list[TokenText] = Field(min_length=1, max_length=MAX_BATCH)


class NoticeIn(_In):
    """A cross-border transfer notice filed with the regulator (PD-XB-1, PD-XB-2)."""

    jurisdiction: Jurisdiction = "RU"
    destination: Country
    reference: Reference
    filed_at: AwareDatetime
    recipient: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    categories: list[DataCategory] = Field(default_factory=list, description="Empty: all categories.")
    purposes: list[Purpose] = Field(default_factory=list, max_length=64, description="Empty: any purpose.")
    assessed_on: date | None = Field(default=None, description="Date of the recipient assessment (PD-XB-1).")


class KillSwitchIn(_In):
    """Stop transfers to a destination on a regulator's ban or restriction (PD-XB-5)."""

    jurisdiction: Jurisdiction = "RU"
    destination: Country
    decision_ref: Reference


class TransferCheckIn(_In):
    jurisdiction: Jurisdiction = "RU"
    destination: Country
    categories: list[DataCategory] = Field(default_factory=list)
    purpose: Purpose


class ApiKeyIn(_In):
    principal: Annotated[str, StringConstraints(pattern=PRINCIPAL_PATTERN)]
    role: Role
    location: Country
    note: Annotated[str, StringConstraints(max_length=200)] = ""
    authority_type: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")] | None = Field(
        default=None, description="Role 'authority' only: the authority type it submits to the desk as."
    )


# -- responses ------------------------------------------------------------------------------
class MountedErrorOut(BaseModel):
    """An error of the mounted desk or moderation API: their own ``{"error", "message"}`` body
    (the desk adds ``quarantine_id`` and ``problems`` to refused input), or the gateway's
    :class:`ErrorOut` for what the gateway answers before the router (401, malformed or
    oversized bodies, request validation)."""

    model_config = ConfigDict(extra="allow")

    error: str | None = Field(default=None, description="The router's error code.")
    code: str | None = Field(default=None, description="The gateway's error code.")
    message: str | None = None


class ErrorOut(BaseModel):
    """Every error: a status, a stable code, one readable line; refusals name their rule."""

    status: int
    code: str
    message: str
    rule: str | None = None
    legal_source: str | None = None
    evidence: dict[str, Any] | None = None
    request_id: str | None = None


class TransferNoteOut(_Out):
    ledger_id: int
    jurisdiction: str
    destination: str
    notice_id: int | None
    adequate: bool


class CreatedSubjectOut(_Out):
    subject_id: str
    cell: str
    jurisdiction: str
    rule: str
    tokens: dict[str, str]


class SubjectOut(_Out):
    subject_id: str
    cell: str
    jurisdiction: str
    record_version: int
    values: dict[str, str]
    transfer: TransferNoteOut | None


class PatchedSubjectOut(_Out):
    subject_id: str
    cell: str
    jurisdiction: str
    record_version: int
    updated_fields: list[str]
    moved: bool
    tokens: dict[str, str]


class ErasedOut(_Out):
    subject_id: str
    cell: str
    ledger_seq: int
    tokens_dead: int


class HitOut(_Out):
    subject_id: str
    cell: str


class SearchOut(BaseModel):
    hits: list[HitOut]


class IssuedTokenOut(_Out):
    subject_id: str
    field: str
    token: str
    kind: TokenKind
    scope: str
    cell: str


class TokenizeOut(BaseModel):
    tokens: list[IssuedTokenOut]


class DetokenizedOut(_Out):
    token: str
    status: str = Field(description="ok, erased or not_found")
    value: str | None
    field: str | None
    category: str | None
    subject_id: str | None
    cell: str | None
    jurisdiction: str | None


class DetokenizeOut(_Out):
    values: list[DetokenizedOut]
    transfers: list[TransferNoteOut]


class CellStatusOut(BaseModel):
    name: str
    jurisdiction: str
    location: str
    backend: str
    reachable: bool
    schema_revision: str | None
    key_versions: list[int]
    current_key_version: int | None
    key_matches: bool | None
    subjects: int | None
    erased: int | None
    tokens: int | None
    rows_by_key_version: dict[str, int]
    audit_head: str | None
    error: str | None


class HealthOut(BaseModel):
    status: str
    version: str


class ReadyOut(_Out):
    ready: bool
    checks: dict[str, str]


class AdequacyOut(BaseModel):
    jurisdiction: str
    countries: list[str]
    source: str
    as_of: str


class NoticeOut(_Out):
    id: int
    jurisdiction: str
    destination: str
    reference: str
    filed_at: str
    assessed_on: str | None
    recipient: str
    categories: list[str]
    purposes: list[str]
    recorded_by: str
    recorded_at: str
    withdrawn_at: str | None


class KillSwitchOut(_Out):
    id: int
    jurisdiction: str
    destination: str
    decision_ref: str
    engaged_at: str
    engaged_by: str
    released_at: str | None
    released_by: str | None
    active: bool


class LedgerEntryOut(_Out):
    id: int
    at: str
    principal: str
    role: str
    destination: str
    jurisdiction: str
    cell: str
    action: str
    purpose: str
    categories: list[str]
    fields: list[str]
    subjects: list[str]
    value_count: int
    notice_id: int | None
    adequate: bool
    request_id: str


class CheckOut(_Out):
    rule: str
    passed: bool
    detail: str
    legal_source: str


class TransferDecisionOut(_Out):
    allowed: bool
    controlled: bool
    jurisdiction: str
    destination: str
    purpose: str
    categories: list[str]
    adequate: bool | None
    adequacy_as_of: str | None
    adequacy_source: str | None
    notice_id: int | None
    wait_over_at: str | None
    basis: str | None
    checks: list[CheckOut]


class ApiKeyOut(_Out):
    key_id: str
    principal: str
    role: Role
    location: str
    note: str
    created_at: str
    revoked_at: str | None
    authority_type: str | None = None


class IssuedKeyOut(BaseModel):
    key: ApiKeyOut
    api_key: str = Field(description="The secret, shown once. Send it as 'Authorization: Bearer <api_key>'.")


def utc_text(at: datetime) -> str:
    """ISO text of an aware datetime (for echoing inputs)."""
    return at.isoformat()
