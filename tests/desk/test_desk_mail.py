"""The e-mail drop: .eml files become acknowledged requests with attachments; bad mail is quarantined."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from desk_kit import DeskKit

from domicile.desk.config import Limits
from domicile.desk.errors import MalformedInputError
from domicile.desk.mail import parse_eml, scan

NOTICE = (
    "Уведомление. Информация включена в Единый реестр (запись 720681-РИ) на основании "
    "решения Роскомнадзора № 2-6-20/2017-03-03-182-АИ от 06.03.2025.\n"
    "Страница: https://example.app/v/1.\nПросим удалить в течение суток."
)


def _eml(sender: str, subject: str, text: str, attachment: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "legal@example.ru"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 03 Mar 2025 11:30:00 +0300"
    msg["Message-ID"] = "<n1@rkn.gov.ru>"
    msg.set_content(text)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="reshenie.pdf")
    return bytes(msg)


def _drop(folder: Path, name: str, raw: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(raw)
    return path


def test_register_notice_by_email_becomes_a_request(kit: DeskKit, tmp_path: Path) -> None:
    """An RKN register notice is classified, entry/decision/URL extracted, attachment sealed (REG-1)."""
    kit.adapter.add_content("c1", "acc1", "https://example.app/v/1")
    inbox = tmp_path / "inbox"
    raw = _eml("Роскомнадзор <noreply@rkn.gov.ru>", "Уведомление о включении в реестр", NOTICE, b"%PDF-1.4 x")
    _drop(inbox, "001.eml", raw)
    result = scan(kit.desk, inbox)
    assert [r.status for r in result.results] == ["created"] and list(inbox.iterdir()) == []
    view = kit.desk.get(result.results[0].request_id or "")
    assert (view.type_id, view.channel, view.authority_type) == ("register_takedown", "email", "rkn")
    assert view.registry_entry_no == "720681-РИ" and view.decision_no == "2-6-20/2017-03-03-182-АИ"
    assert view.decision_date == "2025-03-06" and [i.content_id for i in view.items] == ["c1"]
    assert view.received_at == "2025-03-03T08:30:00.000000Z"
    dossier = kit.desk.read_dossier(view.id, actor="staff:x", purpose="desk.review")
    assert (
        dossier["email"]["from"] == "noreply@rkn.gov.ru"
        and dossier["attachments"][0]["filename"] == "reshenie.pdf"
    )
    with kit.desk.db.read() as store:
        assert kit.desk.sealed.get(store, dossier["attachments"][0]["ref"]).data == b"%PDF-1.4 x"
        raws = kit.desk.sealed.refs_of(store, view.id, "raw_input")
        assert kit.desk.sealed.get(store, raws[0]).data == raw
    _drop(inbox, "001-again.eml", raw)
    again = scan(kit.desk, inbox)
    assert [(r.status, r.request_id) for r in again.results] == [("duplicate", view.id)]
    assert len(kit.desk.list_requests()) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\x01 this is not an e-mail", "malformed"),
        (
            b'From: a@rkn.gov.ru\nSubject: x\nContent-Type: multipart/mixed; boundary="B"\n\nno parts\n',
            "malformed",
        ),
        (_eml("spam@mail.example", "Привет", "https://example.app/v/1"), "unknown_type"),
        (_eml("duty@mvd.ru", "Запрос о пользователе", "Просим предоставить данные."), "invalid_fields"),
        (_eml("noreply@rkn.gov.ru", "Реестр 1-РИ", NOTICE, b"x" * 2048), "too_large"),
    ],
)
def test_bad_mail_is_quarantined_whole(make_kit: Any, tmp_path: Path, raw: bytes, reason: str) -> None:
    """Malformed, unclassifiable, incomplete or oversized mail is quarantined raw; no request is made."""
    kit = make_kit(limits=Limits(max_attachment_bytes=1024))
    inbox = tmp_path / "inbox"
    _drop(inbox, "bad.eml", raw)
    result = scan(kit.desk, inbox)
    (r,) = result.results
    assert (r.status, r.reason) == ("quarantined", reason) and r.quarantine_id
    assert kit.desk.list_requests() == [] and list(inbox.iterdir()) == []
    entry, kept = kit.desk.quarantine_show(r.quarantine_id, actor="staff:x", purpose="desk.quarantine-review")
    assert kept == raw and entry.channel == "email"
    _drop(inbox, "bad-again.eml", raw)
    assert [x.reason for x in scan(kit.desk, inbox).results] == ["seen_before"]
    assert len(kit.desk.quarantine_list()) == 1


def test_parse_eml_rejects_mail_without_sender() -> None:
    """A message without a From address is malformed (one typed error)."""
    msg = EmailMessage()
    msg["Subject"] = "x"
    msg.set_content("body")
    with pytest.raises(MalformedInputError, match="sender"):
        parse_eml(bytes(msg), Limits())
