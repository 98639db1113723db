"""The Python client, sync and async: typed results, typed errors, retries that never write twice."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import httpx
import pytest
from gateway_helpers import RU_PERSON, RU_SIGNALS, Env, subject_count
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.client import (
    ApiNotFoundError,
    AsyncDomicileClient,
    BadRequestError,
    DomicileClient,
    ErasedError,
    RetryPolicy,
    TokenItem,
    TransferRefusedError,
    UnauthorizedError,
    UnavailableError,
)
from domicile.client.errors import (
    ForbiddenError,
    IdempotencyConflictError,
    ServerError,
    WriteConflictError,
    error_from_response,
)
from domicile.client.testing import AppTransport
from domicile.core.errors import InputError, NotFoundError, PolicyError, StoreError, SubjectErasedError
from domicile.gateway.authz import Role

BASE = "http://gateway.test"


def _client(env: Env, role: Role = Role.APP, location: str = "RU", **kw: object) -> DomicileClient:
    """A client on its own in-process transport (closing the client closes only that)."""
    return DomicileClient(BASE, env.key(role, location), transport=AppTransport(env.app), **kw)  # type: ignore[arg-type]


def test_sync_client_round_trip(env: Env) -> None:
    """Create, read, patch, tokenize, detokenize, search and erase return typed values (PD-LOC-1)."""
    with _client(env) as gw:
        created = gw.create_subject(RU_PERSON, RU_SIGNALS)
        assert created.cell == "ru-msk-1" and created.rule == "strong:citizenship"
        assert set(created.tokens) == set(RU_PERSON)
        subject = gw.get_subject(created.subject_id, purpose="support.ticket", fields=["phone"])
        assert subject.values == {"phone": RU_PERSON["phone"]} and subject.transfer is None
        patched = gw.patch_subject(created.subject_id, {"given_name": "Мария"})
        assert patched.record_version == 2 and patched.updated_fields == ("given_name",) and not patched.moved
        issued = gw.tokenize(
            [TokenItem(created.subject_id, "family_name", "deterministic", "analytics")], purpose="analytics"
        )
        assert issued[0].token.startswith("tok:d:ru-msk-1:")
        result = gw.detokenize([issued[0].token, created.tokens["email"]], purpose="support.contact")
        assert result.by_token() == {
            issued[0].token: RU_PERSON["family_name"],
            created.tokens["email"]: RU_PERSON["email"],
        }
        hits = gw.search("phone", RU_PERSON["phone"], purpose="support.lookup")
        assert [h.subject_id for h in hits] == [created.subject_id]
        erased = gw.erase_subject(created.subject_id)
        assert erased.tokens_dead >= 6
        with pytest.raises(ErasedError) as info:
            gw.get_subject(created.subject_id, purpose="support.ticket")
        assert isinstance(info.value, SubjectErasedError) and info.value.status == 410


def test_typed_errors(env: Env) -> None:
    """403 transfer refusals carry rule and legal source; 401/404/422 map into the core error tree."""
    created = env.ru_subject()
    with _client(env, location="DE") as gw, pytest.raises(TransferRefusedError) as info:
        gw.detokenize([created.tokens["phone"]], purpose="support.contact")
    err = info.value
    assert (
        isinstance(err, PolicyError) and err.rule == "ru.xb.notice" and "PD-XB-2" in (err.legal_source or "")
    )
    assert err.status == 403 and err.request_id and err.evidence["destination"] == "DE"
    with _client(env, Role.ADMIN) as gw, pytest.raises(ForbiddenError) as denied:
        gw.get_subject(created.subject_id, purpose="support.ticket")
    assert denied.value.rule == "gateway.authz" and not isinstance(denied.value, TransferRefusedError)
    with (
        DomicileClient(BASE, "dmk_nope", transport=AppTransport(env.app)) as gw,
        pytest.raises(UnauthorizedError),
    ):
        gw.notices()
    with _client(env) as gw:
        with pytest.raises(ApiNotFoundError) as missing:
            gw.get_subject("sub_" + "0" * 32, purpose="support.ticket")
        assert isinstance(missing.value, NotFoundError)
        with pytest.raises(BadRequestError) as bad:
            gw.detokenize(["not a token"], purpose="support.contact")
        assert isinstance(bad.value, InputError) and bad.value.code == "invalid_token"


class Flaky:
    """A transport that fails the first *failures* attempts, then forwards to the app."""

    def __init__(self, env: Env, failures: list[str]) -> None:
        self.env = env
        self.failures = list(failures)
        self.keys: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.keys.append(request.headers.get("idempotency-key"))
        kind = self.failures.pop(0) if self.failures else None
        if kind == "connect":
            raise httpx.ConnectError("refused", request=request)
        if kind == "503":
            return httpx.Response(503, json={"status": 503, "code": "unavailable", "message": "busy"})
        response = self.env.transport.handle_request(request)
        if kind == "timeout-after":  # the gateway did the work, but the answer was lost
            raise httpx.ReadTimeout("lost", request=request)
        return response


def test_retries_reuse_the_idempotency_key_and_write_once(env: Env) -> None:
    """A lost answer, a 503 and a refused connection are retried with one key: one subject (PD-LOC-1)."""
    flaky = Flaky(env, ["timeout-after", "503", "connect"])
    sleeps: list[float] = []
    gw = DomicileClient(BASE, env.key(), transport=httpx.MockTransport(flaky), sleep=sleeps.append)
    created = gw.create_subject(RU_PERSON, RU_SIGNALS)
    gw.close()
    assert len(flaky.keys) == 4 and len(set(flaky.keys)) == 1 and flaky.keys[0]
    assert len(sleeps) == 3 and all(0 <= s <= 2.0 for s in sleeps)
    assert subject_count(env.dom) == 1
    assert env.dom.locate(created.subject_id)[0].name == "ru-msk-1"


def test_retries_give_up_with_a_typed_error(env: Env) -> None:
    """After max_retries the client raises UnavailableError naming the attempts."""
    flaky = Flaky(env, ["503"] * 10)
    sleeps: list[float] = []
    policy = RetryPolicy(max_retries=2, backoff=0.01)
    with (
        DomicileClient(
            BASE, env.key(), transport=httpx.MockTransport(flaky), retry=policy, sleep=sleeps.append
        ) as gw,
        pytest.raises(UnavailableError) as info,
    ):
        gw.create_subject(RU_PERSON, RU_SIGNALS)
    assert info.value.status == 503 and isinstance(info.value, StoreError)
    assert len(flaky.keys) == 3 and len(sleeps) == 2
    assert subject_count(env.dom) == 0


def test_key_creation_is_not_retried_after_an_ambiguous_failure(env: Env) -> None:
    """Creating an API key is not idempotent: a lost answer is reported, not re-sent."""
    flaky = Flaky(env, ["timeout-after"])
    with (
        DomicileClient(
            BASE, env.key(Role.ADMIN), transport=httpx.MockTransport(flaky), sleep=lambda s: None
        ) as gw,
        pytest.raises(UnavailableError),
    ):
        gw.create_api_key("svc-x", "app", "DE")
    assert len(flaky.keys) == 1


def test_async_client(env: Env) -> None:
    """The async client gives the same typed results and errors over httpx's ASGI transport."""

    async def scenario() -> tuple[str, str, str | None]:
        transport = httpx.ASGITransport(app=env.app)
        async with AsyncDomicileClient(BASE, env.key(), transport=transport) as gw:
            created = await gw.create_subject(RU_PERSON, RU_SIGNALS, idempotency_key="async-1")
            again = await gw.create_subject(RU_PERSON, RU_SIGNALS, idempotency_key="async-1")
            assert again == created
            result = await gw.detokenize([created.tokens["email"]], purpose="support.contact")
        async with AsyncDomicileClient(BASE, env.key(Role.APP, "DE"), transport=transport) as foreign:
            try:
                await foreign.get_subject(created.subject_id, purpose="profile.view")
            except TransferRefusedError as exc:
                rule = exc.rule
            else:  # pragma: no cover - the assertion below fails
                rule = None
        return created.cell, result.values[0].value or "", rule

    cell, value, rule = asyncio.run(scenario())
    assert (cell, value, rule) == ("ru-msk-1", RU_PERSON["email"], "ru.xb.notice")
    assert subject_count(env.dom) == 1


def test_async_retries(env: Env) -> None:
    """Async retries sleep through the injected coroutine and reuse the key."""
    keys: list[str | None] = []
    answers = [503, 503, 201]

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers.get("idempotency-key"))
        status = answers.pop(0)
        if status == 503:
            return httpx.Response(
                503, headers={"retry-after": "0"}, json={"code": "unavailable", "message": "x"}
            )
        body = {
            "subject_id": "sub_" + "1" * 32,
            "cell": "ru-msk-1",
            "jurisdiction": "RU",
            "rule": "r",
            "tokens": {},
        }
        return httpx.Response(201, json=body)

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def scenario() -> str:
        async with AsyncDomicileClient(
            BASE, "dmk_x", transport=httpx.MockTransport(handler), sleep=sleep
        ) as gw:
            return (await gw.create_subject({"given_name": "A"})).subject_id

    assert asyncio.run(scenario()) == "sub_" + "1" * 32
    assert len(keys) == 3 and len(set(keys)) == 1 and slept == [0.0, 0.0]


@settings(max_examples=80, deadline=None)
@given(attempt=st.integers(0, 12), seed=st.integers(0, 2**32), retry_after=st.none() | st.integers(0, 100))
def test_backoff_is_bounded(attempt: int, seed: int, retry_after: int | None) -> None:
    """Delays grow at most exponentially, never exceed the cap, and honour Retry-After (capped)."""
    policy = RetryPolicy(backoff=0.1, max_backoff=2.0)
    delay = policy.delay(attempt, random.Random(seed), None if retry_after is None else str(retry_after))
    if retry_after is None:
        assert 0 <= delay <= min(2.0, 0.1 * 2**attempt)
    else:
        assert delay == min(float(retry_after), 8.0)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "unauthenticated", UnauthorizedError),
        (403, "forbidden", ForbiddenError),
        (403, "transfer_refused", TransferRefusedError),
        (409, "idempotency_conflict", IdempotencyConflictError),
        (409, "write_conflict", WriteConflictError),
        (404, "not_found", ApiNotFoundError),
        (410, "subject_erased", ErasedError),
        (415, "unsupported_media_type", BadRequestError),
        (503, "unavailable", UnavailableError),
        (500, "internal_error", ServerError),
    ],
)
def test_error_mapping(status: int, code: str, cls: type[Exception]) -> None:
    """Each status maps to exactly one typed error, keeping the code and the message."""
    err = error_from_response(status, {"code": code, "message": "m", "request_id": "r1"})
    assert type(err) is cls and err.code == code and err.message == "m" and err.request_id == "r1"


def test_notice_recorded_through_the_client_takes_effect_once_filed(env: Env) -> None:
    """A notice recorded through the client takes effect for transfers once filed (PD-XB-2)."""
    s = env.ru_subject()

    def dpo() -> DomicileClient:
        return _client(env, Role.DPO, "RU")

    with dpo() as gw:
        notice = gw.record_notice(
            "DE", "RKN-9", env.clock.now() + timedelta(hours=1), "Beispiel GmbH", assessed_on="2026-05-20"
        )
        assert notice.destination == "DE" and notice.withdrawn_at is None
    with _client(env, location="DE") as foreign:
        with pytest.raises(TransferRefusedError):
            foreign.detokenize([s.tokens["email"]], purpose="support.contact")
        env.clock.advance(timedelta(hours=2))
        result = foreign.detokenize([s.tokens["email"]], purpose="support.contact")
        assert result.transfers[0].destination == "DE" and result.transfers[0].notice_id == notice.id
    with dpo() as gw:
        (entry,) = gw.ledger(destination="DE")
        assert entry.categories == ("contact",) and entry.principal == "t-app-de"
        check = gw.check_transfer("US", purpose="support.contact", categories=["contact"])
        assert not check.allowed and check.checks[-1][0] == "ru.xb.notice"
