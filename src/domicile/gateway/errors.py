"""Gateway errors and the one table that turns any domicile error into an HTTP status.

::

    DomicileError                         (domicile.core.errors)
    ├── PolicyError
    │   ├── AuthenticationError           401: no, unknown, malformed or revoked API key
    │   └── RuleRefusal                   403: a named rule refused; carries rule id + legal source
    │       ├── AccessDenied              the authorization matrix (gateway.authz)
    │       └── TransferRefused           a cross-border rule (ru.xb.notice, ru.xb.wait, ...)
    ├── InputError
    │   ├── MalformedJsonError            400
    │   ├── IdempotencyConflictError      409: same key, different request
    │   │   └── IdempotencyInProgressError  409: the first attempt is still running (retry later)
    │   ├── PayloadTooLargeError          413
    │   └── UnsupportedMediaTypeError     415
    ├── NotFoundError
    │   └── GatewayRecordNotFoundError    404: API key, notice or kill switch
    └── StoreError                        503
        ├── ConflictError                 409 write_conflict: a concurrent writer won; retry (core)
        └── NotReadyError                 503

:func:`http_status` is the only place a status code is chosen (style rule 10); the
handlers in :mod:`domicile.gateway.app` render every error as :class:`ErrorBody` JSON.
Messages never carry PD values: they name fields, indexes, ids and rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from domicile.core import errors as e

#: Scalars allowed in refusal evidence (PD-free: ids, countries, dates, rule ids, counts).
EvidenceValue = str | int | bool | None | list[str]


class AuthenticationError(e.PolicyError):
    """The caller did not present a valid, unrevoked API key."""


class RuleRefusal(e.PolicyError):
    """A named rule refused the operation.

    Args:
        message: Why, in one line, without PD.
        rule: The rule id, e.g. ``ru.xb.notice`` or ``gateway.authz``.
        legal_source: Where the rule comes from (act, article, tag, requirement IDs).
        evidence: PD-free facts the decision rested on.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        legal_source: str,
        evidence: Mapping[str, EvidenceValue] | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.legal_source = legal_source
        self.evidence: Mapping[str, EvidenceValue] = MappingProxyType(dict(evidence or {}))


class AccessDenied(RuleRefusal):
    """The authorization matrix does not let this role do this here."""


class TransferRefused(RuleRefusal):
    """A cross-border transfer rule of the subject's jurisdiction pack refused."""


class MalformedJsonError(e.InputError):
    """The request body is not valid JSON."""


class IdempotencyConflictError(e.InputError):
    """The idempotency key was used for a different request, or that request is still running."""


class IdempotencyInProgressError(IdempotencyConflictError):
    """A request with this idempotency key is still running; retrying later is safe."""


class PayloadTooLargeError(e.InputError):
    """The request body is larger than the configured limit."""


class UnsupportedMediaTypeError(e.InputError):
    """The request body is not ``application/json``."""


class GatewayRecordNotFoundError(e.NotFoundError):
    """No API key, transfer notice or kill switch with that id."""


class NotReadyError(e.StoreError):
    """A cell or the gateway database is not reachable."""


#: (error class, HTTP status, error code), most specific first. The ONE status table.
STATUS_TABLE: tuple[tuple[type[e.DomicileError], int, str], ...] = (
    (AuthenticationError, 401, "unauthenticated"),
    (TransferRefused, 403, "transfer_refused"),
    (AccessDenied, 403, "forbidden"),
    (e.PolicyError, 403, "forbidden"),
    (MalformedJsonError, 400, "malformed_json"),
    (IdempotencyInProgressError, 409, "idempotency_in_progress"),
    (IdempotencyConflictError, 409, "idempotency_conflict"),
    (PayloadTooLargeError, 413, "payload_too_large"),
    (UnsupportedMediaTypeError, 415, "unsupported_media_type"),
    (e.InvalidTokenError, 422, "invalid_token"),
    (e.UnknownFieldError, 422, "unknown_field"),
    (e.InputError, 422, "invalid_input"),
    (e.SubjectErasedError, 410, "subject_erased"),
    (e.NotFoundError, 404, "not_found"),
    (e.KeySourceError, 503, "key_source_unavailable"),
    (e.ConflictError, 409, "write_conflict"),
    (e.StoreError, 503, "unavailable"),
    (e.DeskError, 503, "calendar_unavailable"),
    (e.IntegrityError, 500, "integrity_failure"),
    (e.ConfigError, 500, "configuration_error"),
    (e.DomicileError, 500, "error"),
)


def http_status(exc: e.DomicileError) -> tuple[int, str]:
    """The HTTP status and error code for a domicile error (most specific class first)."""
    for cls, status, code in STATUS_TABLE:
        if isinstance(exc, cls):
            return status, code
    return 500, "error"
