"""Request descriptions shared by the sync and async clients, and the retry policy.

Each gateway operation is a :class:`Call`; the clients differ only in how they send it.
Writes carry an idempotency key (drawn once per call, reused by every retry), so a
retry after a timeout never writes twice.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

from domicile.client.errors import ApiError, error_from_response
from domicile.client.models import TokenItem

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Call:
    """One HTTP request to the gateway."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    idempotency_key: str | None = None
    retry_safe: bool = True  # may be sent again after an ambiguous failure
    text: bool = False  # the answer is text, not JSON

    def headers(self) -> dict[str, str]:
        return {"Idempotency-Key": self.idempotency_key} if self.idempotency_key else {}


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; honours ``Retry-After`` (seconds).

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        backoff: Base delay in seconds.
        max_backoff: Cap of one delay in seconds.
        statuses: Answers worth retrying (plus 409 ``idempotency_in_progress`` and ``write_conflict``).
    """

    max_retries: int = 3
    backoff: float = 0.1
    max_backoff: float = 2.0
    statuses: frozenset[int] = field(default=RETRY_STATUSES)

    def delay(self, attempt: int, rng: random.Random, retry_after: str | None = None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_backoff * 4)
        return rng.uniform(0, min(self.max_backoff, self.backoff * (2**attempt)))

    def retry_answer(self, call: Call, response: httpx.Response, attempt: int) -> bool:
        """Whether to send *call* again after this answer."""
        if attempt >= self.max_retries or not call.retry_safe:
            return False
        if response.status_code in self.statuses:
            return True
        if response.status_code == 409:
            try:
                return response.json().get("code") in ("idempotency_in_progress", "write_conflict")
            except ValueError:
                return False
        return False

    def retry_failure(self, call: Call, exc: httpx.TransportError, attempt: int) -> bool:
        """Whether to send *call* again after a transport failure (a refused connection never arrived)."""
        if attempt >= self.max_retries:
            return False
        return call.retry_safe or isinstance(exc, httpx.ConnectError)


def decode(call: Call, response: httpx.Response) -> Any:
    """The JSON (or text) of a success; the typed :class:`ApiError` of a failure."""
    if 200 <= response.status_code < 300:
        if call.text:
            return response.text
        try:
            return response.json()
        except ValueError:
            raise ApiError("gateway answered with non-JSON", status=response.status_code) from None
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    raise error_from_response(response.status_code, body)


def _key(given: str | None) -> str:
    return given or uuid.uuid4().hex


def _items(items: Sequence[TokenItem | tuple[str, str] | Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, TokenItem):
            out.append(item.to_json())
        elif isinstance(item, tuple):
            out.append(TokenItem(item[0], item[1]).to_json())
        else:
            out.append(dict(item))
    return out


def _iso(value: datetime | date | str) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else value


# -- the calls ------------------------------------------------------------------------------
def health() -> Call:
    return Call("GET", "/v1/health")


def ready() -> Call:
    return Call("GET", "/v1/ready")


def metrics() -> Call:
    return Call("GET", "/v1/metrics", text=True)


def create_subject(
    fields: Mapping[str, str],
    signals: Mapping[str, Any] | None,
    purpose: str,
    tokens: bool,
    idempotency_key: str | None,
) -> Call:
    body: dict[str, Any] = {"fields": dict(fields), "purpose": purpose, "tokens": tokens}
    if signals:
        body["signals"] = dict(signals)
    return Call("POST", "/v1/subjects", json=body, idempotency_key=_key(idempotency_key))


def get_subject(subject_id: str, purpose: str, fields: Sequence[str] | None) -> Call:
    params: dict[str, Any] = {"purpose": purpose}
    if fields:
        params["fields"] = list(fields)
    return Call("GET", f"/v1/subjects/{subject_id}", params=params)


def patch_subject(
    subject_id: str, fields: Mapping[str, str], purpose: str, idempotency_key: str | None
) -> Call:
    body = {"fields": dict(fields), "purpose": purpose}
    return Call("PATCH", f"/v1/subjects/{subject_id}", json=body, idempotency_key=_key(idempotency_key))


def erase_subject(subject_id: str, reason: str, idempotency_key: str | None) -> Call:
    return Call(
        "DELETE",
        f"/v1/subjects/{subject_id}",
        params={"reason": reason},
        idempotency_key=_key(idempotency_key),
    )


def search(field_name: str, value: str, purpose: str, cells: Sequence[str] | None) -> Call:
    body: dict[str, Any] = {"field": field_name, "value": value, "purpose": purpose}
    if cells:
        body["cells"] = list(cells)
    return Call("POST", "/v1/search", json=body)


def tokenize(
    items: Sequence[TokenItem | tuple[str, str] | Mapping[str, Any]],
    purpose: str,
    idempotency_key: str | None,
) -> Call:
    body = {"purpose": purpose, "items": _items(items)}
    return Call("POST", "/v1/tokens/tokenize", json=body, idempotency_key=_key(idempotency_key))


def detokenize(tokens: Sequence[str], purpose: str) -> Call:
    return Call("POST", "/v1/tokens/detokenize", json={"purpose": purpose, "tokens": list(tokens)})


def cells() -> Call:
    return Call("GET", "/v1/cells")


def adequacy(jurisdiction: str) -> Call:
    return Call("GET", "/v1/transfers/adequacy", params={"jurisdiction": jurisdiction})


def notices() -> Call:
    return Call("GET", "/v1/transfers/notices")


def record_notice(
    destination: str,
    reference: str,
    filed_at: datetime | str,
    recipient: str,
    jurisdiction: str,
    categories: Sequence[str],
    purposes: Sequence[str],
    assessed_on: date | str | None,
    idempotency_key: str | None,
) -> Call:
    body: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "destination": destination,
        "reference": reference,
        "filed_at": _iso(filed_at),
        "recipient": recipient,
        "categories": list(categories),
        "purposes": list(purposes),
    }
    if assessed_on is not None:
        body["assessed_on"] = _iso(assessed_on)
    return Call("POST", "/v1/transfers/notices", json=body, idempotency_key=_key(idempotency_key))


def withdraw_notice(notice_id: int) -> Call:
    return Call("POST", f"/v1/transfers/notices/{int(notice_id)}/withdraw")


def kill_switches(active: bool) -> Call:
    return Call("GET", "/v1/transfers/kill-switches", params={"active": str(active).lower()})


def engage_kill_switch(destination: str, decision_ref: str, jurisdiction: str) -> Call:
    body = {"jurisdiction": jurisdiction, "destination": destination, "decision_ref": decision_ref}
    return Call("POST", "/v1/transfers/kill-switches", json=body, idempotency_key=_key(None))


def release_kill_switch(destination: str, jurisdiction: str) -> Call:
    return Call("DELETE", f"/v1/transfers/kill-switches/{jurisdiction}/{destination}")


def ledger(
    destination: str | None, jurisdiction: str | None, since: str | None, after_id: int, limit: int
) -> Call:
    params: dict[str, Any] = {"after_id": after_id, "limit": limit}
    for k, v in (("destination", destination), ("jurisdiction", jurisdiction), ("since", since)):
        if v is not None:
            params[k] = v
    return Call("GET", "/v1/transfers/ledger", params=params)


def check_transfer(destination: str, purpose: str, categories: Sequence[str], jurisdiction: str) -> Call:
    body = {
        "jurisdiction": jurisdiction,
        "destination": destination,
        "categories": list(categories),
        "purpose": purpose,
    }
    return Call("POST", "/v1/transfers/check", json=body)


def list_api_keys() -> Call:
    return Call("GET", "/v1/admin/api-keys")


def create_api_key(principal: str, role: str, location: str, note: str) -> Call:
    body = {"principal": principal, "role": role, "location": location, "note": note}
    return Call("POST", "/v1/admin/api-keys", json=body, retry_safe=False)


def revoke_api_key(key_id: str) -> Call:
    return Call("DELETE", f"/v1/admin/api-keys/{key_id}")
