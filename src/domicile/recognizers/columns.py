"""Column-level PD classification: what ``domicile scan`` calls per column.

Given a column name and a sample of its values, every recognizer runs on
every distinct non-empty value (a cheap digit/character pre-filter,
:meth:`Recognizer.may_match`, skips recognizers that cannot match). Per
category we count the values where it *fired*:

* **structured columns**: a hit needs score >= ``min_score`` and must cover
  >= ``min_coverage`` of the value; the category with the highest ``fraction * mean score`` wins if its
  fraction of hits is >= ``min_fraction``. One category per column.
* **free-text columns** (only if the structured rule finds nothing and the
  median value has >= ``free_text_words`` words): a hit needs score >=
  ``free_text_min_score`` anywhere in the value; every category hit in >=
  ``free_text_min_fraction`` of the values is reported (a ticket body can
  hold phones *and* e-mails).

Lookalikes are kept out three ways: checksums reject most random digit
strings (order numbers, barcodes, RRNs pass INN/OGRN/Luhn checks ~1-10 % of
the time, well below ``min_fraction``); weak forms (bare digits, any date)
have base scores below ``min_score`` and need a context word; and column
names with *negative* tokens (``order``, ``sku``, ``amount``, ``status``,
``created``...) subtract ``negative_penalty``. This supports the PD inventory
behind PD-LOC-1..3 (find every column holding PD of RU users).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from statistics import median

from domicile.core.errors import ConfigError
from domicile.recognizers.base import (
    SEPARATOR,
    Recognizer,
    column_tokens,
    context_in_tokens,
    count_digits,
)
from domicile.recognizers.registry import RecognizerRegistry

NONE = "none"

#: Column-name tokens that suggest a non-PD column that may look like PD.
NEGATIVE_CONTEXT: tuple[str, ...] = (
    "order", "sku", "product", "item", "article", "артикул", "заказ", "товар", "barcode", "ean", "gtin",
    "amount", "price", "total", "sum", "сумма", "цена", "qty", "quantity", "status", "статус", "uuid",
    "guid", "hash", "version", "created", "updated", "modified", "deleted", "timestamp", "delivery",
    "shipped", "tracking", "invoice", "transaction", "txn", "rrn", "reference", "ref", "count",
    "rating", "gift", "coupon", "promo", "voucher", "loyalty", "warehouse", "склад", "masked", "bin",
)  # fmt: skip


@dataclass(frozen=True)
class ClassifierConfig:
    """Thresholds of :func:`classify_column` (defaults tuned on the labeled synthetic DB).

    Raises:
        ConfigError: A threshold is outside its range.
    """

    min_score: float = 0.5
    min_coverage: float = 0.6
    min_fraction: float = 0.6
    free_text_words: int = 5
    free_text_min_score: float = 0.6
    free_text_min_fraction: float = 0.05
    negative_penalty: float = 0.3
    negative_context: tuple[str, ...] = NEGATIVE_CONTEXT
    max_values: int = 1000

    def __post_init__(self) -> None:
        for name in ("min_score", "min_coverage", "min_fraction", "free_text_min_score"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ConfigError(f"ClassifierConfig.{name} must be in (0, 1], got {v}")
        if not 0.0 < self.free_text_min_fraction <= 1.0 or not 0.0 <= self.negative_penalty <= 1.0:
            raise ConfigError("ClassifierConfig fractions and penalty must be in [0, 1]")
        if self.max_values < 1 or self.free_text_words < 1:
            raise ConfigError("ClassifierConfig.max_values and free_text_words must be >= 1")


@dataclass(frozen=True)
class CategoryEvidence:
    """Why a category was (or was not) chosen for a column.

    Attributes:
        category: The data category.
        hits: Values where it fired (per the structured or free-text rule).
        fraction: ``hits`` / non-empty values analysed.
        mean_score: Mean best score over the hits (after any penalty).
        checksum_passed: Hits whose best result passed a checksum/plausibility check.
        recognizers: (recognizer name, hits it produced the best result for).
        context_word: Context word found in the column name, if any.
        negative_word: Negative token found in the column name, if any.
    """

    category: str
    hits: int
    fraction: float
    mean_score: float
    checksum_passed: int
    recognizers: tuple[tuple[str, int], ...]
    context_word: str | None
    negative_word: str | None

    @property
    def support(self) -> float:
        """``fraction * mean_score``: how the winning category is picked."""
        return self.fraction * self.mean_score


@dataclass(frozen=True)
class ColumnClassification:
    """The verdict for one column, with its evidence.

    Attributes:
        column: Column name as given.
        category: Best category, or ``"none"``.
        confidence: For a PD category its support; for ``"none"`` 1 minus the
            best support seen.
        categories: All categories detected (several only for free text).
        free_text: Whether the free-text rule was used.
        analysed: Non-empty values analysed.
        evidence: Per-category evidence, best support first.
    """

    column: str
    category: str
    confidence: float
    categories: tuple[str, ...]
    free_text: bool
    analysed: int
    evidence: tuple[CategoryEvidence, ...] = field(default_factory=tuple)

    @property
    def is_pd(self) -> bool:
        """Whether any PD category was detected."""
        return bool(self.categories)


@dataclass
class _Tally:
    hits: int = 0
    score_sum: float = 0.0
    checksum: int = 0
    by_recognizer: dict[str, int] = field(default_factory=dict)
    context_word: str | None = None

    def add(self, score: float, recognizer: str, checked: bool, ctx: str | None, times: int) -> None:
        self.hits += times
        self.score_sum += score * times
        self.checksum += times if checked else 0
        self.by_recognizer[recognizer] = self.by_recognizer.get(recognizer, 0) + times
        self.context_word = self.context_word or ctx


_Best = tuple[float, str, bool, str | None]


def _tally(tallies: dict[str, _Tally], best: dict[str, _Best], times: int) -> None:
    for cat, (score, name, checked, ctx) in best.items():
        t = tallies.get(cat)
        if t is None:
            t = tallies[cat] = _Tally()
        t.add(score, name, checked, ctx, times)


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, (bytes, bytearray, memoryview)):
        return None
    else:
        text = str(value)
    return text if text and not text.isspace() else None  # = text.strip(), without the copy


def _evidence(tallies: dict[str, _Tally], n: int, negative: str | None) -> tuple[CategoryEvidence, ...]:
    return tuple(
        sorted(
            (
                CategoryEvidence(
                    category=cat,
                    hits=t.hits,
                    fraction=round(t.hits / n, 4),
                    mean_score=round(t.score_sum / t.hits, 4),
                    checksum_passed=t.checksum,
                    recognizers=tuple(sorted(t.by_recognizer.items(), key=lambda kv: -kv[1])),
                    context_word=t.context_word,
                    negative_word=negative,
                )
                for cat, t in tallies.items()
            ),
            key=lambda e: (-e.support, e.category),
        )
    )


def classify_column(
    column_name: str,
    values: Iterable[object],
    registry: RecognizerRegistry,
    config: ClassifierConfig | None = None,
) -> ColumnClassification:
    """Classify one column from its name and a sample of its values.

    The structured rule is tried first (one category covering whole values);
    the free-text rule only if it finds nothing and values are long.

    Args:
        column_name: The column's name (used as context).
        values: Sample values; ``None``, blanks and binary values are skipped.
            Only the first ``config.max_values`` non-empty values are analysed.
        registry: Recognizers to run.
        config: Thresholds; defaults if omitted.

    Returns:
        The classification with per-category evidence.
    """
    cfg = config or ClassifierConfig()
    texts: list[str] = list(islice(filter(None, map(_as_text, values)), cfg.max_values))
    if not texts:
        return ColumnClassification(column_name, NONE, 1.0, (), False, 0)
    long_values = median(map(len, map(str.split, texts))) >= cfg.free_text_words
    negative = context_in_tokens(column_tokens(column_name), cfg.negative_context)
    penalty = cfg.negative_penalty if negative else 0.0
    counts = Counter(texts)  # each distinct value is analysed once
    # A recognizer whose monotone pre-filter rejects all values joined together cannot match any.
    joined = SEPARATOR.join(counts)
    joined_digits = count_digits(joined)
    active = [r for r in registry if not (r.may_match_monotone and not r.may_match(joined, joined_digits))]
    # The default pre-filter is inlined: it runs (distinct values x recognizers) times. Recognizers
    # are grouped by MIN_DIGITS, so a value only meets those whose digit minimum it reaches (in
    # registry order); an overridden may_match is asked only when MIN_DIGITS and NEEDS_ANY pass.
    gates = [
        (
            rec.MIN_DIGITS,
            rec,
            rec.needs_any,
            type(rec).may_match is not Recognizer.may_match,
            bool(rec.column_context(column_name)),
        )
        for rec in active
    ]
    most = max((g[0] for g in gates), default=0)
    by_digits = [tuple(g[1:] for g in gates if g[0] <= d) for d in range(most + 1)]
    min_score, min_coverage, free_min = cfg.min_score, cfg.min_coverage, cfg.free_text_min_score
    structured: dict[str, _Tally] = {}
    free: dict[str, _Tally] = {}
    for text, times in counts.items():
        best_s: dict[str, _Best] | None = None  # created on the first hit: most values have none
        best_f: dict[str, _Best] | None = None
        digits = count_digits(text)
        for rec, needs, custom, in_name in by_digits[digits if digits < most else most]:
            if needs is not None and needs(text) is None:
                continue
            if custom and not rec.may_match(text, digits):
                continue
            for r in rec.analyze_value(text, column_name):
                score = r.score - penalty
                if score < min_score:
                    continue
                ctx = r.context_word if r.context_boost and in_name else None
                entry = (score, r.recognizer, bool(r.checksum), ctx)
                if r.coverage >= min_coverage:
                    if best_s is None:
                        best_s = {r.category: entry}
                    elif score > best_s.get(r.category, (-1.0,))[0]:
                        best_s[r.category] = entry
                if long_values and score >= free_min:
                    if best_f is None:
                        best_f = {r.category: entry}
                    elif score > best_f.get(r.category, (-1.0,))[0]:
                        best_f[r.category] = entry
        if best_s:
            _tally(structured, best_s, times)
        if best_f:
            _tally(free, best_f, times)
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
        best_support = ev_f[0].support if ev_f else 0.0
        return ColumnClassification(column_name, NONE, round(1.0 - best_support, 4), (), True, n, ev_f)
    best_support = ev_s[0].support if ev_s else 0.0
    return ColumnClassification(column_name, NONE, round(1.0 - best_support, 4), (), False, n, ev_s)
