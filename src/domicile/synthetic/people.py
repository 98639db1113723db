"""Fictitious people from Russia, Kazakhstan, Ukraine, Germany and the USA.

Used by tests, benchmarks and walk-throughs of residency routing (PD-LOC-3)
and PD discovery. Names and addresses come from Faker's locale data (ru_RU,
uk_UA, de_DE, en_US); identifiers are random with valid check digits; phone
numbers are E.164 and valid for their region per ``phonenumbers``. Faker has
no Kazakh locale, so Kazakh people get Russian-language names, Kazakh cities
and +7 7xx mobile numbers (region KZ).

Everything is deterministic for a given ``(n, origins, seed)``.

Example:
    >>> people = make_people(5, seed=1)
    >>> [p.origin for p in people]
    ['RU', 'KZ', 'UA', 'DE', 'US']
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, get_args

import phonenumbers

from domicile.core.errors import InputError
from domicile.recognizers.ru.checksums import PASSPORT_REGION_CODES, inn_check, snils_check

if TYPE_CHECKING:
    from faker import Faker

Origin = Literal["RU", "KZ", "UA", "DE", "US"]
ORIGINS: tuple[Origin, ...] = get_args(Origin)

_LOCALES: dict[Origin, str] = {"RU": "ru_RU", "KZ": "ru_RU", "UA": "uk_UA", "DE": "de_DE", "US": "en_US"}

#: Mobile prefixes (national significant number starts) that ``phonenumbers`` accepts.
_MOBILE_PREFIXES: dict[Origin, tuple[str, ...]] = {
    "RU": tuple(str(p) for p in range(900, 1000) if p != 930),
    "KZ": ("700", "701", "702", "705", "706", "707", "708", "747", "771", "775", "776", "777", "778"),
    "UA": ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"),
    "DE": ("151", "152", "157", "160", "162", "163", "170", "171", "172", "173", "175", "176", "177", "179"),
    "US": (),
}
_COUNTRY_CODE: dict[Origin, str] = {"RU": "7", "KZ": "7", "UA": "380", "DE": "49", "US": "1"}

_KZ_CITIES = (
    "Алматы", "Астана", "Шымкент", "Караганда", "Актобе", "Тараз", "Павлодар", "Усть-Каменогорск",
    "Семей", "Атырау", "Костанай", "Кызылорда", "Уральск", "Петропавловск", "Актау",
)  # fmt: skip
_KZ_INDEX_PREFIXES = ("01", "03", "05", "07", "08", "09", "10", "11", "13", "14", "15", "16", "18")

_CYR = "абвгґдеёєжзиіїйклмнопрстуфхцчшщъыьэюя"
_LAT = "a b v g g d e e ye zh z i i yi y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya"
_TRANSLIT = {c: ("" if t == "-" else t) for c, t in zip(_CYR, _LAT.split(" "), strict=True)}
_TRANSLIT.update({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "'": "", "’": ""})

_BIRTH_FROM = date(1945, 1, 1)
_BIRTH_SPAN_DAYS = (date(2010, 12, 31) - _BIRTH_FROM).days


@dataclass(frozen=True)
class SyntheticPerson:
    """One fictitious person with the PD fields a sign-up typically collects.

    Attributes:
        origin: Country the person was generated for.
        given_name: First name (script of the locale: Cyrillic for RU/KZ/UA).
        family_name: Surname.
        patronymic: Patronymic for RU/KZ/UA, else None.
        email: Lower-case ASCII address, unique within one ``make_people`` call.
        phone: Mobile number in E.164, valid for the origin's region.
        birth_date: ISO ``yyyy-mm-dd``.
        address: One-line postal address.
        citizenship: ISO 3166 alpha-2.
        residence: ISO 3166 alpha-2.
        passport: RU internal passport ``"SSSS NNNNNN"`` (RU only).
        inn: 12-digit personal INN with valid check digits (RU only).
        snils: SNILS ``"XXX-XXX-XXX YY"`` with valid check digits (RU only).
    """

    origin: Origin
    given_name: str
    family_name: str
    patronymic: str | None
    email: str
    phone: str
    birth_date: str
    address: str
    citizenship: str
    residence: str
    passport: str | None
    inn: str | None
    snils: str | None

    def pd_fields(self) -> dict[str, str]:
        """Return the non-None personal data values keyed by field name.

        ``origin``, ``citizenship`` and ``residence`` are routing attributes and
        are left out.
        """
        values: dict[str, str | None] = {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "patronymic": self.patronymic,
            "email": self.email,
            "phone": self.phone,
            "birth_date": self.birth_date,
            "address": self.address,
            "passport": self.passport,
            "inn": self.inn,
            "snils": self.snils,
        }
        return {k: v for k, v in values.items() if v is not None}


def transliterate(text: str) -> str:
    """Lower-case ASCII rendering of a Cyrillic or Latin name (for e-mail local parts)."""
    out: list[str] = []
    for ch in text.lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif ch.isascii():
            if ch.isalnum():
                out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
    return "".join(out)


def _phone(origin: Origin, rng: random.Random) -> str:
    """A valid mobile number of the origin's region, in E.164."""
    region = "US" if origin == "US" else origin
    while True:
        if origin == "US":
            area = f"{rng.randrange(2, 10)}{rng.randrange(100):02d}"
            nsn = f"{area}{rng.randrange(2, 10)}{rng.randrange(10**6):06d}"
        else:
            prefix = rng.choice(_MOBILE_PREFIXES[origin])
            rest = {"RU": 7, "KZ": 7, "UA": 7, "DE": rng.choice((7, 8))}[origin]
            nsn = prefix + f"{rng.randrange(10**rest):0{rest}d}"
        e164 = f"+{_COUNTRY_CODE[origin]}{nsn}"
        num = phonenumbers.parse(e164)
        if phonenumbers.is_valid_number(num) and phonenumbers.region_code_for_number(num) == region:
            return e164


def _email(given: str, family: str, domain: str, rng: random.Random, used: set[str]) -> str:
    g, f = transliterate(given) or "user", transliterate(family) or "mail"
    local = rng.choice((f"{g}.{f}", f"{g[0]}{f}", f"{f}_{g}", f"{g}{f}"))
    while True:
        candidate = f"{local}{rng.randrange(1, 10000)}@{domain}"
        if candidate not in used:
            used.add(candidate)
            return candidate


def _passport(rng: random.Random) -> str:
    region = rng.choice(sorted(PASSPORT_REGION_CODES))
    year = rng.choice((97, 98, 99, *range(25)))
    return f"{region}{year:02d} {rng.randrange(1, 10**6):06d}"


def _inn(rng: random.Random) -> str:
    body = rng.choice(sorted(PASSPORT_REGION_CODES)) + f"{rng.randrange(10**8):08d}"
    return body + inn_check(body)


def _snils(rng: random.Random) -> str:
    body = f"{rng.randrange(2_000_000, 10**9):09d}"
    d = body + snils_check(body)
    return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:]}"


def _name(fake: Faker, origin: Origin, female: bool) -> tuple[str, str, str | None]:
    if origin in ("RU", "KZ", "UA"):
        if female:
            return fake.first_name_female(), fake.last_name_female(), fake.middle_name_female()
        return fake.first_name_male(), fake.last_name_male(), fake.middle_name_male()
    given = fake.first_name_female() if female else fake.first_name_male()
    return given, fake.last_name(), None


def _address(fake: Faker, origin: Origin, rng: random.Random) -> str:
    if origin == "KZ":
        street = fake.street_name()
        flat = f", кв. {rng.randrange(1, 300)}" if rng.random() < 0.7 else ""
        index = rng.choice(_KZ_INDEX_PREFIXES) + f"{rng.randrange(10**4):04d}"
        return f"{index}, г. {rng.choice(_KZ_CITIES)}, {street}, д. {rng.randrange(1, 200)}{flat}"
    return ", ".join(part.strip() for part in fake.address().splitlines())


def make_people(
    n: int,
    origins: Sequence[Origin] = ORIGINS,
    seed: int = 0,
) -> list[SyntheticPerson]:
    """Generate ``n`` fictitious people, cycling through ``origins`` in order.

    Args:
        n: How many people to make (>= 0).
        origins: Countries to draw from; person ``i`` gets ``origins[i % len(origins)]``.
        seed: Seed; the same arguments always give the same people.

    Returns:
        The people, in order.

    Raises:
        InputError: ``n`` is negative, ``origins`` is empty or names an unknown country.
    """
    if n < 0:
        raise InputError("make_people: n must be >= 0")
    if not origins:
        raise InputError("make_people: origins must not be empty")
    unknown = sorted({o for o in origins if o not in ORIGINS})
    if unknown:
        raise InputError(f"make_people: unknown origin(s) {unknown}; expected some of {list(ORIGINS)}")
    from faker import Faker

    rng = random.Random(seed)
    fakers: dict[str, Faker] = {}
    for loc in sorted({_LOCALES[o] for o in origins}):
        fakers[loc] = Faker(loc)
        fakers[loc].seed_instance(seed)
    used: set[str] = set()
    people: list[SyntheticPerson] = []
    for i in range(n):
        origin = origins[i % len(origins)]
        fake = fakers[_LOCALES[origin]]
        given, family, patronymic = _name(fake, origin, female=rng.random() < 0.5)
        birth = _BIRTH_FROM + timedelta(days=rng.randrange(_BIRTH_SPAN_DAYS + 1))
        is_ru = origin == "RU"
        people.append(
            SyntheticPerson(
                origin=origin,
                given_name=given,
                family_name=family,
                patronymic=patronymic,
                email=_email(given, family, fake.free_email_domain(), rng, used),
                phone=_phone(origin, rng),
                birth_date=birth.isoformat(),
                address=_address(fake, origin, rng),
                citizenship=origin,
                residence=origin,
                passport=_passport(rng) if is_ru else None,
                inn=_inn(rng) if is_ru else None,
                snils=_snils(rng) if is_ru else None,
            )
        )
    return people
