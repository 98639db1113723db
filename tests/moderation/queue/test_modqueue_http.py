"""The review queue's HTTP router: roles, the case and appeal flow, one JSON error body per failure."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI, Header
from modqueue_helpers import OWNER, make_env
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette >= 1.0 prefers httpx2; httpx works the same here
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from domicile.core.clock import FixedClock
from domicile.moderation.queue import MemoryModerationSpace, ReviewQueue
from domicile.moderation.queue.http import ModerationCaller, ModerationRole, create_moderation_router

ROLES = {
    "svc": ("svc:pipeline", {ModerationRole.SERVICE}),
    "rev": ("staff:1", {ModerationRole.REVIEWER}),
    "app": ("staff:2", {ModerationRole.APPEALS}),
    "sup": ("support:1", {ModerationRole.SUPPORT}),
}


@pytest.fixture
def client() -> TestClient:
    """An app with the router mounted; the X-Key header picks the caller."""
    clock = FixedClock(datetime(2025, 3, 3, 9, tzinfo=UTC))
    env = make_env(MemoryModerationSpace(clock=clock), clock)

    def get_queue() -> ReviewQueue:
        return env.queue

    def authenticate(x_key: str = Header()) -> ModerationCaller:
        actor, roles = ROLES[x_key]
        return ModerationCaller(actor, frozenset(roles))

    app = FastAPI()
    app.include_router(create_moderation_router(get_queue, authenticate), prefix="/v1/moderation")
    return TestClient(app)


def test_case_and_appeal_flow_over_http(client: TestClient) -> None:
    """open -> claim -> decision -> appeal -> appeal decision through the API, each role in its lane."""
    base = "/v1/moderation"
    body = {"content_ref": "vid:h1", "source": "user_report", "reason_code": "C-DRUG", "owner_ref": OWNER,
            "category": "C-DRUG", "hold_scope": "RU"}  # fmt: skip
    r = client.post(f"{base}/cases", json=body, headers={"X-Key": "svc"})
    assert r.status_code == 201 and r.json()["state"] == "held"
    case_id = r.json()["case_id"]
    assert client.get(f"{base}/cases", headers={"X-Key": "rev"}).json()[0]["case_id"] == case_id
    assert (
        client.post(f"{base}/cases/{case_id}/claim", headers={"X-Key": "rev"}).json()["state"] == "in_review"
    )
    decision = {"outcome": "restrict_ru", "reason_code": "C-DRUG"}
    r = client.post(f"{base}/cases/{case_id}/decision", json=decision, headers={"X-Key": "rev"})
    assert r.status_code == 200 and r.json()["state"] == "user_notified"
    r = client.post(
        f"{base}/cases/{case_id}/appeals", json={"appellant_ref": OWNER}, headers={"X-Key": "sup"}
    )
    assert r.status_code == 201
    appeal_id = r.json()["appeal_id"]
    r = client.post(
        f"{base}/appeals/{appeal_id}/decision", json={"outcome": "reversed", "reason_code": "ctx"},
        headers={"X-Key": "app"},
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["restored_at"] is not None
    view = client.get(f"{base}/cases/{case_id}", headers={"X-Key": "rev"}).json()
    assert view["case"]["state"] == "restored" and len(view["history"]) == 8


def test_errors_are_one_json_body_with_the_right_status(client: TestClient) -> None:
    """Wrong role: 403; unknown case: 404; bad input: 422; illegal step: 409."""
    base = "/v1/moderation"
    body = {"content_ref": "vid:h2", "source": "detector", "reason_code": "x"}
    assert client.post(f"{base}/cases", json=body, headers={"X-Key": "app"}).status_code == 403
    r = client.post(f"{base}/cases/mc_{'0' * 32}/claim", headers={"X-Key": "rev"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.post(f"{base}/cases", json={**body, "source": "rumour"}, headers={"X-Key": "svc"})
    assert r.status_code == 422 and "source" in r.json()["message"]
    case_id = client.post(f"{base}/cases", json=body, headers={"X-Key": "svc"}).json()["case_id"]
    r = client.post(
        f"{base}/cases/{case_id}/appeals", json={"appellant_ref": OWNER}, headers={"X-Key": "sup"}
    )
    assert r.status_code == 409 and r.json()["error"] == "refused"
