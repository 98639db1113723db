"""Fingerprints: normalization is idempotent, formatting variants agree, different values differ."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.localize.fingerprints import TEXT, candidates, canonical, fingerprint, normalize_text

KEY = bytes(range(32))


def _fps(category: str | None, value: object, kind: str) -> set[bytes]:
    return {fingerprint(KEY, k, t) for k, t in candidates(category, value) if k == kind}


@given(st.text(max_size=60))
def test_text_normalization_is_idempotent(text: str) -> None:
    """normalize_text(normalize_text(x)) == normalize_text(x)."""
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(
    st.sampled_from(["email", "phone", "inn", "snils", "ru_passport", "payment_card", "ip_address", TEXT]),
    st.text(alphabet="0123456789 +-()@.abcXYZ", max_size=30),
)
def test_canonical_is_idempotent(kind: str, text: str) -> None:
    """A canonical form is its own canonical form."""
    form = canonical(kind, text)
    if form is not None:
        assert canonical(kind, form) == form


_NSN = st.builds(
    lambda code, rest: code + rest,
    st.sampled_from(["916", "903", "926", "985", "977", "915", "925"]),
    st.from_regex(r"[0-9]{7}", fullmatch=True),
)  # allocated RU mobile codes: libphonenumber rejects unallocated ones


@settings(max_examples=60)
@given(_NSN, st.integers(0, 4))
def test_phone_variants_agree(nsn: str, style: int) -> None:
    """+7, 8-trunk, bracketed and dashed forms of one RU mobile number give one fingerprint."""
    forms = [
        f"+7{nsn}",
        f"8{nsn}",
        f"+7 ({nsn[:3]}) {nsn[3:6]}-{nsn[6:8]}-{nsn[8:]}",
        f"8 ({nsn[:3]}) {nsn[3:6]}-{nsn[6:8]}-{nsn[8:]}",
        f"+7 {nsn[:3]} {nsn[3:6]} {nsn[6:]}",
    ]
    base = _fps("phone", forms[0], "phone")
    assert base
    assert _fps("phone", forms[style], "phone") == base
    assert _fps(None, f"Позвоните мне: {forms[style]}, спасибо", "phone") == base


@given(st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,8})?@[a-z]{2,10}\.(ru|com|de)", fullmatch=True))
def test_email_variants_agree(email: str) -> None:
    """Upper/lower case and surrounding spaces do not change an e-mail's fingerprint."""
    base = _fps("email", email, "email")
    assert base and _fps("email", f"  {email.upper()} ", "email") == base
    assert _fps(None, f"write to {email} please", "email") == base


@pytest.mark.parametrize(
    ("category", "a", "b"),
    [
        ("inn", "7707083893", "77 07 08 38 93"),
        ("snils", "112-233-445 95", "11223344595"),
        ("ru_passport", "45 08 123456", "4508123456"),
        ("person_name", "Иван  Петров", "ИВАН ПЕТРОВ"),
        ("birth_date", dt.date(1990, 3, 15), "15.03.1990"),
    ],
)
def test_document_and_name_variants_agree(category: str, a: object, b: object) -> None:
    """Separators, case, spacing and date formats do not change the category fingerprint."""
    kind = TEXT if category == "person_name" else category
    assert _fps(category, a, kind) and _fps(category, a, kind) == _fps(category, b, kind)


@given(_NSN, _NSN)
def test_different_values_differ(a: str, b: str) -> None:
    """Different numbers (or e-mails) give disjoint fingerprints."""
    if a != b:
        assert not _fps("phone", "+7" + a, "phone") & _fps("phone", "+7" + b, "phone")
        assert not _fps("email", f"{a}@mail.ru", "email") & _fps("email", f"{b}@mail.ru", "email")


def test_keys_and_kinds_separate() -> None:
    """Another key or another kind gives another fingerprint; the length is 16 bytes."""
    a = fingerprint(KEY, "email", "x@example.ru")
    assert len(a) == 16
    assert a != fingerprint(bytes(32), "email", "x@example.ru")
    assert a != fingerprint(KEY, TEXT, "x@example.ru")


def test_spans_in_free_text() -> None:
    """Phones, e-mails and INNs inside free text become candidates; None and bytes give nothing."""
    got = candidates(None, "Звоните +7 916 123-45-67 или пишите IVAN@example.ru, ИНН 7707083893")
    kinds = {k: t for k, t in got}
    assert kinds["phone"] == "+79161234567" and kinds["email"] == "ivan@example.ru"
    assert kinds["inn"] == "7707083893"
    assert (
        candidates(None, None) == [] and candidates("email", b"x@y.ru") == [] and candidates(None, "  ") == []
    )
