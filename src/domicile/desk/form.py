"""The public complaint form, in Russian (149-FZ art. 10.6; 236-FZ art. 5; RKN Order No. 45 of
02.04.2021; SN-4, LAND-1).

Fields (draft order, [P]): the applicant's full name, e-mail, the URL of the page, the type of
unlawful information (the pack's category pick-list), a description and the text of the
appeal; organisations add their name, INN and OGRN (check digits verified). Attachments are
optional and bounded. Validation is server-side with Russian messages, one per field. The
body is parsed with the standard library (``application/x-www-form-urlencoded`` or
``multipart/form-data``); anything refused is quarantined with its raw bytes, and the
complaint is stored only in the RU store (sealed dossier, PD-LOC-1).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qs, urlsplit

from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from domicile.desk.catalog import RequestCatalog
from domicile.desk.config import Limits
from domicile.desk.errors import (
    FieldProblem,
    FormValidationError,
    IntakeRejectedError,
    MalformedInputError,
    PayloadTooLargeError,
)
from domicile.desk.intake import Attachment, Submission, quarantine, submit
from domicile.desk.models import Receipt
from domicile.vault.fields import is_valid_email

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = [
    "FORM_FIELDS",
    "FormData",
    "parse_form_body",
    "render_form",
    "render_receipt",
    "submit_form",
    "validate_form",
]

#: Field name -> Russian label, in display order.
FORM_FIELDS: dict[str, str] = {
    "applicant_type": "Заявитель",
    "full_name": "Фамилия, имя, отчество",
    "email": "Адрес электронной почты",
    "organisation": "Наименование организации",
    "inn": "ИНН организации",
    "ogrn": "ОГРН организации",
    "url": "Ссылка (URL) на страницу с информацией",
    "category": "Вид противоправной информации",
    "description": "Описание информации",
    "text": "Текст обращения",
    "consent": "Согласие на обработку персональных данных",
    "attachments": "Вложения",
}
_MAX_PARTS = 64
_MAX_FIELD = 200_000


@dataclass(frozen=True)
class FormData:
    """A parsed form body: text fields (last value wins) and uploaded files."""

    fields: dict[str, str]
    files: tuple[Attachment, ...]


def _urlencoded(body: bytes) -> FormData:
    try:
        text = body.decode("utf-8")
        parsed = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=_MAX_PARTS)
    except (UnicodeDecodeError, ValueError):
        raise MalformedInputError("the form body is not valid urlencoded UTF-8", channel="form") from None
    return FormData({k: v[-1] for k, v in parsed.items()}, ())


def _multipart(body: bytes, content_type: str, limits: Limits) -> FormData:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    msg = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart() or msg.defects:
        raise MalformedInputError("the multipart form body is malformed", channel="form")
    fields: dict[str, str] = {}
    files: list[Attachment] = []
    parts = list(msg.iter_parts())
    if len(parts) > _MAX_PARTS:
        raise MalformedInputError(f"more than {_MAX_PARTS} form parts", channel="form")
    for part in parts:
        part = cast(EmailMessage, part)
        name = part.get_param("name", header="content-disposition")
        if part.defects or not isinstance(name, str) or not name:
            raise MalformedInputError("a form part has no field name", channel="form")
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if not filename and not data:
                continue  # an empty file input
            if len(data) > limits.max_attachment_bytes:
                raise PayloadTooLargeError(
                    f"attachment {len(files)} is larger than {limits.max_attachment_bytes} bytes",
                    channel="form",
                    problems=[
                        FieldProblem("attachments", "too_large", "Вложение превышает допустимый размер")
                    ],
                )
            files.append(Attachment(filename or f"file-{len(files) + 1}", part.get_content_type(), data))
            continue
        if len(data) > _MAX_FIELD:
            raise PayloadTooLargeError(f"form field {name[:40]} is too large", channel="form")
        try:
            fields[name] = data.decode(part.get_content_charset() or "utf-8")
        except (UnicodeDecodeError, LookupError):
            raise MalformedInputError(f"form field {name[:40]} is not valid text", channel="form") from None
    return FormData(fields, tuple(files))


def parse_form_body(body: bytes, content_type: str, limits: Limits) -> FormData:
    """Parse a form body by its media type.

    Raises:
        PayloadTooLargeError: the body or a file is over the limit.
        MalformedInputError: not a form body, or broken syntax.
    """
    if len(body) > limits.max_body_bytes:
        raise PayloadTooLargeError(f"body larger than {limits.max_body_bytes} bytes", channel="form")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return _urlencoded(body)
    if media == "multipart/form-data":
        return _multipart(body, content_type, limits)
    raise MalformedInputError(f"unsupported form media type {media[:60]!r}", channel="form")


def _p(field: str, code: str, message: str) -> FieldProblem:
    return FieldProblem(field, code, message)


def validate_form(
    data: FormData, catalog: RequestCatalog, limits: Limits
) -> tuple[Submission, dict[str, str]]:
    """Check the form; returns the submission and the extra dossier fields (the description).

    Raises:
        FormValidationError: every problem, one per field, in Russian.
    """
    f = {k: v.strip() for k, v in data.fields.items()}
    problems: list[FieldProblem] = []
    applicant = f.get("applicant_type", "")
    if applicant not in ("citizen", "organisation"):
        problems.append(
            _p("applicant_type", "required", "Укажите, кто обращается: гражданин или организация")
        )
    if not f.get("full_name"):
        problems.append(_p("full_name", "required", "Укажите фамилию, имя и отчество"))
    elif len(f["full_name"]) > 300:
        problems.append(_p("full_name", "too_long", "ФИО не длиннее 300 символов"))
    if not f.get("email"):
        problems.append(_p("email", "required", "Укажите адрес электронной почты"))
    elif not is_valid_email(f["email"]):
        problems.append(_p("email", "invalid", "Укажите корректный адрес электронной почты"))
    if applicant == "organisation":
        if not f.get("organisation"):
            problems.append(_p("organisation", "required", "Укажите наименование организации"))
        if not f.get("inn") or not stdnum_inn.is_valid(f["inn"]) or len(f["inn"]) != 10:
            problems.append(_p("inn", "invalid", "Укажите корректный ИНН организации (10 цифр)"))
        if not f.get("ogrn") or not stdnum_ogrn.is_valid(f["ogrn"]):
            problems.append(_p("ogrn", "invalid", "Укажите корректный ОГРН организации"))
    url = f.get("url", "")
    parts = urlsplit(url) if url else None
    if not url:
        problems.append(_p("url", "required", "Укажите ссылку на страницу с информацией"))
    elif (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(url) > 2048
        or " " in url
    ):
        problems.append(_p("url", "invalid", "Ссылка должна начинаться с http:// или https://"))
    category = f.get("category", "")
    if not category:
        problems.append(_p("category", "required", "Выберите вид противоправной информации"))
    elif category not in catalog.categories:
        problems.append(_p("category", "invalid", "Выберите вид информации из списка"))
    if not f.get("description"):
        problems.append(_p("description", "required", "Опишите информацию"))
    elif len(f["description"]) > 2000:
        problems.append(_p("description", "too_long", "Описание не длиннее 2000 символов"))
    if not f.get("text"):
        problems.append(_p("text", "required", "Введите текст обращения"))
    elif len(f["text"]) > limits.max_text_chars:
        problems.append(
            _p("text", "too_long", f"Текст обращения не длиннее {limits.max_text_chars} символов")
        )
    if f.get("consent", "") not in ("on", "yes", "1", "true"):
        problems.append(_p("consent", "required", "Подтвердите согласие на обработку персональных данных"))
    if len(data.files) > limits.max_attachments:
        problems.append(_p("attachments", "too_many", f"Не более {limits.max_attachments} вложений"))
    if problems:
        raise FormValidationError(
            f"form field {problems[0].field} is invalid ({problems[0].code})",
            channel="form",
            problems=problems,
        )
    requester = {"name": f["full_name"], "email": f["email"]}
    if applicant == "organisation":
        requester.update({"organisation": f["organisation"], "inn": f["inn"], "ogrn": f["ogrn"]})
    sub = Submission.model_validate(
        {
            "type": "complaint",
            "authority_type": applicant,
            "category": category,
            "items": [{"url": url}],
            "requester": requester,
            "text": f["text"],
        }
    )
    return sub, {"description": f["description"]}


def submit_form(desk: Desk, body: bytes, content_type: str, *, truncated: bool = False) -> Receipt:
    """Parse, validate and submit a form body; quarantine it when refused.

    Raises:
        IntakeRejectedError: with Russian per-field problems and the quarantine id.
    """
    try:
        if truncated:
            raise PayloadTooLargeError(f"body larger than {desk.limits.max_body_bytes} bytes", channel="form")
        data = parse_form_body(body, content_type, desk.limits)
        sub, extra = validate_form(data, desk.catalog, desk.limits)
    except IntakeRejectedError as exc:
        raise quarantine(desk, "form", body, exc) from None
    return submit(
        desk,
        sub,
        channel="form",
        actor="svc:public-form",
        attachments=data.files,
        raw=body,
        dossier_extra=extra,
    )


def render_form(
    catalog: RequestCatalog,
    *,
    action: str = "",
    values: Mapping[str, str] | None = None,
    problems: Sequence[FieldProblem] = (),
) -> str:
    """The form page in Russian (values are re-filled after an error; no file values)."""
    e = html.escape
    v = dict(values or {})
    errors = {p.field: p.message for p in problems}

    def err(name: str) -> str:
        return f'<div class="error" role="alert">{e(errors[name])}</div>' if name in errors else ""

    def text(name: str, kind: str = "text") -> str:
        return (
            f'<p><label for="{name}">{e(FORM_FIELDS[name])}</label><br>'
            f'<input type="{kind}" id="{name}" name="{name}" value="{e(v.get(name, ""))}">{err(name)}</p>'
        )

    def area(name: str) -> str:
        return (
            f'<p><label for="{name}">{e(FORM_FIELDS[name])}</label><br>'
            f'<textarea id="{name}" name="{name}">{e(v.get(name, ""))}</textarea>{err(name)}</p>\n'
        )

    def radio(value: str, label: str) -> str:
        checked = " checked" if v.get("applicant_type", "citizen") == value else ""
        return f'<label><input type="radio" name="applicant_type" value="{value}"{checked}> {label}</label> '

    options = "".join(
        f'<option value="{e(c.code)}"{" selected" if v.get("category") == c.code else ""}>'
        f"{e(c.label_ru)}</option>"
        for c in catalog.categories.values()
    )
    parts = [
        '<!DOCTYPE html>\n<html lang="ru"><head><meta charset="utf-8">',
        "<title>Сообщить о противоправной информации</title></head><body>\n",
        "<h1>Сообщить о противоправной информации</h1>\n",
        "<p>Электронная форма для граждан и организаций (ст. 10.6 Федерального закона № 149-ФЗ, "
        "ст. 5 Федерального закона № 236-ФЗ).</p>\n",
        f'<form method="post" action="{e(action)}" enctype="multipart/form-data">\n',
        f"<p>{e(FORM_FIELDS['applicant_type'])}: ",
        radio("citizen", "гражданин") + radio("organisation", "организация"),
        f"{err('applicant_type')}</p>\n",
        text("full_name") + text("email", "email") + text("organisation") + text("inn") + text("ogrn"),
        text("url", "url"),
        f'<p><label for="category">{e(FORM_FIELDS["category"])}</label><br>',
        f'<select id="category" name="category"><option value="">— выберите —</option>{options}</select>',
        f"{err('category')}</p>\n",
        area("description") + area("text"),
        f'<p><label for="attachments">{e(FORM_FIELDS["attachments"])}</label><br>',
        f'<input type="file" id="attachments" name="attachments" multiple>{err("attachments")}</p>\n',
        '<p><label><input type="checkbox" name="consent" value="on"> Я даю согласие на обработку моих ',
        "персональных данных для рассмотрения обращения (ст. 9 152-ФЗ). Данные хранятся в Российской ",
        f"Федерации.</label>{err('consent')}</p>\n",
        '<p><button type="submit">Отправить</button></p>\n</form>\n</body></html>\n',
    ]
    return "".join(parts)


def render_receipt(receipt: Receipt) -> str:
    """The acknowledgement page in Russian."""
    e = html.escape
    due = next((c.due_at for c in receipt.clocks), receipt.received_at)
    return (
        '<!DOCTYPE html>\n<html lang="ru"><head><meta charset="utf-8">'
        "<title>Обращение принято</title></head><body>\n"
        "<h1>Обращение принято</h1>\n"
        f"<p>Номер обращения: <strong>{e(receipt.request_id)}</strong></p>\n"
        f"<p>Получено: {e(receipt.received_at)} (UTC). Срок рассмотрения: до {e(due)} (UTC).</p>\n"
        f"<p>Правовое основание: {e(receipt.legal_basis)}</p>\n</body></html>\n"
    )
