"""The whole flow on SQLite files and on PostgreSQL (cells and the gateway database)."""

from __future__ import annotations

from datetime import timedelta

from gateway_helpers import RU_PERSON, RU_SIGNALS, Env

from domicile.gateway.authz import Role
from domicile.operations import verify_audit


def test_full_flow(sql_env: Env) -> None:
    """Create from abroad, refuse, notice, transfer + ledger, idempotent retry, erase; audit chains verify."""
    env = sql_env
    body = {"fields": RU_PERSON, "signals": RU_SIGNALS}
    first = env.call("POST", "/v1/subjects", location="DE", json=body, headers={"Idempotency-Key": "pg-1"})
    again = env.call("POST", "/v1/subjects", location="DE", json=body, headers={"Idempotency-Key": "pg-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    created = first.json()
    assert created["cell"] == "ru-msk-1"
    tokens = list(created["tokens"].values())
    refused = env.call(
        "POST", "/v1/tokens/detokenize", location="DE", json={"purpose": "support.contact", "tokens": tokens}
    )
    assert refused.status_code == 403 and refused.json()["rule"] == "ru.xb.notice"
    notice = {
        "destination": "DE",
        "reference": "RKN-77",
        "filed_at": (env.clock.now() - timedelta(days=2)).isoformat(),
        "recipient": "Beispiel GmbH",
        "assessed_on": "2026-05-01",
        "categories": ["name", "contact", "demographic"],
    }
    assert env.call("POST", "/v1/transfers/notices", Role.DPO, json=notice).status_code == 201
    ok = env.call(
        "POST", "/v1/tokens/detokenize", location="DE", json={"purpose": "support.contact", "tokens": tokens}
    )
    assert ok.status_code == 200, ok.text
    assert {v["value"] for v in ok.json()["values"]} == set(RU_PERSON.values())
    ledger = env.call("GET", "/v1/transfers/ledger", Role.REGULATOR_LIAISON).json()
    assert len(ledger) == 1 and ledger[0]["value_count"] == len(RU_PERSON)
    assert sorted(ledger[0]["categories"]) == ["contact", "demographic", "name"]
    hits = env.call(
        "POST",
        "/v1/search",
        json={"field": "email", "value": RU_PERSON["email"], "purpose": "support.lookup"},
    )
    assert [h["subject_id"] for h in hits.json()["hits"]] == [created["subject_id"]]
    cells = env.call("GET", "/v1/cells", Role.ADMIN).json()
    assert {c["name"]: c["subjects"] for c in cells} == {"ru-msk-1": 1, "global-1": 0}
    assert env.call("DELETE", f"/v1/subjects/{created['subject_id']}").status_code == 200
    after = env.call("POST", "/v1/tokens/detokenize", json={"purpose": "support.contact", "tokens": tokens})
    assert {v["status"] for v in after.json()["values"]} == {"erased"}
    assert env.call("GET", "/v1/ready").json()["ready"] is True
    for name in env.dom.cells:
        assert verify_audit(env.dom, name).ok
