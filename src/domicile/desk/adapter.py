"""The platform adapter seam: how the desk acts on the platform, and the example app's adapter.

Execution (the issue, item 6) goes through :class:`PlatformAdapter`: restrict content in Russia
only (149-FZ art. 15.1, 15.3; REG-6: the scope is logged) versus remove it everywhere (a
Community Guidelines breach), reinstate it (an appeal upheld, SN-7), stop processing a subject's
data (PD-DSR-12), tell the content owner why (SN-6, REG-2) and deliver the answer to the
requester. Every method returns an :class:`ActionReceipt` (evidence) and must be idempotent:
doing the same thing twice answers ``already``.

:class:`ExampleAppAdapter` is an in-memory stand-in for the example app (optionally saved to a
JSON file between CLI runs); :meth:`ExampleAppAdapter.visible` evaluates geo-restrictions.
"""

from __future__ import annotations

import json
import os
import tempfile
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from domicile.core.clock import Clock, SystemClock, iso_utc
from domicile.desk.errors import AdapterError

__all__ = [
    "ActionReceipt",
    "ActionStatus",
    "Answer",
    "ExampleAppAdapter",
    "OwnerNotice",
    "PlatformAdapter",
]


class ActionStatus(StrEnum):
    """What an adapter call achieved."""

    DONE = "done"
    ALREADY = "already"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ActionReceipt:
    """Evidence of one platform action: what, on what, where, when and the result."""

    action: str
    target: str
    scope: str  # "RU", "global", or "" when not geographic
    status: ActionStatus
    at: str
    reference: str  # the desk request id


@dataclass(frozen=True)
class OwnerNotice:
    """The notice to a content owner (SN-6): which request, why (category, legal basis), how to appeal."""

    request_id: str
    content_id: str
    action: str
    category: str | None
    legal_basis: str
    appeal_ru: str = "Вы можете обжаловать ограничение в течение 3 дней через форму обжалования в приложении."


@dataclass(frozen=True)
class Answer:
    """The answer to the requester: outcome, legal basis, attached package references.

    ``contact`` is the requester's address from the sealed dossier (PD): it exists only in
    memory, on the way to the delivery channel, and adapters must not persist it.
    """

    request_id: str
    type_id: str
    channel: str
    authority_type: str
    decision: str | None
    legal_basis: str
    outcomes: dict[str, int]
    attachments: tuple[str, ...] = ()
    text_ru: str = ""
    kind: str = "answer"  # "answer", or "extension_notice" (a reasoned notice, PD-DSR-1)
    contact: str | None = field(default=None, repr=False)


class PlatformAdapter(ABC):
    """How the desk acts on the platform. Implementations must be idempotent."""

    NAME: ClassVar[str]

    @abstractmethod
    def resolve_url(self, url: str) -> str | None:
        """The content id a URL points at, or None when the platform has no such page."""

    @abstractmethod
    def restrict_in_country(self, content_id: str, country: str, *, reference: str) -> ActionReceipt:
        """Make the content unavailable in ``country`` only (geo-restriction, REG-6)."""

    @abstractmethod
    def remove_everywhere(self, content_id: str, *, reference: str) -> ActionReceipt:
        """Remove the content globally."""

    @abstractmethod
    def reinstate(self, content_id: str, country: str, *, reference: str) -> ActionReceipt:
        """Lift a restriction in ``country`` (an appeal upheld, or an RKN order to restore)."""

    @abstractmethod
    def stop_processing(self, subject_id: str, *, reference: str) -> ActionReceipt:
        """Stop processing a subject's PD except on the art. 6 part 1 bases (PD-DSR-12)."""

    @abstractmethod
    def notify_owner(self, notice: OwnerNotice) -> ActionReceipt:
        """Tell the content's owner what was done and why (SN-6)."""

    @abstractmethod
    def deliver_answer(self, answer: Answer) -> ActionReceipt:
        """Send the answer to the requester through its channel."""


@dataclass
class _Content:
    owner: str
    url: str
    removed: bool = False
    blocked_in: list[str] = field(default_factory=list)


class ExampleAppAdapter(PlatformAdapter):
    """The example app in memory: pages, owners, notices, answers, stopped subjects.

    Args:
        clock: time source for receipts.
        state_file: if given, state is loaded from and saved to this JSON file (no PD: the
            requester's contact is never saved).
    """

    NAME: ClassVar[str] = "example"

    def __init__(self, clock: Clock | None = None, state_file: Path | None = None) -> None:
        self._clock = clock or SystemClock()
        self.state_file = state_file
        self.contents: dict[str, _Content] = {}
        self.owner_notices: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.stopped: list[str] = []
        self.calls = 0
        if state_file is not None and state_file.exists():
            self._load(state_file)

    # -- example data -----------------------------------------------------------------------
    def add_content(self, content_id: str, owner: str, url: str) -> None:
        """Publish a page (test and demo data)."""
        self.contents[content_id] = _Content(owner, url)
        self._save()

    def visible(self, content_id: str, country: str) -> bool:
        """Whether a viewer in ``country`` sees the page (geo-restriction evaluation, REG-6)."""
        c = self.contents.get(content_id)
        return c is not None and not c.removed and country.upper() not in c.blocked_in

    # -- PlatformAdapter ------------------------------------------------------------------
    def resolve_url(self, url: str) -> str | None:
        wanted = url.strip().rstrip("/")
        return next((cid for cid, c in self.contents.items() if c.url.rstrip("/") == wanted), None)

    def _receipt(self, action: str, target: str, scope: str, status: ActionStatus, ref: str) -> ActionReceipt:
        self.calls += 1
        self._save()
        return ActionReceipt(action, target, scope, status, iso_utc(self._clock.now()), ref)

    def restrict_in_country(self, content_id: str, country: str, *, reference: str) -> ActionReceipt:
        c = self.contents.get(content_id)
        cc = country.upper()
        if c is None:
            return self._receipt("restrict_in_country", content_id, cc, ActionStatus.NOT_FOUND, reference)
        if c.removed or cc in c.blocked_in:
            return self._receipt("restrict_in_country", content_id, cc, ActionStatus.ALREADY, reference)
        c.blocked_in.append(cc)
        return self._receipt("restrict_in_country", content_id, cc, ActionStatus.DONE, reference)

    def remove_everywhere(self, content_id: str, *, reference: str) -> ActionReceipt:
        c = self.contents.get(content_id)
        if c is None:
            return self._receipt("remove_everywhere", content_id, "global", ActionStatus.NOT_FOUND, reference)
        if c.removed:
            return self._receipt("remove_everywhere", content_id, "global", ActionStatus.ALREADY, reference)
        c.removed = True
        return self._receipt("remove_everywhere", content_id, "global", ActionStatus.DONE, reference)

    def reinstate(self, content_id: str, country: str, *, reference: str) -> ActionReceipt:
        c = self.contents.get(content_id)
        cc = country.upper()
        if c is None or c.removed:
            return self._receipt("reinstate", content_id, cc, ActionStatus.NOT_FOUND, reference)
        if cc not in c.blocked_in:
            return self._receipt("reinstate", content_id, cc, ActionStatus.ALREADY, reference)
        c.blocked_in.remove(cc)
        return self._receipt("reinstate", content_id, cc, ActionStatus.DONE, reference)

    def stop_processing(self, subject_id: str, *, reference: str) -> ActionReceipt:
        if subject_id in self.stopped:
            return self._receipt("stop_processing", subject_id, "", ActionStatus.ALREADY, reference)
        self.stopped.append(subject_id)
        return self._receipt("stop_processing", subject_id, "", ActionStatus.DONE, reference)

    def notify_owner(self, notice: OwnerNotice) -> ActionReceipt:
        c = self.contents.get(notice.content_id)
        if c is None:
            return self._receipt(
                "notify_owner", notice.content_id, "", ActionStatus.NOT_FOUND, notice.request_id
            )
        key = (notice.request_id, notice.content_id, notice.action)
        if any((n["request_id"], n["content_id"], n["action"]) == key for n in self.owner_notices):
            return self._receipt(
                "notify_owner", notice.content_id, "", ActionStatus.ALREADY, notice.request_id
            )
        self.owner_notices.append({**asdict(notice), "owner": c.owner})
        return self._receipt("notify_owner", notice.content_id, "", ActionStatus.DONE, notice.request_id)

    def deliver_answer(self, answer: Answer) -> ActionReceipt:
        if any((a["request_id"], a["kind"]) == (answer.request_id, answer.kind) for a in self.answers):
            return self._receipt(
                "deliver_answer", answer.request_id, "", ActionStatus.ALREADY, answer.request_id
            )
        record = asdict(answer)
        record["has_contact"] = record.pop("contact") is not None
        self.answers.append(record)
        return self._receipt("deliver_answer", answer.request_id, "", ActionStatus.DONE, answer.request_id)

    # -- persistence ----------------------------------------------------------------------
    def _load(self, path: Path) -> None:
        try:
            raw = json.loads(path.read_text("utf-8"))
            self.contents = {k: _Content(**v) for k, v in raw["contents"].items()}
            self.owner_notices = list(raw["owner_notices"])
            self.answers = list(raw["answers"])
            self.stopped = list(raw["stopped"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AdapterError(
                f"example app state {path.name} is unreadable ({type(exc).__name__})"
            ) from None

    def _save(self) -> None:
        if self.state_file is None:
            return
        body = {
            "contents": {k: asdict(v) for k, v in self.contents.items()},
            "owner_notices": self.owner_notices,
            "answers": self.answers,
            "stopped": self.stopped,
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".example-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(body, fh, ensure_ascii=False, indent=1)
            os.replace(tmp, self.state_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
