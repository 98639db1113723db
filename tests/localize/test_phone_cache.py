"""The shared phone cache answers exactly what libphonenumber answers (PD-LOC-3 residency of +7).

``domicile.vault.phones`` builds ``+7`` numbers without ``phonenumbers.parse`` and classifies a
number with one ``number_type`` call; ``fingerprints.canonical("phone", ...)`` reuses that cache.
Each is compared here with the plain libphonenumber calls it replaces, over random numbers.
"""

from __future__ import annotations

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domicile.localize.fingerprints import canonical
from domicile.localize.tokens import quick_phone_token
from domicile.vault.phones import PhoneInfo, parse_phone, phone_info


def _reference_info(text: str) -> PhoneInfo:
    """The classification as first written: parse, is_valid_number, region, number_type."""
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return PhoneInfo(None, None, None)
    if not phonenumbers.is_valid_number(parsed):
        return PhoneInfo(None, None, None)
    region = phonenumbers.region_code_for_number(parsed)
    return PhoneInfo(
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        region if region and region != "ZZ" else None,
        phonenumbers.number_type(parsed),
    )


def _reference_e164_ru(text: str) -> str | None:
    try:
        parsed = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


plus7 = st.from_regex(r"\+7[0-9]{8,12}", fullmatch=True)
ten_digits = st.integers(min_value=10**9, max_value=10**10 - 1).map(lambda n: f"+7{n}")
# mobile and geographic starts of RU (3xx, 4xx, 8xx, 9xx) and KZ (7xx): mostly valid numbers
likely_valid = st.tuples(st.sampled_from("34789"), st.integers(0, 10**9 - 1)).map(
    lambda t: f"+7{t[0]}{t[1]:09d}"
)
other = st.from_regex(r"\+?[0-9 ()-]{4,18}", fullmatch=True)


@settings(max_examples=600)
@given(st.one_of(ten_digits, likely_valid, plus7))
@example("+79161234567")
@example("+77011234567")
@example("+78001234567")
def test_plus7_fast_parse_equals_parse(text: str) -> None:
    """Every ``+7`` text: same PhoneNumber as parse, same validity, region (RU/KZ) and type."""
    try:
        expected = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        expected = None
    assert parse_phone(text) == expected
    assert phone_info(text) == _reference_info(text)


@settings(max_examples=400)
@given(st.one_of(other, plus7, likely_valid))
@example("+1 268 464 1234")
@example("+39 06 1234 5678")
@example("8 916 123-45-67")
def test_phone_info_and_canonical_equal_libphonenumber(text: str) -> None:
    """Any text: phone_info and the RU-default canonical form equal the plain libphonenumber calls."""
    assert phone_info(text) == _reference_info(text)
    assert canonical("phone", text) == _reference_e164_ru(text)


@settings(max_examples=200)
@given(likely_valid)
def test_quick_phone_token_keeps_region_and_type(text: str) -> None:
    """A drawn +7 token (from cached parse data) is a valid number of the original's region and type."""
    info = phone_info(text)
    token = quick_phone_token(text)
    if info.e164 is None:
        assert token is None
        return
    if token is None:  # eight misses: the caller falls back to fpe_phone_token
        return
    assert token != text
    ref = _reference_info(token)
    assert ref.e164 == token
    assert (ref.region, ref.number_type) == (info.region, info.number_type)
