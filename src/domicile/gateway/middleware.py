"""One ASGI layer in front of the routes: request id, body size, content type, metrics.

* ``X-Request-Id``: taken from the request if it is a short id, else generated; echoed
  on the response and used in the transfer ledger.
* Bodies larger than ``max_body_bytes`` are refused with 413 before any route runs
  (by ``Content-Length`` up front, or while streaming).
* A non-empty body that is not ``application/json`` (or ``+json``) gets 415, except on the
  ``form_paths`` (the desk's public complaint form takes HTML form posts).
* Latency and status per route *template* go to Prometheus (never the raw path:
  subject ids stay out of metrics).
"""

from __future__ import annotations

import email.message
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from domicile.core.errors import DomicileError
from domicile.gateway.errors import PayloadTooLargeError, UnsupportedMediaTypeError, http_status
from domicile.gateway.metrics import GatewayMetrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json_media_type(value: str | None) -> bool:
    if not value:
        return False
    msg = email.message.Message()
    msg["content-type"] = value
    if msg.get_content_maintype() != "application":
        return False
    sub = msg.get_content_subtype()
    return sub == "json" or sub.endswith("+json")


def error_body(status: int, code: str, message: str, request_id: str | None) -> bytes:
    return json.dumps(
        {
            "status": status,
            "code": code,
            "message": message,
            "rule": None,
            "legal_source": None,
            "evidence": None,
            "request_id": request_id,
        }
    ).encode()


class GuardMiddleware:
    """See the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: GatewayMetrics | None = None,
        form_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.metrics = metrics
        self.form_paths = form_paths  # HTML form posts (any content type; still size-limited)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            if scope["method"] in BODY_METHODS:
                replay = await self._buffer(scope, receive, send_wrapper, headers, request_id)
                if replay is None:
                    return
                await self.app(scope, replay, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            if self.metrics is not None:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                self.metrics.requests.labels(scope["method"], template, str(status[0])).inc()
                self.metrics.latency.labels(scope["method"], template).observe(time.perf_counter() - started)

    async def _buffer(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], request_id: str
    ) -> Receive | None:
        """Read the whole body within the limit; None when a 413/415 was sent instead."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._reject(send, PayloadTooLargeError(self._too_large()), request_id)
            return None
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._reject(send, PayloadTooLargeError(self._too_large()), request_id)
                return None
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        form = scope.get("path") in self.form_paths
        if body and not form and not is_json_media_type(headers.get("content-type")):
            got = headers.get("content-type") or "none"
            reason = f"request body must be application/json (got content type {got[:60]!r})"
            await self._reject(send, UnsupportedMediaTypeError(reason), request_id)
            return None
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    def _too_large(self) -> str:
        return f"request body larger than {self.max_body} bytes"

    @staticmethod
    async def _reject(send: Send, exc: DomicileError, request_id: str) -> None:
        status, code = http_status(exc)
        body = error_body(status, code, exc.message, request_id)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
