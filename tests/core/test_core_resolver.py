"""Residency resolver: which jurisdiction homes a subject, with evidence (PD-LOC-3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domicile.core.errors import InputError
from domicile.jurisdictions import default_registry
from domicile.residency.resolver import ResidencyResolver, Signals, phone_country

R = ResidencyResolver(default_registry())


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+79161234567", "RU"),  # Moscow mobile
        ("+74951234567", "RU"),  # Moscow landline
        ("+77012345678", "KZ"),  # Kazakh mobile (Beeline KZ)
        ("+77751234567", "KZ"),
        ("+77172123456", "KZ"),  # Astana landline
        ("+4915112345678", "DE"),
        ("+12025550123", "US"),
        ("+7000", None),  # too short
        ("not a number", None),
    ],
)
def test_phone_country_separates_kazakhstan_from_russia(number: str, country: str | None) -> None:
    """+7 is shared: 7xx numbers are Kazakh, never taken for Russian (PD-LOC-3)."""
    assert phone_country(number) == country


@pytest.mark.parametrize(
    ("signals", "home", "rule"),
    [
        (Signals(phones=("+77012345678",)), "GLOBAL", "catch-all"),
        (Signals(phones=("+79161234567",)), "RU", "strong:phone"),
        (Signals(citizenship=("RU",)), "RU", "strong:citizenship"),
        (Signals(citizenship=("KZ",), phones=("+77012345678",)), "GLOBAL", "catch-all"),
        # dual signals: a strong RU signal wins over any other country (conservative)
        (Signals(citizenship=("DE", "RU")), "RU", "strong:citizenship"),
        (Signals(citizenship=("DE",), phones=("+79161234567",)), "RU", "strong:phone"),
        (Signals(citizenship=("KZ",), residence="RU"), "RU", "strong:residence"),
        (
            Signals(citizenship=("RU",), residence="DE", phones=("+4915112345678",)),
            "RU",
            "strong:citizenship",
        ),
        # a weak RU signal (IP) homes in RU only when nothing strong points elsewhere
        (Signals(ip_country="RU"), "RU", "weak:ip"),
        (Signals(citizenship=("DE",), ip_country="RU"), "GLOBAL", "outweighed-weak"),
        (Signals(phones=("+77012345678",), ip_country="RU"), "GLOBAL", "outweighed-weak"),
        (Signals(), "GLOBAL", "no-evidence"),
    ],
)
def test_resolver_rules(signals: Signals, home: str, rule: str) -> None:
    """The decision and the rule that fired match the documented order (PD-LOC-3)."""
    decision = R.resolve(signals)
    assert (decision.jurisdiction, decision.rule) == (home, rule)


def test_decision_evidence_is_pd_free() -> None:
    """Evidence names signal kinds and countries, never the phone digits (no PD in evidence)."""
    decision = R.resolve(Signals(citizenship=("DE",), phones=("+79161234567",), ip_country="RU"))
    text = repr(decision.summary())
    assert "9161234567" not in text
    kinds = [e["kind"] for e in decision.summary()["evidence"]]  # type: ignore[index,union-attr]
    assert kinds == ["citizenship", "phone", "ip"]


@pytest.mark.parametrize(
    "raw",
    [
        {"citizenship": "Russia"},
        {"citizenship": [1]},
        {"residence": 7},
        {"nationality": "RU"},
        ["RU"],
    ],
)
def test_signals_reject_malformed_input(raw: object) -> None:
    """Malformed signals give one typed error."""
    with pytest.raises(InputError):
        Signals.from_mapping(raw)


_countries = st.sampled_from(["RU", "KZ", "DE", "US", "UA", "BY", "FR"])
_phones = st.sampled_from(
    ["+79161234567", "+74951234567", "+77012345678", "+4915112345678", "+12025550123", "x"]
)
_signals = st.builds(
    Signals,
    citizenship=st.lists(_countries, max_size=2).map(tuple),
    residence=st.none() | _countries,
    phones=st.lists(_phones, max_size=2).map(tuple),
    ip_country=st.none() | _countries,
)


@given(st.lists(_signals, min_size=1, max_size=30))
def test_cached_decisions_equal_fresh_ones(batch: list[Signals]) -> None:
    """PD-LOC-3: a resolver that remembers decisions gives each subject what a fresh resolver gives.

    The shared resolver has seen the earlier subjects of the batch; a fresh one has seen none.
    """
    shared = ResidencyResolver(default_registry())
    for s in batch:
        assert shared.resolve(s) == ResidencyResolver(default_registry()).resolve(s)
