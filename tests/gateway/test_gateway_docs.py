"""docs/gateway.md is a tested artefact: matrix, endpoints, statuses, rules and settings match the code."""

from __future__ import annotations

import re
from pathlib import Path

from gateway_helpers import Env

from domicile.gateway.authz import render_matrix
from domicile.gateway.errors import STATUS_TABLE
from domicile.gateway.settings import GatewaySettings
from domicile.jurisdictions.ru import RussiaPack

DOC = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"


def _doc() -> str:
    return DOC.read_text("utf-8")


def test_matrix_in_docs_is_the_table_in_code() -> None:
    """The block between the authz-matrix markers equals render_matrix() (one table, code and docs)."""
    m = re.search(r"<!-- authz-matrix:begin -->\n(.*?)\n<!-- authz-matrix:end -->", _doc(), re.S)
    assert m is not None
    assert m.group(1) == render_matrix()


def _mounted(path: str) -> str:
    """Mounted routers authorise with their own tables; the desk's complaint form is public."""
    if path.startswith("/v1/desk/") and path != "/v1/desk/form":
        return "(desk)"
    return "(moderation)" if path.startswith("/v1/moderation/") else "(public)"


def test_every_operation_is_documented_with_its_action(env: Env) -> None:
    """Each OpenAPI operation has a row 'METHOD | `path` | `action`' in the endpoint table."""
    spec = env.http.get("/openapi.json").json()
    doc = _doc()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            action = op.get("x-domicile-action")
            cell = f"`{action}`" if action else _mounted(path)
            assert f"| {method.upper()} | `{path}` | {cell} |" in doc, (method, path)


def test_statuses_rules_and_settings_are_documented() -> None:
    """Every status code, RU transfer rule id and gateway setting appears in the docs."""
    doc = _doc()
    for _, status, code in STATUS_TABLE:
        if code in ("error",):
            continue
        assert f"`{code}`" in doc and f"| {status} |" in doc, code
    for rule in RussiaPack.TRANSFER_RULES:
        assert f"`{rule.rule_id}`" in doc, rule.rule_id
    for name in GatewaySettings.model_fields:
        assert f"DOMICILE_GATEWAY_{name.upper()}" in doc, name
