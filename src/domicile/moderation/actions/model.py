"""Shared vocabulary of moderation actions: scopes, action kinds, orders, ids and checks.

An :class:`ActionOrder` is what the review queue asks the platform to do to one piece of
content; it carries the case, the reason code (a category such as ``C-DRUG``) and the legal
basis, so the platform can log why. Geo-scoped actions follow REG-6 (restrict in Russia only)
versus removal everywhere (SN-2: ``remove_global | geo_restrict_RU | age_gate``).

Ids and references are checked against the audit log's vocabulary (ASCII code characters, no
spaces or ``@``), so nothing a caller passes can smuggle personal data into the records.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domicile.audit import looks_like_pd_number
from domicile.moderation.actions.errors import ModerationInputError

__all__ = [
    "ActionKind",
    "ActionOrder",
    "ActionReceipt",
    "GeoScope",
    "NoticeKind",
    "UserNotice",
    "check_aware",
    "check_code",
    "check_ref",
    "new_id",
]

_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/=+,#~-]*")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")
_ID_PREFIXES = frozenset({"mc", "ap", "nt", "tk", "pr", "hd"})


class GeoScope(StrEnum):
    """Where an action applies (REG-6: log the scope actually used)."""

    RU = "RU"
    """Russia only: RU IPs, RU-registered accounts, RU app builds (as the platform defines it)."""
    GLOBAL = "GLOBAL"
    """Everywhere."""


class ActionKind(StrEnum):
    """What the platform is asked to do.

    ``restrict_ru``, ``remove_global``, ``age_gate_18`` and ``restore`` carry a reviewer's (or
    an appeal's) decision and state the content's final visibility: they replace any earlier
    hold or automatic block. ``hold``, ``release``, ``block_upload`` and ``flag_account`` are
    interim or account-level steps.
    """

    BLOCK_UPLOAD = "block_upload"
    """Refuse to publish an upload (CSAM hash match, MIN-7)."""
    HOLD = "hold"
    """Hide pending review, in the order's scope (SN-2 "restrict immediately", SN-3 freeze)."""
    RELEASE = "release"
    """Lift a hold: the review kept the content."""
    RESTRICT_RU = "restrict_ru"
    """Geo-restrict in Russia only (REG-2, REG-6)."""
    REMOVE_GLOBAL = "remove_global"
    """Remove everywhere."""
    AGE_GATE_18 = "age_gate_18"
    """Label 18+: never shown to under-18 accounts (436-FZ; MIN-3, MIN-5)."""
    RESTORE = "restore"
    """Undo every restriction after an appeal or an RKN order reverses it (SN-7)."""
    FLAG_ACCOUNT = "flag_account"
    """Flag (CSAM: terminate) the owner's account (MIN-7)."""


def new_id(prefix: str) -> str:
    """A random id such as ``mc_<32 hex>`` (case ``mc``, appeal ``ap``, notice ``nt``,
    task ``tk``, preservation record ``pr``, hotline draft ``hd``)."""
    if prefix not in _ID_PREFIXES:
        raise ModerationInputError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{uuid.uuid4().hex}"


def check_ref(name: str, value: object, *, max_len: int = 128) -> str:
    """Validate an opaque reference (content id, subject id, actor, URL-free target id).

    Raises:
        ModerationInputError: Not a str of 1..``max_len`` code characters (``A-Za-z0-9`` and
            ``_.:/=+,#~-``, starting alphanumeric), or it looks like a phone or document number
            (prefix numeric ids, e.g. ``vid:1234567890``).
    """
    if not isinstance(value, str):
        raise ModerationInputError(f"{name} must be a string")
    if not 1 <= len(value) <= max_len or not _REF.fullmatch(value):
        raise ModerationInputError(
            f"{name} must be 1-{max_len} characters of A-Za-z0-9_.:/=+,#~- starting alphanumeric"
        )
    if looks_like_pd_number(value):
        raise ModerationInputError(
            f"{name} looks like a phone or document number; prefix numeric ids (e.g. 'vid:...')"
        )
    return str(value)


def check_code(name: str, value: object, *, max_len: int = 64) -> str:
    """Validate a code (reason code, category, rule id): a letter, then ``A-Za-z0-9_.:-``.

    Raises:
        ModerationInputError: The value is not such a code.
    """
    if not isinstance(value, str) or not 1 <= len(value) <= max_len or not _CODE.fullmatch(value):
        raise ModerationInputError(
            f"{name} must be a code of 1-{max_len} characters: a letter, then A-Za-z0-9_.:-"
        )
    return str(value)


def check_aware(name: str, value: object) -> datetime:
    """Return an aware datetime converted to UTC.

    Raises:
        ModerationInputError: Not a datetime, or naive.
    """
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ModerationInputError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ActionOrder:
    """One action asked of the platform.

    Attributes:
        kind: What to do.
        content_ref: The content concerned (for ``flag_account``: the content that caused it).
        owner_ref: The owner's pseudonymous subject id, if known.
        scope: Where it applies.
        case_id: The moderation case behind it.
        reason_code: Why: a category code (``C-CSAM``) or a reason code.
        legal_basis: Citation of the law behind it, if any.
        automatic_rule: Id of the pack rule that allowed it without a person, if any.
    """

    kind: ActionKind
    content_ref: str
    owner_ref: str | None
    scope: GeoScope
    case_id: str
    reason_code: str
    legal_basis: str | None = None
    automatic_rule: str | None = None


@dataclass(frozen=True, slots=True)
class ActionReceipt:
    """An order as applied: when, and the platform's reference for it (if it gave one)."""

    order: ActionOrder
    applied_at: datetime
    platform_ref: str | None


class NoticeKind(StrEnum):
    """Why the user is told (SN-6, SN-7)."""

    RESTRICTION = "restriction"
    """A restriction of the user's content or account, with the reason and how to appeal."""
    APPEAL_DECISION = "appeal_decision"
    """The outcome of the user's appeal."""


@dataclass(frozen=True, slots=True)
class UserNotice:
    """A notice to a user, PD-free: the adapter resolves ``recipient_ref`` to a person.

    SN-6 record: ``notification_id, user_id, content_id, reason_code, sent_at``; the reason is
    the category and legal basis, and the notice says how to appeal (SN-7: decided within 3
    days; the user may also appeal to RKN).

    Attributes:
        notice_id: ``nt_...``.
        kind: Restriction or appeal decision.
        case_id: The case.
        recipient_ref: The owner's pseudonymous subject id.
        content_ref: The content.
        reason_code: The category or reason code.
        legal_basis: Citation of the law, if any.
        outcome: The decision (``restrict_ru``, ``remove_global``...) or appeal outcome.
        scope: Where the restriction applies (``None`` for appeal decisions).
        appeal_clock: Clock id that governs an appeal (``sn.appeal.decide``), for restrictions.
        rkn_appeal_possible: The user may also appeal to RKN (SN-7).
        created_at: When the notice was made (UTC).
    """

    notice_id: str
    kind: NoticeKind
    case_id: str
    recipient_ref: str
    content_ref: str
    reason_code: str
    legal_basis: str | None
    outcome: str
    scope: GeoScope | None
    appeal_clock: str | None
    rkn_appeal_possible: bool
    created_at: datetime
