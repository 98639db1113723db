"""Bad input: one clear 4xx with the reason, and nothing stored (no subject, token, audit or ledger row)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from gateway_helpers import RU_PERSON, Env, audit_count, subject_count

from domicile.gateway.authz import Role
from domicile.tokens.formats import random_token


def _state(env: Env) -> tuple[int, int, int, int]:
    tokens = 0
    for cell in env.dom.cells.values():
        with cell.session() as s:
            tokens += s.store.counts().tokens
    return subject_count(env.dom), audit_count(env.dom), tokens, env.runtime.gateway.records.ledger_count()


def _post(
    env: Env, path: str, content: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return env.call("POST", path, headers=headers, content=content)


CASES: dict[str, tuple[Callable[[Env, dict[str, str]], httpx.Response], int, str, str]] = {
    "malformed JSON": (
        lambda env, t: _post(env, "/v1/subjects", b'{"fields": {"phone": "+79161234567",}}'),
        400,
        "malformed_json",
        "malformed JSON at line 1 column 37",
    ),
    "malformed JSON on line 3": (
        lambda env, t: _post(env, "/v1/tokens/detokenize", b'{\n "purpose": "x.y",\n "tokens": [tok]\n}'),
        400,
        "malformed_json",
        "line 3 column 13",
    ),
    "oversize batch": (
        lambda env, t: env.call(
            "POST",
            "/v1/tokens/detokenize",
            json={"purpose": "support.contact", "tokens": [t["email"]] * 1001},
        ),
        422,
        "invalid_input",
        "at most 1000 items",
    ),
    "oversize tokenize batch": (
        lambda env, t: env.call(
            "POST",
            "/v1/tokens/tokenize",
            json={
                "purpose": "analytics",
                "items": [{"subject_id": "sub_" + "0" * 32, "field": "email"}] * 1001,
            },
        ),
        422,
        "invalid_input",
        "at most 1000 items",
    ),
    "oversize body": (
        lambda env, t: _post(env, "/v1/subjects", b'{"fields": {"address": "' + b"x" * 600_000 + b'"}}'),
        413,
        "payload_too_large",
        "larger than 524288 bytes",
    ),
    "unknown token format": (
        lambda env, t: env.call(
            "POST",
            "/v1/tokens/detokenize",
            json={"purpose": "support.contact", "tokens": [t["email"], "tok:x:1"]},
        ),
        422,
        "invalid_token",
        "tokens[1]: unknown token format",
    ),
    "token of an unknown cell": (
        lambda env, t: env.call(
            "POST",
            "/v1/tokens/detokenize",
            json={"purpose": "support.contact", "tokens": ["tok:r:xx-nowhere-1:1:" + "a" * 26]},
        ),
        422,
        "invalid_token",
        "tokens[0]: token names cell 'xx-nowhere-1'",
    ),
    "wrong content type": (
        lambda env, t: _post(env, "/v1/subjects", json.dumps({"fields": RU_PERSON}).encode(), "text/plain"),
        415,
        "unsupported_media_type",
        "must be application/json",
    ),
    "form content type": (
        lambda env, t: _post(env, "/v1/search", b"field=phone&value=1", "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
        "application/x-www-form-urlencoded",
    ),
    "missing content type": (
        lambda env, t: _post(env, "/v1/subjects", json.dumps({"fields": RU_PERSON}).encode(), None),
        415,
        "unsupported_media_type",
        "got content type 'none'",
    ),
    "unknown field": (
        lambda env, t: env.call("POST", "/v1/subjects", json={"fields": {**RU_PERSON, "shoe_size": "42"}}),
        422,
        "unknown_field",
        "unknown field 'shoe_size'",
    ),
    "invalid phone": (
        lambda env, t: env.call("POST", "/v1/subjects", json={"fields": {**RU_PERSON, "phone": "+7 12"}}),
        422,
        "invalid_input",
        "field 'phone': not a valid phone number",
    ),
    "extra key": (
        lambda env, t: env.call("POST", "/v1/subjects", json={"fields": RU_PERSON, "owner": "x"}),
        422,
        "invalid_input",
        "body.owner: Extra inputs are not permitted",
    ),
    "bad purpose": (
        lambda env, t: env.call(
            "POST", "/v1/tokens/detokenize", json={"purpose": "Why?", "tokens": [t["email"]]}
        ),
        422,
        "invalid_input",
        "body.purpose",
    ),
    "not a subject id": (
        lambda env, t: env.call("GET", "/v1/subjects/12345", params={"purpose": "support.ticket"}),
        422,
        "invalid_input",
        "path.subject_id",
    ),
    "unknown subject": (
        lambda env, t: env.call("GET", "/v1/subjects/sub_" + "a" * 32, params={"purpose": "support.ticket"}),
        404,
        "not_found",
        "not found in any cell",
    ),
    "no API key": (
        lambda env, t: env.http.post("/v1/subjects", json={"fields": RU_PERSON}),
        401,
        "unauthenticated",
        "missing API key",
    ),
    "wrong API key": (
        lambda env, t: env.http.post(
            "/v1/subjects",
            json={"fields": RU_PERSON},
            headers={"Authorization": "Bearer dmk_aaaaaaaaaaaa." + "b" * 52},
        ),
        401,
        "unauthenticated",
        "invalid or revoked API key",
    ),
    "unknown route": (lambda env, t: env.call("GET", "/v1/nothing-here"), 404, "not_found", "Not Found"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_clearly_and_stores_nothing(env: Env, case: str) -> None:
    """Each bad request gets its status, a stable code and a readable reason; state is unchanged."""
    tokens = env.ru_subject().tokens
    before = _state(env)
    send, status, code, reason = CASES[case]
    response = send(env, tokens)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert reason in body["message"], body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert _state(env) == before
    assert not [v for v in RU_PERSON.values() if v in body["message"]]


def test_batch_of_exactly_1000_is_accepted(env: Env) -> None:
    """The limit is inclusive: 1,000 tokens in one call are resolved (unknown ones as not_found)."""
    s = env.ru_subject()
    tokens = [s.tokens["email"]] + [random_token("ru-msk-1", 1) for _ in range(999)]
    response = env.call(
        "POST", "/v1/tokens/detokenize", json={"purpose": "support.contact", "tokens": tokens}
    )
    assert response.status_code == 200, response.text
    statuses = [v["status"] for v in response.json()["values"]]
    assert statuses[0] == "ok" and set(statuses[1:]) == {"not_found"} and len(statuses) == 1000


def test_erased_tokens_come_back_marked(env: Env) -> None:
    """After erasure the token resolves to status erased, without a value (PD-DSR-6)."""
    s = env.ru_subject()
    env.dom.erase(s.subject_id, actor="t")
    response = env.call(
        "POST", "/v1/tokens/detokenize", json={"purpose": "support.contact", "tokens": [s.tokens["phone"]]}
    )
    value = response.json()["values"][0]
    assert value["status"] == "erased" and value["value"] is None


def test_pd_in_an_invalid_key_is_not_echoed(env: Env) -> None:
    """A field name that is not a name (here: a surname) is masked in the validation message."""
    response = env.call("POST", "/v1/subjects", json={"fields": {"Смирнова": "x"}})
    assert response.status_code == 422 and "Смирнова" not in response.text


def test_revoked_key_is_refused_at_once(env: Env) -> None:
    """Revoking a key makes its next request a 401."""
    key = env.key(Role.APP, "RU")
    assert env.call("GET", "/v1/transfers/adequacy", Role.ADMIN).status_code == 200
    env.runtime.gateway.keys.revoke(key.split(".")[0].removeprefix("dmk_"))
    assert (
        env.call("POST", "/v1/search", json={"field": "phone", "value": "1", "purpose": "a.b.c"}).status_code
        == 401
    )


def test_tokenize_batch_with_one_bad_item_writes_nothing(env: Env) -> None:
    """Item 1 names a field the subject lacks: 422 naming items[1], and no token of item 0 is issued."""
    s = env.ru_subject()
    before = _state(env)
    items = [{"subject_id": s.subject_id, "field": "family_name", "kind": "deterministic", "scope": "x"}]
    items.append({"subject_id": s.subject_id, "field": "snils"})
    response = env.call("POST", "/v1/tokens/tokenize", json={"purpose": "analytics", "items": items})
    assert response.status_code == 422 and response.json()["message"].startswith("items[1]:")
    assert _state(env) == before


def test_ledger_failure_releases_nothing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ledger entry, no release: the values stay home and the cell's audit is unchanged (fail closed)."""
    from domicile.core.errors import StoreError

    s = env.ru_subject()
    env.notice("DE")
    before = _state(env)

    def broken(**kwargs: object) -> None:
        raise StoreError("gateway database error (OperationalError)")

    monkeypatch.setattr(env.runtime.gateway.records, "append_ledger", broken)
    body = {"purpose": "support.contact", "tokens": [s.tokens["email"], s.tokens["phone"]]}
    response = env.call("POST", "/v1/tokens/detokenize", location="DE", json=body)
    assert response.status_code == 503 and "value" not in response.json()
    assert RU_PERSON["email"] not in response.text
    assert _state(env) == before
