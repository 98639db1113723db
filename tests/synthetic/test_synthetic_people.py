"""Synthetic people: valid, region-correct phones and valid RU identifiers for any seed.

These people feed residency routing tests (PD-LOC-3: the +7 prefix and the
phone region are routing evidence, so a KZ number must really be KZ).
"""

from __future__ import annotations

import re

import phonenumbers
import pytest
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.ru import inn as std_inn

from domicile.core.errors import InputError
from domicile.recognizers.ru.checksums import passport_plausible, snils_valid
from domicile.synthetic import make_people
from domicile.synthetic.people import ORIGINS, transliterate

KZ_MOBILE = {"700", "701", "702", "705", "706", "707", "708", "747", "771", "775", "776", "777", "778"}


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_phones_valid_and_in_origin_region(seed: int) -> None:
    """Every phone is E.164, valid per phonenumbers and of the origin's region (KZ included)."""
    for p in make_people(10, seed=seed):
        assert re.fullmatch(r"\+[1-9][0-9]{7,14}", p.phone)
        num = phonenumbers.parse(p.phone)
        assert phonenumbers.is_valid_number(num)
        assert phonenumbers.region_code_for_number(num) == p.origin
        if p.origin == "KZ":
            assert p.phone.startswith("+77") and p.phone[2:5] in KZ_MOBILE


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_ru_identifiers_valid(seed: int) -> None:
    """RU people carry a plausible passport and INN/SNILS with valid checksums; others carry none."""
    for p in make_people(10, origins=("RU", "KZ"), seed=seed):
        if p.origin == "RU":
            assert p.passport and re.fullmatch(r"[0-9]{4} [0-9]{6}", p.passport)
            assert passport_plausible(p.passport.replace(" ", ""))
            assert p.inn and len(p.inn) == 12 and std_inn.is_valid(p.inn)
            assert p.snils and re.fullmatch(r"[0-9]{3}-[0-9]{3}-[0-9]{3} [0-9]{2}", p.snils)
            assert snils_valid(re.sub(r"\D", "", p.snils))
            assert p.patronymic
        else:
            assert p.passport is p.inn is p.snils is None
            assert p.citizenship == p.residence == "KZ"


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**16), n=st.integers(min_value=0, max_value=12))
def test_deterministic_per_seed(seed: int, n: int) -> None:
    """The same (n, origins, seed) gives the same people; origins cycle in order."""
    a = make_people(n, seed=seed)
    assert a == make_people(n, seed=seed)
    assert [p.origin for p in a] == [ORIGINS[i % len(ORIGINS)] for i in range(n)]


def test_different_seeds_differ() -> None:
    """Different seeds give different people."""
    assert make_people(5, seed=1) != make_people(5, seed=2)


def test_fields_well_formed() -> None:
    """Birth dates are ISO, e-mails valid and unique, countries alpha-2, pd_fields drops None."""
    people = make_people(100, seed=7)
    assert len({p.email for p in people}) == len(people)
    for p in people:
        validate_email(p.email, check_deliverability=False)
        assert re.fullmatch(r"(19[4-9][0-9]|200[0-9]|2010)-[01][0-9]-[0-3][0-9]", p.birth_date)
        assert p.citizenship == p.residence == p.origin
        fields = p.pd_fields()
        assert None not in fields.values()
        assert {"origin", "citizenship", "residence"}.isdisjoint(fields)
        assert ("patronymic" in fields) is (p.origin in ("RU", "KZ", "UA"))
        assert "\n" not in p.address


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n": -1}, "n must be"), ({"n": 1, "origins": ()}, "empty"), ({"n": 1, "origins": ("RU", "FR")}, "FR")],
)
def test_bad_arguments_raise_input_error(kwargs: dict[str, object], match: str) -> None:
    """Negative n, empty or unknown origins raise one InputError."""
    with pytest.raises(InputError, match=match):
        make_people(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "latin"), [("Щукина", "shchukina"), ("Подъячий", "podyachiy"), ("Müßig", "muessig")]
)
def test_transliterate(name: str, latin: str) -> None:
    """E-mail local parts are lower-case ASCII transliterations."""
    assert transliterate(name) == latin
