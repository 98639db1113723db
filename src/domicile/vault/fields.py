"""The PD field schema: which fields exist, how they validate and normalize.

Normalization feeds the keyed blind indexes: phone numbers to E.164, e-mail
lower-cased, names NFKC + case-folded with white space collapsed, document
numbers stripped of separators. Error messages name the field, never the value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email

from domicile.core.errors import InputError, UnknownFieldError
from domicile.jurisdictions.base import DataCategory
from domicile.vault.phones import phone_info

MAX_VALUE_CHARS = 4096
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SPACES = re.compile(r"\s+")


class FieldKind(StrEnum):
    """How a field's values are validated and normalized."""

    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    DATE = "date"
    DOCUMENT = "document"
    TEXT = "text"


@dataclass(frozen=True)
class FieldSpec:
    """One PD field: its kind, data category, and whether it is searchable."""

    name: str
    kind: FieldKind
    category: DataCategory
    searchable: bool = False

    @property
    def format_preserving(self) -> bool:
        """Fields whose tokens can keep the value's format (phone, e-mail)."""
        return self.kind in (FieldKind.PHONE, FieldKind.EMAIL)


DEFAULT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("given_name", FieldKind.NAME, DataCategory.NAME, searchable=True),
    FieldSpec("family_name", FieldKind.NAME, DataCategory.NAME, searchable=True),
    FieldSpec("patronymic", FieldKind.NAME, DataCategory.NAME),
    FieldSpec("email", FieldKind.EMAIL, DataCategory.CONTACT, searchable=True),
    FieldSpec("phone", FieldKind.PHONE, DataCategory.CONTACT, searchable=True),
    FieldSpec("birth_date", FieldKind.DATE, DataCategory.DEMOGRAPHIC),
    FieldSpec("address", FieldKind.TEXT, DataCategory.LOCATION),
    FieldSpec("passport", FieldKind.DOCUMENT, DataCategory.GOVERNMENT_ID, searchable=True),
    FieldSpec("inn", FieldKind.DOCUMENT, DataCategory.GOVERNMENT_ID, searchable=True),
    FieldSpec("snils", FieldKind.DOCUMENT, DataCategory.GOVERNMENT_ID, searchable=True),
)


def normalize(kind: FieldKind, value: str) -> str:
    """The canonical form used for blind indexes and deterministic tokens."""
    if kind is FieldKind.PHONE:
        e164 = phone_info(value).e164
        if e164 is None:
            raise InputError("not a valid phone number")
        return e164
    if kind is FieldKind.EMAIL:
        return value.strip().lower()
    if kind is FieldKind.DOCUMENT:
        return re.sub(r"[\s\-./]", "", unicodedata.normalize("NFKC", value)).upper()
    if kind is FieldKind.DATE:
        return value.strip()
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value).casefold()).strip()


def _check(spec: FieldSpec, value: str) -> str:
    """Validate one value; return the form to store."""
    if kind_is(spec, FieldKind.PHONE):
        e164 = phone_info(value).e164
        if e164 is None:
            raise InputError(f"field {spec.name!r}: not a valid phone number in international format")
        return e164
    if kind_is(spec, FieldKind.EMAIL):
        if not is_valid_email(value):
            raise InputError(f"field {spec.name!r}: not a valid e-mail address")
        return value.strip()
    if kind_is(spec, FieldKind.DATE):
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(f"field {spec.name!r}: not an ISO date (YYYY-MM-DD)") from None
        return value.strip()
    if not value.strip():
        raise InputError(f"field {spec.name!r}: empty value")
    return value


# Plain ASCII addresses (dot-atom local part, LDH labels, alphabetic TLD) are the
# common case; everything else (IDN, quoted parts, special-use domains) goes to
# email_validator, which is authoritative but costs ~0.4 ms per address.
_SIMPLE_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,63})$"
)
_SPECIAL_TLDS = frozenset(
    {"arpa", "invalid", "local", "localhost", "onion", "test", "internal", "home", "lan"}
)


def is_valid_email(value: str) -> bool:
    """Syntax check of an e-mail address (no DNS look-up)."""
    text = value.strip()
    m = _SIMPLE_EMAIL.match(text)
    if m and len(text) <= 254 and len(text.split("@")[0]) <= 64 and m.group(1).lower() not in _SPECIAL_TLDS:
        return True
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def kind_is(spec: FieldSpec, kind: FieldKind) -> bool:
    return spec.kind is kind


class FieldSchema:
    """The configured set of PD fields."""

    def __init__(self, fields: Iterable[FieldSpec] = DEFAULT_FIELDS) -> None:
        self._fields: dict[str, FieldSpec] = {}
        for spec in fields:
            if not _FIELD_NAME.match(spec.name):
                raise InputError(f"invalid field name {spec.name!r}")
            if spec.name in self._fields:
                raise InputError(f"duplicate field {spec.name!r}")
            self._fields[spec.name] = spec
        self._searchable = tuple(f for f in self._fields.values() if f.searchable)

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self._fields.values())

    def names(self) -> list[str]:
        return list(self._fields)

    def spec(self, name: str) -> FieldSpec:
        try:
            return self._fields[name]
        except KeyError:
            raise UnknownFieldError(
                f"unknown field {name!r}; known fields: {', '.join(self._fields)}"
            ) from None

    def searchable(self) -> list[FieldSpec]:
        return list(self._searchable)

    def validate(self, values: object) -> dict[str, str]:
        """Check a mapping of field -> value; return the values to store."""
        if not isinstance(values, Mapping):
            raise InputError("fields must be a JSON object of field name to string value")
        if not values:
            raise InputError("no fields given")
        out: dict[str, str] = {}
        for name, value in values.items():
            spec = self.spec(str(name))
            if not isinstance(value, str):
                raise InputError(f"field {spec.name!r}: value must be a string")
            if not _encodable(value):
                raise InputError(f"field {spec.name!r}: value is not valid Unicode text")
            if len(value) > MAX_VALUE_CHARS:
                raise InputError(f"field {spec.name!r}: value longer than {MAX_VALUE_CHARS} characters")
            out[spec.name] = _check(spec, value)
        return out
