"""Hypothesis strategies for synthetic PD values."""

from __future__ import annotations

import phonenumbers
from hypothesis import strategies as st

CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯ"
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüßÄÖÜ"
REGIONS = ["RU", "KZ", "DE", "US", "UA", "FR", "GB"]


def name_strategy() -> st.SearchStrategy[str]:
    part = st.text(alphabet=CYRILLIC + LATIN, min_size=1, max_size=20)
    return st.lists(part, min_size=1, max_size=3).map(" ".join).map(lambda s: s.replace("ß", "ss"))


@st.composite
def phone_strategy(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    national = str(example.national_number)
    tail = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    number = phonenumbers.PhoneNumber(
        country_code=example.country_code, national_number=int(national[:-4] + tail)
    )
    if not phonenumbers.is_valid_number(number):
        number = example
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@st.composite
def email_strategy(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z][a-z0-9]{0,10}([._+-][a-z0-9]{1,8}){0,2}", fullmatch=True))
    domain = draw(st.sampled_from(["mail.ru", "yandex.ru", "gmail.com", "web.de", "example.org", "bk.ru"]))
    return f"{local}@{domain}"


def date_strategy() -> st.SearchStrategy[str]:
    return st.dates().map(lambda d: d.isoformat())


def fields_strategy() -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {"given_name": name_strategy(), "phone": phone_strategy()},
        optional={
            "family_name": name_strategy(),
            "patronymic": name_strategy(),
            "email": email_strategy(),
            "birth_date": date_strategy(),
            "address": st.text(min_size=1, max_size=80).filter(lambda s: s.strip() != ""),
            "passport": st.from_regex(r"[0-9]{4} [0-9]{6}", fullmatch=True),
        },
    )
