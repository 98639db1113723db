"""The public complaint form in Russian: page, validation, attachments, quarantine (SN-4, LAND-1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from desk_http_app import PREFIX, TestClient, make_client
from desk_kit import DeskKit

from domicile.desk.config import Limits

FORM = f"{PREFIX}/form"
VALID = {
    "applicant_type": "citizen",
    "full_name": "Мария Кузнецова",
    "email": "maria.k@example.ru",
    "url": "https://example.app/v/77",
    "category": "C-DRUG",
    "description": "Видео с рецептом",
    "text": "Прошу ограничить доступ к странице.",
    "consent": "on",
}


@pytest.fixture
def client(kit: DeskKit) -> Iterator[TestClient]:
    """A client of the test app (the form needs no credentials)."""
    with make_client(kit.desk) as c:
        yield c


def test_form_page_is_russian_with_the_category_list(client: TestClient, kit: DeskKit) -> None:
    """GET /form serves the Russian form with every category of the pack as a choice."""
    page = client.get(FORM)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="ru">' in page.text and "Сообщить о противоправной информации" in page.text
    for category in kit.desk.catalog.categories.values():
        assert f'value="{category.code}"' in page.text and category.label_ru in page.text


def test_valid_complaint_with_attachment_is_acknowledged(client: TestClient, kit: DeskKit) -> None:
    """A valid multipart submission gets a receipt at once; PD and the file go to the sealed RU dossier."""
    kit.adapter.add_content("c77", "acc77", VALID["url"])
    r = client.post(FORM, data=VALID, files=[("attachments", ("shot.png", b"\x89PNG fake", "image/png"))])
    assert r.status_code == 201, r.text
    rid = r.json()["request_id"]
    view = kit.desk.get(rid)
    assert (view.type_id, view.channel, view.authority_type, view.category) == (
        "complaint",
        "form",
        "citizen",
        "C-DRUG",
    )
    assert view.items[0].content_id == "c77" and [c.clock_id for c in view.clocks] == ["sn.report.decide"]
    dossier = kit.desk.read_dossier(rid, actor="staff:x", purpose="desk.review")
    assert dossier["requester"] == {"name": VALID["full_name"], "email": VALID["email"]}
    assert dossier["description"] == VALID["description"] and dossier["attachments"][0]["size"] == 9
    html = client.post(FORM, data={**VALID, "text": "ещё"}, headers={"Accept": "text/html"})
    assert html.status_code == 201 and "Обращение принято" in html.text


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"full_name": "", "email": "not-an-address"}, ["full_name", "email"]),
        ({"url": "javascript:alert(1)", "category": "C-NOPE"}, ["url", "category"]),
        ({"consent": ""}, ["consent"]),
        (
            {
                "applicant_type": "organisation",
                "organisation": "ООО Ромашка",
                "inn": "7707083894",
                "ogrn": "1",
            },
            ["inn", "ogrn"],
        ),
        ({"description": "", "text": ""}, ["description", "text"]),
    ],
)
def test_invalid_form_is_refused_in_russian(
    client: TestClient, kit: DeskKit, changes: dict[str, str], fields: list[str]
) -> None:
    """Missing or invalid fields give 422 with one Russian message per field; the body is quarantined."""
    r = client.post(FORM, data={**VALID, **changes})
    assert r.status_code == 422
    body = r.json()
    assert [p["field"] for p in body["problems"]] == fields
    assert all(any("а" <= ch <= "я" for ch in p["message"].lower()) for p in body["problems"])
    assert kit.desk.list_requests() == []
    entry, raw = kit.desk.quarantine_show(
        body["quarantine_id"], actor="staff:x", purpose="desk.quarantine-review"
    )
    assert entry.channel == "form" and entry.reason == "invalid_fields" and b"full_name=" in raw


def test_html_error_page_keeps_values(client: TestClient) -> None:
    """With Accept: text/html, errors come back on the form itself, values re-filled."""
    r = client.post(FORM, data={**VALID, "email": ""}, headers={"Accept": "text/html"})
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert "Укажите адрес электронной почты" in r.text and "Мария Кузнецова" in r.text


def _raw(client: TestClient, body: bytes, content_type: str) -> Any:
    return client.post(FORM, content=body, headers={"Content-Type": content_type})


def test_malformed_and_oversized_bodies(make_kit: Any) -> None:
    """Broken multipart and unsupported media are 400; oversized files and bodies 413; nothing created."""
    kit = make_kit(limits=Limits(max_attachment_bytes=100, max_body_bytes=4096))
    with make_client(kit.desk) as client:
        broken = _raw(client, b"--XX\r\nno header end", "multipart/form-data; boundary=YY")
        assert broken.status_code == 400 and broken.json()["error"] == "malformed_input"
        assert _raw(client, b'{"a": 1}', "application/json").status_code == 400
        big_file = client.post(
            FORM, data=VALID, files=[("attachments", ("x.bin", b"0" * 500, "application/pdf"))]
        )
        assert big_file.status_code == 413 and big_file.json()["problems"][0]["field"] == "attachments"
        huge = client.post(FORM, data={**VALID, "text": "я" * 5000})
        assert huge.status_code == 413
        reasons = sorted(q.reason for q in kit.desk.quarantine_list())
        assert reasons == ["malformed", "malformed", "too_large", "too_large"]
        truncated = [q for q in kit.desk.quarantine_list() if q.truncated]
        assert len(truncated) == 1 and truncated[0].size > 4096
    assert kit.desk.list_requests() == []
