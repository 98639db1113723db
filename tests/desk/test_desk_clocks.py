"""Clock rules as data: the RU pack's clocks, their sources, and the [U] override policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from domicile.desk.clocks import (
    ClockKind,
    ClockRegistry,
    describe_rule,
    load_clock_file,
    load_overrides_file,
    load_ru_clocks,
    ru_clocks_path,
)
from domicile.desk.deadline_errors import ClockConfigError, UnknownClockError

# Every clock of ru-requirements §7 and the desk issue, with its kind and amount.
EXPECTED = {
    "pd.breach.notice_24h": (ClockKind.HOURS, 24),
    "pd.breach.notice_72h": (ClockKind.HOURS, 72),
    "pd.dsr.access": (ClockKind.WORKING_DAYS, 10),
    "pd.dsr.refusal": (ClockKind.WORKING_DAYS, 10),
    "pd.dsr.stop_processing": (ClockKind.WORKING_DAYS, 10),
    "pd.dsr.rectify": (ClockKind.WORKING_DAYS, 7),
    "pd.dsr.erase": (ClockKind.WORKING_DAYS, 7),
    "pd.unlawful.stop": (ClockKind.WORKING_DAYS, 3),
    "pd.unlawful.destroy": (ClockKind.WORKING_DAYS, 10),
    "pd.purpose.destroy": (ClockKind.CALENDAR_DAYS, 30),
    "pd.consent.destroy": (ClockKind.CALENDAR_DAYS, 30),
    "pd.dissemination.stop": (ClockKind.WORKING_DAYS, 3),
    "pd.rkn.request": (ClockKind.WORKING_DAYS, 10),
    "pd.notice.change": (ClockKind.DAY_OF_NEXT_MONTH, 0),
    "pd.notice.cessation": (ClockKind.WORKING_DAYS, 10),
    "pd.xb.wait": (ClockKind.WORKING_DAYS, 10),
    "sn.selfmon.restrict": (ClockKind.IMMEDIATE, 0),
    "sn.selfmon.restrict_csam": (ClockKind.IMMEDIATE, 0),
    "sn.doubtful.refer": (ClockKind.HOURS, 24),
    "sn.appeal.decide": (ClockKind.CALENDAR_DAYS, 3),
    "sn.appeal.rkn_decision": (ClockKind.WORKING_DAYS, 30),
    "sn.annual_report": (ClockKind.ANNUAL_DATE, 0),
    "reg.takedown.remove": (ClockKind.HOURS, 24),
    "reg.delist": (ClockKind.CALENDAR_DAYS, 3),
    "pg.demand.restrict": (ClockKind.IMMEDIATE, 0),
    "rkn.contact.ack": (ClockKind.IMMEDIATE, 0),
    "hosting.owner_id": (ClockKind.WORKING_DAYS, 3),
    "le.data_request": (ClockKind.WORKING_DAYS, 3),
}


@pytest.fixture(scope="module")
def clocks() -> ClockRegistry:
    return load_ru_clocks()


def test_every_sla_clock_is_present_with_its_term(clocks: ClockRegistry) -> None:
    """§7 SLA table: each clock exists with the kind and amount the law gives."""
    for clock_id, (kind, amount) in EXPECTED.items():
        rule = clocks.rule(clock_id)
        assert (rule.kind, rule.amount) == (kind, amount), clock_id


def test_every_clock_cites_law_tag_and_requirements(clocks: ClockRegistry) -> None:
    """Each rule has a legal source, a [V]/[P]/[U] tag and at least one requirement ID."""
    assert len(clocks) >= len(EXPECTED)
    for rule in clocks:
        assert rule.source.act and rule.source.tag in ("[V]", "[P]", "[U]")
        assert rule.source.requirement_ids, rule.id
        assert rule.source.tag in rule.source.cite()


def test_dsr_extension_and_internal_targets(clocks: ClockRegistry) -> None:
    """PD-DSR-1 extends by 5 wd once with notice; immediate clocks default to 60 min, CSAM/ack 15."""
    ext = clocks.rule("pd.dsr.access").extension
    assert ext is not None and (ext.working_days, ext.max_times, ext.notice_required) == (5, 1, True)
    assert clocks.rule("pg.demand.restrict").internal_target_minutes == 60
    assert clocks.rule("sn.selfmon.restrict_csam").internal_target_minutes == 15
    assert clocks.rule("rkn.contact.ack").internal_target_minutes == 15
    assert clocks.rule("le.data_request").legal_review
    assert "15th of the next month" in describe_rule(clocks.rule("pd.notice.change"))
    assert "+5 wd once" in describe_rule(clocks.rule("pd.dsr.access"))


def test_u_clock_takes_any_override_and_records_it(clocks: ClockRegistry) -> None:
    """[U] items are configurable data: kind and amount change, with the label as evidence."""
    changed = clocks.with_overrides(
        {"sn.report.decide": {"kind": "working_days", "amount": 1}}, label="platform.yaml"
    )
    rule = changed.rule("sn.report.decide")
    assert (rule.kind, rule.amount, rule.overridden_by) == (ClockKind.WORKING_DAYS, 1, "platform.yaml")
    assert clocks.rule("sn.report.decide").kind is ClockKind.HOURS


def test_v_and_p_legal_terms_cannot_be_overridden(clocks: ClockRegistry) -> None:
    """A [V]/[P] statutory term is not config: only internal knobs may change."""
    with pytest.raises(ClockConfigError, match=r"\[V\].*amount"):
        clocks.with_overrides({"pd.breach.notice_24h": {"amount": 48}})
    with pytest.raises(ClockConfigError, match=r"\[P\]"):
        clocks.with_overrides({"reg.takedown.remove": {"kind": "working_days"}})
    ok = clocks.with_overrides({"pd.breach.notice_24h": {"escalation": [0.5, 0.75]}})
    assert ok.rule("pd.breach.notice_24h").escalation == (0.5, 0.75)


def test_bad_overrides_fail_whole_and_keep_the_registry(clocks: ClockRegistry) -> None:
    """An invalid override raises one typed error; nothing is applied."""
    with pytest.raises(ClockConfigError, match="unknown field"):
        clocks.with_overrides({"le.data_request": {"amont": 5}})
    with pytest.raises(ClockConfigError, match="amount"):
        clocks.with_overrides({"le.data_request": {"amount": 0}})
    with pytest.raises(ClockConfigError, match="id"):
        clocks.with_overrides({"le.data_request": {"id": "x"}})
    with pytest.raises(UnknownClockError):
        clocks.with_overrides({"le.data_request": {"amount": 5}, "nope": {"amount": 1}})
    assert clocks.rule("le.data_request").amount == 3


def test_overrides_file_round_trip(tmp_path: Path, clocks: ClockRegistry) -> None:
    """An overrides YAML file applies; a wrongly shaped one is a ClockConfigError."""
    path = tmp_path / "overrides.yaml"
    path.write_text("overrides:\n  le.data_request: {amount: 5}\n", encoding="utf-8")
    assert clocks.with_overrides(load_overrides_file(path)).rule("le.data_request").amount == 5
    path.write_text("overrides: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ClockConfigError, match=r"overrides\.yaml"):
        load_overrides_file(path)


def test_bad_clock_file_names_the_line(tmp_path: Path) -> None:
    """A clocks file with an invalid rule is refused with the file name and the rule's line."""
    text = ru_clocks_path().read_text(encoding="utf-8")
    broken = text.replace("    kind: hours\n    amount: 72\n", "    kind: hours\n    amount: 0\n", 1)
    assert broken != text
    path = tmp_path / "clocks.yaml"
    path.write_text(broken, encoding="utf-8")
    line = next(i for i, s in enumerate(broken.splitlines(), 1) if "amount: 0" in s)
    with pytest.raises(ClockConfigError) as info:
        load_clock_file(path)
    assert "clocks.yaml line" in str(info.value)
    assert line - 5 <= int(str(info.value).split("line ")[1].split(":")[0]) <= line


def test_duplicate_clock_ids_are_refused(clocks: ClockRegistry) -> None:
    """Two rules with one id cannot form a registry."""
    rule = clocks.rule("pd.dsr.access")
    with pytest.raises(ClockConfigError, match="duplicate"):
        ClockRegistry([rule, rule])


def test_rule_revision_validates(clocks: ClockRegistry) -> None:
    """A per-request revision is validated and labelled."""
    revised = clocks.rule("le.data_request").revised("demand", amount=7)
    assert (revised.amount, revised.overridden_by) == (7, "demand")
    with pytest.raises(ClockConfigError):
        clocks.rule("le.data_request").revised("demand", extension={"working_days": 0})
