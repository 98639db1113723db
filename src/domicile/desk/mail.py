"""The e-mail drop: ``.eml`` files from a folder become requests, attachments kept.

The 24/7 contact address of the representative office (LAND-5; REG-1: register notices arrive
by e-mail) delivers into a folder in RU storage. :func:`scan` parses each file with the
standard library (RFC 5322/MIME, ``email.policy.default``), classifies it with the pack's
e-mail rules (sender domain + subject keywords), extracts the register entry number, the
decision number and date, the URLs and a subject id, seals the raw message, the body and every
attachment in RU storage, and acknowledges at once. A file that cannot be parsed or classified,
or is too large, is quarantined (sealed) and removed from the folder; the run reports it.
The file is removed only after its request or quarantine entry is committed; a file seen again
(same SHA-256) is recognised as a duplicate, so a crash never creates a request twice.

Weakness, stated: the sender's domain is taken from the ``From`` header; a person triages every
request before any decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from domicile.desk.catalog import Need, RequestCatalog
from domicile.desk.config import Limits
from domicile.desk.errors import (
    FieldProblem,
    IntakeRejectedError,
    MalformedInputError,
    PayloadTooLargeError,
    UnknownRequestTypeError,
)
from domicile.desk.intake import Attachment, Submission, parse_submission, quarantine, submit
from domicile.desk.schema import desk_quarantine

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = ["MailResult", "MailScan", "ParsedMail", "classify", "parse_eml", "scan"]

_REGISTRY_NO = re.compile(r"\b(\d{1,9}-РИ)\b")
_DECISION = re.compile(
    r"(?:решени[еяю]|требовани[еяю]|предписани[еяю])[^\n№]{0,120}№\s*([\w/.\-]{1,60})", re.I
)
_DATE = re.compile(r"\bот\s+(\d{2})\.(\d{2})\.(\d{4})\b")
_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+")
_SUBJECT_ID = re.compile(r"\bsub_[0-9a-f]{32}\b")
_TAGS = re.compile(r"<[^>]+>")
MAX_AGE = dt.timedelta(days=30)


@dataclass(frozen=True)
class ParsedMail:
    """What the desk reads from a message (PD: kept in memory and in the sealed dossier)."""

    sender: str
    sender_domain: str
    subject: str
    date: dt.datetime | None
    message_id: str | None
    text: str
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True)
class MailResult:
    """The fate of one file."""

    file: str
    status: str  # created, duplicate, quarantined
    request_id: str | None = None
    quarantine_id: str | None = None
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class MailScan:
    """One scan of the drop folder."""

    folder: str
    results: tuple[MailResult, ...]

    def count(self, status: str) -> int:
        """Files with that status."""
        return sum(1 for r in self.results if r.status == status)


def _defects(msg: EmailMessage) -> list[str]:
    found = [type(d).__name__ for d in msg.defects]
    for part in msg.walk():
        found += [type(d).__name__ for d in part.defects]
    return found


def parse_eml(raw: bytes, limits: Limits) -> ParsedMail:
    """Parse an RFC 5322 message.

    Raises:
        PayloadTooLargeError: the message or an attachment exceeds the limits.
        MalformedInputError: not a well-formed message (no headers, MIME defects, no sender).
    """
    if len(raw) > limits.max_body_bytes:
        raise PayloadTooLargeError(f"message larger than {limits.max_body_bytes} bytes", channel="email")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        defects = _defects(msg)
        if not msg.keys() or defects:
            raise MalformedInputError(
                "malformed e-mail: " + (", ".join(sorted(set(defects))) if defects else "no headers"),
                channel="email",
            )
        sender = parseaddr(str(msg.get("From", "")))[1]
        subject = str(msg.get("Subject", ""))
        date_header = msg.get("Date")
        date = getattr(date_header, "datetime", None) if date_header is not None else None
        message_id = str(msg.get("Message-ID", "")) or None
    except (ValueError, TypeError, IndexError, LookupError) as exc:
        raise MalformedInputError(
            f"malformed e-mail headers ({type(exc).__name__})", channel="email"
        ) from None
    if "@" not in sender or not sender.rsplit("@", 1)[1]:
        raise MalformedInputError(
            "malformed e-mail: no sender address in From",
            channel="email",
            problems=[FieldProblem("From", "missing", "no sender address")],
        )
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            text = str(body.get_content())
        except (LookupError, ValueError) as exc:
            raise MalformedInputError(
                f"e-mail body cannot be decoded ({type(exc).__name__})", channel="email"
            ) from None
        if body.get_content_subtype() == "html":
            text = _TAGS.sub(" ", text)
    attachments: list[Attachment] = []
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            raise MalformedInputError("an attachment cannot be decoded", channel="email")
        if len(data) > limits.max_attachment_bytes:
            raise PayloadTooLargeError(
                f"attachment {len(attachments)} is larger than {limits.max_attachment_bytes} bytes",
                channel="email",
            )
        attachments.append(
            Attachment(
                part.get_filename() or f"attachment-{len(attachments) + 1}", part.get_content_type(), data
            )
        )
    if len(attachments) > limits.max_attachments:
        raise PayloadTooLargeError(f"more than {limits.max_attachments} attachments", channel="email")
    if date is not None and (date.tzinfo is None or date.utcoffset() is None):
        date = None
    return ParsedMail(
        sender, sender.rsplit("@", 1)[1].lower(), subject, date, message_id, text, tuple(attachments)
    )


def classify(mail: ParsedMail, catalog: RequestCatalog) -> tuple[str, str, str]:
    """(request type, authority type, rule id) of the first e-mail rule that matches.

    Raises:
        UnknownRequestTypeError: no rule matches.
    """
    for rule in catalog.email_rules:
        if rule.matches(mail.sender_domain, mail.subject):
            return rule.type, rule.authority_type.value, rule.id
    raise UnknownRequestTypeError(
        "no e-mail rule classifies this message (unknown sender domain or subject)", channel="email"
    )


def to_submission(mail: ParsedMail, catalog: RequestCatalog, limits: Limits) -> tuple[Submission, str]:
    """Build the submission from a classified message; returns it and the rule id."""
    type_id, authority, rule_id = classify(mail, catalog)
    rtype = catalog.type(type_id)
    text = mail.text[: limits.max_text_chars]
    urls = list(dict.fromkeys(u.rstrip(".,;:") for u in _URL.findall(text)))[: limits.max_items]
    registry = _REGISTRY_NO.search(text) or _REGISTRY_NO.search(mail.subject)
    decision = _DECISION.search(text)
    date = _DATE.search(text)
    subject = _SUBJECT_ID.search(text)
    decision_date = None
    if date:
        try:
            decision_date = dt.date(int(date.group(3)), int(date.group(2)), int(date.group(1)))
        except ValueError:
            decision_date = None
    body: dict[str, Any] = {
        "type": type_id,
        "authority_type": authority,
        "registry_entry_no": registry.group(1) if registry else None,
        "decision_no": decision.group(1) if decision else None,
        "decision_date": decision_date,
        "items": [{"url": u} for u in urls] if rtype.items is not Need.NONE else [],
        "subject_id": subject.group(0) if subject and rtype.subject is not Need.NONE else None,
        "requester": {"email": mail.sender},
        "text": text or None,
    }
    return parse_submission(body, channel="email"), rule_id


def _received_at(mail: ParsedMail, now: dt.datetime) -> dt.datetime:
    if mail.date is None:
        return now
    date = mail.date.astimezone(dt.UTC)
    return date if now - MAX_AGE <= date <= now else now


def _ingest(desk: Desk, raw: bytes, digest: str, actor: str) -> MailResult:
    with desk.db.read() as store:
        rid = store.find_by_digest(digest)
        qid = store.conn.execute(
            sa.select(desk_quarantine.c.id).where(
                desk_quarantine.c.source_digest == digest, desk_quarantine.c.channel == "email"
            )
        ).scalar()
    if rid is not None:
        return MailResult("", "duplicate", request_id=rid)
    if qid is not None:
        return MailResult("", "quarantined", quarantine_id=qid, reason="seen_before")
    try:
        mail = parse_eml(raw, desk.limits)
        sub, rule_id = to_submission(mail, desk.catalog, desk.limits)
    except IntakeRejectedError as exc:
        err = quarantine(desk, "email", raw, exc, digest=digest)
        return MailResult(
            "", "quarantined", quarantine_id=err.quarantine_id, reason=err.reason_code, message=err.message
        )
    extra = {
        "email": {
            "from": mail.sender,
            "subject": mail.subject,
            "message_id": mail.message_id,
            "date": mail.date.isoformat() if mail.date else None,
            "rule": rule_id,
        }
    }
    try:
        receipt = submit(
            desk,
            sub,
            channel="email",
            actor=actor,
            attachments=mail.attachments,
            raw=raw,
            source_digest=digest,
            received_at=_received_at(mail, desk.clock.now()),
            dossier_extra=extra,
        )
    except IntakeRejectedError as exc:
        return MailResult(
            "", "quarantined", quarantine_id=exc.quarantine_id, reason=exc.reason_code, message=exc.message
        )
    return MailResult("", "duplicate" if receipt.duplicate else "created", request_id=receipt.request_id)


def scan(
    desk: Desk, folder: Path, *, actor: str = "svc:mail-drop", files: Sequence[Path] | None = None
) -> MailScan:
    """Ingest every ``*.eml`` file of ``folder`` (oldest name first); each file is removed once handled."""
    paths = sorted(files if files is not None else folder.glob("*.eml"))
    results = []
    for path in paths:
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        result = _ingest(desk, raw, digest, actor)
        path.unlink(missing_ok=True)
        results.append(
            MailResult(
                path.name,
                result.status,
                result.request_id,
                result.quarantine_id,
                result.reason,
                result.message,
            )
        )
    return MailScan(str(folder), tuple(results))
