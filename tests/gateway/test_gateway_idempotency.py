"""Idempotent writes: retries with one key never duplicate; a reused key for another request is 409."""

from __future__ import annotations

from datetime import timedelta

import httpx
from gateway_helpers import RU_PERSON, RU_SIGNALS, Env, subject_count

from domicile.core.clock import FixedClock
from domicile.gateway.authz import Role
from domicile.gateway.idempotency import IdempotencyStore
from domicile.gateway.schemas import SubjectCreate
from domicile.gateway.store import GatewayStore, idempotency


def _subjects(env: Env) -> int:
    return subject_count(env.dom)


def _create(env: Env, key: str | None, fields: dict[str, str] | None = None, **kw: str) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    body = {"fields": fields or RU_PERSON, "signals": RU_SIGNALS}
    return env.call("POST", "/v1/subjects", headers=headers, json=body, **kw)


def test_same_write_three_times_leaves_one_subject(env: Env) -> None:
    """Three identical POSTs with one key: one subject, identical bodies, the last two marked as replays."""
    responses = [_create(env, "signup-7f3a") for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert len({r.text for r in responses}) == 1
    assert [r.headers["idempotent-replayed"] for r in responses] == ["false", "true", "true"]
    assert _subjects(env) == 1
    with env.dom.cell("ru-msk-1").session() as s:
        puts = [r for r in s.audit.iter_records() if r.action == "subject.put"]
    assert len(puts) == 1


def test_without_a_key_each_write_is_new(env: Env) -> None:
    """No key: two POSTs store two subjects (the key is what makes a retry safe)."""
    _create(env, None)
    _create(env, None)
    assert _subjects(env) == 2


def test_reused_key_with_another_body_is_a_conflict(env: Env) -> None:
    """Same key, different fields: 409, nothing stored by the second request."""
    assert _create(env, "k-1").status_code == 201
    other = _create(env, "k-1", {**RU_PERSON, "given_name": "Мария"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    assert _subjects(env) == 1


def test_keys_are_scoped_per_principal(env: Env) -> None:
    """Two callers may use the same key string without seeing each other's responses."""
    first = _create(env, "shared-key", location="RU")
    second = _create(env, "shared-key", location="DE")
    assert first.status_code == second.status_code == 201
    assert first.json()["subject_id"] != second.json()["subject_id"]
    assert _subjects(env) == 2


def test_failed_attempt_can_be_retried_with_the_same_key(env: Env) -> None:
    """A refused write (4xx) is not remembered: after the cause is fixed the same key works."""
    s = env.ru_subject()
    body = {"purpose": "analytics", "items": [{"subject_id": s.subject_id, "field": "inn"}]}
    headers = {"Idempotency-Key": "tok-1"}
    failed = env.call("POST", "/v1/tokens/tokenize", headers=headers, json=body)
    assert failed.status_code == 422 and "no value for field 'inn'" in failed.json()["message"]
    body["items"][0]["field"] = "family_name"  # type: ignore[index]
    # a different body under the same key is still a conflict only if the first one was stored
    ok = env.call("POST", "/v1/tokens/tokenize", headers=headers, json=body)
    assert ok.status_code == 200
    again = env.call("POST", "/v1/tokens/tokenize", headers=headers, json=body)
    assert again.json() == ok.json() and again.headers["idempotent-replayed"] == "true"


def test_patch_and_erase_replay(env: Env) -> None:
    """PATCH and DELETE with a key replay their first answer (the second erase is not a 410)."""
    s = env.ru_subject()
    path = f"/v1/subjects/{s.subject_id}"
    for _ in range(2):
        patched = env.call(
            "PATCH", path, headers={"Idempotency-Key": "p1"}, json={"fields": {"given_name": "Ира"}}
        )
        assert patched.status_code == 200 and patched.json()["record_version"] == 2
    for _ in range(2):
        erased = env.call("DELETE", path, headers={"Idempotency-Key": "e1"})
        assert erased.status_code == 200 and erased.json()["ledger_seq"] == 1
    assert env.call("DELETE", path).status_code == 410


def test_bad_key_is_refused(env: Env) -> None:
    """A key with spaces or over 255 characters is a 422 naming the header; nothing stored."""
    for key in ("has space", "x" * 256):
        response = _create(env, key)
        assert response.status_code == 422 and "Idempotency-Key" in response.json()["message"]
    assert _subjects(env) == 0


def test_records_expire_and_stale_attempts_are_taken_over(clock: FixedClock) -> None:
    """After the TTL a key starts afresh; an in-progress row older than the stale limit is taken over."""
    store = GatewayStore.open("sqlite://")
    idem = IdempotencyStore(store, clock, b"k" * 32, ttl=timedelta(hours=1))
    calls: list[int] = []

    def write() -> tuple[int, str]:
        calls.append(1)
        return 201, f'{{"n": {len(calls)}}}'

    first = idem.run("p", "key", "POST", "/x", b"{}", write)
    assert idem.run("p", "key", "POST", "/x", b"{}", write).body == first.body
    clock.advance(timedelta(hours=2))
    assert idem.run("p", "key", "POST", "/x", b"{}", write).body != first.body
    assert len(calls) == 2
    with store.begin() as conn:
        conn.execute(idempotency.update().values(state="in_progress", status=None, body=None))
    clock.advance(timedelta(minutes=5))
    assert idem.run("p", "key", "POST", "/x", b"{}", write).replayed is False
    assert len(calls) == 3
    clock.advance(timedelta(days=2))
    assert idem.purge_expired() == 1
    store.close()


def test_in_progress_key_answers_409_in_progress(env: Env) -> None:
    """While the first attempt runs, a retry gets 409 idempotency_in_progress (safe to retry later)."""
    store = env.runtime.store
    idem = env.runtime.idempotency
    payload = SubjectCreate.model_validate({"fields": RU_PERSON, "signals": RU_SIGNALS}).model_dump_json()
    fp = idem.fingerprint("POST", "/v1/subjects", payload.encode())
    with store.begin() as conn:
        conn.execute(
            idempotency.insert().values(
                principal="t-app-ru",
                key="busy",
                method="POST",
                path="/v1/subjects",
                fingerprint=fp,
                state="in_progress",
                status=None,
                body=None,
                created_at="2026-06-01T08:59:59.000000Z",
            )
        )
    response = _create(env, "busy", role=Role.APP.value)
    assert response.status_code == 409 and response.json()["code"] == "idempotency_in_progress"
