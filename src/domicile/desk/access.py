"""PD packages built inside the RU cell: a subject's access package, or user data for an authority.

The package is a JSON document plus a readable HTML document in Russian, built from the
subject's own vault record only (no other subject's PD) and sealed in RU storage; the answer
carries the blob references. Legal basis: 152-FZ art. 14 part 7 and art. 20 part 1 (PD-DSR-1:
the information the operator must give); for authorities, the data is served from the RU store
(TR-3; 152-FZ art. 18 part 5).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domicile.desk.errors import WorkflowRefusedError

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = ["Package", "build_package"]

#: The art. 14 part 7 items, in Russian, that every access package states (PD-DSR-1; list [U]).
ART14_ITEMS: tuple[tuple[str, str], ...] = (
    ("confirmation", "Подтверждение факта обработки персональных данных оператором"),
    (
        "legal_basis",
        "Правовые основания и цели обработки: договор с пользователем (п. 5 ч. 1 ст. 6 152-ФЗ), согласие",
    ),
    (
        "methods",
        "Способы обработки: автоматизированная обработка с использованием баз данных на территории РФ",
    ),
    (
        "recipients",
        "Лица, которым могут быть раскрыты данные: по закону и по запросам уполномоченных органов",
    ),
    ("retention", "Сроки обработки и хранения: в течение действия аккаунта и сроков, установленных законом"),
    (
        "rights",
        "Порядок осуществления прав субъекта: ст. 14, 20, 21 152-ФЗ; запрос через приложение или по почте",
    ),
    ("cross_border", "Трансграничная передача: только по уведомлению Роскомнадзора (ст. 12 152-ФЗ)"),
)


@dataclass(frozen=True)
class Package:
    """A built package: its JSON and readable document (PD, in memory only) and what it holds."""

    kind: str  # "access" or "data"
    json_bytes: bytes
    document: bytes
    fields: tuple[str, ...]
    cell: str


def build_package(
    desk: Desk,
    *,
    request_id: str,
    subject_id: str,
    fields: Sequence[str],
    kind: str,
    actor: str,
    purpose: str,
) -> Package:
    """Read the subject's record in its RU cell (audited) and build the package.

    Args:
        desk: the desk.
        request_id: the request answered.
        subject_id: the subject whose data it is.
        fields: the fields to include (empty: all the subject has).
        kind: ``access`` (PD-DSR-1) or ``data`` (a user-data request, TR-3).
        actor: who builds it.
        purpose: the audit purpose of the read.

    Raises:
        WorkflowRefusedError: the subject's home cell is not an RU cell.
    """
    view = desk.dom.get(subject_id, list(fields) or None, actor=actor, purpose=purpose)
    cell = desk.dom.cell(view.cell)
    if cell.jurisdiction != "RU":
        raise WorkflowRefusedError("packages are built only inside an RU cell (PD-LOC-1)")
    schema = desk.dom.schema
    data = {k: view.values[k] for k in sorted(view.values)}
    categories = {k: schema.spec(k).category.value for k in data}
    operator = desk.operator
    body: dict[str, Any] = {
        "format": f"domicile-{kind}-package/1",
        "request_id": request_id,
        "generated_at": desk.now(),
        "subject_id": subject_id,
        "operator": {"name": operator.name, "address": operator.address, "dpo_contact": operator.dpo_contact},
        "storage": {"cell": view.cell, "location": cell.location, "country": "RU"},
        "data": data,
        "categories": categories,
    }
    if kind == "access":
        body["information"] = {key: text for key, text in ART14_ITEMS}
    json_bytes = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    return Package(kind, json_bytes, _document(body, kind).encode("utf-8"), tuple(data), view.cell)


def _document(body: dict[str, Any], kind: str) -> str:
    e = html.escape
    title = (
        "Сведения об обработке персональных данных (ч. 7 ст. 14 152-ФЗ)"
        if kind == "access"
        else "Ответ на запрос о данных пользователя"
    )
    rows = "".join(
        f"<tr><td>{e(k)}</td><td>{e(body['categories'][k])}</td><td>{e(str(v))}</td></tr>"
        for k, v in body["data"].items()
    )
    info = "".join(f"<li>{e(text)}</li>" for text in (body.get("information") or {}).values())
    op = body["operator"]
    return (
        '<!DOCTYPE html>\n<html lang="ru"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title></head><body>\n"
        f"<h1>{e(title)}</h1>\n"
        f"<p>Обращение: {e(body['request_id'])}. Сформировано: {e(body['generated_at'])}.</p>\n"
        f"<p>Оператор: {e(op['name'])}, {e(op['address'])}."
        + (f" Ответственный за обработку ПД: {e(op['dpo_contact'])}." if op["dpo_contact"] else "")
        + "</p>\n"
        f"<p>Место хранения: {e(body['storage']['location'])} (ячейка {e(body['storage']['cell'])}).</p>\n"
        '<table border="1"><tr><th>Поле</th><th>Категория</th><th>Значение</th></tr>'
        f"{rows}</table>\n" + (f"<ul>{info}</ul>\n" if info else "") + "</body></html>\n"
    )
