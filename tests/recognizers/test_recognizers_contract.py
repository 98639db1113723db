"""Contract tests run over every registered recognizer (style rule 15).

Each recognizer's own ``examples()`` must behave as declared: valid ones give
a result of the recognizer's category, checksum-invalid ones give none
(PD-LOC-3: the PD inventory must not be polluted by lookalikes).
"""

from __future__ import annotations

from datetime import date

import pytest

from domicile.recognizers import CATEGORIES
from domicile.recognizers.base import Recognizer
from domicile.recognizers.registry import RecognizerRegistry

REGISTRY = RecognizerRegistry.default(today=date(2025, 6, 1))
ALL = list(REGISTRY)
IDS = [r.NAME for r in ALL]


@pytest.mark.parametrize("rec", ALL, ids=IDS)
def test_metadata_is_declared(rec: Recognizer) -> None:
    """NAME, COUNTRY_CODE, CATEGORY and CONTEXT are set at class level."""
    cls = type(rec)
    assert cls.NAME and cls.NAME == rec.NAME
    assert cls.COUNTRY_CODE == "*" or (len(cls.COUNTRY_CODE) == 2 and cls.COUNTRY_CODE.isupper())
    assert cls.CATEGORY in CATEGORIES
    assert cls.CONTEXT, "every recognizer needs context words"


@pytest.mark.parametrize("rec", ALL, ids=IDS)
def test_examples_cover_both_outcomes(rec: Recognizer) -> None:
    """Every recognizer ships at least two valid and two invalid fictitious examples."""
    examples = type(rec).examples()
    assert sum(e.valid for e in examples) >= 2
    assert sum(not e.valid for e in examples) >= 2


@pytest.mark.parametrize(
    ("rec", "value", "valid", "note"),
    [(r, e.value, e.valid, e.note) for r in ALL for e in type(r).examples()],
    ids=[f"{r.NAME}:{i}" for r in ALL for i, _ in enumerate(type(r).examples())],
)
def test_examples_behave_as_declared(rec: Recognizer, value: str, valid: bool, note: str) -> None:
    """Valid examples are found; checksum-invalid and implausible ones are rejected (PD-LOC-3)."""
    results = rec.analyze_value(value)
    assert bool(results) is valid, note
    for r in results:
        assert r.category == rec.CATEGORY and r.recognizer == rec.NAME


@pytest.mark.parametrize(
    ("rec", "value"),
    [(r, e.value) for r in ALL for e in type(r).examples() if e.valid],
)
def test_results_carry_evidence(rec: Recognizer, value: str) -> None:
    """Each result names its pattern, checksum outcome and context, with a score in [0, 1]."""
    for r in rec.analyze_value(value):
        assert 0.0 < r.score <= 1.0
        assert 0 <= r.start < r.end <= len(value)
        assert 0.0 < r.coverage <= 1.0
        assert r.pattern
        assert r.checksum in (True, None)
        assert (r.context_word is None) == (r.context_boost == 0.0)
        assert r.score == pytest.approx(
            min(1.0, r.base_score + r.context_boost + (rec.CHECKSUM_BONUS if r.checksum else 0.0)), abs=1e-3
        )


@pytest.mark.parametrize("rec", ALL, ids=IDS)
def test_empty_and_unrelated_values_give_nothing(rec: Recognizer) -> None:
    """Empty strings and plain words never produce a result."""
    assert rec.analyze_value("") == []
    assert rec.analyze_value("status: delivered ok") == []


def test_public_api_exported() -> None:
    """Every name in domicile.recognizers.__all__ and domicile.synthetic.__all__ exists."""
    import domicile.recognizers as rec_pkg
    import domicile.synthetic as syn_pkg

    for pkg in (rec_pkg, syn_pkg):
        missing = [name for name in pkg.__all__ if not hasattr(pkg, name)]
        assert not missing, f"{pkg.__name__}: {missing}"
    assert "classify_column" in rec_pkg.__all__ and "make_people" in syn_pkg.__all__
