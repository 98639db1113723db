"""Every fast path of the recognizers and the column classifier gives the same answer as the slow one.

The scan-speed work (bench/bench_scan_quality.py) added pre-filters, memos and
re-implementations of library checks; each is compared here with a plain
reference (the code it replaced, or the library it shortcuts) on generated
inputs, so that speed never changes a verdict (PD-LOC-1..3).
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import FrozenInstanceError
from datetime import date
from statistics import median

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumber, PhoneNumberType

from domicile.recognizers import ClassifierConfig, ColumnClassification, classify_column
from domicile.recognizers.base import (
    SEPARATOR,
    Recognizer,
    RecognizerResult,
    column_tokens,
    context_in_tokens,
    count_digits,
    digit_runs,
    digits_only,
)
from domicile.recognizers.columns import NONE, _as_text, _evidence, _Tally
from domicile.recognizers.generic.network import IpAddressRecognizer
from domicile.recognizers.registry import RecognizerRegistry
from domicile.recognizers.ru.address import PostalAddressRecognizer
from domicile.recognizers.ru.checksums import inn_check, snils_check
from domicile.recognizers.ru.names import UNKNOWN, PersonNameRecognizer
from domicile.recognizers.ru.phone import is_valid_national, number_valid
from domicile.synthetic.people import make_people

REG = RecognizerRegistry.default(today=date(2025, 6, 1))
ASCII_DIGITS = "0123456789"

# Values shaped like what the recognizers look for, and like the lookalikes they must reject.
SHAPES = [
    r"\+7 \(9[0-9]{2}\) [0-9]{3}-[0-9]{2}-[0-9]{2}",
    r"8 9[0-9]{2} [0-9]{3} [0-9]{2} [0-9]{2}",
    r"[78]?9[0-9]{9}",
    r"\+(?:1|44|49|380|375) [0-9]{2,3} [0-9]{3,4} [0-9]{2,4}",
    r"00(?:1|44|380)[0-9]{8,10}",
    r"[0-9]{3}-[0-9]{3}-[0-9]{3}[ -][0-9]{2}",
    r"[0-9]{10,15}",
    r"[0-9]{2} ?[0-9]{2} (?:№ ?)?[0-9]{6}",
    r"(?:[0-9]{4}[ -]){3}[0-9]{4}",
    r"[0-9]{4} \*{4} \*{4} [0-9]{4}",
    r"(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?:[T ][0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?",
    r"[0-3][0-9][./][01][0-9][./](?:19|20)[0-9]{2}",
    r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}",
    r"[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}",
    r"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]",
    r"[a-z]{1,6}[._]?[a-z0-9]{0,4}@[a-z]{2,6}\.(?:ru|com|test)",
    r"(?:ORD|SKU|RA)-?[0-9]{4}-?[0-9]{6}(?:RU)?",
    r"[0-9a-f]{32}",
    r"[0-9]{1,5}\.[0-9]{2}",
    r"(?:г|ул|д|кв)\. ?[А-Я][а-я]{2,8}, (?:д\. )?[0-9]{1,3}",
    r"[А-Я][а-я]{2,9} [А-Я][а-я]{2,9}(?: [А-Я][а-я]{3,9}(?:вич|вна))?",
    r"[A-Z][a-z]{2,8}(?:straße|weg) [0-9]{1,3}, [0-9]{5} [A-Z][a-z]{3,8}",
    r"[0-9]{1,5} [A-Z][a-z]{3,8} (?:Street|Ave|Road), [A-Z][a-z]{3,8}, [A-Z]{2} [0-9]{5}",
    r"[A-Z]{3,8} [A-Z]{3,9}",
]
ALPHABET = "0123456789 +-().:/@_№,*#T\x00٣" + "abcxyzEFZ" + "АБВгдулкврМо"


def _shaped() -> st.SearchStrategy[str]:
    return st.sampled_from(SHAPES).flatmap(lambda rx: st.from_regex(rf"\A{rx}\Z"))


#: One value: a shaped one, random text, or shaped values glued with random text (free text).
VALUES = st.one_of(
    _shaped(),
    st.text(alphabet=ALPHABET, max_size=40),
    st.lists(st.one_of(_shaped(), st.text(alphabet=ALPHABET, max_size=12)), min_size=2, max_size=4).map(
        " ".join
    ),
)
COLUMN_NAMES = st.sampled_from(
    [
        "phone", "inn", "snils", "passport", "ogrn", "email", "last_ip", "birth_date", "address",
        "card_number", "full_name", "notes", "c0", "order_no", "created_at", "gift_card_number",
    ]
)  # fmt: skip


# --------------------------------------------------------------------------- small helpers
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_count_digits_counts_ascii_digits(text: str) -> None:
    """The UTF-8 byte count equals a per-character count, whatever the script (surrogates too)."""
    assert count_digits(text) == sum(c in ASCII_DIGITS for c in text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_digits_only_keeps_ascii_digits(text: str) -> None:
    """digits_only is the per-character filter it replaced."""
    assert digits_only(text) == "".join(c for c in text if "0" <= c <= "9")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET), st.text(alphabet=ALPHABET))
def test_digit_runs_memo_never_mixes_values(first: str, second: str) -> None:
    """digit_runs equals the run lengths of \\d+, also when asked about two values in turn."""
    for value in (first, second, first, first, second):
        assert digit_runs(value) == frozenset(len(r) for r in re.findall(r"\d+", value))


def _weighted_reference(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


@given(st.from_regex(r"\A[0-9]{9,10}\Z"))
def test_inn_and_snils_check_digits_equal_the_plain_weighted_sum(body: str) -> None:
    """The byte-based weighted sum gives the check digits of the per-digit formula (Tax Code art. 84)."""
    if len(body) == 9:
        assert inn_check(body) == str(_weighted_reference(body, (2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)
        total = _weighted_reference(body, (9, 8, 7, 6, 5, 4, 3, 2, 1))
        expected = total if total < 100 else (0 if total in (100, 101) else total % 101 % 100)
        assert snils_check(body) == f"{expected:02d}"
    else:
        first = str(_weighted_reference(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)
        second = str(_weighted_reference(body + first, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)
        assert inn_check(body) == first + second


def test_make_result_builds_an_ordinary_frozen_result() -> None:
    """The __dict__-filled result equals, hashes and prints like the constructor's, and stays frozen."""
    (made,) = REG.get("inn").analyze_value("ИНН 7707083893", "client_inn")
    fields = {k: getattr(made, k) for k in RecognizerResult.__dataclass_fields__}
    built = RecognizerResult(**fields)
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert vars(made) == vars(built) and list(vars(made)) == list(vars(built))
    with pytest.raises(FrozenInstanceError):
        made.score = 0.0  # type: ignore[misc]


# --------------------------------------------------------------------------- IP and phone checks
def _ip_reference(candidate: str) -> bool:
    try:
        addr = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return not addr.is_unspecified


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789abcdefABCDEF:.%/ g٣", max_size=24),
        st.ip_addresses().map(str),
        st.lists(
            st.sampled_from(["0", "1", "01", "00", "255", "256", "99", "100", "٣"]), min_size=3, max_size=5
        ).map(".".join),
    )
)
def test_ip_validate_equals_ipaddress(candidate: str) -> None:
    """The exception-free IPv4 check and the IPv6 group-count shortcut agree with the ipaddress module."""
    assert IpAddressRecognizer().validate(candidate) is _ip_reference(candidate)


COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _example_numbers() -> list[tuple[int, str]]:
    """Example numbers of every region and some types (libphonenumber metadata)."""
    out: list[tuple[int, str]] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE):
            ex = phonenumbers.example_number_for_type(region, kind)
            if ex is not None and ex.country_code is not None:
                out.append((ex.country_code, str(ex.national_number)))
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        ex = phonenumbers.example_number_for_non_geo_entity(cc)
        if ex is not None and ex.country_code is not None:
            out.append((ex.country_code, str(ex.national_number)))
    return out


EXAMPLES = _example_numbers()


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.tuples(st.sampled_from([*COUNTRY_CODES, 0, 42, 999]), st.from_regex(r"\A[1-9][0-9]{0,16}\Z")),
        st.tuples(st.sampled_from(EXAMPLES), st.integers(0, 30), st.sampled_from(ASCII_DIGITS)).map(
            lambda t: (t[0][0], (t[0][1][: t[1]] + t[2] + t[0][1][t[1] + 1 :]).lstrip("0") or "1")
        ),
    )
)
def test_is_valid_national_equals_phonenumbers(number: tuple[int, str]) -> None:
    """The precompiled type check answers as phonenumbers.is_valid_number (examples and one-digit changes)."""
    cc, nsn = number
    expected = phonenumbers.is_valid_number(PhoneNumber(country_code=cc, national_number=int(nsn)))
    assert is_valid_national(cc, nsn) is expected


def test_is_valid_national_on_every_example_number() -> None:
    """On all example numbers of the metadata (most of them valid) both checks agree."""
    expected = [
        phonenumbers.is_valid_number(PhoneNumber(country_code=cc, national_number=int(n)))
        for cc, n in EXAMPLES
    ]
    assert sum(expected) > 0.9 * len(EXAMPLES)
    assert [is_valid_national(cc, n) for cc, n in EXAMPLES] == expected


def _number_valid_reference(cc: int, national: str) -> bool:
    """number_valid before the speed work: direct check, then always parse on failure."""
    if not national or len(national) > 17 or not national.isascii() or not national.isdigit():
        return False
    if national[0] != "0" and phonenumbers.is_valid_number(
        PhoneNumber(country_code=cc, national_number=int(national))
    ):
        return True
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(f"+{cc}{national}")))
    except phonenumbers.NumberParseException:
        return False


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from([7, 1, 44, 49, 375, 380, 54, 52, 39, 998, 800, 882, 0, 999]),
    st.sampled_from(["", "0", "8", "80", "1", "15", "180020", "9"]),
    st.from_regex(r"\A[0-9]{0,13}\Z"),
)
def test_number_valid_skips_parse_only_when_parse_changes_nothing(cc: int, prefix: str, rest: str) -> None:
    """Skipping parse for numbers without the country's national prefix keeps every answer."""
    national = prefix + rest
    assert number_valid(cc, national) is _number_valid_reference(cc, national)


# --------------------------------------------------------------------------- pre-filters
@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_prefilters_never_hide_a_result(value: str) -> None:
    """may_match False, or MIN_DIGITS / NEEDS_ANY unmet, means analyze_value finds nothing."""
    digits = count_digits(value)
    for rec in REG:
        gate = digits >= rec.MIN_DIGITS and (rec.needs_any is None or rec.needs_any(value) is not None)
        if not (gate and rec.may_match(value, digits)):
            assert rec.analyze_value(value) == [], rec.NAME
            assert rec.analyze_value(value, rec.NAME) == [], rec.NAME


@settings(max_examples=300, deadline=None)
@given(VALUES, st.lists(VALUES, max_size=3), st.lists(VALUES, max_size=3))
def test_monotone_prefilters_hold_for_joined_values(value: str, before: list[str], after: list[str]) -> None:
    """A value passing a monotone may_match keeps it passing inside a column joined by SEPARATOR."""
    joined = SEPARATOR.join([*before, value, *after])
    for rec in REG:
        if rec.may_match_monotone and rec.may_match(value, count_digits(value)):
            assert rec.may_match(joined, count_digits(joined)), rec.NAME


def test_all_builtin_prefilters_are_monotone() -> None:
    """Every built-in recognizer takes part in the column-wide pre-filter."""
    assert all(rec.may_match_monotone for rec in REG)


class _Picky(Recognizer):
    """A plugin-style recognizer whose may_match is not monotone (short values only)."""

    NAME = "picky"
    COUNTRY_CODE = "*"
    CATEGORY = "email"
    CONTEXT = ("mail",)

    def may_match(self, value: str, digits: int) -> bool:
        return len(value) < 5

    def analyze_value(self, value: str, column_name: str | None = None) -> list[RecognizerResult]:
        return [
            self.make_result(value, 0, len(value), pattern="p", base=0.9, checksum=None, column_name=None)
        ]

    def validate(self, candidate: str) -> bool | None:
        return None

    @classmethod
    def examples(cls) -> tuple[()]:
        return ()


def test_non_monotone_prefilter_is_asked_per_value() -> None:
    """An overridden may_match without MAY_MATCH_MONOTONE is never asked about the joined column."""
    verdict = classify_column("x", ["abc", "de", "fgh"], RecognizerRegistry([_Picky()]))
    assert verdict.category == "email" and verdict.evidence[0].hits == 3


# --------------------------------------------------------------------------- names and addresses
def _score_reference(rec: PostalAddressRecognizer, value: str) -> tuple[float, list[tuple[str, int, int]]]:
    """_score without the script and digit gates: every feature is searched."""
    found, total = [], 0.0
    for pattern, rx in rec._compiled:
        m = rx.search(value)
        if m:
            found.append((pattern.name, m.start(), m.end()))
            total += pattern.score
    return min(1.0, total), found


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_address_feature_gates_change_nothing(value: str) -> None:
    """Skipping features that need Cyrillic, a capital or digits the value lacks gives the same score."""
    rec = REG.get("postal_address")
    assert isinstance(rec, PostalAddressRecognizer)
    assert rec._score(value) == _score_reference(rec, value)


def test_address_gates_on_synthetic_addresses() -> None:
    """On 400 fictitious addresses of RU/KZ/UA/DE/US people (most features present) the scores agree too."""
    rec = REG.get("postal_address")
    assert isinstance(rec, PostalAddressRecognizer)
    values = [p.address for p in make_people(400, seed=3)]
    assert sum(len(_score_reference(rec, v)[1]) >= 2 for v in values) > 300
    for value in values:
        assert rec._score(value) == _score_reference(rec, value)
        assert rec._score(value.upper()) == _score_reference(rec, value.upper())


def _names_reference(rec: PersonNameRecognizer, value: str) -> list[tuple[int, int, str]]:
    """(start, end, kinds) of known-word runs, by the word-by-word loop for every run."""
    from domicile.recognizers.ru.names import _RUN

    spans = []
    for m in _RUN.finditer(value):
        pos, cur_start, cur_end, cur = m.start(), -1, -1, ""
        for word in m.group(0).split(" "):
            kind = rec.classify_word(word)
            if kind == UNKNOWN:
                if cur:
                    spans.append((cur_start, cur_end, cur))
                cur = ""
            else:
                if not cur:
                    cur_start = pos
                cur_end, cur = pos + len(word), cur + kind
            pos += len(word) + 1
        if cur:
            spans.append((cur_start, cur_end, cur))
    return spans


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_name_runs_fast_path_equals_word_loop(value: str) -> None:
    """Runs of known words only are reported as one span, as the word-by-word loop does."""
    rec = REG.get("person_name")
    assert isinstance(rec, PersonNameRecognizer)
    got = [(r.start, r.end, r.base_score) for r in rec.analyze_value(value)]
    want = [(s, e, rec.score_kinds(k)[0]) for s, e, k in _names_reference(rec, value)]
    assert got == want


# --------------------------------------------------------------------------- the column classifier
def _classify_reference(
    column_name: str, values: list[object], registry: RecognizerRegistry, cfg: ClassifierConfig
) -> ColumnClassification:
    """classify_column before the speed work: every recognizer's may_match on every distinct value."""
    texts: list[str] = []
    for v in values:
        if v is None or isinstance(v, (bytes, bytearray, memoryview)):
            continue
        t = v if isinstance(v, str) else str(v)
        if t.strip():
            texts.append(t)
            if len(texts) >= cfg.max_values:
                break
    if not texts:
        return ColumnClassification(column_name, NONE, 1.0, (), False, 0)
    long_values = median(len(t.split()) for t in texts) >= cfg.free_text_words
    negative = context_in_tokens(column_tokens(column_name), cfg.negative_context)
    penalty = cfg.negative_penalty if negative else 0.0
    in_name = {rec.NAME: rec.column_context(column_name) for rec in registry}
    structured: dict[str, _Tally] = {}
    free: dict[str, _Tally] = {}
    for text, times in Counter(texts).items():
        best_s: dict[str, tuple[float, str, bool, str | None]] = {}
        best_f: dict[str, tuple[float, str, bool, str | None]] = {}
        digits = sum(c in ASCII_DIGITS for c in text)
        for rec in registry:
            if not rec.may_match(text, digits):
                continue
            for r in rec.analyze_value(text, column_name):
                score = r.score - penalty
                if score < cfg.min_score:
                    continue
                ctx = r.context_word if r.context_boost and in_name[rec.NAME] else None
                entry = (score, r.recognizer, bool(r.checksum), ctx)
                if r.coverage >= cfg.min_coverage and score > best_s.get(r.category, (-1.0,))[0]:
                    best_s[r.category] = entry
                if (
                    long_values
                    and score >= cfg.free_text_min_score
                    and score > best_f.get(r.category, (-1.0,))[0]
                ):
                    best_f[r.category] = entry
        for tallies, best in ((structured, best_s), (free, best_f)):
            for cat, (score, name, checked, ctx) in best.items():
                tallies.setdefault(cat, _Tally()).add(score, name, checked, ctx, times)
    n = len(texts)
    ev_s = _evidence(structured, n, negative)
    if ev_s and ev_s[0].fraction >= cfg.min_fraction:
        top = ev_s[0]
        return ColumnClassification(
            column_name, top.category, round(top.support, 4), (top.category,), False, n, ev_s
        )
    if long_values:
        ev_f = _evidence(free, n, negative)
        detected = tuple(e.category for e in ev_f if e.fraction >= cfg.free_text_min_fraction)
        if detected:
            top = ev_f[0]
            return ColumnClassification(
                column_name, top.category, round(top.support, 4), detected, True, n, ev_f
            )
        support = ev_f[0].support if ev_f else 0.0
        return ColumnClassification(column_name, NONE, round(1.0 - support, 4), (), True, n, ev_f)
    support = ev_s[0].support if ev_s else 0.0
    return ColumnClassification(column_name, NONE, round(1.0 - support, 4), (), False, n, ev_s)


#: A column: one shape repeated with variations (most real columns), or a mixture.
COLUMNS = st.one_of(
    st.sampled_from(SHAPES).flatmap(
        lambda rx: st.lists(st.from_regex(rf"\A{rx}\Z"), min_size=1, max_size=25)
    ),
    st.lists(st.one_of(VALUES, st.none(), st.integers(), st.just("  "), st.just(b"\x00")), max_size=25),
)


@settings(max_examples=250, deadline=None)
@given(COLUMN_NAMES, COLUMNS, st.sampled_from([1000, 3]))
def test_classify_column_equals_the_plain_loop(column: str, values: list[object], max_values: int) -> None:
    """Grouped, inlined and column-wide pre-filters give the very same verdict and evidence."""
    cfg = ClassifierConfig(max_values=max_values)
    assert classify_column(column, values, REG, cfg) == _classify_reference(column, values, REG, cfg)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers(), st.floats(), st.binary()))
def test_as_text_equals_strip_rule(value: object) -> None:
    """Blank means what str.strip() says; None and binary values are skipped."""
    if value is None or isinstance(value, bytes):
        assert _as_text(value) is None
    else:
        text = value if isinstance(value, str) else str(value)
        assert _as_text(value) == (text if text.strip() else None)
