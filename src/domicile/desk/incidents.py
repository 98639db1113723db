"""PD breach incidents (152-FZ art. 21 part 3.1, from 01.09.2022; PD-BR-1..3).

Recording an incident creates a ``pd_breach`` request whose two clocks start at **detection**
(с момента выявления): notice 1 to RKN within 24 h (incident, presumed causes, presumed harm,
measures taken, the contact authorised to deal with RKN) and notice 2 within 72 h (results of
the internal investigation, persons whose actions caused it). The free text and the contact are
PD and go to the sealed dossier; the desk tables hold times, ids and counts. Affected subjects
are counted per cell from the audit logs: distinct pseudonymous subject ids touched by PD
actions within the incident window, optionally by the actors involved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domicile.audit.events import format_at
from domicile.core.clock import iso_utc
from domicile.desk.errors import (
    DeskInputError,
    DeskNotFoundError,
    FieldProblem,
    FormValidationError,
    WorkflowRefusedError,
)
from domicile.desk.models import Channel, ClockView, State, new_id
from domicile.desk.schema import desk_incidents
from domicile.desk.workflow import transition
from domicile.service import check_actor

if TYPE_CHECKING:
    from domicile.desk.service import Desk

__all__ = [
    "PD_ACTIONS",
    "ContactIn",
    "DetectedBy",
    "IncidentInput",
    "IncidentUpdate",
    "IncidentView",
    "NoticeDraft",
    "count_affected",
    "draft_notices",
    "file_notice",
    "record",
    "update",
    "view",
]

BREACH_TYPE = "pd_breach"
#: Audit actions that read, reveal or change a subject's PD (counted as "affected").
PD_ACTIONS: tuple[str, ...] = ("subject.get", "token.detokenize", "subject.patch")


class DetectedBy(StrEnum):
    """Who found the incident (PD-BR-1 ``detected_by``)."""

    INTERNAL = "internal"
    RKN = "rkn"
    THIRD_PARTY = "third_party"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ContactIn(_Strict):
    """The person authorised to deal with RKN on the incident (PD, sealed)."""

    name: str = Field(min_length=1, max_length=300)
    position: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


class IncidentInput(_Strict):
    """An incident as recorded by the incident response team."""

    detected_at: dt.datetime
    detected_by: DetectedBy
    window_from: dt.datetime
    window_to: dt.datetime
    actors: tuple[str, ...] = Field(default=(), max_length=100)
    actions: tuple[str, ...] = PD_ACTIONS
    cells: tuple[str, ...] = ()
    description: str | None = Field(default=None, max_length=20_000)
    causes: str | None = Field(default=None, max_length=20_000)
    harm: str | None = Field(default=None, max_length=20_000)
    measures: str | None = Field(default=None, max_length=20_000)
    contact: ContactIn | None = None
    gossopka_ref: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:/-]{1,64}$")

    @field_validator("detected_at", "window_from", "window_to")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("must be timezone-aware")
        return v.astimezone(dt.UTC)

    @field_validator("actors")
    @classmethod
    def _actor_ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for a in v:
            check_actor(a)
        return v

    @model_validator(mode="after")
    def _window(self) -> IncidentInput:
        if self.window_to < self.window_from:
            raise ValueError("window_to is before window_from")
        return self


class IncidentUpdate(_Strict):
    """Later facts: the investigation (notice 2) or corrections of notice-1 fields."""

    causes: str | None = Field(default=None, max_length=20_000)
    harm: str | None = Field(default=None, max_length=20_000)
    measures: str | None = Field(default=None, max_length=20_000)
    contact: ContactIn | None = None
    investigation_result: str | None = Field(default=None, max_length=20_000)
    responsible_persons: str | None = Field(default=None, max_length=20_000)


@dataclass(frozen=True)
class IncidentView:
    """An incident: clocks, filing times and affected-subject counts (no PD)."""

    request_id: str
    state: str
    detected_at: str
    detected_by: str
    window_from: str
    window_to: str
    actors: tuple[str, ...]
    affected: dict[str, int]
    notice1_at: str | None
    notice2_at: str | None
    clocks: tuple[ClockView, ...]

    @property
    def affected_total(self) -> int:
        """Distinct subjects over all cells."""
        return sum(self.affected.values())


@dataclass(frozen=True)
class NoticeDraft:
    """A draft notice to RKN: its fields (PD, in memory), what is missing, and the rendered text."""

    number: int
    due_at: str
    legal_source: str
    fields: dict[str, Any]
    missing: tuple[str, ...]
    text_ru: str
    blob_ref: str

    @property
    def complete(self) -> bool:
        """True when every field the law asks for is filled in."""
        return not self.missing


def count_affected(
    desk: Desk,
    start: dt.datetime,
    end: dt.datetime,
    actors: Sequence[str],
    actions: Sequence[str],
    cells: Sequence[str] = (),
) -> dict[str, int]:
    """Distinct subjects per cell touched by ``actions`` (by ``actors``, if given) in [start, end]."""
    lo, hi = format_at(start), format_at(end)
    wanted, who = set(actions), set(actors)
    out: dict[str, int] = {}
    for name in cells or list(desk.dom.cells):
        seen: set[str] = set()
        with desk.dom.cell(name).session() as s:
            for rec in s.audit.iter_records():
                if (
                    rec.action in wanted
                    and rec.subject_ref
                    and lo <= rec.at_text <= hi
                    and (not who or rec.actor in who)
                ):
                    seen.add(rec.subject_ref)
        out[name] = len(seen)
    return out


def _row(desk: Desk, request_id: str) -> dict[str, Any]:
    with desk.db.read() as store:
        row = (
            store.conn.execute(sa.select(desk_incidents).where(desk_incidents.c.request_id == request_id))
            .mappings()
            .first()
        )
    if row is None:
        raise DeskNotFoundError(f"no incident {request_id[:48]!r}")
    return dict(row)


def view(desk: Desk, request_id: str) -> IncidentView:
    """An incident with its clocks."""
    row = _row(desk, request_id)
    req = desk.get(request_id, with_events=False)
    return IncidentView(
        request_id,
        req.state,
        row["detected_at"],
        row["detected_by"],
        row["window_from"],
        row["window_to"],
        tuple(row["actors"] or ()),
        dict(row["affected"] or {}),
        row["notice1_at"],
        row["notice2_at"],
        req.clocks,
    )


def record(
    desk: Desk, incident: IncidentInput | dict[str, Any], *, actor: str, channel: str = "internal"
) -> IncidentView:
    """Record an incident: both clocks from detection, sealed dossier, affected counts.

    Raises:
        FormValidationError: the input is invalid (names the field).
    """
    check_actor(actor)
    if not isinstance(incident, IncidentInput):
        try:
            incident = IncidentInput.model_validate(incident)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "body"
            raise FormValidationError(
                f"invalid incident: field {where}: {err['msg']}",
                channel=channel,
                problems=[FieldProblem(where, str(err["type"]), str(err["msg"]))],
            ) from None
    for name in incident.cells:
        desk.dom.cell(name)
    rtype = desk.catalog.type(BREACH_TYPE)
    if Channel(channel) not in rtype.channels:
        raise DeskInputError(f"incidents are not recorded through channel {channel}")
    detected = min(incident.detected_at, desk.clock.now())
    affected = count_affected(
        desk, incident.window_from, incident.window_to, incident.actors, incident.actions, incident.cells
    )
    rid = new_id("rq")
    now = desk.now()
    det = iso_utc(detected)
    deadlines = {b.clock: desk.deadline_for(rtype, b.clock, detected) for b in rtype.clocks}
    dossier = {
        k: v
        for k, v in {
            "description": incident.description,
            "causes": incident.causes,
            "harm": incident.harm,
            "measures": incident.measures,
            "contact": incident.contact.model_dump(exclude_none=True) if incident.contact else None,
        }.items()
        if v
    }
    with desk.db.unit() as unit:
        ref = desk.sealed.put_json(unit, "dossier", dossier, rid)
        unit.store.insert_request(
            {
                "id": rid,
                "type_id": rtype.id,
                "kind": rtype.kind.value,
                "channel": channel,
                "authority_type": "rkn" if incident.detected_by is DetectedBy.RKN else "internal",
                "authority_name": None,
                "legal_basis": rtype.cite(),
                "decision_no": incident.gossopka_ref,
                "decision_date": None,
                "registry_entry_no": None,
                "category": None,
                "state": State.ACKNOWLEDGED.value,
                "priority": rtype.priority,
                "subject_id": None,
                "assignee": None,
                "received_at": det,
                "acknowledged_at": now,
                "closed_at": None,
                "primary_clock": rtype.primary_clock,
                "due_at": iso_utc(deadlines[rtype.primary_clock].due_at),
                "dossier_ref": ref,
                "source_digest": None,
                "auto_rule": None,
                "produced": None,
                "created_by": actor,
                "version": 1,
            }
        )
        unit.store.insert_clocks(
            [
                {
                    "request_id": rid,
                    "clock_id": b.clock,
                    "started_at": det,
                    "due_at": iso_utc(deadlines[b.clock].due_at),
                    "stops_on": b.stops_on.value,
                    "met_at": None,
                    "amount": None,
                    "extensions": [],
                }
                for b in rtype.clocks
            ]
        )
        unit.conn.execute(
            desk_incidents.insert().values(
                request_id=rid,
                detected_at=det,
                detected_by=incident.detected_by.value,
                window_from=iso_utc(incident.window_from),
                window_to=iso_utc(incident.window_to),
                actors=list(incident.actors),
                affected=affected,
            )
        )
        unit.store.add_event(
            rid,
            det,
            actor,
            "desk.incident.recorded",
            None,
            State.RECEIVED.value,
            {"detected_by": incident.detected_by.value},
        )
        unit.store.add_event(
            rid, now, "svc:desk", "desk.request.acknowledged", State.RECEIVED.value, State.ACKNOWLEDGED.value
        )
        desk.audit(
            [
                desk.event(
                    actor,
                    "desk.incident.recorded",
                    rtype,
                    rid,
                    None,
                    detected_by=incident.detected_by.value,
                    affected=sum(affected.values()),
                    cells=len(affected),
                )
            ]
        )
    return view(desk, rid)


def update(desk: Desk, request_id: str, upd: IncidentUpdate, *, actor: str) -> IncidentView:
    """Merge later facts into the incident's sealed dossier (the old dossier is crypto-shredded)."""
    check_actor(actor)
    _row(desk, request_id)
    body = desk.read_dossier(request_id, actor=actor, purpose="desk.incident")
    changes = upd.model_dump(exclude_none=True, mode="json")
    if not changes:
        raise DeskInputError("nothing to update")
    body.update(changes)
    rtype = desk.catalog.type(BREACH_TYPE)
    with desk.db.unit() as unit:
        req = desk.view_in(unit.store, request_id, with_events=False)
        if req.state == State.CLOSED:
            raise WorkflowRefusedError(f"incident {request_id} is closed")
        ref = desk.sealed.put_json(unit, "dossier", body, request_id)
        if req.dossier_ref:
            desk.sealed.erase(unit, req.dossier_ref)
        if not unit.store.update_request(request_id, req.version, dossier_ref=ref):
            raise WorkflowRefusedError(f"incident {request_id} changed concurrently; reload and retry")
        unit.store.add_event(
            request_id,
            desk.now(),
            actor,
            "desk.incident.updated",
            details={"fields": ",".join(sorted(changes))},
        )
        desk.audit(
            [
                desk.event(
                    actor, "desk.incident.updated", rtype, request_id, None, fields=",".join(sorted(changes))
                )
            ]
        )
    return view(desk, request_id)


_N1 = ("description", "causes", "harm", "measures", "contact")
_N2 = ("investigation_result", "responsible_persons")
_LABELS = {
    "description": "Описание инцидента",
    "causes": "Предполагаемые причины",
    "harm": "Предполагаемый вред правам субъектов ПД",
    "measures": "Принятые меры по устранению последствий",
    "contact": "Лицо, уполномоченное оператором на взаимодействие с Роскомнадзором",
    "investigation_result": "Результаты внутреннего расследования",
    "responsible_persons": "Лица, действия которых стали причиной инцидента",
}


def _render(number: int, fields: dict[str, Any], inc: IncidentView, due: str) -> str:
    head = "Уведомление" if number == 1 else "Дополнительное уведомление"
    lines = [
        f"{head} об инциденте с персональными данными (ч. 3.1 ст. 21 152-ФЗ), № {number}",
        f"Инцидент: {inc.request_id}; выявлен: {inc.detected_at} ({inc.detected_by}); срок подачи: {due}",
        f"Затронуто субъектов ПД (по журналам аудита): {inc.affected_total} "
        + "("
        + ", ".join(f"{c}: {n}" for c, n in sorted(inc.affected.items()))
        + ")",
    ]
    for key, value in fields.items():
        if key in _LABELS:
            shown = ", ".join(str(v) for v in value.values()) if isinstance(value, dict) else value
            lines.append(f"{_LABELS[key]}: {shown if shown else '— не заполнено —'}")
    return "\n".join(lines) + "\n"


def draft_notices(desk: Desk, request_id: str, *, actor: str) -> tuple[NoticeDraft, NoticeDraft]:
    """Draft notice 1 (24 h) and notice 2 (72 h) from the dossier and the affected counts."""
    inc = view(desk, request_id)
    body = desk.read_dossier(request_id, actor=actor, purpose="desk.incident")
    drafts = []
    rtype = desk.catalog.type(BREACH_TYPE)
    with desk.db.unit() as unit:
        for number, keys, clock_id in ((1, _N1, "pd.breach.notice_24h"), (2, _N2, "pd.breach.notice_72h")):
            clock = next(c for c in inc.clocks if c.clock_id == clock_id)
            fields: dict[str, Any] = {k: body.get(k) for k in keys}
            fields["affected_subjects"] = dict(inc.affected)
            missing = tuple(k for k in keys if not body.get(k))
            text = _render(number, fields, inc, clock.due_at)
            source = desk.catalog.clocks.rule(clock_id).source.cite()
            payload = {
                "number": number,
                "request_id": request_id,
                "due_at": clock.due_at,
                "fields": fields,
                "missing": list(missing),
                "legal_source": source,
            }
            ref = desk.sealed.put_json(unit, f"notice_draft_{number}", payload, request_id)
            drafts.append(NoticeDraft(number, clock.due_at, source, fields, missing, text, ref))
        unit.store.add_event(
            request_id,
            desk.now(),
            actor,
            "desk.incident.drafted",
            details={"missing1": len(drafts[0].missing), "missing2": len(drafts[1].missing)},
        )
        desk.audit(
            [
                desk.event(
                    actor,
                    "desk.incident.drafted",
                    rtype,
                    request_id,
                    None,
                    missing1=len(drafts[0].missing),
                    missing2=len(drafts[1].missing),
                )
            ]
        )
    return drafts[0], drafts[1]


def file_notice(desk: Desk, request_id: str, number: int, *, actor: str) -> IncidentView:
    """Record that notice ``number`` (1 or 2) was filed with RKN; meets its clock.

    Filing notice 2 answers the incident (triaged -> answered). A notice missing a field the
    law asks for is refused.
    """
    check_actor(actor)
    if number not in (1, 2):
        raise DeskInputError("notice number must be 1 or 2")
    body = desk.read_dossier(request_id, actor=actor, purpose="desk.incident")
    missing = [k for k in (_N1 if number == 1 else _N2) if not body.get(k)]
    if missing:
        raise WorkflowRefusedError(f"notice {number} lacks required field(s): {', '.join(missing)}")
    row = _row(desk, request_id)
    rtype = desk.catalog.type(BREACH_TYPE)
    with desk.db.unit() as unit:
        req = desk.view_in(unit.store, request_id, with_events=False)
        column = "notice1_at" if number == 1 else "notice2_at"
        if row[column] is not None:
            raise WorkflowRefusedError(f"notice {number} of incident {request_id} was already filed")
        if number == 2 and row["notice1_at"] is None:
            raise WorkflowRefusedError("file notice 1 before notice 2")
        now = desk.now()
        unit.conn.execute(
            desk_incidents.update().where(desk_incidents.c.request_id == request_id).values({column: now})
        )
        met = unit.store.meet_clocks(request_id, f"notice_{number}", now)
        late = any(c.clock_id in met and now > c.due_at for c in req.clocks)
        info = {"notice": number, "late": late}
        if number == 1:
            unit.store.add_event(request_id, now, actor, "desk.incident.notice_filed", details=info)
            desk.audit(
                [desk.event(actor, "desk.incident.notice_filed", rtype, request_id, None, details=info)]
            )
            if req.state == State.ACKNOWLEDGED:
                transition(
                    desk,
                    unit,
                    req,
                    rtype,
                    State.TRIAGED,
                    actor=actor,
                    action="desk.request.triaged",
                    allowed_from=(State.ACKNOWLEDGED,),
                )
        else:
            if req.state == State.ACKNOWLEDGED:
                raise WorkflowRefusedError("triage the incident before filing notice 2")
            transition(
                desk,
                unit,
                req,
                rtype,
                State.ANSWERED,
                actor=actor,
                action="desk.incident.notice_filed",
                allowed_from=(State.TRIAGED,),
                details=info,
            )
    return view(desk, request_id)
