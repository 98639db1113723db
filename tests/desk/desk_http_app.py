"""A small FastAPI app mounting the desk router, with a header-based test authenticator."""

from __future__ import annotations

import warnings

from fastapi import FastAPI, Header, HTTPException
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette >= 1.0 prefers httpx2; httpx works the same here
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from domicile.desk.http import DeskCaller, DeskRole, create_desk_router
from domicile.desk.models import AuthorityType
from domicile.desk.service import Desk

PREFIX = "/v1/desk"
__all__ = ["PREFIX", "TestClient", "caller_header", "make_client"]


def caller_header(principal: str, *roles: str, authority: str = "") -> dict[str, str]:
    """Headers that the test authenticator turns into a DeskCaller."""
    return {"X-Test-Caller": f"{principal};{','.join(roles)};{authority}"}


def make_client(desk: Desk) -> TestClient:
    """A TestClient over an app that mounts the desk router under /v1/desk."""

    def get_desk() -> Desk:
        return desk

    def authenticate(x_test_caller: str | None = Header(default=None)) -> DeskCaller:
        if not x_test_caller:
            raise HTTPException(status_code=401, detail="no credentials")
        principal, roles, authority = x_test_caller.split(";")
        return DeskCaller(
            principal,
            frozenset(DeskRole(r) for r in roles.split(",") if r),
            AuthorityType(authority) if authority else None,
        )

    app = FastAPI()
    app.include_router(create_desk_router(get_desk, authenticate), prefix=PREFIX)
    return TestClient(app)
