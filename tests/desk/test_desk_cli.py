"""`domicile desk ...` end to end on a data folder: workflow, verify, reports, mail drop, exit codes."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from domicile.cli.app import main


def run(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(data)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An initialised data folder with a desk and a representative key."""
    d = tmp_path / "data"
    assert run(capsys, d, "init")[0] == 0
    assert run(capsys, d, "desk", "init")[0] == 0
    code, out, _ = run(capsys, d, "desk", "keys", "init", "--signer", "rep:office-1")
    assert code == 0 and "rep:office-1" in out
    return d


def _submit(capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path, body: dict[str, Any]) -> str:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    code, out, err = run(capsys, data, "desk", "submit", str(path), "--json")
    assert code == 0, err
    return str(json.loads(out)["request_id"])


def test_workflow_quarantine_verify_and_tamper(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A request is worked to closed; bad JSON exits 3 and is quarantined; verify exits 6 after tampering."""
    rid = _submit(
        capsys, data, tmp_path, {"type": "pg_demand", "authority_type": "rkn", "items": [{"content_id": "c"}]}
    )
    assert run(capsys, data, "desk", "execute", rid)[0] == 8
    for args in (
        ["triage", rid, "--assignee", "staff:lia-2"],
        ["review", rid],
        [
            "decide",
            rid,
            "--decision",
            "approve",
            "--basis",
            "149-FZ art. 15.3",
            "--reasoning",
            "Требование ГП",
        ],
        ["execute", rid],
        ["answer", rid],
        ["close", rid],
    ):
        code, out, err = run(capsys, data, "desk", *args)
        assert code == 0, (args, err)
    code, out, _ = run(capsys, data, "desk", "show", rid, "--json")
    assert json.loads(out)["state"] == "closed"
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "register_takedown", "items": []', "utf-8")
    code, _, err = run(capsys, data, "desk", "submit", str(bad))
    assert code == 3 and err.count("\n") == 1 and "raw input kept as qr_" in err
    qid = err.split("kept as ")[1].split(")")[0]
    code, out, _ = run(capsys, data, "desk", "quarantine", "list", "--json")
    assert [q["id"] for q in json.loads(out)] == [qid]
    out_file = tmp_path / "raw.bin"
    assert run(capsys, data, "desk", "quarantine", "show", qid, "--out", str(out_file))[0] == 0
    assert out_file.read_bytes() == bad.read_bytes()
    code, out, _ = run(capsys, data, "desk", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [rid]
    assert run(capsys, data, "desk", "verify")[0] == 0
    engine = sa.create_engine(f"sqlite:///{data / 'desk' / 'desk.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("update desk_decisions set legal_basis = '149-FZ art. 15.1' where seq = 1"))
    engine.dispose()
    code, out, err = run(capsys, data, "desk", "verify")
    assert code == 6 and "BROKEN at 1" in out and "decision 1" in err
    assert run(capsys, data, "desk", "show", "rq_" + "0" * 32)[0] == 4


def test_mail_drop_reports_ledger_and_incidents(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mail-scan quarantines bad mail (exit 3); reports are reconciled; an incident is drafted and filed."""
    inbox = data / "desk" / "inbox"
    msg = EmailMessage()
    msg["From"] = "noreply@rkn.gov.ru"
    msg["Subject"] = "Уведомление о включении в реестр"
    msg.set_content("Запись 1-РИ. https://example.app/v/1")
    (inbox / "a.eml").write_bytes(bytes(msg))
    (inbox / "b.eml").write_bytes(b"\x00garbage")
    code, out, err = run(capsys, data, "desk", "mail-scan")
    assert code == 3 and "a.eml: created" in out and "b.eml: quarantined" in out and "1 message(s)" in err
    assert run(capsys, data, "desk", "seed", "--count", "150", "--year", "2025")[0] == 0
    reports = tmp_path / "reports"
    code, out, _ = run(
        capsys,
        data,
        "desk",
        "report",
        "transparency",
        "--year",
        "2025",
        "--half",
        "1",
        "--out",
        str(reports),
        "--json",
    )
    assert code == 0 and json.loads(out)["reconciled"] is True
    assert run(capsys, data, "desk", "report", "annual", "--year", "2025", "--out", str(reports))[0] == 0
    names = sorted(p.name for p in reports.iterdir())
    assert names == [
        "annual-2025-complaints.svg",
        "annual-2025-sources.svg",
        "annual-2025.csv",
        "annual-2025.json",
        "transparency-2025-H1-outcomes.svg",
        "transparency-2025-H1-requests.svg",
        "transparency-2025-H1.csv",
        "transparency-2025-H1.json",
    ]
    code, out, _ = run(capsys, data, "desk", "ledger", "--year", "2025")
    assert code == 0 and out.startswith("request_id,") and len(out.splitlines()) > 50
    code, out, _ = run(capsys, data, "desk", "escalate", "--json")
    assert code == 0 and json.loads(out)["deliveries"] == []
    src = tmp_path / "incident.json"
    src.write_text(
        json.dumps(
            {
                "detected_at": "2025-03-03T09:00:00+00:00",
                "detected_by": "internal",
                "window_from": "2025-03-02T00:00:00+00:00",
                "window_to": "2025-03-03T09:00:00+00:00",
                "description": "Доступ к выгрузке",
                "causes": "Ключ",
                "harm": "E-mail",
                "measures": "Отозван",
                "contact": {"name": "Анна Петрова"},
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    code, out, err = run(capsys, data, "desk", "incident", "record", str(src), "--json")
    assert code == 0, err
    rid = json.loads(out)["request_id"]
    drafts = tmp_path / "drafts"
    code, out, _ = run(capsys, data, "desk", "incident", "notices", rid, "--out", str(drafts))
    assert code == 0 and "notice 1: due 2025-03-04T09:00:00.000000Z; missing nothing" in out
    assert "Анна Петрова" in (drafts / f"{rid}-notice-1.txt").read_text("utf-8")
    assert run(capsys, data, "desk", "incident", "filed", rid, "--notice", "2")[0] == 8
    assert run(capsys, data, "desk", "incident", "filed", rid, "--notice", "1")[0] == 0
