"""Python client of the domicile gateway: sync and async, typed, retrying with idempotency keys.

Needs ``httpx`` (the ``[client]`` extra). See ``docs/gateway.md``.

Example:
    >>> from domicile.client import DomicileClient  # doctest: +SKIP
    >>> with DomicileClient("http://127.0.0.1:8787", "dmk_...") as gw:  # doctest: +SKIP
    ...     s = gw.create_subject({"phone": "+79161234567"}, {"citizenship": ["RU"]})
    ...     gw.detokenize([s.tokens["phone"]], purpose="support.contact")
"""

from __future__ import annotations

from domicile.client._calls import RetryPolicy
from domicile.client.aio import AsyncDomicileClient
from domicile.client.errors import (
    ApiError,
    ApiNotFoundError,
    BadRequestError,
    ErasedError,
    ForbiddenError,
    IdempotencyConflictError,
    ServerError,
    TransferRefusedError,
    UnauthorizedError,
    UnavailableError,
    WriteConflictError,
)
from domicile.client.models import (
    ApiKey,
    CreatedSubject,
    DetokenizedValue,
    DetokenizeResult,
    Erased,
    IssuedToken,
    KillSwitch,
    LedgerEntry,
    Notice,
    PatchedSubject,
    Ready,
    SearchHit,
    Subject,
    TokenItem,
    TransferCheck,
    TransferNote,
)
from domicile.client.sync import DomicileClient

__all__ = [
    "ApiError",
    "ApiKey",
    "ApiNotFoundError",
    "AsyncDomicileClient",
    "BadRequestError",
    "CreatedSubject",
    "DetokenizeResult",
    "DetokenizedValue",
    "DomicileClient",
    "Erased",
    "ErasedError",
    "ForbiddenError",
    "IdempotencyConflictError",
    "IssuedToken",
    "KillSwitch",
    "LedgerEntry",
    "Notice",
    "PatchedSubject",
    "Ready",
    "RetryPolicy",
    "SearchHit",
    "ServerError",
    "Subject",
    "TokenItem",
    "TransferCheck",
    "TransferNote",
    "TransferRefusedError",
    "UnauthorizedError",
    "UnavailableError",
    "WriteConflictError",
]
