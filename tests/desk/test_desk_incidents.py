"""Breach incidents: notice clocks from detection, drafts with the legal fields, affected subjects."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from desk_kit import T0, DeskKit

from domicile.desk.errors import FormValidationError, WorkflowRefusedError
from domicile.desk.incidents import IncidentInput, IncidentUpdate
from domicile.desk.schema import metadata
from domicile.residency.resolver import Signals

CONTACT = {"name": "Анна Петрова", "position": "DPO", "email": "anna.petrova@example.ru"}


def _people(kit: DeskKit) -> tuple[list[str], list[str]]:
    ru = [
        kit.dom.put(
            {"email": f"ru{i}@example.ru"},
            Signals(citizenship=("RU",)),
            actor="svc:signup",
            purpose="registration",
        ).subject_id
        for i in range(4)
    ]
    gl = [
        kit.dom.put(
            {"email": f"de{i}@example.de"},
            Signals(citizenship=("DE",)),
            actor="svc:signup",
            purpose="registration",
        ).subject_id
        for i in range(3)
    ]
    return ru, gl


def _read(kit: DeskKit, subjects: list[str], actor: str) -> None:
    for sid in subjects:
        kit.dom.get(sid, actor=actor, purpose="analytics.export")


def test_affected_subjects_are_counted_per_cell_from_the_audit_logs(kit: DeskKit) -> None:
    """Distinct subjects read by the compromised actor inside the window are counted per cell (PD-BR-1)."""
    ru, gl = _people(kit)
    kit.clock.set(T0 - timedelta(days=3))
    _read(kit, ru, "svc:analytics")  # before the window: not counted
    kit.clock.set(T0 - timedelta(hours=5))
    _read(kit, ru[:2] + ru[:2], "svc:analytics")  # twice: counted once
    _read(kit, gl[:1], "svc:analytics")
    _read(kit, ru[2:], "svc:support")  # another actor
    kit.clock.set(T0)
    inc = kit.desk.record_incident(
        IncidentInput(
            detected_at=T0 - timedelta(hours=1),
            detected_by="third_party",
            window_from=T0 - timedelta(days=1),
            window_to=T0,
            actors=("svc:analytics",),
            description="Выгрузка опубликована в канале",
            contact=CONTACT,
        ),
        actor="staff:ir-1",
    )
    assert inc.affected == {"ru-msk-1": 2, "global-1": 1} and inc.affected_total == 3
    due = {c.clock_id: c.due_at for c in inc.clocks}
    assert due == {
        "pd.breach.notice_24h": "2025-03-04T08:00:00.000000Z",
        "pd.breach.notice_72h": "2025-03-06T08:00:00.000000Z",
    }
    anyone = kit.desk.record_incident(
        {
            "detected_at": T0.isoformat(),
            "detected_by": "internal",
            "window_from": (T0 - timedelta(days=1)).isoformat(),
            "window_to": T0.isoformat(),
        },
        actor="staff:ir-1",
    )
    assert anyone.affected == {"ru-msk-1": 4, "global-1": 1}


def test_notices_are_drafted_filed_in_order_and_keep_pd_sealed(kit: DeskKit) -> None:
    """Notice 1 needs the five PD-BR-2 fields, notice 2 the PD-BR-3 ones; filing meets the clocks in order."""
    desk = kit.desk
    inc = desk.record_incident(
        IncidentInput(
            detected_at=T0,
            detected_by="internal",
            window_from=T0 - timedelta(hours=6),
            window_to=T0,
            description="Несанкционированный доступ к выгрузке",
            causes="Утечка API-ключа",
        ),
        actor="staff:ir-1",
    )
    rid = inc.request_id
    first, second = desk.draft_notices(rid, actor="staff:ir-1")
    assert first.missing == ("harm", "measures", "contact") and not first.complete
    assert second.missing == ("investigation_result", "responsible_persons")
    assert "Утечка API-ключа" in first.text_ru and "не заполнено" in first.text_ru
    with pytest.raises(WorkflowRefusedError, match="harm, measures, contact"):
        desk.file_notice(rid, 1, actor="staff:ir-1")
    desk.update_incident(
        rid,
        IncidentUpdate(harm="Раскрыты e-mail", measures="Ключ отозван", contact=CONTACT),
        actor="staff:ir-1",
    )
    first, _ = desk.draft_notices(rid, actor="staff:ir-1")
    assert first.complete and "Анна Петрова" in first.text_ru
    kit.clock.set(T0 + timedelta(hours=20))
    filed = desk.file_notice(rid, 1, actor="staff:ir-1")
    assert filed.notice1_at == "2025-03-04T05:00:00.000000Z" and filed.state == "triaged"
    with pytest.raises(WorkflowRefusedError, match="already filed"):
        desk.file_notice(rid, 1, actor="staff:ir-1")
    with pytest.raises(WorkflowRefusedError, match="investigation_result"):
        desk.file_notice(rid, 2, actor="staff:ir-1")
    desk.update_incident(
        rid,
        IncidentUpdate(investigation_result="Ключ в публичном репозитории", responsible_persons="Подрядчик"),
        actor="staff:ir-1",
    )
    kit.clock.set(T0 + timedelta(hours=80))
    done = desk.file_notice(rid, 2, actor="staff:ir-1")
    assert done.state == "answered"
    late = [e for e in desk.get(rid).events if e.action == "desk.incident.notice_filed"]
    assert [e.details["late"] for e in late] == [False, True]
    assert desk.close(rid, actor="staff:ir-1").state == "closed"
    with desk.db.read() as store:
        dump = json.dumps(
            [[list(r) for r in store.conn.execute(sa.select(t))] for t in metadata.sorted_tables],
            default=str,
            ensure_ascii=False,
        )
    for pd in ("Анна Петрова", "anna.petrova@example.ru", "Утечка API-ключа", "Подрядчик"):
        assert pd not in dump


def test_invalid_incident_is_refused(kit: DeskKit) -> None:
    """An incident with a naive time or a reversed window is refused with the field named; nothing created."""
    with pytest.raises(FormValidationError, match="detected_at"):
        kit.desk.record_incident(
            {
                "detected_at": "2025-03-03T09:00:00",
                "detected_by": "internal",
                "window_from": T0.isoformat(),
                "window_to": T0.isoformat(),
            },
            actor="staff:ir-1",
        )
    with pytest.raises(FormValidationError, match="window"):
        kit.desk.record_incident(
            {
                "detected_at": T0.isoformat(),
                "detected_by": "internal",
                "window_from": T0.isoformat(),
                "window_to": (T0 - timedelta(hours=1)).isoformat(),
            },
            actor="staff:ir-1",
        )
    assert kit.desk.list_requests() == []
