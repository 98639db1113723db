"""Intake: validate a submission, create the request with its clocks, acknowledge it at once.

Every channel (HTTP API, CLI, e-mail drop, public form) ends here. A request is created in one
desk transaction (request row, items, clocks, timeline, sealed dossier and attachments) plus one
RU audit append; the receipt (id, receipt time, acknowledgement, due times with their legal
sources) is returned at once (LAND-5: acknowledgement; SN-12). Bad input is refused with one
typed error naming the field, and the raw input is quarantined in RU storage for a person
(:func:`quarantine`); nothing of the request is created.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from domicile.audit import AuditEvent
from domicile.core.clock import iso_utc
from domicile.core.errors import InputError, NotFoundError
from domicile.desk.catalog import Need, RequestType
from domicile.desk.errors import (
    FieldProblem,
    FormValidationError,
    IntakeRejectedError,
    MalformedInputError,
    PayloadTooLargeError,
)
from domicile.desk.models import AuthorityType, Channel, Receipt, ReceiptClock, State, new_id
from domicile.desk.schema import desk_quarantine
from domicile.service import check_actor
from domicile.vault.fields import is_valid_email

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = [
    "Attachment",
    "AttachmentIn",
    "ItemIn",
    "RequesterIn",
    "Submission",
    "parse_submission",
    "quarantine",
    "submit",
    "submit_json",
]

_CODE_ID = r"^[A-Za-z0-9_.:-]{1,128}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ItemIn(_Strict):
    """One item named by a request: a URL, a content id or an account id (TR-1 ``items[]``)."""

    url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://[^\s]+$")
    content_id: str | None = Field(default=None, pattern=_CODE_ID)
    account_id: str | None = Field(default=None, pattern=_CODE_ID)

    @model_validator(mode="after")
    def _something(self) -> ItemIn:
        if not (self.url or self.content_id or self.account_id):
            raise ValueError("an item needs a url, a content_id or an account_id")
        return self


class RequesterIn(_Strict):
    """Who sent the request (PD: stored only in the sealed dossier in RU storage)."""

    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    organisation: str | None = Field(default=None, max_length=300)
    inn: str | None = Field(default=None, max_length=12)
    ogrn: str | None = Field(default=None, max_length=15)
    address: str | None = Field(default=None, max_length=500)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not is_valid_email(v):
            raise ValueError("not a valid e-mail address")
        return v

    @field_validator("inn")
    @classmethod
    def _inn(cls, v: str | None) -> str | None:
        if v is not None and not stdnum_inn.is_valid(v):
            raise ValueError("not a valid INN (check digits)")
        return v

    @field_validator("ogrn")
    @classmethod
    def _ogrn(cls, v: str | None) -> str | None:
        if v is not None and not stdnum_ogrn.is_valid(v):
            raise ValueError("not a valid OGRN (check digit)")
        return v


class AttachmentIn(_Strict):
    """An attachment sent inline through the API (base64)."""

    filename: str = Field(min_length=1, max_length=255)
    media_type: str = Field(default="application/octet-stream", max_length=100)
    content_base64: str


class Submission(_Strict):
    """A request as a channel hands it to the desk."""

    type: str = Field(min_length=1, max_length=64)
    authority_type: AuthorityType | None = None
    authority_name: str | None = Field(default=None, max_length=200)
    decision_no: str | None = Field(default=None, max_length=120)
    decision_date: dt.date | None = None
    registry_entry_no: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=32)
    items: tuple[ItemIn, ...] = ()
    subject_id: str | None = Field(default=None, pattern=r"^sub_[0-9a-f]{32}$")
    requester: RequesterIn | None = None
    text: str | None = None
    corrections: dict[str, str] | None = None
    stated_term_working_days: int | None = Field(default=None, ge=1, le=60)
    attachments: tuple[AttachmentIn, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A decoded attachment (PD: sealed in RU storage, never in the desk tables)."""

    filename: str
    media_type: str
    data: bytes


def _problems(exc: ValidationError) -> list[FieldProblem]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "body"
        out.append(FieldProblem(where, str(err["type"]), str(err["msg"])))
    return out


def parse_submission(obj: Any, *, channel: str) -> Submission:
    """Validate a decoded JSON object as a :class:`Submission`.

    Raises:
        FormValidationError: names every invalid field (the message names the first).
    """
    if not isinstance(obj, dict):
        raise FormValidationError(
            "a request must be a JSON object",
            channel=channel,
            problems=[FieldProblem("body", "type", "object")],
        )
    try:
        return Submission.model_validate(obj)
    except ValidationError as exc:
        problems = _problems(exc)
        first = problems[0]
        raise FormValidationError(
            f"invalid request: field {first.field}: {first.message}", channel=channel, problems=problems
        ) from None


def _decode_attachments(sub: Submission, desk: Desk, channel: str) -> list[Attachment]:
    out = []
    limit = desk.limits.max_attachment_bytes
    for i, a in enumerate(sub.attachments):
        if len(a.content_base64) > (limit * 4) // 3 + 8:
            raise PayloadTooLargeError(f"attachment {i} is larger than {limit} bytes", channel=channel)
        try:
            data = base64.b64decode(a.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedInputError(
                f"attachments.{i}.content_base64 is not valid base64",
                channel=channel,
                problems=[FieldProblem(f"attachments.{i}.content_base64", "base64", "not valid base64")],
            ) from None
        out.append(Attachment(a.filename, a.media_type, data))
    return out


def submit_json(
    desk: Desk, body: bytes, *, channel: str, actor: str, caller_authority: AuthorityType | None = None
) -> Receipt:
    """Parse, validate and submit a raw JSON body (HTTP API, CLI); quarantine it if refused.

    Args:
        desk: the desk.
        body: the raw bytes as received.
        channel: ``api`` or ``cli``.
        actor: who submits (an id).
        caller_authority: the authority type bound to the caller's credentials; the body may
            not claim another.

    Raises:
        IntakeRejectedError: malformed JSON, invalid fields, unknown type, too large (quarantined).
    """
    try:
        if len(body) > desk.limits.max_body_bytes:
            raise PayloadTooLargeError(
                f"body larger than {desk.limits.max_body_bytes} bytes", channel=channel
            )
        try:
            obj = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise MalformedInputError("body is not UTF-8", channel=channel) from None
        except json.JSONDecodeError as exc:
            raise MalformedInputError(
                f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", channel=channel
            ) from None
        sub = parse_submission(obj, channel=channel)
        if caller_authority is not None:
            if sub.authority_type not in (None, caller_authority):
                raise FormValidationError(
                    "authority_type differs from the caller's authority",
                    channel=channel,
                    problems=[FieldProblem("authority_type", "mismatch", "not the caller's authority")],
                )
            sub = sub.model_copy(update={"authority_type": AuthorityType(caller_authority)})
        attachments = _decode_attachments(sub, desk, channel)
    except IntakeRejectedError as exc:
        raise quarantine(desk, channel, body, exc) from None
    return submit(desk, sub, channel=channel, actor=actor, attachments=attachments, raw=body)


def quarantine(
    desk: Desk, channel: str, raw: bytes, error: IntakeRejectedError, *, digest: str | None = None
) -> IntakeRejectedError:
    """Keep refused raw input sealed in RU storage for a person; return ``error`` with its id.

    The raw input is truncated to ``limits.max_body_bytes`` (the entry says so). Nothing else
    is written.
    """
    limit = desk.limits.max_body_bytes
    kept, truncated = (raw[:limit], True) if len(raw) > limit else (raw, False)
    qid = new_id("qr")
    now = iso_utc(desk.clock.now())
    with desk.db.unit() as unit:
        ref = desk.sealed.put(unit, "quarantine", kept, {"channel": channel, "truncated": truncated})
        unit.conn.execute(
            desk_quarantine.insert().values(
                id=qid,
                channel=channel,
                reason=error.reason_code,
                message=error.message[:400],
                received_at=now,
                blob_ref=ref,
                size=len(raw),
                truncated=truncated,
                source_digest=digest or hashlib.sha256(raw).hexdigest(),
                status="open",
            )
        )
        desk.audit(
            [
                AuditEvent(
                    actor="svc:desk",
                    action="desk.quarantine",
                    purpose="desk.intake",
                    outcome="rejected",
                    details={
                        "quarantine": qid,
                        "channel": channel,
                        "reason": error.reason_code,
                        "size": len(raw),
                    },
                )
            ]
        )
    error.channel = error.channel or channel
    error.quarantine_id = qid
    error.message = f"{error.message} (raw input kept as {qid})"
    return error


def _check(
    desk: Desk, sub: Submission, rtype: RequestType, channel: str, n_attach: int
) -> list[FieldProblem]:
    p: list[FieldProblem] = []
    if rtype.id == "pd_breach":
        p.append(
            FieldProblem("type", "use_incidents", "breach incidents are recorded through the incident API")
        )
    if Channel(channel) not in rtype.channels:
        p.append(
            FieldProblem("type", "channel", f"type {rtype.id} is not accepted through channel {channel}")
        )
    if sub.authority_type is not None and sub.authority_type not in rtype.authority_types:
        p.append(FieldProblem("authority_type", "not_allowed", f"not a sender of type {rtype.id}"))
    if rtype.items is Need.REQUIRED and not sub.items:
        p.append(FieldProblem("items", "missing", f"type {rtype.id} needs at least one item"))
    if rtype.items is Need.NONE and sub.items:
        p.append(FieldProblem("items", "not_allowed", f"type {rtype.id} takes no items"))
    if len(sub.items) > desk.limits.max_items:
        p.append(FieldProblem("items", "too_many", f"at most {desk.limits.max_items} items"))
    if rtype.subject is Need.REQUIRED and not sub.subject_id:
        p.append(FieldProblem("subject_id", "missing", f"type {rtype.id} needs a subject_id"))
    if rtype.subject is Need.NONE and sub.subject_id:
        p.append(FieldProblem("subject_id", "not_allowed", f"type {rtype.id} takes no subject_id"))
    fixed = rtype.fixed_category
    if rtype.category == "required" and sub.category is None:
        p.append(FieldProblem("category", "missing", "pick a category"))
    if sub.category is not None and sub.category not in desk.catalog.categories:
        p.append(FieldProblem("category", "unknown", "not a category of the pack"))
    if fixed is not None and sub.category not in (None, fixed):
        p.append(FieldProblem("category", "fixed", f"type {rtype.id} has category {fixed}"))
    if rtype.id == "dsr_rectify":
        if not sub.corrections:
            p.append(FieldProblem("corrections", "missing", "name the fields to correct and their values"))
        else:
            try:
                desk.dom.schema.validate(sub.corrections)
            except InputError as exc:
                p.append(FieldProblem("corrections", "invalid", exc.message))
    elif sub.corrections:
        p.append(FieldProblem("corrections", "not_allowed", f"type {rtype.id} takes no corrections"))
    if sub.stated_term_working_days is not None:
        rule = desk.catalog.clocks.rule(rtype.primary_clock)
        if rule.source.tag != "[U]" or rule.kind.value != "working_days":
            p.append(
                FieldProblem("stated_term_working_days", "not_allowed", "only for [U] working-day terms")
            )
    if sub.text is not None and len(sub.text) > desk.limits.max_text_chars:
        p.append(FieldProblem("text", "too_long", f"at most {desk.limits.max_text_chars} characters"))
    if n_attach > desk.limits.max_attachments:
        p.append(
            FieldProblem("attachments", "too_many", f"at most {desk.limits.max_attachments} attachments")
        )
    if sub.subject_id and not p:
        p.extend(_check_subject(desk, sub.subject_id))
    return p


def _check_subject(desk: Desk, subject_id: str) -> list[FieldProblem]:
    try:
        cell, row = desk.dom.locate(subject_id)
    except (NotFoundError, InputError):
        return [FieldProblem("subject_id", "not_found", "no such subject")]
    if cell.jurisdiction != "RU":
        return [FieldProblem("subject_id", "not_ru", "the subject does not live in an RU cell")]
    if row.wrapped_dek is None and row.ciphertext is None:
        return [FieldProblem("subject_id", "erased", "the subject was erased")]
    return []


def _dossier(sub: Submission, refs: Sequence[Mapping[str, Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if sub.requester is not None:
        body["requester"] = sub.requester.model_dump(exclude_none=True)
    if sub.text:
        body["text"] = sub.text
    if sub.corrections:
        body["corrections"] = dict(sub.corrections)
    urls = {str(i + 1): it.url for i, it in enumerate(sub.items) if it.url}
    if urls:
        body["urls"] = urls
    if refs:
        body["attachments"] = list(refs)
    body.update(extra)
    return body


def submit(
    desk: Desk,
    sub: Submission,
    *,
    channel: str,
    actor: str,
    attachments: Sequence[Attachment] = (),
    raw: bytes | None = None,
    source_digest: str | None = None,
    received_at: dt.datetime | None = None,
    dossier_extra: Mapping[str, Any] | None = None,
) -> Receipt:
    """Create a request from a validated submission and acknowledge it.

    Args:
        desk: the desk.
        sub: the submission.
        channel: where it came from.
        actor: who submits (an id, for the audit log).
        attachments: decoded attachments (sealed as blobs).
        raw: the raw input; kept sealed as evidence (TR-6), and in quarantine if refused.
        source_digest: sha256 of the raw input; a second submission with it returns the first
            receipt (``duplicate=True``), e.g. an e-mail dropped twice.
        received_at: when the channel received it (default now; never later than now).
        dossier_extra: more PD for the dossier (e.g. e-mail headers).

    Raises:
        IntakeRejectedError: the submission does not fit its type (quarantined when ``raw`` is given).
    """
    check_actor(actor)
    digest = source_digest or (hashlib.sha256(raw).hexdigest() if raw is not None else None)
    try:
        rtype = desk.catalog.type(sub.type)
        problems = _check(desk, sub, rtype, channel, len(attachments))
        big = [i for i, a in enumerate(attachments) if len(a.data) > desk.limits.max_attachment_bytes]
        if big:
            raise PayloadTooLargeError(
                f"attachment {big[0]} is larger than {desk.limits.max_attachment_bytes} bytes",
                channel=channel,
            )
        if problems:
            raise FormValidationError(
                f"invalid request: field {problems[0].field}: {problems[0].message}",
                channel=channel,
                problems=problems,
            )
    except IntakeRejectedError as exc:
        if raw is None:
            raw = json.dumps(sub.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
        raise quarantine(desk, channel, raw, exc, digest=digest) from None
    with desk.db.read() as store:
        existing = store.find_by_digest(digest) if digest else None
        if existing is not None:
            return desk.receipt(existing, duplicate=True)
    now = desk.clock.now()
    received = min(received_at, now) if received_at is not None else now
    return _create(desk, sub, rtype, channel, actor, attachments, raw, digest, received, dossier_extra or {})


def _create(
    desk: Desk,
    sub: Submission,
    rtype: RequestType,
    channel: str,
    actor: str,
    attachments: Sequence[Attachment],
    raw: bytes | None,
    digest: str | None,
    received: dt.datetime,
    extra: Mapping[str, Any],
) -> Receipt:
    rid = new_id("rq")
    now_s = iso_utc(desk.clock.now())
    received_s = iso_utc(received)
    authority = sub.authority_type or rtype.authority_types[0]
    deadlines = {
        b.clock: desk.deadline_for(rtype, b.clock, received, sub.stated_term_working_days)
        for b in rtype.clocks
    }
    primary = deadlines[rtype.primary_clock]
    with desk.db.unit() as unit:
        refs = [
            {
                "ref": desk.sealed.put(
                    unit, "attachment", a.data, {"filename": a.filename, "media_type": a.media_type}, rid
                ),
                "filename": a.filename,
                "media_type": a.media_type,
                "size": len(a.data),
            }
            for a in attachments
        ]
        if raw is not None:
            desk.sealed.put(unit, "raw_input", raw, {"channel": channel}, rid)
        dossier = _dossier(sub, refs, extra)
        dossier_ref = desk.sealed.put_json(unit, "dossier", dossier, rid) if dossier else None
        unit.store.insert_request(
            {
                "id": rid,
                "type_id": rtype.id,
                "kind": rtype.kind.value,
                "channel": channel,
                "authority_type": authority.value,
                "authority_name": sub.authority_name,
                "legal_basis": rtype.cite(),
                "decision_no": sub.decision_no,
                "decision_date": sub.decision_date.isoformat() if sub.decision_date else None,
                "registry_entry_no": sub.registry_entry_no,
                "category": sub.category or rtype.fixed_category,
                "state": State.ACKNOWLEDGED.value,
                "priority": rtype.priority,
                "subject_id": sub.subject_id,
                "assignee": None,
                "received_at": received_s,
                "acknowledged_at": now_s,
                "closed_at": None,
                "primary_clock": rtype.primary_clock,
                "due_at": iso_utc(primary.due_at),
                "dossier_ref": dossier_ref,
                "source_digest": digest,
                "auto_rule": None,
                "produced": None,
                "created_by": actor,
                "version": 1,
            }
        )
        unit.store.insert_items(
            [
                {
                    "request_id": rid,
                    "item_no": i + 1,
                    "content_id": it.content_id or (desk.adapter.resolve_url(it.url) if it.url else None),
                    "account_id": it.account_id,
                    "url_fp": desk.url_fingerprint(it.url) if it.url else None,
                }
                for i, it in enumerate(sub.items)
            ]
        )
        unit.store.insert_clocks(
            [
                {
                    "request_id": rid,
                    "clock_id": b.clock,
                    "started_at": received_s,
                    "due_at": iso_utc(deadlines[b.clock].due_at),
                    "stops_on": b.stops_on.value,
                    "met_at": None,
                    "amount": sub.stated_term_working_days
                    if b.primary and sub.stated_term_working_days
                    else None,
                    "extensions": [],
                }
                for b in rtype.clocks
            ]
        )
        unit.store.add_event(
            rid, received_s, actor, "desk.request.received", None, State.RECEIVED.value, {"channel": channel}
        )
        unit.store.add_event(
            rid,
            now_s,
            "svc:desk",
            "desk.request.acknowledged",
            State.RECEIVED.value,
            State.ACKNOWLEDGED.value,
        )
        met = unit.store.meet_clocks(rid, "acknowledged", now_s)
        desk.audit(
            [
                desk.event(
                    actor,
                    "desk.request.received",
                    rtype,
                    rid,
                    sub.subject_id,
                    channel=channel,
                    type=rtype.id,
                    items=len(sub.items),
                    attachments=len(attachments),
                ),
                desk.event(
                    "svc:desk",
                    "desk.request.acknowledged",
                    rtype,
                    rid,
                    sub.subject_id,
                    clocks_met=",".join(met) or None,
                ),
            ]
        )
    return Receipt(
        request_id=rid,
        type_id=rtype.id,
        channel=channel,
        received_at=received_s,
        acknowledged_at=now_s,
        legal_basis=rtype.cite(),
        state=State.ACKNOWLEDGED.value,
        clocks=tuple(
            ReceiptClock(c, iso_utc(d.due_at), d.evidence.legal_source, d.evidence.internal_target)
            for c, d in sorted(deadlines.items(), key=lambda kv: kv[1].due_at)
        ),
    )
