"""Pluggable escalation notifiers: a small ABC, a webhook (httpx) and an SMTP (smtplib) one.

A :class:`Notification` carries ids only: request id and type, clock id, level, due time,
assignee id and the clock's legal source. Never PD (ru-requirements §9 item 3; LAND-5).
Notifiers are built from typed config models (:mod:`domicile.desk.config`) in one place,
:func:`build_notifier`; ``httpx`` is imported lazily.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, ClassVar

from domicile.desk.config import NotifierConfig, SmtpNotifierConfig, WebhookNotifierConfig
from domicile.desk.errors import DeskConfigError, NotifierError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "SIGNATURE_HEADER",
    "Notification",
    "Notifier",
    "SmtpNotifier",
    "WebhookNotifier",
    "build_notifier",
    "build_notifiers",
]

SIGNATURE_HEADER = "X-Domicile-Signature"


@dataclass(frozen=True)
class Notification:
    """One escalation: which clock of which request crossed which level. PD-free."""

    request_id: str
    type_id: str
    clock_id: str
    level: str  # "50%", "90%" or "breach"
    due_at: str
    at: str
    assignee: str | None
    legal_source: str

    def subject_line(self) -> str:
        """A one-line summary (e-mail subject, log line)."""
        return f"[domicile desk] {self.level} of {self.clock_id} for {self.request_id} (due {self.due_at})"

    def to_json(self) -> bytes:
        """The canonical JSON body (sorted keys)."""
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False).encode("utf-8")


class Notifier(ABC):
    """Delivers escalations. ``send`` raises :class:`NotifierError` when delivery fails."""

    KIND: ClassVar[str]

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def send(self, notification: Notification) -> None:
        """Deliver one notification."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (default: nothing to release)."""


class WebhookNotifier(Notifier):
    """POSTs the notification as JSON; signs the body with HMAC-SHA256 when a secret is set.

    Args:
        name: notifier id.
        url: endpoint.
        secret: HMAC key; the hex digest goes in ``X-Domicile-Signature: sha256=<hex>``.
        timeout_s: request timeout.
        client: an ``httpx.Client`` to use (tests inject one); built lazily otherwise.
    """

    KIND: ClassVar[str] = "webhook"

    def __init__(
        self,
        name: str,
        url: str,
        *,
        secret: bytes | None = None,
        timeout_s: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(name)
        self.url = url
        self._secret = secret
        self._timeout = timeout_s
        self._client = client
        self._owns_client = client is None

    def close(self) -> None:
        """Close the HTTP client if this notifier created it."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            try:
                import httpx
            except ImportError:  # pragma: no cover - depends on the install
                raise DeskConfigError(
                    "the webhook notifier needs httpx: pip install 'domicile[http]'"
                ) from None
            self._client = httpx.Client(timeout=self._timeout)
        return self._client

    def send(self, notification: Notification) -> None:
        client = self._http()  # raises a helpful error when httpx is not installed
        import httpx

        body = notification.to_json()
        headers = {"Content-Type": "application/json"}
        if self._secret:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        try:
            response = client.post(self.url, content=body, headers=headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise NotifierError(f"webhook {self.name}: delivery failed ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise NotifierError(f"webhook {self.name}: endpoint answered HTTP {response.status_code}")


class SmtpNotifier(Notifier):
    """Sends a plain-text e-mail through an SMTP relay (``smtplib``).

    Args:
        name: notifier id.
        host, port: the relay.
        sender: envelope and header sender.
        recipients: on-call addresses (staff, not data subjects).
        starttls: upgrade the connection with STARTTLS.
        username, password: optional login.
        timeout_s: socket timeout.
    """

    KIND: ClassVar[str] = "smtp"

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(name)
        if not recipients:
            raise DeskConfigError(f"smtp notifier {name}: no recipients")
        self.host, self.port = host, port
        self.sender = sender
        self.recipients = tuple(recipients)
        self._starttls = starttls
        self._login = (username, password) if username and password else None
        self._timeout = timeout_s

    def message(self, n: Notification) -> EmailMessage:
        """The e-mail for a notification (ids, clock, due time, level; no PD)."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Subject"] = n.subject_line()
        msg["X-Domicile-Request"] = n.request_id
        msg["X-Domicile-Level"] = n.level
        lines = [
            f"request: {n.request_id} ({n.type_id})",
            f"clock: {n.clock_id}",
            f"level: {n.level}",
            f"due: {n.due_at}",
            f"assessed at: {n.at}",
            f"assignee: {n.assignee or '-'}",
            f"legal source: {n.legal_source}",
        ]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def send(self, notification: Notification) -> None:
        msg = self.message(notification)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._login:
                    smtp.login(*self._login)
                smtp.send_message(msg, from_addr=self.sender, to_addrs=list(self.recipients))
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise NotifierError(f"smtp {self.name}: delivery failed ({type(exc).__name__})") from None


def _env(name: str | None) -> str | None:
    return os.environ.get(name) if name else None


def build_notifier(config: NotifierConfig, *, http_client: Any = None) -> Notifier:
    """Build a notifier from its config (the one registry of notifier kinds).

    Raises:
        DeskConfigError: a secret named by the config is missing from the environment.
    """
    if isinstance(config, WebhookNotifierConfig):
        secret = _env(config.secret_env)
        if config.secret_env and not secret:
            raise DeskConfigError(
                f"webhook {config.name}: environment variable {config.secret_env} is not set"
            )
        return WebhookNotifier(
            config.name,
            config.url,
            secret=secret.encode() if secret else None,
            timeout_s=config.timeout_s,
            client=http_client,
        )
    if isinstance(config, SmtpNotifierConfig):
        return SmtpNotifier(
            config.name,
            config.host,
            config.port,
            config.sender,
            config.recipients,
            starttls=config.starttls,
            username=_env(config.username_env),
            password=_env(config.password_env),
            timeout_s=config.timeout_s,
        )
    raise DeskConfigError(f"unknown notifier kind {getattr(config, 'kind', '?')!r}")  # pragma: no cover


def build_notifiers(configs: Sequence[NotifierConfig]) -> list[Notifier]:
    """Build every configured notifier; names must be unique."""
    out = [build_notifier(c) for c in configs]
    names = [n.name for n in out]
    if len(set(names)) != len(names):
        raise DeskConfigError("notifier names in desk.yaml must be unique")
    return out
