"""Typed errors of the gateway client, placed in the core error tree.

::

    DomicileError
    └── ApiError                          any error answer (status, code, request id)
        ├── UnauthorizedError  (PolicyError)     401
        ├── ForbiddenError     (PolicyError)     403 by the authorization matrix
        │   └── TransferRefusedError             403 by a cross-border rule (rule, legal_source)
        ├── BadRequestError    (InputError)      400, 413, 415, 422
        ├── IdempotencyConflictError (InputError) 409 idempotency key reused (or still in progress)
        ├── WriteConflictError (ConflictError)   409 a concurrent writer won (retried automatically)
        ├── ApiNotFoundError   (NotFoundError)   404
        │   └── ErasedError (SubjectErasedError) 410
        ├── UnavailableError   (StoreError)      503, 429, 502, 504, or no connection (after retries)
        └── ServerError                          500 and anything else

:func:`error_from_response` is the one place a response becomes an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from domicile.core import errors as e


class ApiError(e.DomicileError):
    """The gateway answered with an error.

    Attributes:
        status: HTTP status (0 when no answer came).
        code: The gateway's stable error code, e.g. ``transfer_refused``.
        request_id: The gateway's request id (quote it in reports).
        rule: For refusals, the rule id (``ru.xb.notice``, ``gateway.authz``).
        legal_source: For refusals, where the rule comes from.
        evidence: For refusals, the PD-free facts the decision rested on.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "error",
        request_id: str | None = None,
        rule: str | None = None,
        legal_source: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.rule = rule
        self.legal_source = legal_source
        self.evidence: Mapping[str, Any] = MappingProxyType(dict(evidence or {}))


class UnauthorizedError(ApiError, e.PolicyError):
    """No valid API key (401)."""


class ForbiddenError(ApiError, e.PolicyError):
    """Refused by the authorization matrix (403)."""


class TransferRefusedError(ForbiddenError):
    """Refused by a cross-border transfer rule (403); ``rule`` and ``legal_source`` say which."""


class BadRequestError(ApiError, e.InputError):
    """The request was malformed or invalid (400, 413, 415, 422)."""


class IdempotencyConflictError(ApiError, e.InputError):
    """The idempotency key was used for another request, or that request still runs (409)."""


class WriteConflictError(ApiError, e.ConflictError):
    """A concurrent writer changed the subject first (409); the client retries these."""


class ApiNotFoundError(ApiError, e.NotFoundError):
    """No such subject or record (404)."""


class ErasedError(ApiError, e.SubjectErasedError):
    """The subject was erased (410)."""


class UnavailableError(ApiError, e.StoreError):
    """The gateway or a cell is unavailable, or could not be reached (after retries)."""


class ServerError(ApiError):
    """The gateway failed (500)."""


def error_from_response(status: int, body: object) -> ApiError:
    """The typed exception for an error response (its JSON body, if any)."""
    data: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    code = str(data.get("code") or "error")
    message = str(data.get("message") or f"HTTP {status}")
    evidence = data.get("evidence")
    cls: type[ApiError]
    if status == 401:
        cls = UnauthorizedError
    elif status == 403:
        cls = TransferRefusedError if code == "transfer_refused" else ForbiddenError
    elif status == 409:
        cls = WriteConflictError if code == "write_conflict" else IdempotencyConflictError
    elif status == 404:
        cls = ApiNotFoundError
    elif status == 410:
        cls = ErasedError
    elif status in (429, 502, 503, 504):
        cls = UnavailableError
    elif 400 <= status < 500:
        cls = BadRequestError
    else:
        cls = ServerError
    return cls(
        message,
        status=status,
        code=code,
        request_id=_opt(data.get("request_id")),
        rule=_opt(data.get("rule")),
        legal_source=_opt(data.get("legal_source")),
        evidence=evidence if isinstance(evidence, Mapping) else None,
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
