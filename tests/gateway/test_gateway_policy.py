"""Transfer-rule evaluation against an oracle over random notices, switches and clocks (PD-XB-1..6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.core.clock import FixedClock
from domicile.core.errors import DeskError, InputError
from domicile.gateway.policy import TransferPolicy
from domicile.gateway.store import GatewayStore
from domicile.gateway.transfers import TransferRecords
from domicile.jurisdictions import default_registry

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
WAIT = timedelta(days=14)
ORDER = ["ru.xb.ban", "ru.xb.notice", "ru.xb.assessment", "ru.xb.wait"]


class FakeWait:
    """A mocked calendar: the wait ends 14 days after filing; or it cannot be computed."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.calls = 0

    def wait_over_at(self, jurisdiction: str, filed_at: datetime) -> datetime:
        self.calls += 1
        if self.broken:
            raise DeskError("no production-calendar data for 2027")
        return filed_at + WAIT


def _setup(wait: FakeWait) -> tuple[TransferRecords, TransferPolicy, GatewayStore]:
    store = GatewayStore.open("sqlite://")
    packs = default_registry()
    clock = FixedClock(NOW)
    records = TransferRecords(store, packs, clock)
    return records, TransferPolicy(records, packs, clock, wait), store


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    destination=st.sampled_from(["DE", "KZ", "US", "AE"]),
    notice=st.none() | st.tuples(st.integers(-40, 3), st.booleans(), st.booleans()),
    banned=st.booleans(),
    broken=st.booleans(),
)
def test_decision_matches_the_rules(
    destination: str, notice: tuple[int, bool, bool] | None, banned: bool, broken: bool
) -> None:
    """allowed <=> no ban, a filed notice, an assessment, and (adequate or legacy or wait over)."""
    wait = FakeWait(broken)
    records, policy, store = _setup(wait)
    adequate = destination in {"DE", "KZ"}
    filed = None
    legacy = False
    if notice is not None:
        offset, assessed, legacy = notice
        filed = datetime(2022, 12, 1, tzinfo=UTC) if legacy else NOW + timedelta(days=offset)
        records.record_notice(
            jurisdiction="RU",
            destination=destination,
            reference="R-1",
            filed_at=filed,
            recipient="Recipient",
            assessed_on=(filed - timedelta(days=1)).date().isoformat() if assessed else None,
            actor="t",
        )
    if banned:
        records.engage(jurisdiction="RU", destination=destination, decision_ref="B-1", actor="t")
    decision = policy.evaluate("RU", destination, ["contact"], "support.contact")
    store.close()

    failing = []
    if banned:
        failing.append("ru.xb.ban")
    elif filed is None or filed > NOW:
        failing.append("ru.xb.notice")
    elif notice is not None and not notice[1]:
        failing.append("ru.xb.assessment")
    elif not adequate and not legacy and (broken or filed + WAIT >= NOW):
        failing.append("ru.xb.wait")
    assert decision.allowed is (not failing)
    assert decision.controlled and decision.adequate is adequate
    refused = decision.refused_by
    assert (refused.rule if refused else None) == (failing[0] if failing else None)
    checked = [c.rule for c in decision.checks]
    assert checked == ORDER[: len(checked)]  # checks run in order and stop at the first failure
    if refused is not None:
        assert refused.legal_source and refused.detail
    if adequate or legacy:
        assert wait.calls == 0  # no waiting period is computed for adequate or legacy notices


def test_domestic_and_catch_all_are_not_controlled() -> None:
    """RU inside RU, and GLOBAL anywhere, are not cross-border transfers under any pack rule."""
    _, policy, store = _setup(FakeWait())
    for jurisdiction, destination in (("RU", "RU"), ("GLOBAL", "US")):
        decision = policy.evaluate(jurisdiction, destination, ["name"], "support.contact")
        assert decision.allowed and not decision.controlled and decision.checks == ()
    store.close()


def test_records_refuse_bad_input_without_writing() -> None:
    """Unknown country or category, GLOBAL, domestic destination, late assessment: InputError, no write."""
    records, _, store = _setup(FakeWait())
    base: dict[str, Any] = {"reference": "R", "filed_at": NOW, "recipient": "X", "actor": "t"}
    bad: list[dict[str, Any]] = [
        {"jurisdiction": "RU", "destination": "ZZ"},
        {"jurisdiction": "GLOBAL", "destination": "US"},
        {"jurisdiction": "RU", "destination": "RU"},
        {"jurisdiction": "RU", "destination": "US", "assessed_on": "2026-06-02"},
        {"jurisdiction": "RU", "destination": "US", "categories": ["dna"]},
        {"jurisdiction": "XX", "destination": "US"},
    ]
    for extra in bad:
        with pytest.raises(InputError):
            records.record_notice(**{**base, **extra})
    with pytest.raises(InputError, match="timezone-aware"):
        records.record_notice(
            jurisdiction="RU", destination="US", **{**base, "filed_at": datetime(2026, 1, 1)}
        )
    assert records.notices() == []
    store.close()
