"""Person names in Cyrillic and Latin script, driven by name lists.

A name (ФИО) is PD (152-FZ art. 3 item 1). The recognizer looks at runs of
one to four capitalised (or upper-case, as on bank cards) words and
classifies each word as a known given name, a known family name, a patronymic (suffixes -ович/-евич/-ёвич/-ич,
-овна/-евна/-ична/-инична, Ukrainian -івна/-ївна) or a Cyrillic surname by
suffix (-ов/-ев/-ин/-ский/-енко/-ук...). Lists: :mod:`.name_data`.

Scores: two or more name words with a given name or patronymic among them
0.85; two other name words 0.6; one patronymic 0.6; one given name 0.55; one
listed family name 0.5; one surname by suffix only 0.35. A single word
therefore needs context (a column called ``first_name``/``фамилия``, or
"меня зовут" before it in free text) to be reported in free text, where the
column classifier asks for 0.6.
"""

from __future__ import annotations

import re

from domicile.recognizers.base import Example, Recognizer, RecognizerResult
from domicile.recognizers.ru.name_data import NameLists, fold, load_names

_UP = "A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ"
_LO = "a-zß-öø-ÿа-яёіїєґ'’"
_PART = rf"(?:[{_UP}][{_LO}]+|[{_UP}]{{2,}})"
_WORD = rf"{_PART}(?:-{_PART})*"
_RUN = re.compile(rf"(?<![\w-]){_WORD}(?: {_WORD}){{0,3}}(?![\w-])")
_PATRONYMIC = re.compile(r"(?:[оеё]вич|[оеё]вна|ична|[иії]вна|ич)$")
_SURNAME_SUFFIX = re.compile(
    r"(?:[оеёи]в|[оеёи]ва|[иы]н|[иы]на|ский|ская|цкий|цкая|енко|[ую]к|чук|ишин|ян|ец|ич)$"
)
_CYRILLIC = re.compile(r"[а-яёіїєґ]")

GIVEN, FAMILY, PATRONYMIC, SUFFIX, UNKNOWN = "G", "F", "P", "S", "U"
_WORD_CACHE_MAX = 65536


def _score_kinds(kinds: str) -> tuple[float, str]:
    known = [k for k in kinds if k != UNKNOWN]
    if len(known) >= 2:
        if GIVEN in known or PATRONYMIC in known:
            return 0.85, "full_name"
        return 0.6, "name_words"
    if not known:
        return 0.0, "unknown"
    return {
        PATRONYMIC: (0.6, "patronymic"),
        GIVEN: (0.55, "given_name"),
        FAMILY: (0.5, "family_name"),
    }.get(known[0], (0.35, "surname_suffix"))


_SCORED: dict[str, tuple[float, str]] = {}


def _known_spans(pos: int, words: list[str], kinds: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, kinds) of the runs of known words, the run starting at ``pos``."""
    spans: list[tuple[int, int, str]] = []
    cur_start, cur_end, cur_kinds = -1, -1, ""
    for word, kind in zip(words, kinds, strict=True):
        if kind == UNKNOWN:
            if cur_kinds:
                spans.append((cur_start, cur_end, cur_kinds))
            cur_kinds = ""
        else:
            if not cur_kinds:
                cur_start = pos
            cur_end, cur_kinds = pos + len(word), cur_kinds + kind
        pos += len(word) + 1
    if cur_kinds:
        spans.append((cur_start, cur_end, cur_kinds))
    return spans


class PersonNameRecognizer(Recognizer):
    """Given names, family names and patronymics (RU/UA/KZ/DE/EN lists)."""

    NAME = "person_name"
    COUNTRY_CODE = "RU"
    CATEGORY = "person_name"
    CONTEXT = (
        "name", "fio", "фио", "имя", "фамили", "отчеств", "surname", "given", "patronymic", "middle",
        "fullname", "first name", "last name", "firstname", "lastname", "fname", "lname",
        "зовут", "my name", "customer name", "contact person", "получатель", "recipient",
        "vorname", "nachname", "holder", "владелец",
    )  # fmt: skip
    CHECKSUM_BONUS = 0.0
    MAY_MATCH_MONOTONE = True

    def __init__(self, names: NameLists | None = None) -> None:
        """Build the recognizer.

        Args:
            names: Name lists to use; the packaged lists by default.
        """
        super().__init__()
        self._names = names if names is not None else load_names()
        self._word_cache: dict[str, str] = {}

    def may_match(self, value: str, digits: int) -> bool:
        """Names need at least one upper-case letter."""
        return value != value.lower()

    def classify_word(self, word: str) -> str:
        """Classify one word: G(iven), F(amily), P(atronymic), S(uffix) or U(nknown)."""
        kind = self._word_cache.get(word)
        if kind is None:
            kind = self._classify(word)
            if len(self._word_cache) < _WORD_CACHE_MAX:  # names repeat a lot; bounded memo
                self._word_cache[word] = kind
        return kind

    def _classify(self, word: str) -> str:
        folded = fold(word)
        parts = folded.split("-")
        if all(p in self._names.given for p in parts):
            return GIVEN
        if all(p in self._names.family for p in parts):
            return FAMILY
        if _CYRILLIC.search(folded) and len(folded) > 5 and _PATRONYMIC.search(folded):
            return PATRONYMIC
        if _CYRILLIC.search(folded) and len(folded) > 3 and _SURNAME_SUFFIX.search(folded):
            return SUFFIX
        return UNKNOWN

    @staticmethod
    def score_kinds(kinds: str) -> tuple[float, str]:
        """Score a run of classified words; return (score, rule)."""
        scored = _SCORED.get(kinds)
        if scored is None:
            scored = _score_kinds(kinds)
            if len(kinds) <= 4:  # a run has at most four words: at most 5**4 + ... keys
                _SCORED[kinds] = scored
        return scored

    def validate(self, candidate: str) -> bool | None:
        """True for two or more name words, None for one, False for none."""
        known = sum(self.classify_word(w) != UNKNOWN for w in candidate.split())
        return True if known >= 2 else (None if known == 1 else False)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious names and non-names."""
        return (
            Example("Иванов Иван Иванович", True, "full ФИО"),
            Example("Анна Сергеевна", True, "given name + patronymic"),
            Example("Mary Johnson", True, "Latin given + family name"),
            Example("Меня зовут Ольга", True, "given name after context"),
            Example("Смартфон Galaxy", False, "product words"),
            Example("Доставлен", False, "status word"),
        )

    def analyze_value(self, value: str, column_name: str | None = None) -> list[RecognizerResult]:
        """Find runs of name words; each run is split at unknown words."""
        results: list[RecognizerResult] = []
        cache = self._word_cache  # classify_word's memo, looked up inline
        for m in _RUN.finditer(value):
            words = m.group(0).split(" ")
            kinds = [cache.get(w) or self.classify_word(w) for w in words]
            if UNKNOWN not in kinds:  # the usual case: one span, the whole run
                spans = [(m.start(), m.end(), "".join(kinds))]
            else:
                spans = _known_spans(m.start(), words, kinds)
            for start, end, run_kinds in spans:
                score, rule = self.score_kinds(run_kinds)
                checksum = True if len(run_kinds) >= 2 else None
                results.append(
                    self.make_result(
                        value,
                        start,
                        end,
                        pattern=rule,
                        base=score,
                        checksum=checksum,
                        column_name=column_name,
                    )
                )
        return results
