"""Idempotency keys: a retried write returns the first response instead of writing again.

Per principal, a key names one request: the same key with the same method, path and
body replays the stored response (``Idempotent-Replayed: true``); the same key with a
different request is a 409, and so is a retry while the first attempt still runs.
Only successful (2xx) responses are kept, for ``ttl`` (24 h by default); a failed
attempt leaves nothing, so it can be retried with the same key.

The request is remembered by an HMAC-SHA256 fingerprint under a gateway secret, never
by its body (write bodies carry PD; a plain hash of a phone number is brute-forceable).
Stored responses are write responses: ids and tokens, never PD values.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from domicile.core.clock import Clock, iso_utc
from domicile.core.errors import InputError
from domicile.gateway.errors import IdempotencyConflictError, IdempotencyInProgressError
from domicile.gateway.store import GatewayStore, idempotency, row_dict

KEY_PATTERN = r"^[A-Za-z0-9_.:-]{1,255}$"
_KEY = re.compile(KEY_PATTERN)
IN_PROGRESS, DONE = "in_progress", "done"
STALE_AFTER = timedelta(minutes=2)  # an in-progress row older than this is taken over (crashed attempt)


@dataclass(frozen=True)
class IdempotentResult:
    """What to send back: the status, the JSON body, and whether it is a replay."""

    status: int
    body: str
    replayed: bool


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise InputError("Idempotency-Key must be 1-255 characters of letters, digits and _ . : -")
    return key


class IdempotencyStore:
    """Keys and stored responses in the gateway database."""

    def __init__(
        self, store: GatewayStore, clock: Clock, secret: bytes, ttl: timedelta = timedelta(hours=24)
    ) -> None:
        if len(secret) < 16:
            raise ValueError("idempotency secret must be at least 16 bytes")
        self._store = store
        self._clock = clock
        self._secret = secret
        self._ttl = ttl
        self._calls = 0

    def fingerprint(self, method: str, path: str, payload: bytes) -> str:
        mac = hmac.new(self._secret, digestmod=hashlib.sha256)
        mac.update(f"{method.upper()}\0{path}\0".encode())
        mac.update(payload)
        return mac.hexdigest()

    def run(
        self,
        principal: str,
        key: str | None,
        method: str,
        path: str,
        payload: bytes,
        fn: Callable[[], tuple[int, str]],
    ) -> IdempotentResult:
        """Run *fn* once per (principal, key); replay its stored 2xx response afterwards."""
        if key is None:
            status, body = fn()
            return IdempotentResult(status, body, False)
        check_key(key)
        fp = self.fingerprint(method, path, payload)
        stored = self._begin(principal, key, method, path, fp)
        if stored is not None:
            return stored
        try:
            status, body = fn()
        except BaseException:
            self._abandon(principal, key)
            raise
        if 200 <= status < 300:
            self._complete(principal, key, status, body)
        else:
            self._abandon(principal, key)
        return IdempotentResult(status, body, False)

    def _begin(self, principal: str, key: str, method: str, path: str, fp: str) -> IdempotentResult | None:
        now = self._clock.now()
        self._calls += 1
        if self._calls % 256 == 1:
            self.purge_expired()
        where = (idempotency.c.principal == principal, idempotency.c.key == key)
        with self._store.begin() as conn:
            row = conn.execute(sa.select(idempotency).where(*where)).first()
            if row is not None:
                data = row_dict(row)
                created = str(data["created_at"])
                expired = created < iso_utc(now - self._ttl)
                stale = data["state"] == IN_PROGRESS and created < iso_utc(now - STALE_AFTER)
                if not expired and not stale:
                    if data["fingerprint"] != fp:
                        raise IdempotencyConflictError(
                            "this Idempotency-Key was already used for a different request; "
                            "use a new key for a new request"
                        )
                    if data["state"] == DONE:
                        return IdempotentResult(int(data["status"]), str(data["body"]), True)
                    raise IdempotencyInProgressError(
                        "a request with this Idempotency-Key is still in progress; retry later"
                    )
                conn.execute(idempotency.delete().where(*where))
        try:
            with self._store.begin() as conn:
                conn.execute(
                    idempotency.insert().values(
                        principal=principal,
                        key=key,
                        method=method.upper(),
                        path=path[:300],
                        fingerprint=fp,
                        state=IN_PROGRESS,
                        status=None,
                        body=None,
                        created_at=iso_utc(now),
                    )
                )
        except sa.exc.IntegrityError:
            raise IdempotencyInProgressError(
                "a request with this Idempotency-Key is still in progress; retry later"
            ) from None
        return None

    def _complete(self, principal: str, key: str, status: int, body: str) -> None:
        with self._store.begin() as conn:
            conn.execute(
                idempotency.update()
                .where(idempotency.c.principal == principal, idempotency.c.key == key)
                .values(state=DONE, status=status, body=body)
            )

    def _abandon(self, principal: str, key: str) -> None:
        with self._store.begin() as conn:
            conn.execute(
                idempotency.delete().where(
                    idempotency.c.principal == principal,
                    idempotency.c.key == key,
                    idempotency.c.state == IN_PROGRESS,
                )
            )

    def purge_expired(self) -> int:
        """Delete records older than the time to live; returns how many."""
        cutoff = iso_utc(self._clock.now() - self._ttl)
        with self._store.begin() as conn:
            result = conn.execute(idempotency.delete().where(idempotency.c.created_at < cutoff))
        return int(result.rowcount or 0)
