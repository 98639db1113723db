"""Column classification: precision/recall on the labeled synthetic DB, and lookalikes.

Target from anchors.md / the Localization issue: precision and recall >= 0.95
per category, with no false positives on order numbers, SKUs, timestamps,
amounts, UUIDs and statuses (PD-LOC-1..3: the PD inventory must be complete
and must not flag non-PD columns).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from domicile.core.errors import ConfigError
from domicile.recognizers import CATEGORIES, NONE, ClassifierConfig, RecognizerRegistry, classify_column
from domicile.recognizers.ru.checksums import snils_check
from domicile.synthetic.labeled_db import LabeledDatabase, build_labeled_db, read_columns

REG = RecognizerRegistry.default(today=date(2025, 6, 1))
Labeled = tuple[LabeledDatabase, dict[tuple[str, str], list[object]]]


@pytest.fixture(scope="module")
def labeled(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LabeledDatabase, dict[tuple[str, str], list[object]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('scan') / 'labeled.db'}"
    db = build_labeled_db(url, rows=300, seed=11)
    return db, read_columns(url)


def per_category_scores(pairs: list[tuple[frozenset[str], frozenset[str]]]) -> dict[str, tuple[float, float]]:
    """Multi-label precision/recall per category over columns; empty sets count as 'none'."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for truth, pred in pairs:
        t = truth or frozenset({NONE})
        p = pred or frozenset({NONE})
        for c in p & t:
            tp[c] += 1
        for c in p - t:
            fp[c] += 1
        for c in t - p:
            fn[c] += 1
    cats = set(tp) | set(fp) | set(fn)
    return {
        c: (
            tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 0.0,
            tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 0.0,
        )
        for c in cats
    }


def test_precision_recall_per_category(
    labeled: Labeled,
) -> None:
    """Every category (and 'none') reaches precision and recall >= 0.95 on 300-row tables (PD-LOC-3)."""
    db, cols = labeled
    pairs = []
    for lab in db.labels:
        verdict = classify_column(lab.column, cols[(lab.table, lab.column)], REG)
        pairs.append((lab.categories, frozenset(verdict.categories)))
    scores = per_category_scores(pairs)
    assert set(CATEGORIES) | {NONE} <= set(scores), "the DB must exercise every category"
    low = {c: s for c, s in scores.items() if min(s) < 0.95}
    assert not low, f"precision/recall below 0.95: {low}"


def test_no_false_positive_without_column_names(
    labeled: Labeled,
) -> None:
    """With meaningless column names, no non-PD column is flagged and only context-dependent PD is missed."""
    db, cols = labeled
    for i, lab in enumerate(db.labels):
        verdict = classify_column(f"c{i}", cols[(lab.table, lab.column)], REG)
        if not lab.categories:
            assert not verdict.categories, f"{lab.table}.{lab.column} flagged as {verdict.categories}"
        elif lab.category not in ("birth_date",) and (lab.table, lab.column) != ("sellers", "phone"):
            assert set(verdict.categories) == set(lab.categories), f"{lab.table}.{lab.column}"


def test_free_text_reports_several_categories(
    labeled: Labeled,
) -> None:
    """Ticket bodies are classified by the free-text rule with phone, e-mail and name evidence."""
    _, cols = labeled
    verdict = classify_column("body", cols[("support_tickets", "body")], REG)
    assert verdict.free_text
    assert set(verdict.categories) == {"phone", "email", "person_name"}
    ev = {e.category: e for e in verdict.evidence}
    assert 0.0 < ev["email"].fraction < 1.0 and ev["email"].checksum_passed == ev["email"].hits


def test_evidence_explains_choice() -> None:
    """The verdict names the recognizers, hit fraction, checksum passes and the context word."""
    third = "156354829" + snils_check("156354829")
    values = [
        "112-233-445 95",
        "087-654-303 00",
        None,
        "",
        f"{third[:3]}-{third[3:6]}-{third[6:9]} {third[9:]}",
    ]
    verdict = classify_column("snils", values, REG)
    assert verdict.category == "snils" and verdict.analysed == 3
    top = verdict.evidence[0]
    assert top.recognizers[0][0] == "snils" and top.fraction == 1.0
    assert top.checksum_passed == 3 and top.context_word == "snils"
    assert verdict.confidence == pytest.approx(top.fraction * top.mean_score, abs=1e-3)


def _lookalikes(rng: random.Random, n: int) -> dict[str, list[str]]:
    base = datetime(2024, 5, 1)
    return {
        "order numbers": [f"9{rng.randrange(10**9):09d}" for _ in range(n)],
        "12-digit refs": [str(rng.randrange(10**11, 10**12)) for _ in range(n)],
        "13-digit codes": [str(rng.randrange(10**12, 10**13)) for _ in range(n)],
        "16-digit codes": [str(rng.randrange(10**15, 10**16)) for _ in range(n)],
        "timestamps": [str(base + timedelta(seconds=rng.randrange(10**7))) for _ in range(n)],
        "iso timestamps": [(base + timedelta(seconds=rng.randrange(10**7))).isoformat() for _ in range(n)],
        "amounts": [f"{rng.randrange(10**6) / 100:.2f}" for _ in range(n)],
        "uuids": [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)],
        "statuses": [rng.choice(["new", "paid", "Shipped", "Delivered", "CANCELLED"]) for _ in range(n)],
        "skus": [f"SKU-{rng.getrandbits(16):04X}-{rng.randrange(10**4):04d}" for _ in range(n)],
        "versions": [f"{rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(9)}" for _ in range(n)],
    }


@pytest.mark.parametrize("kind", sorted(_lookalikes(random.Random(0), 1)))
def test_lookalike_columns_are_not_pd(kind: str) -> None:
    """Non-PD columns that look like PD are 'none' even under a neutral column name."""
    values = _lookalikes(random.Random(kind), 200)[kind]
    verdict = classify_column("value", values, REG)
    assert verdict.category == NONE, verdict.evidence[:2]
    assert 0.0 <= verdict.confidence <= 1.0


def test_negative_context_penalises_weak_evidence() -> None:
    """A bare-digit column named like an order field loses the score a phone column name would give."""
    values = [f"916{i:07d}" for i in range(100)]
    assert classify_column("contact_phone", values, REG).category == "phone"
    penalised = classify_column("order_number", values, REG)
    assert penalised.category == NONE
    assert all(e.negative_word == "order" for e in penalised.evidence)


def test_empty_column_is_none() -> None:
    """A column with only NULLs and blanks is 'none' with nothing analysed."""
    verdict = classify_column("email", [None, "", "  ", b"\x00"], REG)
    assert verdict.category == NONE and verdict.analysed == 0 and not verdict.is_pd


def test_max_values_caps_the_sample() -> None:
    """Only the first max_values non-empty values are analysed."""
    verdict = classify_column("email", ["a@example.com"] * 50, REG, ClassifierConfig(max_values=10))
    assert verdict.analysed == 10 and verdict.category == "email"


@pytest.mark.parametrize(
    "kwargs",
    [{"min_score": 0.0}, {"min_fraction": 1.5}, {"free_text_min_fraction": 0.0}, {"max_values": 0}],
)
def test_bad_config_is_config_error(kwargs: dict[str, float]) -> None:
    """Out-of-range thresholds raise ConfigError naming the field."""
    with pytest.raises(ConfigError):
        ClassifierConfig(**kwargs)  # type: ignore[arg-type]


def test_module_has_no_pd_in_evidence(tmp_path: Path) -> None:
    """Evidence objects hold offsets and names only, never the matched value."""
    value = "ivan.petrov@example.ru"
    verdict = classify_column("email", [value], REG)
    assert value not in repr(verdict)
    assert value not in repr(REG.get("email").analyze_value(value))
