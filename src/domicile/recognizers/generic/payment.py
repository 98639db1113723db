"""Payment card numbers (PAN): 13-19 digits, Luhn check, known issuer ranges.

A card number is PD when linked to its holder (152-FZ art. 3) and is in PCI
DSS scope. ``validate`` requires the Luhn checksum (ISO/IEC 7812-1) and an
issuer identification number (IIN) range with a length that scheme issues.
"""

from __future__ import annotations

import re
from functools import lru_cache

from domicile.recognizers.base import Example, Pattern, Recognizer, digits_only

#: (IIN prefix range low, high, allowed lengths) per scheme.
_IIN_RANGES: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (2200, 2204, frozenset({16, 17, 18, 19})),  # Mir
    (34, 34, frozenset({15})),  # American Express
    (37, 37, frozenset({15})),
    (300, 305, frozenset({14, 16, 17, 18, 19})),  # Diners Club
    (36, 36, frozenset({14, 16, 17, 18, 19})),
    (38, 39, frozenset({14, 16, 17, 18, 19})),
    (6011, 6011, frozenset({16, 17, 18, 19})),  # Discover
    (644, 649, frozenset({16, 17, 18, 19})),
    (65, 65, frozenset({16, 17, 18, 19})),
    (3528, 3589, frozenset({16, 17, 18, 19})),  # JCB
    (62, 62, frozenset({16, 17, 18, 19})),  # UnionPay
    (50, 50, frozenset(range(12, 20))),  # Maestro
    (56, 58, frozenset(range(12, 20))),
    (639, 639, frozenset(range(12, 20))),
    (67, 67, frozenset(range(12, 20))),
)


_TWELVE_DIGITS = re.compile(r"\d{12}")
_DOUBLED = {str(d): (2 * d - 9 if d > 4 else 2 * d) for d in range(10)}


def luhn_valid(digits: str) -> bool:
    """Whether an ASCII digit string passes the Luhn (mod 10) check (ISO/IEC 7812-1)."""
    odd = sum(map(int, digits[-1::-2]))
    even = sum(map(_DOUBLED.__getitem__, digits[-2::-2]))
    return (odd + even) % 10 == 0


@lru_cache(maxsize=1)
def _iin_table() -> dict[str, frozenset[int]]:
    """4-digit prefix -> card lengths issued under it (built once, on first use)."""
    table: dict[str, set[int]] = {}
    for prefix in range(10_000):
        key = f"{prefix:04d}"
        for low, high, lengths in _IIN_RANGES:
            width = len(str(low))
            if low <= int(key[:width]) <= high:
                table.setdefault(key, set()).update(lengths)
    return {k: frozenset(v) for k, v in table.items()}


def iin_known(digits: str) -> bool:
    """Whether the number starts with a known IIN range valid for its length."""
    return len(digits) in _iin_table().get(digits[:4], ())


class PaymentCardRecognizer(Recognizer):
    """Card numbers, plain or grouped by spaces or dashes."""

    NAME = "payment_card"
    COUNTRY_CODE = "*"
    CATEGORY = "payment_card"
    PATTERNS = (Pattern("pan", r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])", 0.35),)
    MIN_DIGITS = 12
    CONTEXT = ("card", "карт", "pan", "cc number", "credit", "debit", "visa", "mastercard", "мир")

    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """Twelve digits in a row once spaces and dashes are dropped."""
        if digits < self.MIN_DIGITS:
            return False
        return _TWELVE_DIGITS.search(value.replace(" ", "").replace("-", "")) is not None

    def validate(self, candidate: str) -> bool | None:
        """Luhn checksum correct and IIN range known for the length."""
        digits = digits_only(candidate)
        return 12 <= len(digits) <= 19 and iin_known(digits) and luhn_valid(digits)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Scheme test numbers (published by the card networks, not real cards)."""
        return (
            Example("4111 1111 1111 1111", True, "Visa test number"),
            Example("5555-5555-5555-4444", True, "Mastercard test number"),
            Example("378282246310005", True, "Amex test number"),
            Example("4111 1111 1111 1112", False, "Luhn fails"),
            Example("9111111111111111", False, "no such issuer range"),
        )
