"""Intake: receipts with clocks per type, PD sealed in RU, bad input quarantined, nothing half-created."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import sqlalchemy as sa
from desk_kit import T0, DeskKit

from domicile.desk.catalog import Need, RequestCatalog
from domicile.desk.config import Limits
from domicile.desk.errors import (
    FormValidationError,
    MalformedInputError,
    PayloadTooLargeError,
    UnknownRequestTypeError,
)
from domicile.desk.models import State
from domicile.desk.schema import metadata
from domicile.residency.resolver import Signals

PD = (
    "Пётр Сидоров",
    "petr.sidorov@example.ru",
    "Текст жалобы про страницу",
    "https://example.app/v/secret-7",
)


def _counts(kit: DeskKit) -> dict[str, int]:
    with kit.desk.db.read() as store:
        return {
            t.name: int(store.conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
            for t in metadata.sorted_tables
        }


def _sample(kit: DeskKit, rtype: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": rtype.id, "authority_type": rtype.authority_types[0].value}
    if rtype.items is Need.REQUIRED:
        body["items"] = [{"content_id": "c1"}]
    if rtype.subject is Need.REQUIRED:
        body["subject_id"] = kit.dom.put(
            {"email": "s@example.ru"}, Signals(citizenship=("RU",)), actor="t", purpose="registration"
        ).subject_id
    if rtype.category == "required":
        body["category"] = "C-DRUG"
    if rtype.id == "dsr_rectify":
        body["corrections"] = {"email": "new@example.ru"}
    return body


def test_every_request_type_gets_its_clocks_and_legal_basis(kit: DeskKit, ru_catalog: RequestCatalog) -> None:
    """Each catalog type is acknowledged at once with every clock of the pack, due per the engine."""
    for rtype in ru_catalog:
        if rtype.id == "pd_breach":
            continue
        assert "api" in {c.value for c in rtype.channels}
        receipt = kit.desk.submit_json(
            json.dumps(_sample(kit, rtype)).encode(), channel="api", actor="staff:x"
        )
        assert receipt.state == State.ACKNOWLEDGED and receipt.legal_basis == rtype.cite()
        expected = {b.clock: kit.desk.engine.compute(b.clock, T0).due_at for b in rtype.clocks}
        got = {c.clock_id: c.due_at for c in receipt.clocks}
        assert got == {k: v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for k, v in expected.items()}, rtype.id
        view = kit.desk.get(receipt.request_id)
        assert view.primary_clock == rtype.primary_clock and view.due_at == got[rtype.primary_clock]
        acks = [c for c in view.clocks if c.stops_on == "acknowledged"]
        assert all(c.met_at is not None for c in acks)


def test_pd_stays_sealed_out_of_desk_tables(kit: DeskKit) -> None:
    """Requester name, e-mail, text and URLs live only in sealed RU blobs, not rows (PD-LOC-1, LAND-1)."""
    kit.adapter.add_content("c7", "acc7", PD[3])
    attachment = base64.b64encode("скан заявления".encode()).decode()
    body = {
        "type": "complaint",
        "authority_type": "citizen",
        "category": "C-SUIC",
        "items": [{"url": PD[3]}],
        "requester": {"name": PD[0], "email": PD[1]},
        "text": PD[2],
        "attachments": [{"filename": "scan.txt", "media_type": "text/plain", "content_base64": attachment}],
    }
    receipt = kit.desk.submit_json(
        json.dumps(body, ensure_ascii=False).encode(), channel="api", actor="svc:x"
    )
    with kit.desk.db.read() as store:
        dump = json.dumps(
            [[list(r) for r in store.conn.execute(sa.select(t))] for t in metadata.sorted_tables],
            default=str,
            ensure_ascii=False,
        )
    for value in PD:
        assert value not in dump
    blobs = b"".join(p.read_bytes() for p in (kit.root / "blobs").rglob("*.bin"))
    assert PD[1].encode() not in blobs and "скан".encode() not in blobs
    dossier = kit.desk.read_dossier(receipt.request_id, actor="staff:x", purpose="desk.review")
    assert dossier["requester"] == {"name": PD[0], "email": PD[1]} and dossier["urls"] == {"1": PD[3]}
    assert kit.desk.get(receipt.request_id).items[0].content_id == "c7"


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        (b"{not json", MalformedInputError, None),
        (b"\xff\xfe", MalformedInputError, None),
        (json.dumps({"type": "teleport", "authority_type": "rkn"}).encode(), UnknownRequestTypeError, None),
        (
            json.dumps({"type": "register_takedown", "authority_type": "rkn"}).encode(),
            FormValidationError,
            "items",
        ),
        (
            json.dumps(
                {"type": "register_takedown", "authority_type": "mvd", "items": [{"content_id": "c"}]}
            ).encode(),
            FormValidationError,
            "authority_type",
        ),
        (
            json.dumps({"type": "dsr_access", "authority_type": "subject"}).encode(),
            FormValidationError,
            "subject_id",
        ),
        (
            json.dumps({"type": "dsr_access", "subject_id": "sub_" + "0" * 32}).encode(),
            FormValidationError,
            "subject_id",
        ),
        (
            json.dumps({"type": "complaint", "items": [{"url": "ftp://x"}], "category": "C-DRUG"}).encode(),
            FormValidationError,
            "items.0.url",
        ),
        (
            json.dumps({"type": "complaint", "items": [{"url": "https://x.ru"}]}).encode(),
            FormValidationError,
            "category",
        ),
        (
            json.dumps({"type": "register_takedown", "items": [{"content_id": "c"}], "surprise": 1}).encode(),
            FormValidationError,
            "surprise",
        ),
        (json.dumps({"type": "pd_breach"}).encode(), FormValidationError, "type"),
    ],
)
def test_bad_json_input_is_quarantined_and_nothing_created(
    kit: DeskKit, body: bytes, error: type[Exception], field: str | None
) -> None:
    """Each bad API body raises one typed error naming the field, keeps the raw bytes, creates no request."""
    before = _counts(kit)
    with pytest.raises(error) as info:
        kit.desk.submit_json(body, channel="api", actor="svc:x")
    exc: Any = info.value
    if field is not None:
        assert exc.problems[0].field == field
    assert exc.quarantine_id and exc.quarantine_id in exc.message
    after = _counts(kit)
    assert after["desk_requests"] == before["desk_requests"] and after["desk_items"] == before["desk_items"]
    assert after["desk_quarantine"] == before["desk_quarantine"] + 1
    entry, raw = kit.desk.quarantine_show(
        exc.quarantine_id, actor="staff:x", purpose="desk.quarantine-review"
    )
    assert raw == body and entry.channel == "api" and entry.status == "open"


def test_oversized_attachment_is_refused(make_kit: Any) -> None:
    """An attachment over the limit is refused as too large and quarantined (truncated to the body limit)."""
    kit = make_kit(limits=Limits(max_attachment_bytes=10, max_body_bytes=4096))
    data = base64.b64encode(b"x" * 64).decode()
    body = json.dumps(
        {
            "type": "register_takedown",
            "items": [{"content_id": "c"}],
            "attachments": [{"filename": "a", "content_base64": data}],
        }
    ).encode()
    with pytest.raises(PayloadTooLargeError):
        kit.desk.submit_json(body, channel="api", actor="svc:x")
    huge = b'{"type": "register_takedown", "text": "' + b"y" * 5000 + b'"}'
    with pytest.raises(PayloadTooLargeError) as info:
        kit.desk.submit_json(huge, channel="api", actor="svc:x")
    entry = next(q for q in kit.desk.quarantine_list() if q.id == info.value.quarantine_id)
    assert entry.truncated and entry.size == len(huge) and entry.reason == "too_large"
    assert _counts(kit)["desk_requests"] == 0


def test_authority_account_cannot_claim_another_authority(kit: DeskKit) -> None:
    """A caller bound to an authority type cannot submit as another one."""
    body = json.dumps(
        {"type": "pg_demand", "authority_type": "prosecutor_general", "items": [{"content_id": "c"}]}
    )
    with pytest.raises(FormValidationError, match="authority_type"):
        kit.desk.submit_json(body.encode(), channel="api", actor="svc:x", caller_authority="rkn")
    ok = json.dumps({"type": "pg_demand", "items": [{"content_id": "c"}]})
    receipt = kit.desk.submit_json(ok.encode(), channel="api", actor="svc:x", caller_authority="rkn")
    assert kit.desk.get(receipt.request_id).authority_type == "rkn"


def test_quarantine_resolution(kit: DeskKit) -> None:
    """A quarantine entry is resolved once; discarding crypto-shreds the raw input."""
    with pytest.raises(MalformedInputError) as info:
        kit.desk.submit_json(b"{", channel="api", actor="svc:x")
    qid = info.value.quarantine_id
    assert qid is not None
    entry = kit.desk.quarantine_resolve(qid, "discarded", actor="staff:x")
    assert entry.status == "discarded" and kit.desk.quarantine_list() == []
    from domicile.desk.errors import DeskNotFoundError, WorkflowRefusedError

    with pytest.raises(DeskNotFoundError):
        kit.desk.quarantine_show(qid, actor="staff:x", purpose="desk.quarantine-review")
    with pytest.raises(WorkflowRefusedError):
        kit.desk.quarantine_resolve(qid, "released", actor="staff:x")


def test_failure_mid_creation_leaves_nothing(kit: DeskKit, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the audit append fails while a request is created, no row and no sealed file of it remains."""
    from domicile.core.errors import StoreError

    def broken(events: Any) -> None:
        raise StoreError("audit log unavailable")

    before = _counts(kit)
    monkeypatch.setattr(kit.desk, "audit", broken)
    body = {
        "type": "complaint",
        "category": "C-DRUG",
        "items": [{"url": "https://example.app/v/1"}],
        "requester": {"email": "a@example.ru"},
        "attachments": [{"filename": "a.txt", "content_base64": base64.b64encode(b"evidence").decode()}],
    }
    with pytest.raises(StoreError):
        kit.desk.submit_json(json.dumps(body).encode(), channel="api", actor="svc:x")
    assert _counts(kit) == before and before["desk_requests"] == 0
    assert list((kit.root / "blobs").rglob("*.bin")) == []
