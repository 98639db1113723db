"""The minors' policy: what a band may view, who may message whom, locked settings, signup, the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from domicile.moderation.actions import ModerationConfigError, ModerationInputError
from domicile.moderation.minors import (
    AgeBand,
    AgeLabel,
    ContentRating,
    DmPolicy,
    MinorsPolicy,
    ru_minors_path,
)

B = AgeBand
L = AgeLabel


@pytest.fixture(scope="module")
def policy() -> MinorsPolicy:
    """The RU pack's policy."""
    return MinorsPolicy.ru()


# (viewer band, label, codes, allowed): 436-FZ art. 6-10 categories and MIN-1, written out here.
VIEW_CASES = [
    (B.ADULT, L.EIGHTEEN, {"pornography"}, True),
    (B.AGE_16_17, L.EIGHTEEN, set(), False),
    (B.AGE_16_17, L.SIXTEEN, set(), True),
    (B.AGE_16_17, L.ZERO, {"obscene_language"}, False),
    (B.AGE_16_17, L.TWELVE, {"C-DRUG"}, False),
    (B.AGE_14_15, L.SIXTEEN, set(), False),
    (B.AGE_14_15, L.TWELVE, set(), True),
    (B.AGE_12_13, L.UNRATED, set(), True),  # unrated read as 12+ by the RU data
    (B.AGE_6_11, L.UNRATED, set(), False),
    (B.AGE_6_11, L.SIX, set(), True),
    (B.UNDER_6, L.SIX, set(), False),
    (B.UNDER_6, L.ZERO, {"harmless_tag"}, True),
]


@pytest.mark.parametrize(("band", "label", "codes", "allowed"), VIEW_CASES)
def test_view_rules(
    policy: MinorsPolicy, band: AgeBand, label: AgeLabel, codes: set[str], allowed: bool
) -> None:
    """Under-18s never get 18+ or MIN-1 content; labels stay within their age (MIN-1, MIN-3, MIN-6)."""
    decision = policy.can_view(band, ContentRating(label, frozenset(codes)))
    assert decision.allowed is allowed
    assert decision.policy_version == policy.version and decision.viewer_band is band
    if not allowed and codes & policy.prohibited_codes and label is not L.EIGHTEEN:
        assert decision.rule == "minor_prohibited" and set(decision.prohibited_codes) <= codes


@pytest.mark.parametrize(
    ("band", "dm", "mutual", "approved", "allowed", "rule"),
    [
        (B.AGE_14_15, DmPolicy.MUTUAL_OR_APPROVED, False, False, False, "stranger_to_minor"),
        (B.AGE_14_15, DmPolicy.EVERYONE, False, False, False, "stranger_to_minor"),
        (B.AGE_14_15, DmPolicy.MUTUAL_OR_APPROVED, True, False, True, "mutual_follow"),
        (B.AGE_14_15, DmPolicy.MUTUAL_OR_APPROVED, False, True, True, "approved_contact"),
        (B.AGE_14_15, DmPolicy.NOBODY, True, True, False, "recipient_dms_off"),
        (B.ADULT, DmPolicy.EVERYONE, False, False, True, "open_dms"),
        (B.ADULT, DmPolicy.MUTUAL_OR_APPROVED, False, False, False, "recipient_requires_mutual"),
    ],
)
def test_dm_rules(
    policy: MinorsPolicy, band: AgeBand, dm: DmPolicy, mutual: bool, approved: bool, allowed: bool, rule: str
) -> None:
    """No DMs from strangers to under-18s whatever their settings say; adults' own settings apply (MIN-5)."""
    settings = policy.defaults_for(band)
    from dataclasses import replace

    decision = policy.can_dm(
        recipient_band=band, recipient_settings=replace(settings, dm=dm), mutual_follow=mutual,
        approved_contact=approved,
    )  # fmt: skip
    assert (decision.allowed, decision.rule) == (allowed, rule)


@pytest.mark.parametrize("band", [b for b in AgeBand if b.is_minor])
def test_under_18_defaults(policy: MinorsPolicy, band: AgeBand) -> None:
    """Every under-18 band starts private, no stranger DMs, no precise location, no live or gifts (MIN-5)."""
    s = policy.defaults_for(band)
    assert s.private and s.dm is not DmPolicy.EVERYONE
    assert not (s.precise_location or s.live_streaming or s.gifting)


def test_locked_settings_can_tighten_but_not_loosen(policy: MinorsPolicy) -> None:
    """A 14-year-old cannot open DMs or location, but may close DMs; a 16-year-old may go public."""
    young = policy.defaults_for(B.AGE_14_15)
    updated, report = policy.apply_settings(
        B.AGE_14_15, young, {"dm": "everyone", "precise_location": True, "private": False}
    )
    assert updated == young and not any(c.applied for c in report)
    closed, report = policy.apply_settings(B.AGE_14_15, young, {"dm": "nobody"})
    assert closed.dm is DmPolicy.NOBODY and report[0].applied
    public, _ = policy.apply_settings(B.AGE_16_17, policy.defaults_for(B.AGE_16_17), {"private": False})
    assert not public.private
    with pytest.raises(ModerationInputError):
        policy.apply_settings(B.ADULT, policy.defaults_for(B.ADULT), {"telepathy": True})
    with pytest.raises(ModerationInputError):
        policy.apply_settings(B.ADULT, policy.defaults_for(B.ADULT), {"private": "yes"})


def test_signup_ages(policy: MinorsPolicy) -> None:
    """Below 13 refused; under 14 needs a guardian's consent; 14 and over sign up alone (PD-MIN-1)."""
    today = date(2025, 6, 1)
    assert policy.signup(date(2013, 6, 2), today).rule == "below_minimum_age"
    assert policy.signup(date(2012, 6, 1), today).rule == "guardian_consent_required"
    assert policy.signup(date(2012, 6, 1), today, guardian_consent=True).allowed
    ok = policy.signup(date(2011, 6, 1), today)
    assert ok.allowed and not ok.needs_guardian_consent and ok.band is B.AGE_14_15


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "minors.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_policy_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    """A broken policy file raises one ModerationConfigError naming the file, the field and the line."""
    raw = yaml.safe_load(ru_minors_path().read_text("utf-8"))
    raw["labels"][4]["min_age"] = 16
    with pytest.raises(ModerationConfigError) as info:
        MinorsPolicy.from_file(_write(tmp_path, raw))
    assert "minors.yaml" in str(info.value) and "18+" in str(info.value)
    raw = yaml.safe_load(ru_minors_path().read_text("utf-8"))
    raw["bands"][2]["defaults"]["dm"] = "anyone"
    with pytest.raises(ModerationConfigError) as info:
        MinorsPolicy.from_file(_write(tmp_path, raw))
    assert "bands.2.defaults.dm" in str(info.value) and "line" in str(info.value)
    raw = yaml.safe_load(ru_minors_path().read_text("utf-8"))
    del raw["bands"][5]
    with pytest.raises(ModerationConfigError):
        MinorsPolicy.from_file(_write(tmp_path, raw))
    bad = tmp_path / "broken.yaml"
    bad.write_text("version: [1\n", "utf-8")
    with pytest.raises(ModerationConfigError) as info:
        MinorsPolicy.from_file(bad)
    assert "line" in str(info.value)
