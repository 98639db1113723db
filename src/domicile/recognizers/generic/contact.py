"""E-mail addresses and international phone numbers (any country).

Both are PD (152-FZ art. 3 item 1; GDPR art. 4(1)). ASCII e-mails are checked
by a fast RFC 5322 dot-atom syntax check (lengths per RFC 5321, special-use
domains of RFC 6761 rejected); internationalised ones by ``email-validator``
(no DNS either way). Phones are checked with ``phonenumbers`` in
international form (``+`` or ``00`` prefix), so the region is known.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from domicile.recognizers.base import Example, Pattern, Recognizer, digits_only
from domicile.recognizers.ru.phone import e164_valid

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_IDD_PREFIX = re.compile(r"(?<![\w+])00[1-9]")  # the pattern's "00" form
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def ascii_email_valid(address: str) -> bool:
    """Syntax check of an ASCII address: dot-atom local part, DNS labels, alphabetic TLD."""
    local, at, domain = address.rpartition("@")
    if not at or len(address) > 254 or not 0 < len(local) <= 64 or not _LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    tld = labels[-1].lower()
    if len(labels) < 2 or tld in _SPECIAL_USE:
        return False
    if not (tld.isalpha() and len(tld) >= 2) and not tld.startswith("xn--"):
        return False
    # RFC 5891 4.2.3.1: "--" in positions 3-4 is reserved for A-labels ("xn--")
    return all(
        _LABEL.fullmatch(label) and (label[2:4] != "--" or label.lower().startswith("xn--"))
        for label in labels
    )


class EmailRecognizer(Recognizer):
    """E-mail addresses, validated by ``email-validator`` without DNS lookups."""

    NAME = "email"
    COUNTRY_CODE = "*"
    CATEGORY = "email"
    PATTERNS = (
        Pattern(
            "address",
            r"(?<![\w.+-])[\w.+%-]+@(?:[\w-]+\.)+[^\W\d_]{2,24}(?![\w-])",
            0.6,
        ),
    )
    NEEDS_ANY = "@"
    CONTEXT = ("email", "e-mail", "mail", "почта", "почты", "емейл", "login", "логин", "contact")
    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """An ``@`` (NEEDS_ANY, without the regular-expression call)."""
        return "@" in value

    def validate(self, candidate: str) -> bool | None:
        """Syntactically valid address (RFC 5322; RFC 6531 via ``email-validator`` if non-ASCII)."""
        if candidate.isascii():
            return ascii_email_valid(candidate)
        try:
            validate_email(candidate, check_deliverability=False)
        except EmailNotValidError:
            return False
        return True

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious addresses."""
        return (
            Example("ivan.petrov@example.ru", True),
            Example("пишите на anna_k+shop@mail.example.com", True, "in text"),
            Example("user..dots@example.com", False, "consecutive dots"),
            Example("support@localhost", False, "no top-level domain"),
        )


class PhoneRecognizer(Recognizer):
    """Phone numbers of any country in international form (+CC or 00CC)."""

    NAME = "phone"
    COUNTRY_CODE = "*"
    CATEGORY = "phone"
    PATTERNS = (Pattern("international", r"(?<![\w+])(?:\+|00)[1-9][\d\s().\-]{6,18}\d(?![\w-])", 0.45),)
    MIN_DIGITS = 7
    CONTEXT = (
        "phone", "tel", "телефон", "mobile", "моб", "msisdn", "contact", "контакт", "cell", "handy",
        "telefon", "whatsapp", "telegram",
    )  # fmt: skip

    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """Needs seven digits and a ``+``, or ``00`` + digit at the start of a word."""
        if digits < self.MIN_DIGITS:
            return False
        return "+" in value or ("00" in value and _IDD_PREFIX.search(value) is not None)

    def validate(self, candidate: str) -> bool | None:
        """Valid number per libphonenumber."""
        digits = digits_only(candidate[2:] if candidate.startswith("00") else candidate)
        return len(digits) >= 7 and e164_valid(digits)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious numbers."""
        return (
            Example("+49 151 23456789", True, "DE mobile"),
            Example("+1 (253) 319-4936", True, "US"),
            Example("call 00380 50 123 4567", True, "UA with 00 prefix"),
            Example("+1 (053) 319-4936", False, "US area codes never start with 0"),
            Example("+999 1234567", False, "unassigned country code"),
        )
