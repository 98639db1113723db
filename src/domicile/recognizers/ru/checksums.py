"""Check digits and plausibility rules of Russian identifiers.

Pure functions with no dependencies, shared by the RU recognizers and the
synthetic data generator. Each ``*_valid`` takes digits only (callers strip
spaces and dashes) and returns ``False`` for the wrong length.

* SNILS (insurance number, Federal Law 27-FZ art. 6; format ``XXX-XXX-XXX YY``):
  check number = sum of digit * weight (weights 9..1); below 100 it is the sum,
  100/101 give 00, above that the sum mod 101 (100 -> 00). Numbers up to
  001-001-998 carry no check digits and are rejected here as implausible.
* INN (taxpayer number, Tax Code art. 84): 10 digits (organisations, one check
  digit) or 12 (individuals, two), weighted sums mod 11 mod 10.
* OGRN (13 digits, check = first 12 mod 11 mod 10) and OGRNIP (15 digits,
  starting 3 or 4, check = last digit of first 14 mod 13), Federal Law 129-FZ.
  python-stdnum's ``stdnum.ru.ogrn`` rejects OGRNIPs whose remainder is 10-12;
  we follow the registry rule (take the last digit of the remainder).
* Internal passport (Government Decree 828 of 08.07.1997): series ``SS YY``
  where ``SS`` is an OKATO region code and ``YY`` the year the form was
  printed (1997 onwards), then a 6-digit number.
"""

from __future__ import annotations

from operator import mul

_INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

#: OKATO region codes used as the first two digits of a passport series.
PASSPORT_REGION_CODES: frozenset[str] = frozenset(
    f"{c:02d}"
    for c in (
        1, 3, 4, 5, 7, 8, 10, 11, 12, 14, 15, 17, 18, 19, 20, 22, 24, 25, 26, 27, 28, 29, 30,
        32, 33, 34, 35, 36, 37, 38, 40, 41, 42, 44, 45, 46, 47, 49, 50, 52, 53, 54, 56, 57, 58,
        60, 61, 63, 64, 65, 66, 67, 68, 69, 70, 71, 73, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84,
        85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99,
    )
)  # fmt: skip


def is_ascii_digits(text: str) -> bool:
    """Whether ``text`` is non-empty and only ASCII 0-9 (``str.isdigit`` accepts other scripts)."""
    return text.isascii() and text.isdigit()


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    """Sum of digit * weight over the shorter of the two (ASCII digits: byte - 48)."""
    if digits.isascii() and digits.isdigit():
        raw = digits.encode("ascii")
        total: int = sum(map(mul, raw, weights))
        return total - 48 * sum(weights[: len(raw)])
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def snils_check(body: str) -> str:
    """Return the two check digits for a 9-digit SNILS body."""
    total = _weighted(body, (9, 8, 7, 6, 5, 4, 3, 2, 1))
    if total < 100:
        check = total
    elif total in (100, 101):
        check = 0
    else:
        check = total % 101
        if check == 100:
            check = 0
    return f"{check:02d}"


def snils_valid(digits: str) -> bool:
    """Whether an 11-digit SNILS has correct check digits (27-FZ art. 6)."""
    if len(digits) != 11 or not is_ascii_digits(digits):
        return False
    if int(digits[:9]) <= 1001998:  # issued before check digits existed
        return False
    return snils_check(digits[:9]) == digits[9:]


def inn_check(body: str) -> str:
    """Return the check digit(s) for a 9-digit (org) or 10-digit (person) INN body."""
    if len(body) == 9:
        return str(_weighted(body, _INN10_W) % 11 % 10)
    first = str(_weighted(body, _INN12_W1) % 11 % 10)
    second = str(_weighted(body + first, _INN12_W2) % 11 % 10)
    return first + second


def inn_valid(digits: str) -> bool:
    """Whether a 10- or 12-digit INN has correct check digits (Tax Code art. 84)."""
    if len(digits) not in (10, 12) or not is_ascii_digits(digits) or digits.startswith("00"):
        return False
    n = 9 if len(digits) == 10 else 10
    return inn_check(digits[:n]) == digits[n:]


def ogrn_valid(digits: str) -> bool:
    """Whether a 13-digit OGRN or 15-digit OGRNIP has a correct check digit (129-FZ)."""
    if not is_ascii_digits(digits) or digits[0] == "0":
        return False
    if len(digits) == 13:
        return int(digits[:12]) % 11 % 10 == int(digits[12])
    if len(digits) == 15 and digits[0] in "34":
        return int(digits[:14]) % 13 % 10 == int(digits[14])
    return False


def ogrn_check(body: str) -> str:
    """Return the check digit for a 12-digit OGRN or 14-digit OGRNIP body."""
    return str(int(body) % (11 if len(body) == 12 else 13) % 10)


def passport_plausible(digits: str) -> bool:
    """Whether 10 digits look like an RU internal passport series and number.

    The series' first pair must be an OKATO region code, the second a form
    print year from 1997 to 2039 (two digits: 97-99 or 00-39), and the number
    must not be all zeros.
    """
    if len(digits) != 10 or not is_ascii_digits(digits):
        return False
    year = int(digits[2:4])
    return digits[:2] in PASSPORT_REGION_CODES and (year >= 97 or year <= 39) and digits[4:] != "000000"
