"""Keyed fingerprints of PD values: what ``localize`` indexes and ``leakscan`` probes.

A value yields *candidates*, ``(kind, normalized text)`` pairs:

* the whole value as text (``text``: NFKC, case-folded, white space collapsed), for every
  category, so a verbatim copy of any moved value is found in any column;
* the whole value in its category's canonical form, when the category has one (``email``
  lower-cased, ``phone`` E.164 with RU as the default region, ``inn`` / ``snils`` /
  ``ru_passport`` / ``ogrn`` / ``payment_card`` digits only, ``ip_address`` canonical,
  ``birth_date`` ISO 8601);
* every span the recognizers in :data:`SPAN_CATEGORIES` find inside the value (a phone number
  in a ticket body), in that span's canonical form. Spans are taken whatever their score: a
  weak candidate only costs a probe, and matches only if exactly that value was moved.

``fingerprint`` is ``HMAC-SHA256(key, b"leak\\0" + kind + b"\\0" + text)[:16]``; the key is the
cell's blind-index secret, so the index reveals nothing without the key and no value is ever
decrypted to probe it (PD-LOC-1..3: prove no RU PD stayed in the global database).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import re
import unicodedata
from functools import lru_cache

import phonenumbers

from domicile.recognizers.base import count_digits
from domicile.recognizers.registry import RecognizerRegistry
from domicile.vault.phones import parse_phone, phone_info

TEXT = "text"
#: Categories searched for inside values (names and addresses are not: they need whole values).
SPAN_CATEGORIES = frozenset(
    {"phone", "email", "inn", "snils", "ru_passport", "ogrn", "payment_card", "ip_address"}
)
_DIGIT_KINDS = frozenset({"inn", "snils", "ru_passport", "ogrn", "payment_card"})
_SPACES = re.compile(r"\s+")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y")
MAX_TEXT_CHARS = 100_000  # longer values are searched only in their first MAX_TEXT_CHARS characters
FINGERPRINT_BYTES = 16


def normalize_text(text: str) -> str:
    """NFKC, case-folded, white space collapsed and trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@lru_cache(maxsize=65536)
def _e164(text: str) -> str | None:
    """E.164 of *text* with RU as the default region.

    A text that parses without a default region (it has its ``+``) parses to the same number
    with one, so the shared cache of :mod:`domicile.vault.phones` answers it (residency and
    validation already parsed it); only national-format texts are parsed here.
    """
    if parse_phone(text) is not None:
        return phone_info(text).e164
    try:
        parsed = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _iso_date(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()[:10]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def canonical(kind: str, text: str) -> str | None:
    """The canonical form of ``text`` as a ``kind`` value, or None when it is not one.

    Idempotent: ``canonical(k, canonical(k, t)) == canonical(k, t)``.
    """
    if kind == "email":
        out = text.strip().lower()
        return out if "@" in out else None
    if kind == "phone":
        return _e164(text)
    if kind in _DIGIT_KINDS:
        digits = "".join(c for c in unicodedata.normalize("NFKC", text) if "0" <= c <= "9")
        return digits or None
    if kind == "ip_address":
        try:
            return str(ipaddress.ip_address(text.strip()))
        except ValueError:
            return None
    if kind == "birth_date":
        return _iso_date(text)
    if kind == TEXT:
        return normalize_text(text) or None
    return None


@lru_cache(maxsize=1)
def _span_registry() -> RecognizerRegistry:
    return RecognizerRegistry([r for r in RecognizerRegistry.default() if r.CATEGORY in SPAN_CATEGORIES])


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, bytes | bytearray | memoryview | bool):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    return text[:MAX_TEXT_CHARS] if text.strip() else None


def candidates(category: str | None, value: object, *, spans: bool = True) -> list[tuple[str, str]]:
    """``(kind, normalized text)`` pairs to fingerprint for one value (no duplicates, stable order).

    Args:
        category: The column's PD category, or None for an unmapped column.
        value: The raw value (``str``, ``date``, numbers...); None, blanks and bytes give nothing.
        spans: Also run the span recognizers. ``localize`` turns them off for a structured column
            of a known category: its whole text and canonical form are what a copy or a mention
            elsewhere yields (the spans leakscan finds in free text are in that canonical form).
    """
    out: dict[tuple[str, str], None] = {}
    text = _as_text(value)
    if text is None:
        return []
    whole = normalize_text(text)
    if whole:
        out[(TEXT, whole)] = None
    if category is not None and category != TEXT:
        form = _iso_date(value) if category == "birth_date" else canonical(category, text)
        if form is not None:
            out[(category, form)] = None
    if not spans and category is not None:
        return list(out)
    digits = count_digits(text)
    for rec in _span_registry():
        if not rec.may_match(text, digits):
            continue
        for r in rec.analyze_value(text):
            form = canonical(r.category, text[r.start : r.end])
            if form is not None:
                out[(r.category, form)] = None
    return list(out)


def fingerprint(key: bytes, kind: str, normalized: str) -> bytes:
    """``HMAC-SHA256(key, b"leak\\0" + kind + b"\\0" + normalized)[:16]``."""
    msg = b"leak\0" + kind.encode() + b"\0" + normalized.encode()
    return hmac.digest(key, msg, "sha256")[:FINGERPRINT_BYTES]
