"""DeskTaskSink: a register self-check hit becomes a desk request on the desk's 24 h clock (REG-2, REG-5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domicile.app import init_data_dir, open_domicile
from domicile.audit import SqlAuditStore, verify_chain
from domicile.core.clock import FixedClock
from domicile.desk.runtime import init_desk, open_desk
from domicile.desk.service import Desk
from domicile.moderation.actions import RecordOnlyPlatform, TaskKind, TaskSink
from domicile.moderation.actions.desk_sink import DeskTaskSink
from domicile.moderation.pipeline import self_check_tasks
from domicile.moderation.queue import ReviewQueue, init_space, space_for
from domicile.moderation.registry import Matcher, XmlDumpParser
from domicile.service import Domicile
from domicile.settings import DomicileSettings

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
DUMP = (
    '<?xml version="1.0" encoding="windows-1251"?>'
    '<reg:register xmlns:reg="http://rsoc.ru" updateTime="2024-05-01T10:00:00+03:00" formatVersion="2.4">'
    '<content id="9" includeTime="2024-01-01T10:00:00" entryType="3" blockType="domain">'
    '<decision date="2024-01-02" number="27-31-2024/Ид9" org="Генпрокуратура"/>'
    "<domain><![CDATA[platform.example]]></domain><ip>203.0.113.9</ip></content></reg:register>"
)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[ReviewQueue, Desk, FixedClock, Matcher]]:
    """A real data folder (SQLite RU cell) with the moderation tables and a desk; the queue sinks to it."""
    settings = DomicileSettings(data_dir=tmp_path / "data")
    init_data_dir(settings)
    clock = FixedClock(T0)
    dom: Domicile = open_domicile(settings, clock=clock)
    init_space(dom)
    init_desk(settings)
    desk = open_desk(settings, dom=dom, clock=clock)
    platform = RecordOnlyPlatform()
    queue = ReviewQueue(
        space_for(dom), clock=clock, platform=platform, notifier=platform, task_sink=DeskTaskSink(desk)
    )
    dump = tmp_path / "dump.xml"
    dump.write_bytes(DUMP.encode("cp1251"))
    yield queue, desk, clock, Matcher.from_snapshot(XmlDumpParser().parse(dump))
    desk.close_resources()
    for cell in dom.cells.values():
        cell.close()


def test_self_check_hit_becomes_a_desk_request_with_the_24h_clock(
    setup: tuple[ReviewQueue, Desk, FixedClock, Matcher],
) -> None:
    """The task's external ref is a register_takedown request due 24 h after detection, like the task."""
    queue, desk, _, matcher = setup
    assert isinstance(DeskTaskSink(desk), TaskSink)
    out = self_check_tasks(queue, matcher, domains=["platform.example"], ips=["203.0.113.9"])
    assert out.created == len(out.tasks) == 2
    for task in out.tasks:
        assert task.kind is TaskKind.REGISTER_TAKEDOWN and task.due_at == T0 + timedelta(hours=24)
        assert task.external_ref is not None and task.external_ref.startswith("rq")
        request = desk.get(task.external_ref)
        assert (request.type_id, request.authority_type, request.channel) == (
            "register_takedown",
            "rkn",
            "api",
        )
        assert request.registry_entry_no == "9" and request.decision_no == "27-31-2024/Ид9"
        clocks = {c.clock_id: c.due_at for c in request.clocks}
        assert clocks["reg.takedown.remove"] == task.due_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert request.due_at == clocks["reg.takedown.remove"]
        assert request.items and request.items[0].content_id == f"asset:{task.target}"
    listed = desk.list_requests(type_id="register_takedown")
    assert sorted(r.id for r in listed) == sorted(t.external_ref or "" for t in out.tasks)
    cell = desk.cell
    with cell.engine.connect() as conn:  # type: ignore[attr-defined]
        report = verify_chain(
            SqlAuditStore(conn, cell.name, cell.keys.audit_key()), cell.name, cell.keys.audit_key()
        )
    assert report.ok  # desk and queue appended to one RU audit chain without forking it


def test_hand_over_is_idempotent_and_referrals_get_a_category(
    setup: tuple[ReviewQueue, Desk, FixedClock, Matcher],
) -> None:
    """Submitting the same task twice returns the first request; a referral becomes selfmon_detection."""
    queue, desk, clock, matcher = setup
    (task,) = self_check_tasks(queue, matcher, ips=["203.0.113.9"]).tasks
    from domicile.moderation.actions import TaskRequest

    again = TaskRequest(
        task.task_id, task.kind, task.clock_id, task.started_at, task.due_at, task.legal_basis,
        target=task.target, register_entry_id=task.register_entry_id,
    )  # fmt: skip
    assert DeskTaskSink(desk).submit(again) == task.external_ref
    assert len(desk.list_requests()) == 1
    from domicile.moderation.queue import Detector, Evidence, EvidenceKind

    case = queue.open_case(
        "vid:doubt-1", source="user_report", evidence=[Evidence(EvidenceKind.REPORT, Detector.USER_REPORT)],
        actor="svc:form", reason_code="report",
    )  # fmt: skip
    clock.advance(timedelta(hours=1))
    queue.claim(case.case_id, reviewer="staff:1")
    _, referral = queue.refer_to_rkn(case.case_id, reviewer="staff:1", reason_code="doubtful")
    assert referral.external_ref is not None
    request = desk.get(referral.external_ref)
    assert (request.type_id, request.category, request.channel) == (
        "selfmon_detection",
        "C-OTHER",
        "internal",
    )
    assert request.received_at == referral.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
