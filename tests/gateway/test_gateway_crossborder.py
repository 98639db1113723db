"""Cross-border transfer control through HTTP: notice, wait, kill switch, ledger (152-FZ art. 12)."""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, timedelta

import httpx
import pytest
from gateway_helpers import RU_PERSON, Env

from domicile.desk.calendar import load_ru_calendar, moscow_tz
from domicile.gateway.authz import Role
from domicile.gateway.transfers import LedgerEntry

MSK = moscow_tz()


def _detok(env: Env, location: str, tokens: list[str], purpose: str = "support.contact") -> httpx.Response:
    return env.call(
        "POST", "/v1/tokens/detokenize", Role.APP, location, json={"purpose": purpose, "tokens": tokens}
    )


def _ledger(env: Env) -> list[LedgerEntry]:
    return list(env.runtime.gateway.records.ledger())


def _audit_actions(env: Env, cell: str) -> list[str]:
    with env.dom.cell(cell).session() as s:
        return [r.action for r in s.audit.iter_records()]


def test_adequate_destination_needs_only_a_notice(env: Env) -> None:
    """DE (adequate): refused without a notice (ru.xb.notice), allowed as soon as one is filed (PD-XB-2/4)."""
    s = env.ru_subject()
    refused = _detok(env, "DE", [s.tokens["email"]])
    assert refused.status_code == 403
    body = refused.json()
    assert body["rule"] == "ru.xb.notice" and body["legal_source"] == "152-FZ art. 12 [V] (PD-XB-2)"
    assert body["evidence"]["adequate"] is True and body["evidence"]["destination"] == "DE"
    env.notice("DE", filed=env.clock.now() - timedelta(minutes=5))
    allowed = _detok(env, "DE", [s.tokens["email"]])
    assert allowed.status_code == 200
    assert allowed.json()["values"][0]["value"] == RU_PERSON["email"]


def test_non_adequate_destination_waits_ten_working_days(env: Env) -> None:
    """US (not adequate): refused through the 10th working day after the notice, allowed after (PD-XB-3)."""
    s = env.ru_subject()
    filed = dt.datetime(2026, 6, 1, 10, 0, tzinfo=MSK)
    env.notice("US", filed=filed)
    cal = load_ru_calendar()
    day9 = cal.add_working_days(filed.date(), 9)
    day10 = cal.add_working_days(filed.date(), 10)
    assert day10 > day9 > filed.date() + timedelta(days=9)  # 12 June (a holiday) and weekends skipped
    for when, status in (
        (dt.datetime.combine(day9, dt.time(23, 0), MSK), 403),
        (dt.datetime.combine(day10, dt.time(23, 59), MSK), 403),
        (dt.datetime.combine(day10 + timedelta(days=1), dt.time(0, 0, 1), MSK), 200),
    ):
        env.clock.set(when.astimezone(UTC))
        response = _detok(env, "US", [s.tokens["phone"]])
        assert response.status_code == status, (when, response.text)
        if status == 403:
            body = response.json()
            assert body["rule"] == "ru.xb.wait" and "PD-XB-3" in body["legal_source"]
            assert body["evidence"]["wait_over_at"].startswith(day10.isoformat())
    assert len(_ledger(env)) == 1


def test_kill_switch_stops_and_release_resumes(env: Env) -> None:
    """An engaged kill switch refuses with ru.xb.ban even with a valid notice; release restores (PD-XB-5)."""
    s = env.ru_subject()
    env.notice("DE")
    assert _detok(env, "DE", [s.tokens["email"]]).status_code == 200
    dpo = {"role": Role.DPO, "location": "RU"}
    engaged = env.call(
        "POST", "/v1/transfers/kill-switches", json={"destination": "DE", "decision_ref": "RKN-7"}, **dpo
    )
    assert engaged.status_code == 200 and engaged.json()["active"] is True
    refused = _detok(env, "DE", [s.tokens["email"]])
    assert refused.status_code == 403 and refused.json()["rule"] == "ru.xb.ban"
    assert "Gov. Decree No. 24" in refused.json()["legal_source"]
    released = env.call("DELETE", "/v1/transfers/kill-switches/RU/DE", **dpo)
    assert released.status_code == 200 and released.json()["active"] is False
    assert _detok(env, "DE", [s.tokens["email"]]).status_code == 200
    assert len(_ledger(env)) == 2


def test_ledger_entries_exactly_for_allowed_transfers(env: Env) -> None:
    """A mixed sequence writes one ledger entry per allowed cross-border release and none otherwise."""
    subjects = [env.ru_subject(email=f"user{i}@mail.ru", phone=f"+7916123450{i}") for i in range(3)]
    tokens = [s.tokens["email"] for s in subjects]
    records = env.runtime.gateway.records
    steps = [  # (what happens first, caller location, expected status)
        (None, "DE", 403),  # no notice yet
        ("notice", "DE", 200),
        (None, "RU", 200),  # domestic: never ledgered
        (None, "US", 403),  # no notice for US
        ("ban", "DE", 403),
        (None, "RU", 200),
        ("release", "DE", 200),
    ]
    allowed_abroad = []
    for i, (event, location, status) in enumerate(steps):
        if event == "notice":
            env.notice("DE", filed=env.clock.now() - timedelta(hours=1))
        elif event == "ban":
            records.engage(jurisdiction="RU", destination="DE", decision_ref="B1", actor="t")
        elif event == "release":
            records.release(jurisdiction="RU", destination="DE", actor="t")
        response = _detok(env, location, tokens)
        assert response.status_code == status, (i, response.text)
        notes = response.json().get("transfers", [])
        if status == 200 and location != "RU":
            assert [n["destination"] for n in notes] == [location]
            allowed_abroad.append(notes[0]["ledger_id"])
        else:
            assert notes == []
    entries = records.ledger()
    assert [e.id for e in entries] == allowed_abroad and len(entries) == 2
    for entry in entries:
        assert (
            entry.principal == "t-app-de" and entry.destination == "DE" and entry.purpose == "support.contact"
        )
        assert entry.categories == ("contact",) and entry.fields == ("email",) and entry.value_count == 3
        assert sorted(entry.subjects) == sorted(s.subject_id for s in subjects)
    dumped = json.dumps([vars(e) for e in entries], ensure_ascii=False)
    assert not [v for s in subjects for v in (RU_PERSON["given_name"], s.subject_id + "x") if v in dumped]
    assert not any(f"user{i}@mail.ru" in dumped for i in range(3))


def test_domestic_callers_are_unaffected(env: Env) -> None:
    """Inside Russia: no notice needed, kill switches elsewhere do not matter, nothing is ledgered."""
    s = env.ru_subject()
    env.runtime.gateway.records.engage(jurisdiction="RU", destination="DE", decision_ref="B1", actor="t")
    read = env.call("GET", f"/v1/subjects/{s.subject_id}", params={"purpose": "support.ticket"})
    assert read.status_code == 200 and read.json()["values"]["phone"] == RU_PERSON["phone"]
    assert read.json()["transfer"] is None
    assert _detok(env, "RU", [s.tokens["phone"]]).status_code == 200
    assert _ledger(env) == []


def test_foreign_read_is_a_transfer_and_is_ledgered(env: Env) -> None:
    """GET from abroad is remote access (ru.remote-access): refused without a notice, else ledgered."""
    s = env.ru_subject()
    path = f"/v1/subjects/{s.subject_id}"
    refused = env.call("GET", path, location="DE", params={"purpose": "profile.view"})
    assert refused.status_code == 403 and refused.json()["evidence"]["basis"] == "ru.remote-access"
    assert "transfer.refused" in _audit_actions(env, "ru-msk-1")
    env.notice("DE", categories=["name"])
    narrow = env.call("GET", path, location="DE", params={"purpose": "profile.view"})
    assert narrow.status_code == 403 and "categories" in narrow.json()["message"]
    ok = env.call("GET", path, location="DE", params={"purpose": "profile.view", "fields": ["given_name"]})
    assert ok.status_code == 200 and ok.json()["values"] == {"given_name": RU_PERSON["given_name"]}
    note = ok.json()["transfer"]
    (entry,) = _ledger(env)
    assert note["ledger_id"] == entry.id and entry.categories == ("name",)
    assert "transfer.crossborder" in _audit_actions(env, "ru-msk-1")


def test_notice_must_list_the_purpose_and_record_the_assessment(env: Env) -> None:
    """A notice for other purposes refuses (ru.xb.notice); one without an assessment refuses (PD-XB-1)."""
    s = env.ru_subject()
    env.notice("DE", purposes=["marketing.email"])
    response = _detok(env, "DE", [s.tokens["email"]])
    assert response.status_code == 403 and "purpose" in response.json()["message"]
    env.notice("DE", assessed_on=None)
    response = _detok(env, "DE", [s.tokens["email"]])
    assert response.json()["rule"] == "ru.xb.assessment"


def test_withdrawn_notice_stops_transfers(env: Env) -> None:
    """After withdrawal the destination is refused again by ru.xb.notice."""
    s = env.ru_subject()
    notice = env.notice("DE")
    assert _detok(env, "DE", [s.tokens["email"]]).status_code == 200
    withdrawn = env.call("POST", f"/v1/transfers/notices/{notice.id}/withdraw", Role.DPO, "RU")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    assert _detok(env, "DE", [s.tokens["email"]]).json()["rule"] == "ru.xb.notice"


def test_wait_fails_closed_when_the_calendar_year_is_missing(env: Env) -> None:
    """A notice whose waiting period runs into a year with no calendar data refuses (never guesses)."""
    s = env.ru_subject()
    filed = dt.datetime(2026, 12, 24, 12, 0, tzinfo=MSK)
    env.notice("US", filed=filed)
    env.clock.set(dt.datetime(2027, 3, 1, tzinfo=UTC))
    response = _detok(env, "US", [s.tokens["email"]])
    assert response.status_code == 403
    body = response.json()
    assert (
        body["rule"] == "ru.xb.wait" and "cannot be computed" in body["message"] and "2027" in body["message"]
    )


def test_create_from_abroad_stores_at_home_and_echoes_no_pd(env: Env) -> None:
    """A foreign sign-up lands in the RU cell (PD-LOC-1); the response holds ids and tokens only."""
    body = {"fields": RU_PERSON, "signals": {"citizenship": ["RU"]}}
    response = env.call("POST", "/v1/subjects", location="US", json=body)
    assert response.status_code == 201
    assert response.json()["cell"] == "ru-msk-1"
    assert not [v for v in RU_PERSON.values() if v in response.text]
    assert set(response.json()["tokens"]) == set(RU_PERSON)
    assert _ledger(env) == []


def test_global_subjects_have_no_transfer_rules(env: Env) -> None:
    """A German subject read from the US needs no notice and writes no ledger entry."""
    from domicile.residency.resolver import Signals

    de = env.dom.put(
        {"given_name": "Jonas", "phone": "+4915112345678"},
        Signals(citizenship=("DE",)),
        actor="t",
        purpose="registration",
    )
    response = env.call(
        "GET", f"/v1/subjects/{de.subject_id}", location="US", params={"purpose": "profile.view"}
    )
    assert response.status_code == 200 and response.json()["cell"] == "global-1"
    assert _ledger(env) == []


@pytest.mark.parametrize("location", ["DE", "US"])
def test_check_endpoint_explains_the_decision(env: Env, location: str) -> None:
    """The dry run names every rule checked, and releases nothing."""
    env.notice(location, filed=env.clock.now() - timedelta(days=1))
    body = {"destination": location, "purpose": "support.contact", "categories": ["contact"]}
    decision = env.call("POST", "/v1/transfers/check", Role.DPO, json=body).json()
    rules = [c["rule"] for c in decision["checks"]]
    assert rules == ["ru.xb.ban", "ru.xb.notice", "ru.xb.assessment", "ru.xb.wait"]
    assert decision["allowed"] is (location == "DE")
    assert decision["adequate"] is (location == "DE")
    assert _ledger(env) == []
