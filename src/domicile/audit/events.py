"""Audit value objects: the event a caller records, the stored record, the chain head.

The log is **PD-free by construction** (152-FZ art. 19, SEC-1/SEC-4): an event holds
ids, tokens, counts, field *names* and category codes, never PD values. Typing
enforces the shape (no free text, no nested data, ASCII only), and a last-resort
guard rejects strings that look like a phone or document number. The guard is a net, not the
protection: callers must pass a token or pseudonymous id where a value would go.

Vocabulary (lengths match :data:`domicile.cells.schema.audit_log`):

=============  ==========  ===============================================
field          length      allowed
=============  ==========  ===============================================
actor          1..200      code characters ``A-Za-z0-9 _ . : / = + , # ~ -``
action         1..64       a name: a letter, then ``A-Za-z0-9 _ . : -``
purpose        0..200      code characters (a purpose id, not prose)
outcome        1..32       a name
subject_ref    1..64       code characters, or ``None``
details        <= 32 keys  key: ASCII identifier <= 64; value: ``None``, ``bool``,
                           64-bit ``int``, or a code string <= 200
=============  ==========  ===============================================

Code strings exclude spaces, ``@`` and non-ASCII letters, so names, addresses, e-mail
addresses and free-text messages cannot be logged by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TypeAlias

from domicile.audit.errors import AuditEventError
from domicile.core.errors import InputError

#: A scalar allowed as a detail value.
DetailValue: TypeAlias = str | int | bool | None

ACTOR_MAX = 200
ACTION_MAX = 64
PURPOSE_MAX = 200
OUTCOME_MAX = 32
SUBJECT_REF_MAX = 64
DETAILS_MAX_KEYS = 32
DETAIL_KEY_MAX = 64
DETAIL_STR_MAX = 200
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

_CODE = re.compile(r"[A-Za-z0-9_.:/=+,#~-]*")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NUMBERISH = re.compile(r"\+?[0-9().-]+")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def _plain(value: str) -> str:
    """Return ``value`` as an exact ``str`` (str enums and subclasses are unwrapped)."""
    return value if type(value) is str else value.encode("ascii").decode("ascii")


def looks_like_pd_number(value: str) -> bool:
    """Whether ``value`` looks like a phone, passport, SNILS, INN or card number.

    True when the whole string is digits with phone punctuation and holds 10-16
    digits, or starts with ``+`` and 7 or more digits. Numeric ids belong in
    ``int`` detail values; ids of 17 digits or more (snowflakes) pass.
    """
    if not _NUMBERISH.fullmatch(value):
        return False
    digits = sum(ch.isdigit() for ch in value)
    return 10 <= digits <= 16 or (value.startswith("+") and digits >= 7)


def _code(name: str, value: object, *, min_len: int, max_len: int, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str):
        raise AuditEventError(f"audit {name} must be a str, not {type(value).__name__}")
    return _checked(name, value, min_len, max_len, pattern)


@lru_cache(maxsize=4096)
def _checked(name: str, value: str, min_len: int, max_len: int, pattern: re.Pattern[str]) -> str:
    """Validate one string field (cached: actors, actions and purposes repeat)."""
    if not min_len <= len(value) <= max_len:
        raise AuditEventError(f"audit {name} must be {min_len}..{max_len} characters long")
    if not pattern.fullmatch(value):
        raise AuditEventError(
            f"audit {name} has a character outside its vocabulary "
            "(no spaces, '@' or non-ASCII: log ids and tokens, never PD values)"
        )
    if pattern is _CODE and looks_like_pd_number(value):
        raise AuditEventError(
            f"audit {name} looks like a phone or document number; log a token or id instead"
        )
    return _plain(value)


def check_cell(cell: object) -> str:
    """Validate a cell name as used in hashes and anchors.

    Raises:
        InputError: ``cell`` is not 1-64 of ``A-Za-z0-9 _ . -`` starting alphanumeric.
    """
    if not isinstance(cell, str) or not _CELL.fullmatch(cell):
        raise InputError("cell name must be 1-64 characters of A-Za-z0-9_.- starting alphanumeric")
    return _plain(cell)


def check_hex64(name: str, value: object) -> str:
    """Validate a lowercase hex SHA-256 digest.

    Raises:
        InputError: ``value`` is not 64 lowercase hex digits.
    """
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise InputError(f"{name} must be 64 lowercase hex digits")
    return _plain(value)


def _details(details: object) -> MappingProxyType[str, DetailValue]:
    if not isinstance(details, Mapping):
        raise AuditEventError(f"audit details must be a mapping, not {type(details).__name__}")
    if len(details) > DETAILS_MAX_KEYS:
        raise AuditEventError(f"audit details hold at most {DETAILS_MAX_KEYS} keys")
    out: dict[str, DetailValue] = {}
    for raw_key, value in details.items():
        if not isinstance(raw_key, str):
            raise AuditEventError("audit details keys must be str")
        key = _checked("details key", raw_key, 1, DETAIL_KEY_MAX, _KEY)
        where = f"details[{key!r}]"
        if value is None or isinstance(value, bool):
            out[key] = value
        elif isinstance(value, int):
            if not INT_MIN <= value <= INT_MAX:
                raise AuditEventError(f"audit {where} is outside the signed 64-bit range")
            out[key] = int(value)
        elif isinstance(value, str):
            out[key] = _checked(where, value, 0, DETAIL_STR_MAX, _CODE)
        else:
            raise AuditEventError(f"audit {where} must be str, int, bool or None, not {type(value).__name__}")
    return MappingProxyType(out)


def _empty_details() -> MappingProxyType[str, DetailValue]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened, as the caller reports it (PD-free; see module docs).

    Args:
        actor: Who acted: a service or staff id, or a subject token (``svc:desk``).
        action: What was done, a name such as ``pd.read`` or ``subject.erase``.
        purpose: The processing purpose id (152-FZ art. 5 part 2), may be empty.
        outcome: ``ok``, ``denied``, ``error``... a name.
        subject_ref: The pseudonymous subject id or token concerned, if any.
        details: Small scalar evidence: counts, field names, rule ids, distances.

    Raises:
        AuditEventError: A field breaks its vocabulary or length limit.
    """

    actor: str
    action: str
    purpose: str
    outcome: str
    subject_ref: str | None = None
    details: Mapping[str, DetailValue] = field(default_factory=_empty_details, hash=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "actor", _code("actor", self.actor, min_len=1, max_len=ACTOR_MAX, pattern=_CODE))
        s(self, "action", _code("action", self.action, min_len=1, max_len=ACTION_MAX, pattern=_NAME))
        s(self, "purpose", _code("purpose", self.purpose, min_len=0, max_len=PURPOSE_MAX, pattern=_CODE))
        s(self, "outcome", _code("outcome", self.outcome, min_len=1, max_len=OUTCOME_MAX, pattern=_NAME))
        if self.subject_ref is not None:
            ref = _code("subject_ref", self.subject_ref, min_len=1, max_len=SUBJECT_REF_MAX, pattern=_CODE)
            s(self, "subject_ref", ref)
        s(self, "details", _details(self.details))


def format_at(at: datetime) -> str:
    """Render a timezone-aware instant as the stored form ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Raises:
        InputError: ``at`` is naive.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_at(text: str) -> datetime:
    """Parse the stored timestamp form exactly (the inverse of :func:`format_at`).

    Raises:
        InputError: ``text`` is not in the stored form.
    """
    if not isinstance(text, str) or not _AT.fullmatch(text):
        raise InputError("audit timestamp is not in the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise InputError("audit timestamp is not a valid date and time") from exc


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A stored audit entry: the event, its position and its chain evidence.

    ``entry_hash`` is SHA-256 of the canonical entry (see :mod:`domicile.audit.chain`),
    which commits to ``prev_hash``; ``mac`` is HMAC-SHA256 of ``entry_hash`` under the
    cell's audit key.

    Raises:
        InputError: A field is malformed (an :class:`AuditEventError` for event fields).
    """

    seq: int
    at: datetime
    actor: str
    action: str
    purpose: str
    outcome: str
    subject_ref: str | None
    details: Mapping[str, DetailValue] = field(hash=False)
    prev_hash: str
    entry_hash: str
    mac: str

    def __post_init__(self) -> None:
        if type(self.seq) is not int or self.seq < 1:
            raise InputError("audit seq must be a positive int")
        s = object.__setattr__
        if not isinstance(self.at, datetime):
            raise InputError("audit record time must be a datetime")
        if self.at.tzinfo is not UTC:
            s(self, "at", parse_at(format_at(self.at)))
        event = AuditEvent(
            self.actor, self.action, self.purpose, self.outcome, self.subject_ref, self.details
        )
        s(self, "actor", event.actor)
        s(self, "action", event.action)
        s(self, "purpose", event.purpose)
        s(self, "outcome", event.outcome)
        s(self, "subject_ref", event.subject_ref)
        s(self, "details", event.details)
        for name in ("prev_hash", "entry_hash", "mac"):
            s(self, name, check_hex64(name, getattr(self, name)))

    @classmethod
    def _sealed(
        cls, seq: int, at: datetime, event: AuditEvent, *, prev_hash: str, entry_hash: str, mac: str
    ) -> AuditRecord:
        """Build a record from an already validated event and freshly computed hashes."""
        rec = object.__new__(cls)
        s = object.__setattr__
        for name, value in (
            ("seq", seq),
            ("at", at),
            ("actor", event.actor),
            ("action", event.action),
            ("purpose", event.purpose),
            ("outcome", event.outcome),
            ("subject_ref", event.subject_ref),
            ("details", event.details),
            ("prev_hash", prev_hash),
            ("entry_hash", entry_hash),
            ("mac", mac),
        ):
            s(rec, name, value)
        return rec

    @property
    def event(self) -> AuditEvent:
        """The event this record stores."""
        return AuditEvent(self.actor, self.action, self.purpose, self.outcome, self.subject_ref, self.details)

    @property
    def at_text(self) -> str:
        """The timestamp exactly as stored and hashed."""
        return format_at(self.at)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict, e.g. for a PD-DEL-1 log extract attached to a destruction act."""
        return {
            "seq": self.seq,
            "at": self.at_text,
            "actor": self.actor,
            "action": self.action,
            "purpose": self.purpose,
            "outcome": self.outcome,
            "subject_ref": self.subject_ref,
            "details": dict(self.details),
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
            "mac": self.mac,
        }


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The tip of a cell's chain: anchor it outside the cell's database.

    Raises:
        InputError: The cell name, seq (must be >= 1) or hash is malformed.
    """

    cell: str
    seq: int
    entry_hash: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell", check_cell(self.cell))
        if type(self.seq) is not int or self.seq < 1:
            raise InputError("audit head seq must be a positive int")
        object.__setattr__(self, "entry_hash", check_hex64("entry_hash", self.entry_hash))

    def to_anchor(self) -> str:
        """The anchor text ``<cell>:<seq>:<entry_hash>``."""
        return f"{self.cell}:{self.seq}:{self.entry_hash}"

    @classmethod
    def parse_anchor(cls, text: str) -> AuditHead:
        """Parse ``<cell>:<seq>:<entry_hash>`` (surrounding whitespace is ignored).

        Raises:
            InputError: Naming the malformed part (1: cell, 2: seq, 3: hash).
        """
        parts = text.strip().split(":")
        if len(parts) != 3:
            raise InputError("audit anchor must have 3 ':'-separated parts: <cell>:<seq>:<hash>")
        cell, seq, digest = parts
        if not _CELL.fullmatch(cell):
            raise InputError("audit anchor part 1 (cell) is not a valid cell name")
        if not seq.isascii() or not seq.isdigit() or seq.startswith("0"):
            raise InputError("audit anchor part 2 (seq) is not a positive integer")
        if not _HEX64.fullmatch(digest):
            raise InputError("audit anchor part 3 (hash) is not 64 lowercase hex digits")
        return cls(cell, int(seq), digest)


def parse_anchor(text: str) -> AuditHead:
    """Module-level alias of :meth:`AuditHead.parse_anchor`."""
    return AuditHead.parse_anchor(text)
