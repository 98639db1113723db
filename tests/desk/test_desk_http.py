"""The desk HTTP router: the whole workflow over HTTP, roles, error statuses, reports and incidents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from desk_http_app import PREFIX, TestClient, caller_header, make_client
from desk_kit import DeskKit
from lxml import etree

from domicile.core import errors as core
from domicile.desk import deadline_errors as de
from domicile.desk import errors as e
from domicile.desk.config import Limits
from domicile.desk.synthetic import seed_ledger

RKN = caller_header("svc:rkn-lk", "authority", authority="rkn")
LIAISON = caller_header("staff:lia-1", "regulator-liaison")
REP = caller_header("rep:office-1", "representative")
DPO = caller_header("staff:dpo-1", "dpo")
ADMIN = caller_header("staff:adm-1", "admin")


@pytest.fixture
def client(kit: DeskKit) -> Iterator[TestClient]:
    """A client of the test app over the kit's desk."""
    with make_client(kit.desk) as c:
        yield c


def _submit(client: TestClient, body: dict[str, Any], headers: dict[str, str] = RKN) -> Any:
    return client.post(f"{PREFIX}/requests", content=json.dumps(body), headers=headers)


def test_workflow_over_http(kit: DeskKit, client: TestClient) -> None:
    """An authority submits; staff triage and review; the representative signs; the decision executes."""
    kit.adapter.add_content("c1", "acc1", "https://example.app/v/1")
    r = _submit(client, {"type": "register_takedown", "items": [{"url": "https://example.app/v/1"}]})
    assert r.status_code == 201
    rid = r.json()["request_id"]
    assert {c["clock_id"] for c in r.json()["clocks"]} >= {"reg.takedown.remove"}
    assert client.get(f"{PREFIX}/requests/{rid}/receipt", headers=RKN).status_code == 200
    steps = [
        ("triage", LIAISON, {"assignee": "staff:lia-2"}, 200),
        ("review", LIAISON, None, 200),
        (
            "decision",
            REP,
            {"decision": "approve", "legal_basis": "149-FZ art. 15.1", "reasoning": "Реестр"},
            201,
        ),
        ("execute", LIAISON, None, 200),
        ("answer", LIAISON, None, 200),
        ("close", LIAISON, None, 200),
    ]
    for step, who, body, status in steps:
        resp = client.post(f"{PREFIX}/requests/{rid}/{step}", json=body, headers=who)
        assert resp.status_code == status, (step, resp.text)
    view = client.get(f"{PREFIX}/requests/{rid}", headers=LIAISON).json()
    assert view["state"] == "closed" and view["items"][0]["outcome"] == "restricted_ru_local_law"
    verify = client.get(f"{PREFIX}/verify", headers=ADMIN)
    assert verify.status_code == 200 and verify.json()["ok"] is True
    listed = client.get(f"{PREFIX}/requests", params={"state": "closed"}, headers=LIAISON).json()
    assert [x["id"] for x in listed] == [rid]


def test_roles_and_authentication_are_enforced(client: TestClient) -> None:
    """No credentials: 401; a role outside the permission table: 403; receipts only for their submitter."""
    assert _submit(client, {"type": "pg_demand", "items": [{"content_id": "c"}]}, {}).status_code == 401
    rid = _submit(client, {"type": "pg_demand", "items": [{"content_id": "c"}]}).json()["request_id"]
    forbidden = [
        ("post", f"/requests/{rid}/triage", RKN),
        ("post", f"/requests/{rid}/decision", LIAISON),
        ("get", f"/requests/{rid}", RKN),
        ("get", "/quarantine", REP),
        ("get", f"/requests/{rid}/receipt", caller_header("svc:other", "authority", authority="rkn")),
    ]
    for method, path, who in forbidden:
        body = {"decision": "approve", "legal_basis": "x", "reasoning": "y"} if "decision" in path else {}
        resp = client.request(method, PREFIX + path, json=body if method == "post" else None, headers=who)
        assert resp.status_code == 403 and resp.json()["error"] == "forbidden", path
    unbound = _submit(
        client, {"type": "pg_demand", "items": [{"content_id": "c"}]}, caller_header("x", "authority")
    )
    assert unbound.status_code == 403


def test_error_statuses(make_kit: Any) -> None:
    """Bad input maps to 400/413/422 with the quarantine id; workflow refusals 409; unknown ids 404."""
    kit = make_kit(limits=Limits(max_body_bytes=2048))
    with make_client(kit.desk) as client:
        bad = client.post(f"{PREFIX}/requests", content=b"{oops", headers=RKN)
        assert bad.status_code == 400 and bad.json()["quarantine_id"].startswith("qr_")
        unknown = _submit(client, {"type": "levitate"})
        assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_request_type"
        missing = _submit(client, {"type": "register_takedown"})
        assert missing.status_code == 422 and missing.json()["problems"][0]["field"] == "items"
        big = client.post(f"{PREFIX}/requests", content=b"x" * 5000, headers=RKN)
        assert big.status_code == 413 and big.json()["error"] == "payload_too_large"
        assert client.get(f"{PREFIX}/requests/rq_nope", headers=LIAISON).status_code == 404
        rid = _submit(client, {"type": "register_takedown", "items": [{"content_id": "c"}]}).json()[
            "request_id"
        ]
        early = client.post(f"{PREFIX}/requests/{rid}/execute", headers=LIAISON)
        assert early.status_code == 409 and early.json()["error"] == "workflow_refused"
        quarantined = client.get(f"{PREFIX}/quarantine", headers=ADMIN).json()
        assert len(quarantined) == 4
        raw = client.get(f"{PREFIX}/quarantine/{bad.json()['quarantine_id']}/raw", headers=LIAISON)
        assert raw.status_code == 200 and raw.content == b"{oops"
    assert len(kit.desk.list_requests()) == 1


def test_status_table_covers_the_error_tree() -> None:
    """desk_http_status maps each desk error class to its documented status."""
    cases = [
        (e.PayloadTooLargeError("x"), 413),
        (e.MalformedInputError("x"), 400),
        (e.FormValidationError("x"), 422),
        (e.UnknownRequestTypeError("x"), 422),
        (e.DeskNotFoundError("x"), 404),
        (e.WorkflowRefusedError("x"), 409),
        (e.AccessRefusedError("x"), 403),
        (de.ExtensionRefusedError("x"), 409),
        (de.CalendarYearMissingError(2030, (2025,)), 503),
        (e.DecisionIntegrityError("x"), 500),
        (e.SignerKeyError("x"), 503),
        (e.NotifierError("x"), 502),
        (e.AdapterError("x"), 502),
        (core.SubjectErasedError("x"), 410),
        (core.InputError("x"), 422),
    ]
    assert [(type(x).__name__, e.desk_http_status(x)[0]) for x, _ in cases] == [
        (type(x).__name__, s) for x, s in cases
    ]


def test_reports_ledger_and_charts_over_http(kit: DeskKit, client: TestClient) -> None:
    """The ledger (CSV/JSON) and both reports (JSON, CSV, SVG) are served, reconciled."""
    seed_ledger(kit.desk, 120, year=2025, seed=3)
    csv_text = client.get(f"{PREFIX}/ledger", params={"year": 2025, "format": "csv"}, headers=ADMIN).text
    rows = client.get(f"{PREFIX}/ledger", params={"year": 2025}, headers=ADMIN).json()
    assert len(csv_text.strip().splitlines()) == len(rows) + 1
    report = client.get(
        f"{PREFIX}/reports/transparency", params={"year": 2025, "half": 1}, headers=ADMIN
    ).json()
    assert all(c["report"] == c["ledger"] for c in report["checks"])
    svg = client.get(
        f"{PREFIX}/reports/transparency",
        params={"year": 2025, "half": 2, "format": "outcomes.svg"},
        headers=ADMIN,
    )
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert etree.fromstring(svg.content).tag.endswith("svg")
    annual = client.get(f"{PREFIX}/reports/annual", params={"year": 2025, "format": "csv"}, headers=DPO)
    assert annual.status_code == 200 and annual.text.startswith("measure,value")
    assert client.get(f"{PREFIX}/reports/annual", params={"year": 2025}, headers=RKN).status_code == 403


def test_incidents_over_http(client: TestClient) -> None:
    """Incidents are recorded, drafted and filed over HTTP; invalid input is a 422 naming the field."""
    body = {
        "detected_at": "2025-03-03T09:00:00+00:00",
        "detected_by": "third_party",
        "window_from": "2025-03-01T00:00:00+00:00",
        "window_to": "2025-03-03T00:00:00+00:00",
        "description": "Выгрузка в канале",
        "causes": "Ключ API",
        "harm": "Раскрытие e-mail",
        "measures": "Ключ отозван",
        "contact": {"name": "Анна Петрова", "phone": "+74950000000"},
    }
    r = client.post(f"{PREFIX}/incidents", content=json.dumps(body), headers=DPO)
    assert r.status_code == 201
    rid = r.json()["request_id"]
    notices = client.get(f"{PREFIX}/incidents/{rid}/notices", headers=DPO).json()
    assert notices[0]["missing"] == [] and notices[1]["missing"] == [
        "investigation_result",
        "responsible_persons",
    ]
    assert client.post(f"{PREFIX}/incidents/{rid}/notices/1/filed", headers=DPO).json()["notice1_at"]
    assert client.post(f"{PREFIX}/incidents/{rid}/notices/2/filed", headers=DPO).status_code == 409
    bad = client.post(
        f"{PREFIX}/incidents", content=json.dumps({**body, "detected_at": "yesterday"}), headers=DPO
    )
    assert bad.status_code == 422
