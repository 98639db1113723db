"""What the client returns: frozen dataclasses read from the gateway's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _s(d: Mapping[str, Any], k: str) -> str | None:
    v = d.get(k)
    return None if v is None else str(v)


def _i(d: Mapping[str, Any], k: str) -> int | None:
    v = d.get(k)
    return None if v is None else int(v)


@dataclass(frozen=True)
class TransferNote:
    """The ledger entry under which PD crossed a border in a response."""

    ledger_id: int
    jurisdiction: str
    destination: str
    notice_id: int | None
    adequate: bool

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TransferNote:
        return cls(
            int(d["ledger_id"]),
            str(d["jurisdiction"]),
            str(d["destination"]),
            _i(d, "notice_id"),
            bool(d["adequate"]),
        )


@dataclass(frozen=True)
class CreatedSubject:
    subject_id: str
    cell: str
    jurisdiction: str
    rule: str
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> CreatedSubject:
        return cls(
            str(d["subject_id"]), str(d["cell"]), str(d["jurisdiction"]), str(d["rule"]), dict(d["tokens"])
        )


@dataclass(frozen=True)
class Subject:
    subject_id: str
    cell: str
    jurisdiction: str
    record_version: int
    values: dict[str, str]
    transfer: TransferNote | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Subject:
        t = d.get("transfer")
        return cls(
            str(d["subject_id"]),
            str(d["cell"]),
            str(d["jurisdiction"]),
            int(d["record_version"]),
            dict(d["values"]),
            TransferNote.from_json(t) if t else None,
        )


@dataclass(frozen=True)
class PatchedSubject:
    subject_id: str
    cell: str
    jurisdiction: str
    record_version: int
    updated_fields: tuple[str, ...]
    moved: bool
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PatchedSubject:
        return cls(
            str(d["subject_id"]),
            str(d["cell"]),
            str(d["jurisdiction"]),
            int(d["record_version"]),
            tuple(d["updated_fields"]),
            bool(d["moved"]),
            dict(d["tokens"]),
        )


@dataclass(frozen=True)
class Erased:
    subject_id: str
    cell: str
    ledger_seq: int
    tokens_dead: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Erased:
        return cls(str(d["subject_id"]), str(d["cell"]), int(d["ledger_seq"]), int(d["tokens_dead"]))


@dataclass(frozen=True)
class SearchHit:
    subject_id: str
    cell: str


@dataclass(frozen=True)
class TokenItem:
    """One tokenize request: a stored subject's field (``kind`` None: the field's default)."""

    subject_id: str
    field: str
    kind: str | None = None
    scope: str = "default"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject_id": self.subject_id, "field": self.field, "scope": self.scope}
        if self.kind is not None:
            out["kind"] = self.kind
        return out


@dataclass(frozen=True)
class IssuedToken:
    subject_id: str
    field: str
    token: str
    kind: str
    scope: str
    cell: str

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> IssuedToken:
        return cls(*(str(d[k]) for k in ("subject_id", "field", "token", "kind", "scope", "cell")))


@dataclass(frozen=True)
class DetokenizedValue:
    token: str
    status: str  # ok, erased, not_found
    value: str | None
    field: str | None
    category: str | None
    subject_id: str | None
    cell: str | None
    jurisdiction: str | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DetokenizedValue:
        keys = ("value", "field", "category", "subject_id", "cell", "jurisdiction")
        return cls(str(d["token"]), str(d["status"]), *(_s(d, k) for k in keys))


@dataclass(frozen=True)
class DetokenizeResult:
    values: tuple[DetokenizedValue, ...]
    transfers: tuple[TransferNote, ...]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DetokenizeResult:
        return cls(
            tuple(DetokenizedValue.from_json(v) for v in d["values"]),
            tuple(TransferNote.from_json(t) for t in d["transfers"]),
        )

    def by_token(self) -> dict[str, str]:
        """Token -> value for the values found."""
        return {v.token: v.value for v in self.values if v.value is not None}


@dataclass(frozen=True)
class Notice:
    id: int
    jurisdiction: str
    destination: str
    reference: str
    filed_at: str
    assessed_on: str | None
    recipient: str
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    withdrawn_at: str | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Notice:
        return cls(
            int(d["id"]),
            str(d["jurisdiction"]),
            str(d["destination"]),
            str(d["reference"]),
            str(d["filed_at"]),
            _s(d, "assessed_on"),
            str(d["recipient"]),
            tuple(d["categories"]),
            tuple(d["purposes"]),
            _s(d, "withdrawn_at"),
        )


@dataclass(frozen=True)
class KillSwitch:
    id: int
    jurisdiction: str
    destination: str
    decision_ref: str
    engaged_at: str
    released_at: str | None
    active: bool

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> KillSwitch:
        return cls(
            int(d["id"]),
            str(d["jurisdiction"]),
            str(d["destination"]),
            str(d["decision_ref"]),
            str(d["engaged_at"]),
            _s(d, "released_at"),
            bool(d["active"]),
        )


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    at: str
    principal: str
    role: str
    destination: str
    jurisdiction: str
    cell: str
    action: str
    purpose: str
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    subjects: tuple[str, ...]
    value_count: int
    notice_id: int | None
    adequate: bool

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LedgerEntry:
        return cls(
            int(d["id"]),
            str(d["at"]),
            str(d["principal"]),
            str(d["role"]),
            str(d["destination"]),
            str(d["jurisdiction"]),
            str(d["cell"]),
            str(d["action"]),
            str(d["purpose"]),
            tuple(d["categories"]),
            tuple(d["fields"]),
            tuple(d["subjects"]),
            int(d["value_count"]),
            _i(d, "notice_id"),
            bool(d["adequate"]),
        )


@dataclass(frozen=True)
class TransferCheck:
    """A dry-run decision: allowed or not, and each rule checked (rule, passed, detail)."""

    allowed: bool
    controlled: bool
    jurisdiction: str
    destination: str
    adequate: bool | None
    notice_id: int | None
    wait_over_at: str | None
    checks: tuple[tuple[str, bool, str], ...]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TransferCheck:
        return cls(
            bool(d["allowed"]),
            bool(d["controlled"]),
            str(d["jurisdiction"]),
            str(d["destination"]),
            None if d.get("adequate") is None else bool(d["adequate"]),
            _i(d, "notice_id"),
            _s(d, "wait_over_at"),
            tuple((str(c["rule"]), bool(c["passed"]), str(c["detail"])) for c in d["checks"]),
        )


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    principal: str
    role: str
    location: str
    note: str
    created_at: str
    revoked_at: str | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ApiKey:
        return cls(
            str(d["key_id"]),
            str(d["principal"]),
            str(d["role"]),
            str(d["location"]),
            str(d["note"]),
            str(d["created_at"]),
            _s(d, "revoked_at"),
        )


@dataclass(frozen=True)
class Ready:
    ready: bool
    checks: dict[str, str]
