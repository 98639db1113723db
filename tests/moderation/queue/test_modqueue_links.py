"""The register's uses: links filtered for viewers in Russia, and self-checks turned into 24 h tasks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modqueue_helpers import OWNER, QueueEnv

from domicile.core.errors import InputError
from domicile.moderation.actions import GeoScope, ModerationInputError, TaskKind
from domicile.moderation.pipeline import LinkFilter, filter_for_viewer, self_check_tasks
from domicile.moderation.queue import CaseSource, CaseState, EvidenceKind
from domicile.moderation.registry import Matcher, Register, RegisterNotLoadedError, XmlDumpParser

HEAD = (
    '<?xml version="1.0" encoding="windows-1251"?>'
    '<reg:register xmlns:reg="http://rsoc.ru" xmlns:tns="http://rsoc.ru" '
    'updateTime="2024-05-01T10:00:00+03:00" updateTimeUrgently="2024-05-01T10:00:00+03:00" '
    'formatVersion="2.4">'
)
ENTRIES = [
    '<content id="1" includeTime="2024-01-01T10:00:00" entryType="1" blockType="default">'
    '<decision date="2024-01-01" number="1-РИ" org="Роскомнадзор"/>'
    "<url><![CDATA[http://bad.example/page]]></url><domain><![CDATA[bad.example]]></domain></content>",
    '<content id="2" includeTime="2024-01-02T10:00:00" entryType="3" blockType="domain">'
    '<decision date="2024-01-02" number="27-31-2024/Ид1" org="Генпрокуратура"/>'
    "<domain><![CDATA[riot.example]]></domain></content>",
    '<content id="3" includeTime="2024-01-03T10:00:00" entryType="1" blockType="default">'
    '<decision date="2024-01-03" number="3" org="ФНС"/>'
    "<url><![CDATA[https://secure.example/x]]></url></content>",
    '<content id="4" includeTime="2024-01-04T10:00:00" entryType="1" blockType="ip">'
    '<decision date="2024-01-04" number="4" org="суд"/><ip>203.0.113.7</ip></content>',
    '<content id="5" includeTime="2024-01-05T10:00:00" entryType="1" blockType="default">'
    '<decision date="2024-01-05" number="5-РИ" org="Роскомнадзор"/>'
    "<url><![CDATA[http://video.platform.example/v/123]]></url>"
    "<domain><![CDATA[video.platform.example]]></domain><ip>198.51.100.10</ip></content>",
]
BLOCKED = ["http://bad.example/page", "riot.example", "https://secure.example/other", "203.0.113.7"]
UNBLOCKED = ["http://bad.example/other", "good.example", "https://fine.example/a", "192.0.2.1"]


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small format-2.4 register export (windows-1251)."""
    path = tmp_path_factory.mktemp("reg") / "dump.xml"
    path.write_bytes((HEAD + "".join(ENTRIES) + "</reg:register>").encode("cp1251"))
    return path


@pytest.fixture(scope="module")
def matcher(dump: Path) -> Matcher:
    """The matcher over the small export."""
    return Matcher.from_snapshot(XmlDumpParser().parse(dump))


def test_viewer_in_russia_sees_blocked_links_redacted_with_reason(matcher: Matcher) -> None:
    """Blocked URLs, domains, https hosts and IPs are hidden for RU viewers with their legal basis (REG-6)."""
    text = "see " + " , ".join(BLOCKED + UNBLOCKED) + " ."
    out = filter_for_viewer(text, "RU", matcher)
    assert out.geo_scoped and out.changed
    for link in BLOCKED:
        assert link not in out.text
    for link in UNBLOCKED:
        assert link in out.text
    reasons = {text[r.start : r.end]: r.reason_code for r in out.redactions}
    assert reasons == {
        "http://bad.example/page": "reg-15.1",
        "riot.example": "reg-15.3",
        "https://secure.example/other": "reg-15.1",
        "203.0.113.7": "reg-15.1",
    }
    assert out.text.count("[link unavailable in Russia: reg-") == len(BLOCKED)
    assert {r.entry_ids for r in out.redactions} == {("1",), ("2",), ("3",), ("4",)}


def test_viewer_elsewhere_sees_the_text_unchanged_with_evidence(matcher: Matcher) -> None:
    """Outside Russia the register does not apply: the text is unchanged, the evidence says so."""
    text = "try riot.example or http://bad.example/page"
    out = filter_for_viewer(text, "DE", matcher)
    assert out.text == text and not out.geo_scoped and not out.changed
    assert len(out.redactions) == 2 and not any(r.applied for r in out.redactions)


_TOKENS = st.sampled_from(BLOCKED + UNBLOCKED + ["hello", "привет", "a.b", "x@y.example", ",", "(", ")"])


@settings(max_examples=80, deadline=None)
@given(tokens=st.lists(_TOKENS, max_size=12), country=st.sampled_from(["RU", "DE", "US", "KZ"]))
def test_filtering_is_geo_scoped_and_idempotent(matcher: Matcher, tokens: list[str], country: str) -> None:
    """Non-RU text never changes; RU output keeps no blocked link, so filtering it again changes nothing."""
    m = matcher
    text = " ".join(tokens)
    out = filter_for_viewer(text, country, m)
    if country != "RU":
        assert out.text == text
        return
    again = filter_for_viewer(out.text, "RU", m)
    assert again.text == out.text and not again.redactions
    for token in tokens:
        if token in UNBLOCKED:
            assert token in out.text


@pytest.mark.parametrize("country", ["ru", "RUS", "", "R1"])
def test_bad_viewer_country_is_a_typed_error(matcher: Matcher, country: str) -> None:
    """The viewer's country must be an ISO alpha-2 code."""
    with pytest.raises(ModerationInputError):
        filter_for_viewer("x", country, matcher)


def test_link_filter_without_a_register_fails_closed() -> None:
    """With no register loaded the filter refuses instead of showing unfiltered links to RU viewers."""
    with pytest.raises(RegisterNotLoadedError):
        LinkFilter(Register()).filter("riot.example", "RU")


class _Resolver:
    def resolve(self, url: str) -> tuple[str, str | None] | None:
        return ("vid:listed-1", OWNER) if url == "http://video.platform.example/v/123" else None


def test_self_check_opens_one_24h_task_per_hit_and_reruns_add_none(env: QueueEnv, matcher: Matcher) -> None:
    """Listed platform domains and IPs become takedown tasks due 24 h later (REG-2, REG-5)."""
    started = env.clock.now()
    out = self_check_tasks(
        env.queue, matcher, domains=["platform.example"], ips=["198.51.100.0/24", "203.0.113.0/24"],
        resolver=_Resolver(),
    )  # fmt: skip
    assert out.report.alert and out.created == len(out.tasks) >= 3
    assert {t.register_entry_id for t in out.tasks} == {"4", "5"}
    for task in out.tasks:
        assert task.kind is TaskKind.REGISTER_TAKEDOWN and task.clock_id == "reg.takedown.remove"
        assert task.due_at == started + timedelta(hours=24)
    sunk = {t.task_id: t for t in env.sink.tasks}
    assert all(sunk[t.task_id].kind.desk_request_type == "register_takedown" for t in out.tasks)
    (case,) = out.cases
    assert case.source is CaseSource.REGISTRY_NOTICE and case.state is CaseState.HELD
    assert case.held_scope is GeoScope.RU and case.action_clock == "reg.takedown.remove"
    view = env.queue.review(case.case_id, "staff:1")
    ev = view.evidence[0]
    assert (ev.kind, ev.register_entry_id, ev.decision_number) == (EvidenceKind.REGISTER, "5", "5-РИ")
    assert ev.legal_basis == "149-FZ art. 15.1" and ev.register_sha256 == matcher.register_sha256
    assert any(t.case_id == case.case_id for t in out.tasks)
    env.clock.advance(timedelta(hours=1))
    again = self_check_tasks(
        env.queue, matcher, domains=["platform.example"], ips=["198.51.100.0/24", "203.0.113.0/24"],
        resolver=_Resolver(),
    )  # fmt: skip
    assert again.created == 0 and again.cases == ()
    assert [t.task_id for t in again.tasks] == [t.task_id for t in out.tasks]


def test_self_check_with_a_bad_item_records_nothing_and_a_failing_sink_retries(
    env: QueueEnv, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed domain is a typed error naming its position; a refusing sink keeps the task local.

    The task is handed over after its unit commits: a sink that fails leaves it in the ledger
    without an external reference (audited), and the next sweep hands it over.
    """
    before = env.queue.tasks()
    with pytest.raises(InputError) as info:
        self_check_tasks(env.queue, matcher, domains=["ok.example", "bad domain!"])
    assert "domains[1]" in str(info.value)
    assert env.queue.tasks() == before

    def refuse(task: object) -> str:
        raise TimeoutError("desk unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(env.sink, "submit", refuse)
        out = self_check_tasks(env.queue, matcher, ips=["203.0.113.7"])
    (task,) = [t for t in out.tasks if t.target == "203.0.113.7"]
    assert task.external_ref is None and task.task_id not in {t.task_id for t in env.sink.tasks}
    failed = [r for r in env.audit_records() if r.action == "moderation.task.handover_failed"]
    assert any(r.details.get("task_id") == task.task_id for r in failed)
    env.queue.sweep()
    (again,) = [t for t in env.queue.tasks() if t.task_id == task.task_id]
    assert again.external_ref is not None and again.external_ref.startswith("mem-task:")
    assert env.sink.tasks[-1].task_id == task.task_id
