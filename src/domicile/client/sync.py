"""The synchronous gateway client (httpx)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any

import httpx

from domicile.client import _calls as c
from domicile.client._calls import Call, RetryPolicy, decode
from domicile.client.errors import UnavailableError
from domicile.client.models import (
    ApiKey,
    CreatedSubject,
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
)

USER_AGENT = "domicile-client/1"


class DomicileClient:
    """Typed access to the gateway; retries transient failures with idempotency keys.

    Args:
        base_url: Where the gateway listens, e.g. ``http://127.0.0.1:8787``.
        api_key: ``dmk_...`` from ``domicile apikeys create``.
        timeout: Seconds per attempt.
        retry: Retry policy (``RetryPolicy(max_retries=0)`` disables retries).
        transport: An httpx transport (tests: ``httpx.MockTransport`` or
            :class:`domicile.client.testing.AppTransport`).
        sleep: Called with each backoff delay (tests pass a recorder).
        rng: Jitter source.

    Example:
        >>> with DomicileClient("http://127.0.0.1:8787", api_key) as gw:  # doctest: +SKIP
        ...     created = gw.create_subject({"phone": "+79161234567"}, {"citizenship": ["RU"]})
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT},
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()

    def __enter__(self) -> DomicileClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send(self, call: Call) -> Any:
        """Send a call, retrying per the policy; the decoded answer or a typed ApiError."""
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method, call.path, json=call.json, params=call.params, headers=call.headers()
                )
            except httpx.TransportError as exc:
                if self.retry.retry_failure(call, exc, attempt):
                    self._sleep(self.retry.delay(attempt, self._rng))
                    attempt += 1
                    continue
                raise UnavailableError(
                    f"gateway unreachable after {attempt + 1} attempt(s): {type(exc).__name__}",
                    code="unreachable",
                ) from None
            if self.retry.retry_answer(call, response, attempt):
                self._sleep(self.retry.delay(attempt, self._rng, response.headers.get("retry-after")))
                attempt += 1
                continue
            return decode(call, response)

    # -- operations ------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return dict(self.send(c.health()))

    def ready(self) -> Ready:
        try:
            data = self.send(c.ready())
        except UnavailableError as exc:
            return Ready(False, {"error": exc.message})
        return Ready(bool(data["ready"]), dict(data["checks"]))

    def metrics(self) -> str:
        return str(self.send(c.metrics()))

    def cells(self) -> list[dict[str, Any]]:
        return list(self.send(c.cells()))

    # -- subjects --------------------------------------------------------------------------
    def create_subject(
        self,
        fields: Mapping[str, str],
        signals: Mapping[str, Any] | None = None,
        *,
        purpose: str = "registration",
        tokens: bool = True,
        idempotency_key: str | None = None,
    ) -> CreatedSubject:
        """Store a subject's PD in its home cell; returns its id, cell and tokens (never values)."""
        call = c.create_subject(fields, signals, purpose, tokens, idempotency_key)
        return CreatedSubject.from_json(self.send(call))

    def get_subject(self, subject_id: str, *, purpose: str, fields: Sequence[str] | None = None) -> Subject:
        """Read PD (audited; from abroad only where the transfer rules allow)."""
        return Subject.from_json(self.send(c.get_subject(subject_id, purpose, fields)))

    def patch_subject(
        self,
        subject_id: str,
        fields: Mapping[str, str],
        *,
        purpose: str = "profile.update",
        idempotency_key: str | None = None,
    ) -> PatchedSubject:
        return PatchedSubject.from_json(
            self.send(c.patch_subject(subject_id, fields, purpose, idempotency_key))
        )

    def erase_subject(
        self, subject_id: str, *, reason: str = "subject-request", idempotency_key: str | None = None
    ) -> Erased:
        return Erased.from_json(self.send(c.erase_subject(subject_id, reason, idempotency_key)))

    def search(
        self, field_name: str, value: str, *, purpose: str, cells: Sequence[str] | None = None
    ) -> list[SearchHit]:
        data = self.send(c.search(field_name, value, purpose, cells))
        return [SearchHit(str(h["subject_id"]), str(h["cell"])) for h in data["hits"]]

    # -- tokens ----------------------------------------------------------------------------
    def tokenize(
        self,
        items: Sequence[TokenItem | tuple[str, str] | Mapping[str, Any]],
        *,
        purpose: str,
        idempotency_key: str | None = None,
    ) -> list[IssuedToken]:
        data = self.send(c.tokenize(items, purpose, idempotency_key))
        return [IssuedToken.from_json(t) for t in data["tokens"]]

    def detokenize(self, tokens: Sequence[str], *, purpose: str) -> DetokenizeResult:
        return DetokenizeResult.from_json(self.send(c.detokenize(tokens, purpose)))

    # -- transfers -------------------------------------------------------------------------
    def adequacy(self, jurisdiction: str = "RU") -> dict[str, Any]:
        return dict(self.send(c.adequacy(jurisdiction)))

    def notices(self) -> list[Notice]:
        return [Notice.from_json(n) for n in self.send(c.notices())]

    def record_notice(
        self,
        destination: str,
        reference: str,
        filed_at: datetime | str,
        recipient: str,
        *,
        jurisdiction: str = "RU",
        categories: Sequence[str] = (),
        purposes: Sequence[str] = (),
        assessed_on: date | str | None = None,
        idempotency_key: str | None = None,
    ) -> Notice:
        call = c.record_notice(
            destination,
            reference,
            filed_at,
            recipient,
            jurisdiction,
            categories,
            purposes,
            assessed_on,
            idempotency_key,
        )
        return Notice.from_json(self.send(call))

    def withdraw_notice(self, notice_id: int) -> Notice:
        return Notice.from_json(self.send(c.withdraw_notice(notice_id)))

    def kill_switches(self, *, active: bool = False) -> list[KillSwitch]:
        return [KillSwitch.from_json(k) for k in self.send(c.kill_switches(active))]

    def engage_kill_switch(
        self, destination: str, decision_ref: str, *, jurisdiction: str = "RU"
    ) -> KillSwitch:
        return KillSwitch.from_json(self.send(c.engage_kill_switch(destination, decision_ref, jurisdiction)))

    def release_kill_switch(self, destination: str, *, jurisdiction: str = "RU") -> KillSwitch:
        return KillSwitch.from_json(self.send(c.release_kill_switch(destination, jurisdiction)))

    def ledger(
        self,
        *,
        destination: str | None = None,
        jurisdiction: str | None = None,
        since: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[LedgerEntry]:
        data = self.send(c.ledger(destination, jurisdiction, since, after_id, limit))
        return [LedgerEntry.from_json(e) for e in data]

    def check_transfer(
        self, destination: str, *, purpose: str, categories: Sequence[str] = (), jurisdiction: str = "RU"
    ) -> TransferCheck:
        return TransferCheck.from_json(
            self.send(c.check_transfer(destination, purpose, categories, jurisdiction))
        )

    # -- API keys --------------------------------------------------------------------------
    def list_api_keys(self) -> list[ApiKey]:
        return [ApiKey.from_json(k) for k in self.send(c.list_api_keys())]

    def create_api_key(self, principal: str, role: str, location: str, note: str = "") -> tuple[ApiKey, str]:
        """A new key and its secret (shown once)."""
        data = self.send(c.create_api_key(principal, role, location, note))
        return ApiKey.from_json(data["key"]), str(data["api_key"])

    def revoke_api_key(self, key_id: str) -> ApiKey:
        return ApiKey.from_json(self.send(c.revoke_api_key(key_id)))
