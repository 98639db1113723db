"""The recognizer seam: one small ABC with declarative class-level tables.

A recognizer finds one data category (``CATEGORY``) in a single value. It
declares regular-expression ``PATTERNS`` with base scores, ``CONTEXT`` words
(column names and keywords, Russian and English) and implements
:meth:`Recognizer.validate` (checksum or plausibility) and
:meth:`Recognizer.examples` (fictitious valid and invalid values, used by the
contract tests). :meth:`Recognizer.analyze_value` combines them; every result
carries its evidence.

Scoring (per match)::

    score = min(1, pattern.score + CHECKSUM_BONUS * [validate is True] + CONTEXT_BOOST * [context found])

A match whose ``validate`` returns ``False`` is dropped: a checksum-invalid
number is never reported. ``None`` means "no check exists for this form".
Context is looked up in the column name, then in the text just before the
match (for free text).

Results never contain the matched text, only offsets: evidence may be logged
or stored in the audit log, and must stay free of personal data.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

#: Data categories the built-in recognizers report ("none" is the absence of PD).
CATEGORIES: tuple[str, ...] = (
    "ru_passport",
    "snils",
    "inn",
    "ogrn",
    "phone",
    "email",
    "person_name",
    "birth_date",
    "postal_address",
    "ip_address",
    "payment_card",
)

_SPLIT = re.compile(r"[^0-9a-zа-яёіїєґ]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CTX_CACHE_MAX = 4096
#: Joins a column's values for the column-wide pre-filter (not a digit, letter or space).
SEPARATOR = "\x00"


@dataclass(frozen=True)
class Pattern:
    """A named regular expression with the base score of a match.

    Attributes:
        name: Short identifier shown in the evidence (e.g. ``"formatted"``).
        regex: The expression; the candidate passed to ``validate`` is ``group``.
        score: Base score in [0, 1] before checksum and context.
        group: Group of the match to validate (0 = whole match).
    """

    name: str
    regex: str
    score: float
    group: int | str = 0


@dataclass(frozen=True)
class Example:
    """A fictitious value and whether the recognizer must accept it.

    Attributes:
        value: The text given to ``analyze_value``.
        valid: True if at least one result must be returned, False if none.
        note: Why the example is (in)valid, e.g. ``"wrong check digit"``.
    """

    value: str
    valid: bool
    note: str = ""


@dataclass(frozen=True)
class RecognizerResult:
    """One match, with the evidence that produced its score.

    Attributes:
        recognizer: ``NAME`` of the recognizer.
        category: Data category (``CATEGORY``).
        start: Offset of the match in the value.
        end: End offset (exclusive).
        pattern: Name of the pattern (or rule) that matched.
        score: Final score in [0, 1].
        base_score: The pattern's base score.
        checksum: Outcome of ``validate`` (True, or None if no check applies).
        context_boost: What the context added to the score.
        context_word: The context word found, if any.
        coverage: Share of the stripped value covered by the match, in (0, 1].
    """

    recognizer: str
    category: str
    start: int
    end: int
    pattern: str
    score: float
    base_score: float
    checksum: bool | None
    context_boost: float
    context_word: str | None
    coverage: float


#: Builds a :class:`RecognizerResult` by filling its ``__dict__`` in field order: the same object
#: as the constructor gives (tests/recognizers check it), without the frozen dataclass's eleven
#: ``object.__setattr__`` calls, which took half of a match's cost.
_new_object = object.__new__


def column_tokens(column_name: str) -> tuple[str, ...]:
    """Split a column name into lower-case tokens (``dateOfBirth`` -> date, of, birth)."""
    spaced = _CAMEL.sub(" ", column_name).lower()
    return tuple(t for t in _SPLIT.split(spaced) if t)


def context_in_tokens(tokens: tuple[str, ...], words: tuple[str, ...]) -> str | None:
    """Return the first context word present in ``tokens``, else None.

    Words of up to three letters must equal a token (``inn``); longer words
    may prefix one (``phone`` matches ``phones``); multi-word phrases must
    appear as consecutive tokens.
    """
    joined = " " + " ".join(tokens) + " "
    for word in words:
        if " " in word:
            if f" {word} " in joined:
                return word
        elif len(word) <= 3:
            if word in tokens:
                return word
        elif any(t.startswith(word) for t in tokens):
            return word
    return None


class Recognizer(ABC):
    """Finds one category of personal data in a single value.

    Subclasses set the class variables and implement :meth:`validate` and
    :meth:`examples`; most need nothing else. Override :meth:`analyze_value`
    only for recognizers that are not pattern-driven (names, addresses).
    """

    NAME: ClassVar[str]
    COUNTRY_CODE: ClassVar[str]  # ISO 3166 alpha-2, or "*" for generic
    CATEGORY: ClassVar[str]
    PATTERNS: ClassVar[tuple[Pattern, ...]] = ()
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    CHECKSUM_BONUS: ClassVar[float] = 0.3
    CONTEXT_BOOST: ClassVar[float] = 0.35
    #: How many characters before a match are searched for context words.
    TEXT_CONTEXT_WINDOW: ClassVar[int] = 32
    #: Cheap pre-filter (see :meth:`may_match`): fewest ASCII digits a match needs ...
    MIN_DIGITS: ClassVar[int] = 0
    #: ... and characters of which at least one must occur ("" = no requirement). Both bind
    #: an overridden ``may_match`` too: the column classifier checks them before calling it.
    NEEDS_ANY: ClassVar[str] = ""
    #: Whether an overridden ``may_match`` is monotone: True for a value implies True for any
    #: values joined by :data:`SEPARATOR` that include it. The column classifier then asks it
    #: once about the joined column to skip the recognizer for the whole column (the default
    #: ``may_match`` is monotone).
    MAY_MATCH_MONOTONE: ClassVar[bool] = False

    def __init__(self) -> None:
        self._compiled = tuple((p, re.compile(p.regex)) for p in self.PATTERNS)
        # one search over all patterns first: most values match none of them
        self._several = len(self._compiled) > 1
        self._any = re.compile("|".join(f"(?:{p.regex})" for p in self.PATTERNS)) if self.PATTERNS else None
        #: ``search`` of a character class of ``NEEDS_ANY`` (None if there is no requirement).
        self.needs_any = re.compile(f"[{re.escape(self.NEEDS_ANY)}]").search if self.NEEDS_ANY else None
        self._context = tuple(w.lower() for w in self.CONTEXT)
        self._ctx_cache: dict[str, str | None] = {}

    @abstractmethod
    def validate(self, candidate: str) -> bool | None:
        """Check a candidate's checksum or plausibility.

        Args:
            candidate: The matched text (the pattern's ``group``).

        Returns:
            True if valid, False if it must be rejected, None if no check applies.
        """

    @classmethod
    @abstractmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious values this recognizer must accept and must reject."""

    def may_match(self, value: str, digits: int) -> bool:
        """Cheap test whether :meth:`analyze_value` can find anything in ``value``.

        Args:
            value: The value.
            digits: Number of ASCII digits in it (see :func:`count_digits`).

        Returns:
            False only if no pattern can match; the column classifier skips
            the recognizer then. An override must also return False when
            ``MIN_DIGITS`` or ``NEEDS_ANY`` is not met.
        """
        if digits < self.MIN_DIGITS:
            return False
        return self.needs_any is None or self.needs_any(value) is not None

    @property
    def may_match_monotone(self) -> bool:
        """Whether :meth:`may_match` is the default one or declared ``MAY_MATCH_MONOTONE``."""
        return type(self).may_match is Recognizer.may_match or self.MAY_MATCH_MONOTONE

    def column_context(self, column_name: str | None) -> str | None:
        """The context word found in a column name, if any (cached per name)."""
        if not column_name or not self._context:
            return None
        try:
            return self._ctx_cache[column_name]
        except KeyError:
            found = context_in_tokens(column_tokens(column_name), self._context)
            if len(self._ctx_cache) < _CTX_CACHE_MAX:
                self._ctx_cache[column_name] = found
            return found

    def text_context(self, value: str, start: int) -> str | None:
        """The context word found in the text just before offset ``start``, if any."""
        if start == 0 or not self._context:
            return None
        window = value[max(0, start - self.TEXT_CONTEXT_WINDOW) : start].lower()
        for word in self._context:
            if word in window:
                return word
        return None

    def make_result(
        self,
        value: str,
        start: int,
        end: int,
        *,
        pattern: str,
        base: float,
        checksum: bool | None,
        column_name: str | None,
    ) -> RecognizerResult:
        """Build a result, adding the checksum bonus and context boost."""
        word = self.column_context(column_name) or self.text_context(value, start)
        boost = self.CONTEXT_BOOST if word else 0.0
        bonus = self.CHECKSUM_BONUS if checksum else 0.0
        stripped = len(value.strip()) or 1
        result = _new_object(RecognizerResult)  # = RecognizerResult(...), see below
        result.__dict__.update(
            recognizer=self.NAME,
            category=self.CATEGORY,
            start=start,
            end=end,
            pattern=pattern,
            score=round(min(1.0, base + bonus + boost), 4),
            base_score=base,
            checksum=checksum,
            context_boost=boost,
            context_word=word,
            coverage=min(1.0, (end - start) / stripped),
        )
        return result

    def analyze_value(self, value: str, column_name: str | None = None) -> list[RecognizerResult]:
        """Find this recognizer's category in ``value``.

        Args:
            value: One cell value or a piece of free text.
            column_name: Name of the column it came from, used as context.

        Returns:
            Non-overlapping results, highest score first; checksum-invalid
            candidates are left out.
        """
        found: list[RecognizerResult] = []
        if self._any is None or (self._several and self._any.search(value) is None):
            return found
        for pattern, rx in self._compiled:
            for m in rx.finditer(value):
                checksum = self.validate(m.group(pattern.group))
                if checksum is False:
                    continue
                found.append(
                    self.make_result(
                        value,
                        m.start(),
                        m.end(),
                        pattern=pattern.name,
                        base=pattern.score,
                        checksum=checksum,
                        column_name=column_name,
                    )
                )
        return _non_overlapping(found) if len(found) > 1 else found


_ASCII_DIGITS = b"0123456789"
_NOT_ASCII_DIGITS = bytes(b for b in range(256) if b not in _ASCII_DIGITS)
_DIGIT_RUN = re.compile(r"\d+")
_DIGITS_ELSE_SPACE = bytes(b if b in _ASCII_DIGITS else 0x20 for b in range(256))


class _LastRuns:
    """One-slot memo of :func:`digit_runs` (a tuple, so threads never see half an update)."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: tuple[str, frozenset[int]] = ("", frozenset())


_RUNS = _LastRuns()


def digit_runs(value: str) -> frozenset[int]:
    """Lengths of the maximal runs of digits in ``value`` (``\\d``: any Unicode decimal digit).

    A pattern ``(?<!\\d)\\d{10}(?!\\d)`` can only match if 10 is among them,
    which makes this a cheap, exact pre-filter. The last answer is kept:
    the pre-filters of all recognizers ask about the same value in turn.
    """
    last = _RUNS.last
    if last[0] is value:
        return last[1]
    if value.isascii():  # \d is 0-9 here: blank out everything else in the bytes and split
        runs = frozenset(map(len, value.encode().translate(_DIGITS_ELSE_SPACE).split()))
    else:
        runs = frozenset(map(len, _DIGIT_RUN.findall(value)))
    _RUNS.last = (value, runs)
    return runs


def count_digits(value: str) -> int:
    """Number of ASCII digits in ``value`` (fast, C-level).

    Counted in the UTF-8 bytes: every other character encodes to bytes >= 0x80
    only, and ``bytes.translate`` is far faster than ``str.translate`` on
    non-ASCII text (8x on a Cyrillic sentence).
    """
    raw = value.encode("utf-8", "surrogatepass")
    return len(raw) - len(raw.translate(None, _ASCII_DIGITS))


def _non_overlapping(results: list[RecognizerResult]) -> list[RecognizerResult]:
    if len(results) <= 1:
        return results
    kept: list[RecognizerResult] = []
    for r in sorted(results, key=lambda r: (-r.score, r.start - r.end)):
        if all(r.end <= k.start or r.start >= k.end for k in kept):
            kept.append(r)
    return kept


def digits_only(text: str) -> str:
    """Keep only the ASCII digits of ``text`` (in the UTF-8 bytes, as :func:`count_digits`)."""
    return text.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_DIGITS).decode("ascii")
