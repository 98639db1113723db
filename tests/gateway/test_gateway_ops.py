"""Health, readiness, Prometheus metrics and cells status."""

from __future__ import annotations

from gateway_helpers import RU_PERSON, Env

from domicile.gateway.authz import Role


def test_metrics_count_requests_by_route_template(env: Env) -> None:
    """Requests, refusals and values are counted; labels hold route templates, never ids or values."""
    s = env.ru_subject()
    env.call("GET", f"/v1/subjects/{s.subject_id}", params={"purpose": "support.ticket"})
    env.call("GET", f"/v1/subjects/{s.subject_id}", location="DE", params={"purpose": "support.ticket"})
    env.call(
        "POST", "/v1/tokens/detokenize", json={"purpose": "support.contact", "tokens": [s.tokens["email"]]}
    )
    env.call("GET", "/v1/cells", Role.APP)
    text = env.http.get("/v1/metrics").text
    assert (
        'domicile_gateway_requests_total{method="GET",route="/v1/subjects/{subject_id}",status="200"} 1.0'
        in text
    )
    refused = 'destination="DE",jurisdiction="RU",outcome="refused",rule="ru.xb.notice"'
    assert f"domicile_gateway_transfer_decisions_total{{{refused}}} 1.0" in text
    assert 'domicile_gateway_values_total{operation="detokenize"} 1.0' in text
    assert 'domicile_gateway_authz_denials_total{action="cells.status",role="app"} 1.0' in text
    assert s.subject_id not in text and s.tokens["email"] not in text
    assert not [v for v in RU_PERSON.values() if v in text]


def test_health_and_readiness(env: Env) -> None:
    """Health answers without a key; readiness names each component it checked."""
    health = env.http.get("/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = env.http.get("/v1/ready").json()
    assert ready["ready"] is True
    assert set(ready["checks"]) == {"cell:ru-msk-1", "cell:global-1", "gateway-db"}


def test_not_ready_when_the_gateway_database_is_gone(env: Env) -> None:
    """With the gateway database unreachable, /v1/ready is 503 and names it."""
    env.runtime.store.engine.dispose()
    from sqlalchemy import create_engine

    env.runtime.store.engine = create_engine("sqlite:////nonexistent-dir/gw.db")
    ready = env.http.get("/v1/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["gateway-db"].startswith("gateway database error")
    assert ready.json()["checks"]["cell:ru-msk-1"] == "ok"


def test_cells_status(env: Env) -> None:
    """Cells status lists each cell with counts and no PD."""
    env.ru_subject()
    cells = env.call("GET", "/v1/cells", Role.DPO).json()
    by_name = {c["name"]: c for c in cells}
    assert by_name["ru-msk-1"]["subjects"] == 1 and by_name["ru-msk-1"]["jurisdiction"] == "RU"
    assert by_name["global-1"]["reachable"] is True
