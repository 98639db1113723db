"""Russian state identifiers: internal passport, SNILS, INN, OGRN/OGRNIP.

Legal basis: these numbers identify a person (152-FZ art. 3 item 1), so a
column holding them is personal data that must be localized (152-FZ art. 18
part 5; PD-LOC-1). OGRNIP identifies an individual entrepreneur and is PD; an
organisation's OGRN and 10-digit INN are not PD but are reported so that
scans can tell them apart. Check-digit rules: :mod:`.checksums`.

Bare digit strings get low base scores: only a valid checksum, a separator
format or a context word (column name or preceding text) lifts them above the
usual 0.5 threshold, which keeps order numbers and barcodes out (PD-LOC-3).
"""

from __future__ import annotations

import re

from domicile.recognizers.base import Example, Pattern, Recognizer, digit_runs, digits_only
from domicile.recognizers.ru.checksums import inn_valid, ogrn_valid, passport_plausible, snils_valid

# Every pattern below is bounded by (?<![\d-]) and (?![\d-]), so its digit groups are whole runs.
_SNILS_GROUPS = re.compile(r"\d{3}-\d{3}-\d{3}")
_RUNS_10_12 = frozenset({10, 12})
_RUNS_13_15 = frozenset({13, 15})


class RuPassportRecognizer(Recognizer):
    """RU internal passport: series ``SS YY`` + 6-digit number.

    Format: Government Decree 828 (1997); ``SS`` is an OKATO region code and
    ``YY`` the form's print year. There is no check digit; ``validate`` checks
    the region and year parts.
    """

    NAME = "ru_passport"
    COUNTRY_CODE = "RU"
    CATEGORY = "ru_passport"
    PATTERNS = (
        Pattern("series_number", r"(?<![\d-])\d{2} ?\d{2} (?:№ ?)?\d{6}(?![\d-])", 0.45),
        Pattern("bare_10_digits", r"(?<![\d-])\d{10}(?![\d-])", 0.15),
    )
    MIN_DIGITS = 10
    CONTEXT = (
        "passport", "паспорт", "серия", "series", "pass", "document", "документ",
        "удостоверение", "udl", "doc",
    )  # fmt: skip

    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """Ten digits, and a run of exactly 10, or of 6 (the number after the series) and a space."""
        if digits < self.MIN_DIGITS:
            return False
        runs = digit_runs(value)
        return 10 in runs or (6 in runs and " " in value)

    def validate(self, candidate: str) -> bool | None:
        """Region code and print year plausible (no checksum exists)."""
        return passport_plausible(digits_only(candidate))

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious passports."""
        return (
            Example("4509 123456", True, "Moscow region code 45, year 09"),
            Example("45 09 № 123456", True, "printed form"),
            Example("паспорт 4509123456", True, "bare digits with context"),
            Example("0209 123456", False, "02 is not an OKATO region code"),
            Example("4550 123456", False, "print year 2050 is implausible"),
        )


class SnilsRecognizer(Recognizer):
    """SNILS, the compulsory pension insurance number (27-FZ art. 6).

    ``XXX-XXX-XXX YY``; ``YY`` are check digits (see :func:`.checksums.snils_valid`).
    """

    NAME = "snils"
    COUNTRY_CODE = "RU"
    CATEGORY = "snils"
    PATTERNS = (
        Pattern("formatted", r"(?<![\d-])\d{3}-\d{3}-\d{3}[ -]\d{2}(?![\d-])", 0.5),
        Pattern("bare_11_digits", r"(?<![\d-])\d{11}(?![\d-])", 0.25),
    )
    MIN_DIGITS = 11
    CONTEXT = ("snils", "снилс", "страхов", "insurance", "pension", "пенсион", "ssn")

    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """Eleven digits, and a run of exactly 11, or runs of 3 and 2 and ``ddd-ddd-ddd`` (formatted)."""
        if digits < self.MIN_DIGITS:
            return False
        runs = digit_runs(value)
        return 11 in runs or (3 in runs and 2 in runs and _SNILS_GROUPS.search(value) is not None)

    def validate(self, candidate: str) -> bool | None:
        """SNILS check digits correct."""
        return snils_valid(digits_only(candidate))

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious SNILS numbers."""
        return (
            Example("112-233-445 95", True, "check digits 95"),
            Example("11223344595", True, "bare digits, valid"),
            Example("СНИЛС: 087-654-303 00", True, "sum 303 mod 101 = 100 -> 00"),
            Example("112-233-445 96", False, "wrong check digits"),
            Example("11223344594", False, "bare digits, wrong check digits"),
        )


class InnRecognizer(Recognizer):
    """INN taxpayer number: 12 digits for people, 10 for organisations (Tax Code art. 84)."""

    NAME = "inn"
    COUNTRY_CODE = "RU"
    CATEGORY = "inn"
    PATTERNS = (Pattern("inn_10_or_12", r"(?<![\d-])(?:\d{12}|\d{10})(?![\d-])", 0.3),)
    MIN_DIGITS = 10
    CONTEXT = ("inn", "инн", "taxpayer", "tax id", "tax_id", "taxid", "налог", "tin")

    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """A run of exactly 10 or 12 digits."""
        return digits >= self.MIN_DIGITS and not _RUNS_10_12.isdisjoint(digit_runs(value))

    def validate(self, candidate: str) -> bool | None:
        """INN check digit(s) correct."""
        return inn_valid(candidate)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious INNs."""
        return (
            Example("500100732259", True, "personal INN, both check digits valid"),
            Example("7707083893", True, "organisation INN"),
            Example("ИНН 7830002293", True, "with context"),
            Example("500100732258", False, "second check digit wrong"),
            Example("7707083894", False, "check digit wrong"),
        )


class OgrnRecognizer(Recognizer):
    """OGRN (13 digits, organisations) and OGRNIP (15, individual entrepreneurs), 129-FZ."""

    NAME = "ogrn"
    COUNTRY_CODE = "RU"
    CATEGORY = "ogrn"
    PATTERNS = (
        Pattern("ogrn_13", r"(?<![\d-])[1-9]\d{12}(?![\d-])", 0.3),
        Pattern("ogrnip_15", r"(?<![\d-])[34]\d{14}(?![\d-])", 0.3),
    )
    MIN_DIGITS = 13
    CONTEXT = ("ogrn", "огрн", "огрнип", "ogrnip", "psrn", "registration", "регистрац")

    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """A run of exactly 13 or 15 digits."""
        return digits >= self.MIN_DIGITS and not _RUNS_13_15.isdisjoint(digit_runs(value))

    def validate(self, candidate: str) -> bool | None:
        """OGRN/OGRNIP check digit correct."""
        return ogrn_valid(candidate)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious OGRN/OGRNIP."""
        return (
            Example("1027700132195", True, "OGRN"),
            Example("304500116000157", True, "OGRNIP"),
            Example("ОГРН 1027739642281", True, "with context"),
            Example("1027700132194", False, "wrong check digit"),
            Example("304500116000158", False, "wrong check digit"),
        )
