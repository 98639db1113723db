"""Table-driven recognizer tests: valid and checksum-invalid values per recognizer.

The Localization issue asks for exactly this (PD-LOC-3): every checksum-backed
recognizer must accept valid numbers and reject the same numbers with a wrong
check digit. Check-digit code is cross-checked against python-stdnum.
"""

from __future__ import annotations

from datetime import date

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.ru import inn as std_inn
from stdnum.ru import ogrn as std_ogrn

from domicile.recognizers.base import column_tokens, context_in_tokens, count_digits
from domicile.recognizers.generic.contact import ascii_email_valid
from domicile.recognizers.generic.payment import iin_known, luhn_valid
from domicile.recognizers.registry import RecognizerRegistry
from domicile.recognizers.ru.checksums import (
    inn_check,
    inn_valid,
    ogrn_check,
    ogrn_valid,
    passport_plausible,
    snils_check,
    snils_valid,
)
from domicile.recognizers.ru.phone import e164_valid

REG = RecognizerRegistry.default(today=date(2025, 6, 1))


def bump(digits: str, pos: int = -1) -> str:
    """Change one digit (default: the last, i.e. the check digit)."""
    i = pos % len(digits)
    return digits[:i] + str((int(digits[i]) + 1) % 10) + digits[i + 1 :]


# (recognizer, value, must be found)
TABLE: list[tuple[str, str, bool]] = [
    # RU internal passport: no checksum, region/year plausibility
    ("ru_passport", "4509 123456", True),
    ("ru_passport", "45 09 123456", True),
    ("ru_passport", "7799 000001", True),
    ("ru_passport", "4509 000000", False),
    ("ru_passport", "0009 123456", False),
    ("ru_passport", "4560 123456", False),
    # SNILS
    ("snils", "112-233-445 95", True),
    ("snils", "112-233-445-95", True),
    ("snils", "112-233-445 94", False),
    ("snils", "001-001-998 00", False),
    # INN
    ("inn", "7707083893", True),
    ("inn", "500100732259", True),
    ("inn", bump("7707083893"), False),
    ("inn", bump("500100732259"), False),
    ("inn", bump("500100732259", -2), False),
    # OGRN / OGRNIP
    ("ogrn", "1027700132195", True),
    ("ogrn", "304500116000157", True),
    ("ogrn", bump("1027700132195"), False),
    ("ogrn", bump("304500116000157"), False),
    ("ogrn", "0027700132195", False),
    # RU phones
    ("ru_phone", "+7 916 123-45-67", True),
    ("ru_phone", "8(916)1234567", True),
    ("ru_phone", "+7 (777) 123 45 67", True),
    ("ru_phone", "+7 (111) 123-45-67", False),
    ("ru_phone", "8 916 123 45", False),
    # generic phones
    ("phone", "+380 50 123 4567", True),
    ("phone", "+49 30 901820", True),
    ("phone", "+44 20 7946 0958", True),
    ("phone", "+7 000 000 00 00", False),
    # e-mail
    ("email", "a.b-c@example.co.uk", True),
    ("email", "иван@пример.рф", True),  # internationalised address (RFC 6531)
    ("email", "first.last@example", False),
    ("email", "no-at-sign.example.com", False),
    # IP
    ("ip_address", "203.0.113.255", True),
    ("ip_address", "::ffff:192.0.2.1", True),
    ("ip_address", "0.0.0.0", False),
    ("ip_address", "999.1.1.1", False),
    ("inn", "٧٧٠٧٠٨٣٨٩٣", False),  # Arabic-Indic digits are not an INN
    # payment cards
    ("payment_card", "2200 0000 0000 0004", True),
    ("payment_card", "4276-3800-0000-0005", True),
    ("payment_card", bump("2200000000000004"), False),
    ("payment_card", "1234 5678 9012 3452", False),
    # names
    ("person_name", "Петрова Мария Ивановна", True),
    ("person_name", "Hans Müller", True),
    ("person_name", "Galaxy Ultra", False),
    # birth dates
    ("birth_date", "1975-07-31", True),
    ("birth_date", "31.07.1975", True),
    ("birth_date", "2026-01-01", False),
    ("birth_date", "31.02.1975", False),
    # addresses
    ("postal_address", "125009, г. Москва, ул. Тверская, д. 7", True),
    ("postal_address", "Musterweg 12, 80331 München", True),
    ("postal_address", "ул. Тверская", False),
]


@pytest.mark.parametrize(("name", "value", "found"), TABLE, ids=[f"{n}:{v}" for n, v, _ in TABLE])
def test_recognizer_table(name: str, value: str, found: bool) -> None:
    """Each row: the recognizer finds the value iff it is valid (PD-LOC-3)."""
    results = REG.get(name).analyze_value(value)
    assert bool(results) is found


def test_every_checksum_recognizer_has_invalid_rows() -> None:
    """The table covers a checksum-invalid case for every checksum-backed recognizer."""
    rejected = {n for n, _, found in TABLE if not found}
    assert {"snils", "inn", "ogrn", "payment_card", "ru_passport", "ru_phone", "phone"} <= rejected


@given(st.from_regex(r"\A[1-9][0-9]{8}\Z"))
def test_snils_valid_and_every_wrong_check_rejected(body: str) -> None:
    """A SNILS body with its check digits passes; any other two digits fail."""
    good = snils_check(body)
    assert snils_valid(body + good) is (int(body) > 1001998)
    wrong = f"{(int(good) + 37) % 100:02d}"
    assert not snils_valid(body + wrong)


@given(st.sampled_from([10, 12]).flatmap(lambda n: st.from_regex(rf"\A[1-9][0-9]{{{n - 1}}}\Z")))
def test_inn_agrees_with_stdnum(number: str) -> None:
    """Our INN check equals python-stdnum's on random 10/12-digit numbers."""
    assert inn_valid(number) == std_inn.is_valid(number)


@given(st.from_regex(r"\A[1-9][0-9]{8,9}\Z"))
def test_inn_check_digits_make_valid(body: str) -> None:
    """Appending inn_check to any 9/10-digit body yields a valid INN; a changed digit does not."""
    full = body + inn_check(body)
    assert inn_valid(full) and std_inn.is_valid(full)
    assert not inn_valid(bump(full))


@given(st.one_of(st.from_regex(r"\A[1-9][0-9]{11}\Z"), st.from_regex(r"\A[34][0-9]{13}\Z")))
def test_ogrn_check_digit(body: str) -> None:
    """OGRN/OGRNIP with our check digit pass, a wrong one fails; agrees with stdnum when it can."""
    full = body + ogrn_check(body)
    assert ogrn_valid(full) and not ogrn_valid(bump(full))
    if len(body) == 12 or int(body) % 13 < 10:  # stdnum rejects OGRNIP remainders 10-12
        assert std_ogrn.is_valid(full)


@given(st.from_regex(r"\A[0-9]{12,18}\Z"))
def test_luhn_exactly_one_check_digit(body: str) -> None:
    """Exactly one of the ten possible last digits passes Luhn."""
    assert sum(luhn_valid(body + str(d)) for d in range(10)) == 1


def test_iin_ranges() -> None:
    """Known schemes pass the IIN check only with lengths they issue."""
    assert iin_known("4" * 16) and iin_known("2200" + "0" * 12) and iin_known("34" + "0" * 13)
    assert not iin_known("34" + "0" * 14)  # Amex is 15 digits
    assert not iin_known("9" * 16) and not iin_known("1" * 16)


@given(st.from_regex(r"\A[0-9]{10}\Z"))
def test_passport_plausibility_matches_rule(digits: str) -> None:
    """Plausible iff the region is an OKATO code, the year 97-39 and the number non-zero."""
    year = int(digits[2:4])
    region_ok = passport_plausible(digits[:2] + "09123456")
    expect = region_ok and (year >= 97 or year <= 39) and digits[4:] != "000000"
    assert passport_plausible(digits) is expect


@pytest.mark.parametrize(
    ("column", "recognizer", "word"),
    [
        ("birth_date", "birth_date", "birth"),
        ("dateOfBirth", "birth_date", "birth"),
        ("дата_рождения", "birth_date", "рожд"),
        ("client_inn", "inn", "inn"),
        ("dinner_code", "inn", None),
        ("mobilePhone", "ru_phone", "phone"),
        ("last_name", "person_name", "name"),
        ("product_sku", "person_name", None),
    ],
)
def test_column_context(column: str, recognizer: str, word: str | None) -> None:
    """Context words are found in column names by token, never inside other words."""
    assert REG.get(recognizer).column_context(column) == word


def test_context_boost_lifts_weak_forms() -> None:
    """A bare 10-digit phone scores under 0.5 alone and above it with a phone column name."""
    rec = REG.get("ru_phone")
    (plain,) = rec.analyze_value("9161234567")
    (ctx,) = rec.analyze_value("9161234567", "contact_phone")
    assert plain.score < 0.5 <= ctx.score
    assert ctx.context_word == "phone" and ctx.context_boost > 0


def test_free_text_context_window() -> None:
    """Context words just before a match in free text count; far-away ones do not."""
    rec = REG.get("inn")
    (near,) = rec.analyze_value("ИНН 7707083893")
    (far,) = rec.analyze_value("ИНН " + "x" * 60 + " 7707083893")
    assert near.context_word == "инн" and far.context_word is None


def test_tokens_split_camel_and_separators() -> None:
    """Column names split on case changes and punctuation."""
    assert column_tokens("userPhone_Number") == ("user", "phone", "number")
    assert context_in_tokens(("date", "of", "birth"), ("date of birth",)) == "date of birth"


@pytest.mark.parametrize(("name", "value", "found"), TABLE, ids=[f"gate:{n}:{v}" for n, v, _ in TABLE])
def test_prefilter_never_hides_a_match(name: str, value: str, found: bool) -> None:
    """may_match is True whenever analyze_value finds something (the pre-filter is safe)."""
    rec = REG.get(name)
    if rec.analyze_value(value) or rec.analyze_value(value, name):
        assert rec.may_match(value, count_digits(value))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789+-() .@abcxyzАБВгдул", max_size=40))
def test_prefilter_safe_on_random_text(value: str) -> None:
    """On arbitrary short strings, no recognizer with a False pre-filter would have found anything."""
    digits = count_digits(value)
    for rec in REG:
        if not rec.may_match(value, digits):
            assert rec.analyze_value(value) == []


@settings(max_examples=300, deadline=None)
@given(
    cc=st.sampled_from(["7", "1", "49", "380", "44", "375", "998", "39"]),
    rest=st.from_regex(r"\A[0-9]{4,12}\Z"),
)
def test_fast_phone_check_equals_parse(cc: str, rest: str) -> None:
    """The direct PhoneNumber validity check gives the same answer as phonenumbers.parse."""
    try:
        expected = phonenumbers.is_valid_number(phonenumbers.parse(f"+{cc}{rest}"))
    except phonenumbers.NumberParseException:
        expected = False
    assert e164_valid(cc + rest) is expected


@settings(max_examples=300, deadline=None)
@given(
    local=st.text(alphabet="ab9._+-", min_size=1, max_size=12),
    domain=st.text(alphabet="ab9.-", min_size=1, max_size=12),
    tld=st.sampled_from(["ru", "com", "xn--p1ai", "test", "io"]),
)
def test_fast_email_check_equals_email_validator(local: str, domain: str, tld: str) -> None:
    """The ASCII e-mail syntax check agrees with email-validator (no DNS) on addresses the regex can match."""
    address = f"{local}@{domain}.{tld}"
    try:
        validate_email(address, check_deliverability=False)
        expected = True
    except EmailNotValidError:
        expected = False
    assert ascii_email_valid(address) is expected
