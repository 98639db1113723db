"""Parsed phone numbers, cached: validation, residency, fingerprints and tokens parse each number once.

``+7`` followed by ten digits (the RU/KZ E.164 form, most of a Russian database) skips
``phonenumbers.parse``: the number is built directly, which is exactly what ``parse`` returns for
that text (``tests/localize/test_phone_cache.py`` checks it over random numbers). Validity, region and
type come from one ``number_type`` call (a valid number is one whose type is not UNKNOWN).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

_PLUS7 = re.compile(r"\+7[1-9][0-9]{9}")
CACHE_SIZE = 65536  # a localize batch (residency, validation, fingerprints, tokens) fits many times


@dataclass(frozen=True)
class PhoneInfo:
    """What libphonenumber says about one input string."""

    e164: str | None  # None when the input is not a valid number
    region: str | None
    number_type: int | None


_INVALID = PhoneInfo(None, None, None)


@lru_cache(maxsize=CACHE_SIZE)
def parse_phone(text: str) -> PhoneNumber | None:
    """``phonenumbers.parse(text, None)``, cached; None when it does not parse."""
    if _PLUS7.fullmatch(text):
        return PhoneNumber(country_code=7, national_number=int(text[2:]))
    try:
        return phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=CACHE_SIZE)
def phone_info(text: str) -> PhoneInfo:
    """Parse *text* (international format) and classify it; cached (one entry per distinct text)."""
    parsed = parse_phone(text)
    if parsed is None:
        return _INVALID
    kind = phonenumbers.number_type(parsed)
    if kind == PhoneNumberType.UNKNOWN:  # is_valid_number(n) <=> number_type(n) != UNKNOWN
        return _INVALID
    region = phonenumbers.region_code_for_number(parsed)
    return PhoneInfo(
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        region if region and region != "ZZ" else None,
        kind,
    )
