"""The regulator desk and the moderation queue served by the gateway: API keys, role mapping, 401/403/503."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gateway_helpers import START, Env, build_env, memory_domicile

from domicile.core.clock import FixedClock
from domicile.desk.signing import Signer
from domicile.gateway.auth import ApiKeys
from domicile.gateway.authz import Role
from domicile.settings import DomicileSettings

DESK = "/v1/desk"
MOD = "/v1/moderation"
PG_DEMAND = {"type": "pg_demand", "items": [{"content_id": "c1"}]}


@pytest.fixture
def desk_env(tmp_path: Path, clock: FixedClock) -> Iterator[Env]:
    """Memory cells, a desk in a data folder over the same Domicile, a representative's key."""
    e = build_env(
        memory_domicile(tmp_path, clock), clock, desk_data=DomicileSettings(data_dir=tmp_path / "d")
    )
    desk = e.runtime.desk_or_raise()
    signer = Signer.create(tmp_path / "keys" / "rep.json", "rep:office-1")
    desk.signer = signer
    desk.register_signer(signer, actor="admin")
    yield e
    e.close()


def _submit(env: Env, role: Role, body: dict[str, object] = PG_DEMAND) -> httpx.Response:
    return env.call("POST", f"{DESK}/requests", role, content=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"})  # fmt: skip


def test_liaison_submits_and_reads_a_request(desk_env: Env) -> None:
    """A regulator-liaison key maps to the desk's liaison role: submit (201), list and read back."""
    r = _submit(desk_env, Role.REGULATOR_LIAISON)
    assert r.status_code == 201, r.text
    rid = r.json()["request_id"]
    view = desk_env.call("GET", f"{DESK}/requests/{rid}", Role.REGULATOR_LIAISON)
    assert view.status_code == 200 and view.json()["id"] == rid
    listed = desk_env.call("GET", f"{DESK}/requests", Role.REGULATOR_LIAISON).json()
    assert rid in [x["id"] for x in listed]


def test_representative_decides_and_an_app_key_may_not(desk_env: Env) -> None:
    """Deciding is the representative's alone (LAND-4): an app key (desk service) gets 403."""
    rid = _submit(desk_env, Role.REGULATOR_LIAISON).json()["request_id"]
    for step in ("triage", "review"):
        r = desk_env.call("POST", f"{DESK}/requests/{rid}/{step}", Role.REGULATOR_LIAISON, json={})
        assert r.status_code == 200, (step, r.text)
    decision = {"decision": "approve", "legal_basis": "149-FZ art. 15.1", "reasoning": "Требование"}
    refused = desk_env.call("POST", f"{DESK}/requests/{rid}/decision", Role.APP, json=decision)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    signed = desk_env.call("POST", f"{DESK}/requests/{rid}/decision", Role.REPRESENTATIVE, json=decision)
    assert signed.status_code == 201, signed.text


def test_authority_key_submits_as_its_authority_type(desk_env: Env) -> None:
    """An authority key carries its authority type (rkn in the helpers) and may submit, not read."""
    r = _submit(desk_env, Role.AUTHORITY)
    assert r.status_code == 201, r.text
    rid = r.json()["request_id"]
    assert desk_env.runtime.desk_or_raise().get(rid).authority_type == "rkn"
    assert desk_env.call("GET", f"{DESK}/requests/{rid}", Role.AUTHORITY).status_code == 403


def test_public_form_needs_no_key_and_validates(desk_env: Env) -> None:
    """GET/POST /v1/desk/form work without Authorization; an invalid form post is 422 with problems."""
    page = desk_env.http.get(f"{DESK}/form")
    assert page.status_code == 200 and "<form" in page.text
    bad = desk_env.http.post(f"{DESK}/form", data={"applicant_type": "citizen", "email": "not-an-address"})
    assert bad.status_code == 422, bad.text
    assert {p["field"] for p in bad.json()["problems"]} >= {"email"}


def test_moderator_lists_the_queue_and_others_may_not(desk_env: Env) -> None:
    """A moderator key reads the review queue; a DPO key has no moderation role (403)."""
    r = desk_env.call("GET", f"{MOD}/cases", Role.MODERATOR)
    assert r.status_code == 200 and r.json() == []
    assert desk_env.call("GET", f"{MOD}/cases", Role.DPO).status_code == 403


@pytest.mark.parametrize("path", [f"{DESK}/requests", f"{MOD}/cases"])
def test_unknown_or_missing_key_is_401(desk_env: Env, path: str) -> None:
    """Both mounted routers answer 401 with the gateway's error body for a bad or missing key."""
    bad = desk_env.http.get(path, headers={"Authorization": "Bearer dmk_aaaaaaaaaaaa." + "a" * 52})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthenticated"
    assert desk_env.http.get(path).status_code == 401


def test_desk_unavailable_answers_503_and_the_gateway_still_runs(env: Env) -> None:
    """Without a desk data folder the gateway starts; /v1/desk answers 503 with the reason."""
    r = env.call("GET", f"{DESK}/requests", Role.REGULATOR_LIAISON)
    assert r.status_code == 503 and "regulator desk unavailable" in r.json()["message"]
    assert env.http.get(f"{DESK}/form").status_code == 503
    assert env.http.get("/v1/health").status_code == 200


def test_new_roles_and_authority_type_on_keys(env: Env) -> None:
    """apikeys: authority keys need an authority type; other roles may not have one."""
    keys = env.runtime.gateway.keys
    assert keys.create("rkn-bridge", "authority", "RU", authority_type="rkn").info.authority_type == "rkn"
    assert keys.create("mod-1", "moderator", "RU").info.role is Role.MODERATOR
    for role, bound in (("authority", None), ("authority", "nope"), ("representative", "rkn")):
        with pytest.raises(Exception, match="authority"):
            keys.create("x-1", role, "RU", authority_type=bound)


def test_cli_creates_desk_and_moderation_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`domicile apikeys create` takes the new roles; an authority key needs --authority-type."""
    from domicile.cli.app import main

    base = ["apikeys", "create", "--location", "RU", "--data-dir", str(tmp_path / "data"), "--json"]
    assert main([*base, "--principal", "rkn-bridge", "--role", "authority", "--authority-type", "rkn"]) == 0
    assert json.loads(capsys.readouterr().out)["key"]["authority_type"] == "rkn"
    for role in ("representative", "moderator"):
        assert main([*base, "--principal", f"{role}-1", "--role", role]) == 0
        assert json.loads(capsys.readouterr().out)["key"]["role"] == role
    assert main([*base, "--principal", "no-type", "--role", "authority"]) == 3
    assert "authority type" in capsys.readouterr().err


def test_gateway_database_of_schema_1_is_upgraded(tmp_path: Path) -> None:
    """A version-1 gateway database gains the authority_type column on open (schema 2)."""
    import sqlalchemy as sa

    from domicile.gateway.store import SCHEMA_VERSION, GatewayStore

    url = f"sqlite:///{tmp_path / 'gw.db'}"
    old = GatewayStore.open(url)
    with old.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE gateway_api_keys DROP COLUMN authority_type"))
        conn.execute(sa.text("UPDATE gateway_meta SET value = '1' WHERE key = 'schema_version'"))
    old.engine.dispose()
    store = GatewayStore.open(url)
    assert store.get_meta("schema_version") == SCHEMA_VERSION == "2"
    keys = ApiKeys(store, FixedClock(START))
    issued = keys.create("rkn-bridge", Role.AUTHORITY, "RU", authority_type="mvd")
    assert keys.verify(issued.api_key).authority_type == "mvd"
    store.engine.dispose()
