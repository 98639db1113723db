"""Escalation at 50 %, 90 % and breach with a fake clock, through the webhook and SMTP notifiers."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from desk_kit import T0, DeskKit
from desk_sinks import HttpSink, SmtpSink, http_sink, smtp_sink

from domicile.desk.config import SmtpNotifierConfig, WebhookNotifierConfig
from domicile.desk.errors import DeskConfigError
from domicile.desk.incidents import IncidentInput
from domicile.desk.intake import Submission
from domicile.desk.notifiers import SIGNATURE_HEADER, SmtpNotifier, WebhookNotifier, build_notifier

SECRET = b"desk-hook-secret"


@pytest.fixture
def sinks() -> Iterator[tuple[HttpSink, SmtpSink]]:
    """A loopback webhook sink and SMTP sink."""
    with http_sink() as hook, smtp_sink() as mail:
        yield hook, mail


@pytest.fixture
def wired(make_kit: Callable[..., DeskKit], sinks: tuple[HttpSink, SmtpSink]) -> DeskKit:
    """A desk whose notifiers deliver to the two sinks."""
    hook, mail = sinks
    notifiers = [
        WebhookNotifier("hook", hook.url, secret=SECRET, timeout_s=5),
        SmtpNotifier("mail", mail.host, mail.port, "desk@example.ru", ["oncall@example.ru"], timeout_s=5),
    ]
    return make_kit(notifiers=notifiers)


def _levels(hook: HttpSink, mail: SmtpSink) -> tuple[list[str], list[str]]:
    hooks = [json.loads(body)["level"] for _, body in hook.received]
    mails = [
        str(message_from_bytes(raw, policy=policy.default)["X-Domicile-Level"]) for _, _, raw in mail.messages
    ]
    return hooks, mails


def test_immediate_clock_escalates_at_50_90_and_breach(
    wired: DeskKit, sinks: tuple[HttpSink, SmtpSink]
) -> None:
    """A Prosecutor General demand (1 h target) notifies once per level through both notifiers (PG-1)."""
    hook, mail = sinks
    desk = wired.desk
    r = desk.submit(
        Submission(type="pg_demand", authority_type="prosecutor_general", items=({"content_id": "c1"},)),
        channel="api",
        actor="svc:rkn-bridge",
    )
    steps = [(29, []), (30, ["50%"]), (31, ["50%"]), (54, ["50%", "90%"]), (61, ["50%", "90%", "breach"])]
    for minutes, expected in steps:
        wired.clock.set(T0 + timedelta(minutes=minutes))
        desk.escalate()
        hooks, mails = _levels(hook, mail)
        assert hooks == expected and mails == expected, minutes
    body = json.loads(hook.received[-1][1])
    assert body["request_id"] == r.request_id and body["clock_id"] == "pg.demand.restrict"
    assert body["legal_source"].startswith("149-FZ art. 15.3")
    headers, raw = hook.received[-1]
    expected_sig = "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == expected_sig
    sender, rcpts, _ = mail.messages[-1]
    assert sender == "desk@example.ru" and rcpts == ["oncall@example.ru"]
    events = [e.action for e in desk.get(r.request_id).events]
    assert events.count("desk.escalation") == 6


def test_breach_incident_alerts_at_12h_and_breaches_at_24h(
    wired: DeskKit, sinks: tuple[HttpSink, SmtpSink]
) -> None:
    """A breach incident's 24 h notice alerts at T+12 h and breaches after T+24 h (PD-BR-2), no PD sent."""
    hook, mail = sinks
    desk = wired.desk
    inc = desk.record_incident(
        IncidentInput(
            detected_at=T0,
            detected_by="internal",
            window_from=T0 - timedelta(days=1),
            window_to=T0,
            description="Утечка выгрузки",
            contact={"name": "Иван Иванов", "email": "ivan.ivanov@example.ru"},
        ),
        actor="staff:ir-1",
    )
    wired.clock.set(T0 + timedelta(hours=12))
    desk.escalate()
    assert _levels(hook, mail) == (["50%"], ["50%"])
    wired.clock.set(T0 + timedelta(hours=24, seconds=1))
    desk.escalate()
    hooks, _ = _levels(hook, mail)
    assert hooks == ["50%", "breach"]
    ids = {json.loads(b)["clock_id"] for _, b in hook.received}
    assert ids == {"pd.breach.notice_24h"}
    blob = b"".join(b for _, b in hook.received) + b"".join(raw for _, _, raw in mail.messages)
    for pd in (b"ivan.ivanov@example.ru", "Иван".encode(), "Утечка".encode()):
        assert pd not in blob
    assert inc.request_id.encode() in blob


def test_failed_delivery_is_recorded_and_retried(wired: DeskKit, sinks: tuple[HttpSink, SmtpSink]) -> None:
    """A notifier that fails is recorded as failed and retried on the next run; the other still delivers."""
    hook, mail = sinks
    desk = wired.desk
    desk.submit(
        Submission(type="pg_demand", authority_type="rkn", items=({"content_id": "c1"},)),
        channel="api",
        actor="svc:rkn-bridge",
    )
    hook.status = 500
    wired.clock.set(T0 + timedelta(minutes=31))
    run = desk.escalate()
    assert (run.sent, run.failed) == (1, 1)
    failed = next(d for d in run.deliveries if not d.ok)
    assert failed.notifier == "hook" and "500" in (failed.error or "")
    hook.status = 204
    again = desk.escalate()
    assert [(d.notifier, d.level, d.ok) for d in again.deliveries] == [("hook", "50%", True)]
    mail.reject = True
    wired.clock.set(T0 + timedelta(minutes=55))
    third = desk.escalate()
    assert {(d.notifier, d.ok) for d in third.deliveries} == {("hook", True), ("mail", False)}


def test_build_notifier_reads_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook secret comes from the environment variable the config names; a missing one is refused."""
    cfg = WebhookNotifierConfig(name="hook", url="http://127.0.0.1:9/x", secret_env="DESK_TEST_SECRET")
    monkeypatch.delenv("DESK_TEST_SECRET", raising=False)
    with pytest.raises(DeskConfigError, match="DESK_TEST_SECRET"):
        build_notifier(cfg)
    monkeypatch.setenv("DESK_TEST_SECRET", "s3")
    assert isinstance(build_notifier(cfg), WebhookNotifier)
    smtp = build_notifier(
        SmtpNotifierConfig(name="m", host="127.0.0.1", sender="a@b.ru", recipients=("c@d.ru",))
    )
    assert isinstance(smtp, SmtpNotifier) and smtp.port == 25
