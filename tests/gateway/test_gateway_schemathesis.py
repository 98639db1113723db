"""Schemathesis against the app's own OpenAPI document, in-process and bounded: no 5xx, no schema errors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from gateway_helpers import START, Env, build_env, memory_domicile
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domicile.core.clock import FixedClock
from domicile.gateway.authz import Role
from domicile.settings import DomicileSettings

MAX_EXAMPLES = 10  # per operation and generation mode: ~15-20 s for the whole API
CALLERS = [(Role.APP, "RU"), (Role.DPO, "DE"), (Role.ADMIN, "RU")]


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One app for the whole run: memory cells, a German notice, one Russian subject, a desk."""
    clock = FixedClock(START)
    tmp = tmp_path_factory.mktemp("fuzz")
    # A desk data folder, so the mounted /v1/desk routes are live (not 503) under the fuzzer too.
    env = build_env(memory_domicile(tmp, clock), clock, desk_data=DomicileSettings(data_dir=tmp / "data"))
    env.notice("DE", filed=START - timedelta(days=30))
    env.ru_subject()
    yield env
    env.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_env: Env) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_env.app)


def not_a_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, ever (the schemathesis built-in, restated so the assertion names the request)."""
    assert response.status_code < 500, (
        f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    )
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _fuzz(api_schema: Any, env: Env, mode: GenerationMode) -> list[str]:
    """Run every operation with generated cases; return one line per failing operation."""
    failures: list[str] = []
    operations = [r.ok() for r in api_schema.get_all_operations()]
    turn = itertools.count()
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case: Any) -> None:
            role, location = CALLERS[next(turn) % len(CALLERS)]  # each caller gets a third of the cases
            case.call_and_validate(headers=env.auth(role, location), checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            continue  # nothing to negate: the operation takes no input
        except Exception as exc:  # collect, then report every failing operation at once
            failures.append(f"{operation.method.upper()} {operation.path}: {type(exc).__name__}: {exc}"[:800])
    return failures


@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"]
)
def test_api_conforms_to_its_own_schema(api_schema: Any, fuzz_env: Env, mode: GenerationMode) -> None:
    """Generated requests from three callers get documented statuses and schema-valid bodies, never 5xx."""
    failures = _fuzz(api_schema, fuzz_env, mode)
    assert failures == [], "\n".join(failures)


def test_openapi_document_is_versioned_and_complete(fuzz_env: Env) -> None:
    """OpenAPI 3 at /openapi.json: every API path is under /v1 and every operation documents its errors."""
    spec = fuzz_env.http.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert all(path.startswith("/v1/") for path in spec["paths"])
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path not in ("/v1/health", "/v1/metrics", "/v1/ready"):
                assert {"401", "403", "422"} <= set(op["responses"]), (method, path)
    assert "ApiKey" in spec["components"]["securitySchemes"]
