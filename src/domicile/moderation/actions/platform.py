"""The platform seams the review queue acts through, and an in-memory platform.

Three narrow Protocols (one method each), so a real platform plugs in without touching the
queue:

* :class:`ContentActions` applies an :class:`~.model.ActionOrder` (block, hold, restrict in
  Russia, remove everywhere, age-gate, restore, flag the account);
* :class:`UserNotifier` delivers a PD-free :class:`~.model.UserNotice` (SN-6, SN-7); the
  platform resolves the pseudonymous recipient id to a person;
* :class:`PreviewSource` hands the review screen the image bytes of a piece of content.

:class:`MemoryPlatform` implements all three and keeps the resulting visibility per content,
so tests and the minors example app can check what a viewer in a given country may see.
:class:`RecordOnlyPlatform` acts on nothing (the CLI uses it: the decisions are recorded and
audited, and the operator carries them out in the platform's own tools).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from domicile.moderation.actions.model import ActionKind, ActionOrder, GeoScope, UserNotice

__all__ = [
    "ContentActions",
    "MemoryPlatform",
    "PreviewSource",
    "RecordOnlyPlatform",
    "UserNotifier",
    "Visibility",
]


@runtime_checkable
class ContentActions(Protocol):
    """Applies moderation actions on the platform."""

    def apply(self, order: ActionOrder) -> str | None:
        """Carry out ``order`` (idempotently); return the platform's reference, if any."""
        ...


@runtime_checkable
class UserNotifier(Protocol):
    """Delivers notices to users (the platform maps the subject id to the person)."""

    def send(self, notice: UserNotice) -> str | None:
        """Deliver ``notice``; return the platform's message reference, if any."""
        ...


@runtime_checkable
class PreviewSource(Protocol):
    """Gives the review screen the image of a piece of content."""

    def image_bytes(self, content_ref: str) -> bytes | None:
        """The encoded image (or a video's key frame), or ``None`` when there is none."""
        ...


@dataclass(frozen=True, slots=True)
class Visibility:
    """Where a piece of content can be seen, after every action applied to it.

    Attributes:
        blocked: The upload was refused (never published).
        held: Hidden pending review in this scope.
        restricted: Countries where it is geo-restricted.
        removed: Removed everywhere.
        age_gated: Labelled 18+ by moderation (hidden from under-18 accounts).
    """

    blocked: bool = False
    held: GeoScope | None = None
    restricted: frozenset[str] = frozenset()
    removed: bool = False
    age_gated: bool = False

    def visible_in(self, country: str) -> bool:
        """Whether a viewer in ``country`` (ISO alpha-2) may be served the content at all."""
        if self.blocked or self.removed or self.held is GeoScope.GLOBAL:
            return False
        if self.held is GeoScope.RU and country == "RU":
            return False
        return country not in self.restricted


def _next(vis: Visibility, order: ActionOrder) -> Visibility:
    kind = order.kind
    if kind is ActionKind.BLOCK_UPLOAD:
        return replace(vis, blocked=True)
    if kind is ActionKind.HOLD:
        return replace(vis, held=order.scope)
    if kind is ActionKind.RELEASE:
        return replace(vis, held=None)
    # decisions are final-state orders: they replace any earlier hold or automatic block
    if kind is ActionKind.RESTRICT_RU:
        return Visibility(restricted=frozenset({"RU"}))
    if kind is ActionKind.REMOVE_GLOBAL:
        return Visibility(blocked=vis.blocked, removed=True)
    if kind is ActionKind.AGE_GATE_18:
        return Visibility(age_gated=True)
    if kind is ActionKind.RESTORE:
        return Visibility()
    return vis  # FLAG_ACCOUNT changes the account, not the content


@dataclass
class MemoryPlatform:
    """An in-memory platform: applies orders, keeps notices, serves preview images.

    Attributes:
        orders: Every order applied, in order.
        notices: Every notice delivered, in order.
        images: Preview images by content ref (set by the caller).
        flags: Account flags by owner ref (``flag_account`` orders add the reason code).
    """

    orders: list[ActionOrder] = field(default_factory=list)
    notices: list[UserNotice] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    flags: dict[str, set[str]] = field(default_factory=dict)
    _visibility: dict[str, Visibility] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def apply(self, order: ActionOrder) -> str | None:
        """Apply ``order`` and return ``mem-order:<n>``."""
        with self._lock:
            self.orders.append(order)
            if order.kind is ActionKind.FLAG_ACCOUNT and order.owner_ref is not None:
                self.flags.setdefault(order.owner_ref, set()).add(order.reason_code)
            current = self._visibility.get(order.content_ref, Visibility())
            self._visibility[order.content_ref] = _next(current, order)
            return f"mem-order:{len(self.orders)}"

    def send(self, notice: UserNotice) -> str | None:
        """Keep ``notice`` and return ``mem-notice:<n>``."""
        with self._lock:
            self.notices.append(notice)
            return f"mem-notice:{len(self.notices)}"

    def image_bytes(self, content_ref: str) -> bytes | None:
        """The image registered for ``content_ref``, if any."""
        return self.images.get(content_ref)

    def visibility(self, content_ref: str) -> Visibility:
        """The content's current visibility (unactioned content is visible everywhere)."""
        with self._lock:
            return self._visibility.get(content_ref, Visibility())


class RecordOnlyPlatform:
    """Acts on nothing and returns no references: decisions are only recorded and audited."""

    def apply(self, order: ActionOrder) -> str | None:
        """Do nothing."""
        return None

    def send(self, notice: UserNotice) -> str | None:
        """Do nothing."""
        return None

    def image_bytes(self, content_ref: str) -> bytes | None:
        """No previews."""
        return None
