"""Russian phone numbers in the formats people actually type.

``+7 (916) 123-45-67``, ``8 916 123 45 67``, ``8-916-123-45-67``,
``79161234567``, ``9161234567``. A phone number is PD (152-FZ art. 3) and the
+7 prefix is one of the signals that makes a user RU-scoped (PD-LOC-3).
Validity is checked with ``phonenumbers`` (libphonenumber metadata); the +7
zone includes Kazakhstan (7xx), which is accepted too.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumber

from domicile.recognizers.base import Example, Pattern, Recognizer, digits_only

_SEP = r"[\s\-.]*"
_REST = rf"\(?{_SEP}\d{{3}}{_SEP}\)?{_SEP}\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}(?![\w-])"
_TRUNK_OR_BARE = re.compile(r"8[\s\-.(]|[789][0-9]{9}")
_PHONE_CONTEXT = (
    "phone", "тел", "телефон", "mobile", "моб", "msisdn", "contact", "контакт", "cell", "звон",
    "номер телефона", "whatsapp", "telegram", "handy", "telefon",
)  # fmt: skip


@lru_cache(maxsize=8192)
def number_valid(country_code: int, national: str) -> bool:
    """Whether ``+<country_code><national>`` is a valid number per libphonenumber.

    Same answer as ``is_valid_number(parse("+..."))``, but a valid number is
    confirmed from a directly built ``PhoneNumber`` (3x faster than parsing
    text); only numbers that fail that fast path, or start with 0, are
    parsed, so region rules such as stripping a stray trunk prefix still
    apply. Pure function, memoised (a column often repeats numbers).
    """
    if not national or len(national) > 17 or not national.isascii() or not national.isdigit():
        return False
    if national[0] != "0":
        fast = PhoneNumber(country_code=country_code, national_number=int(national))
        if phonenumbers.is_valid_number(fast):
            return True
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(f"+{country_code}{national}"))
    except phonenumbers.NumberParseException:
        return False


def e164_valid(digits: str) -> bool:
    """Whether international digits (country code first, no ``+``) form a valid number."""
    for n in (1, 2, 3):
        cc = int(digits[:n])
        if cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return number_valid(cc, digits[n:])
    return False


class RuPhoneRecognizer(Recognizer):
    """Phone numbers of the +7 zone written with +7, 8, 7 or no prefix."""

    NAME = "ru_phone"
    COUNTRY_CODE = "RU"
    CATEGORY = "phone"
    PATTERNS = (
        Pattern("international", rf"(?<![\w+])\+7{_SEP}{_REST}", 0.5),
        Pattern("trunk_formatted", rf"(?<![\w+])8(?=[\s\-.(]){_SEP}{_REST}", 0.5),
        Pattern("bare_11", r"(?<![\w+-])[78]\d{10}(?![\w-])", 0.3),
        Pattern("bare_10", r"(?<![\w+-])[79]\d{9}(?![\w-])", 0.15),
    )
    MIN_DIGITS = 10
    CONTEXT = _PHONE_CONTEXT

    def may_match(self, value: str, digits: int) -> bool:
        """Ten digits and a ``+7``, a trunk ``8`` before a separator, or a bare 10-11 digit run."""
        if digits < self.MIN_DIGITS:
            return False
        return "+7" in value or _TRUNK_OR_BARE.search(value) is not None

    def validate(self, candidate: str) -> bool | None:
        """Valid +7 number per libphonenumber."""
        digits = digits_only(candidate)
        if len(digits) == 11 and digits[0] in "78":
            digits = digits[1:]
        if len(digits) != 10:
            return False
        return number_valid(7, digits)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious numbers (the 916 range is a Moscow mobile range)."""
        return (
            Example("+7 (916) 123-45-67", True, "international, formatted"),
            Example("8 916 123 45 67", True, "trunk prefix 8"),
            Example("79161234567", True, "bare with country code"),
            Example("тел. 9161234567", True, "bare 10 digits with context"),
            Example("+7 (016) 123-45-67", False, "no such area code"),
            Example("8 800 12", False, "too short"),
        )
