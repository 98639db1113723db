"""Every role x endpoint x scope (home / foreign cell), expected outcome derived from the one matrix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_helpers import RU_PERSON, START, Env, build_env, memory_domicile

from domicile.core.clock import FixedClock
from domicile.gateway.authz import MATRIX, RETURNS_PD, Access, Action, Role, Scope, render_matrix
from domicile.gateway.deps import ACTION_KEY

LOCATION = {Scope.HOME: "RU", Scope.FOREIGN: "DE"}
Probe = Callable[[Env, Role, str], httpx.Response]


def _subject(env: Env) -> Any:
    return env.ru_subject()


def _probe_create(env: Env, role: Role, loc: str) -> httpx.Response:
    body = {"fields": RU_PERSON, "signals": {"citizenship": ["RU"]}}
    return env.call("POST", "/v1/subjects", role, loc, json=body)


def _probe_read(env: Env, role: Role, loc: str) -> httpx.Response:
    s = _subject(env)
    return env.call("GET", f"/v1/subjects/{s.subject_id}", role, loc, params={"purpose": "support.ticket"})


def _probe_patch(env: Env, role: Role, loc: str) -> httpx.Response:
    s = _subject(env)
    body = {"fields": {"given_name": "Мария"}}
    return env.call("PATCH", f"/v1/subjects/{s.subject_id}", role, loc, json=body)


def _probe_erase(env: Env, role: Role, loc: str) -> httpx.Response:
    return env.call("DELETE", f"/v1/subjects/{_subject(env).subject_id}", role, loc)


def _probe_search(env: Env, role: Role, loc: str) -> httpx.Response:
    s = _subject(env)
    body = {"field": "phone", "value": RU_PERSON["phone"], "purpose": "support.lookup", "cells": [s.cell]}
    return env.call("POST", "/v1/search", role, loc, json=body)


def _probe_tokenize(env: Env, role: Role, loc: str) -> httpx.Response:
    s = _subject(env)
    item = {"subject_id": s.subject_id, "field": "family_name", "kind": "deterministic", "scope": "analytics"}
    return env.call("POST", "/v1/tokens/tokenize", role, loc, json={"purpose": "analytics", "items": [item]})


def _probe_detokenize(env: Env, role: Role, loc: str) -> httpx.Response:
    s = _subject(env)
    body = {"purpose": "support.contact", "tokens": [s.tokens["email"]]}
    return env.call("POST", "/v1/tokens/detokenize", role, loc, json=body)


def _get(path: str, **params: Any) -> Probe:
    return lambda env, role, loc: env.call("GET", path, role, loc, params=params)


def _probe_record_notice(env: Env, role: Role, loc: str) -> httpx.Response:
    body = {
        "destination": "FR",
        "reference": "RKN-FR-1",
        "filed_at": START.isoformat(),
        "recipient": "Exemple SARL",
        "assessed_on": "2026-05-01",
    }
    return env.call("POST", "/v1/transfers/notices", role, loc, json=body)


def _probe_withdraw(env: Env, role: Role, loc: str) -> httpx.Response:
    notice = env.notice("FR")
    return env.call("POST", f"/v1/transfers/notices/{notice.id}/withdraw", role, loc)


def _probe_engage(env: Env, role: Role, loc: str) -> httpx.Response:
    body = {"destination": "FR", "decision_ref": "RKN-ban-1"}
    response = env.call("POST", "/v1/transfers/kill-switches", role, loc, json=body)
    if env.runtime.gateway.records.active_switch("RU", "FR"):
        env.runtime.gateway.records.release(jurisdiction="RU", destination="FR", actor="fixture")
    return response


def _probe_release(env: Env, role: Role, loc: str) -> httpx.Response:
    env.runtime.gateway.records.engage(
        jurisdiction="RU", destination="FR", decision_ref="RKN-1", actor="fixture"
    )
    response = env.call("DELETE", "/v1/transfers/kill-switches/RU/FR", role, loc)
    if env.runtime.gateway.records.active_switch("RU", "FR"):
        env.runtime.gateway.records.release(jurisdiction="RU", destination="FR", actor="fixture")
    return response


def _probe_check(env: Env, role: Role, loc: str) -> httpx.Response:
    body = {"destination": "DE", "purpose": "support.contact", "categories": ["contact"]}
    return env.call("POST", "/v1/transfers/check", role, loc, json=body)


def _probe_create_key(env: Env, role: Role, loc: str) -> httpx.Response:
    body = {"principal": "svc-new", "role": "app", "location": "DE"}
    return env.call("POST", "/v1/admin/api-keys", role, loc, json=body)


def _probe_revoke_key(env: Env, role: Role, loc: str) -> httpx.Response:
    victim = env.runtime.gateway.keys.create("svc-old", Role.APP, "DE")
    return env.call("DELETE", f"/v1/admin/api-keys/{victim.info.key_id}", role, loc)


PROBES: dict[tuple[str, str], Probe] = {
    ("POST", "/v1/subjects"): _probe_create,
    ("GET", "/v1/subjects/{subject_id}"): _probe_read,
    ("PATCH", "/v1/subjects/{subject_id}"): _probe_patch,
    ("DELETE", "/v1/subjects/{subject_id}"): _probe_erase,
    ("POST", "/v1/search"): _probe_search,
    ("POST", "/v1/tokens/tokenize"): _probe_tokenize,
    ("POST", "/v1/tokens/detokenize"): _probe_detokenize,
    ("GET", "/v1/cells"): _get("/v1/cells"),
    ("GET", "/v1/transfers/adequacy"): _get("/v1/transfers/adequacy"),
    ("GET", "/v1/transfers/notices"): _get("/v1/transfers/notices"),
    ("POST", "/v1/transfers/notices"): _probe_record_notice,
    ("POST", "/v1/transfers/notices/{notice_id}/withdraw"): _probe_withdraw,
    ("GET", "/v1/transfers/kill-switches"): _get("/v1/transfers/kill-switches"),
    ("POST", "/v1/transfers/kill-switches"): _probe_engage,
    ("DELETE", "/v1/transfers/kill-switches/{jurisdiction}/{destination}"): _probe_release,
    ("GET", "/v1/transfers/ledger"): _get("/v1/transfers/ledger"),
    ("POST", "/v1/transfers/check"): _probe_check,
    ("GET", "/v1/admin/api-keys"): _get("/v1/admin/api-keys"),
    ("POST", "/v1/admin/api-keys"): _probe_create_key,
    ("DELETE", "/v1/admin/api-keys/{key_id}"): _probe_revoke_key,
}


@pytest.fixture(scope="module")
def matrix_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One app for the whole matrix; Germany has an old, assessed notice (adequate: no wait)."""
    clock = FixedClock(START)
    tmp: Path = tmp_path_factory.mktemp("matrix")
    env = build_env(memory_domicile(tmp, clock), clock)
    env.notice("DE", filed=START - timedelta(days=400))
    yield env
    env.close()


@pytest.fixture(scope="module")
def operations(matrix_env: Env) -> dict[tuple[str, str], Action]:
    """Each authenticated operation of the OpenAPI document and the matrix action it declares."""
    spec = matrix_env.http.get("/openapi.json").json()
    out = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if ACTION_KEY in op:
                out[(method.upper(), path)] = Action(op[ACTION_KEY])
    return out


def test_every_authenticated_operation_has_a_probe(operations: dict[tuple[str, str], Action]) -> None:
    """The probes cover exactly the operations that declare a matrix action, and every action is used."""
    assert set(operations) == set(PROBES)
    assert set(operations.values()) == set(Action)


CASES = [(op, role, scope) for op in PROBES for role in Role for scope in Scope]


@pytest.mark.parametrize(
    ("op", "role", "scope"), CASES, ids=[f"{m} {p} {r.value} {s.value}" for (m, p), r, s in CASES]
)
def test_matrix_decides(
    matrix_env: Env,
    operations: dict[tuple[str, str], Action],
    op: tuple[str, str],
    role: Role,
    scope: Scope,
) -> None:
    """Allow/transfer -> 2xx (transfer also ledgered), deny -> 403 naming gateway.authz (SEC-1, PD-XB-2)."""
    expected = MATRIX[operations[op]][role][scope]
    ledger_before = matrix_env.runtime.gateway.records.ledger_count()
    response = PROBES[op](matrix_env, role, LOCATION[scope])
    written = matrix_env.runtime.gateway.records.ledger_count() - ledger_before
    if expected is Access.DENY:
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["rule"] == "gateway.authz" and "152-FZ art. 19" in body["legal_source"]
        assert written == 0
    else:
        assert 200 <= response.status_code < 300, response.text
        assert written == (1 if expected is Access.TRANSFER else 0)


def test_pd_returning_actions_are_never_plainly_allowed_abroad() -> None:
    """Read and detokenize from a foreign location are deny or transfer for every role (152-FZ art. 12)."""
    for action in RETURNS_PD:
        assert {MATRIX[action][role][Scope.FOREIGN] for role in Role} <= {Access.DENY, Access.TRANSFER}
    assert any(MATRIX[a][r][Scope.FOREIGN] is Access.TRANSFER for a in RETURNS_PD for r in Role)


def test_rendered_matrix_lists_every_cell() -> None:
    """The docs table has one row per action and one home/foreign pair per role."""
    table = render_matrix().splitlines()
    assert len(table) == 2 + len(Action)
    for action, line in zip(Action, table[2:], strict=True):
        assert line.startswith(f"| `{action.value}` |")
        assert line.count(" / ") == len(Role)
