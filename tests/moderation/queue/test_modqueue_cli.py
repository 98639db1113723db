"""``domicile moderation ...`` commands: the queue and appeal flow, the register's uses, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from modqueue_helpers import OWNER

from domicile.cli.app import main

DUMP = (
    '<?xml version="1.0" encoding="windows-1251"?>'
    '<reg:register xmlns:reg="http://rsoc.ru" updateTime="2024-05-01T10:00:00+03:00" formatVersion="2.4">'
    '<content id="9" includeTime="2024-01-01T10:00:00" entryType="3" blockType="domain">'
    '<decision date="2024-01-02" number="27-31-2024/Ид9" org="Генпрокуратура"/>'
    "<domain><![CDATA[riot.example]]></domain><ip>203.0.113.9</ip></content></reg:register>"
)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """An initialised data folder (cells, keys, moderation tables)."""
    d = str(tmp_path / "data")
    assert _run(capsys, "init", "--data-dir", d)[0] == 0
    return d


def test_queue_and_appeal_flow_from_the_command_line(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """open -> decide -> appeal -> appeal-decide through the CLI, with exit codes for refused steps."""
    d = ("--data-dir", data_dir)
    code, out, _ = _run(capsys, "moderation", "queue", *d)
    assert code == 0 and "empty" in out  # `domicile init` created the moderation tables too
    assert _run(capsys, "moderation", "init", *d)[0] == 0  # and re-running is safe
    code, out, _ = _run(
        capsys, "moderation", "open", "vid:cli-1", "--source", "user_report", "--reason", "C-DRUG",
        "--category", "C-DRUG", "--owner", OWNER, "--hold", "RU", "--actor", "staff:1", "--json", *d,
    )  # fmt: skip
    assert code == 0
    case_id = json.loads(out)["case_id"]
    code, out, _ = _run(capsys, "moderation", "queue", "--json", *d)
    assert [c["case_id"] for c in json.loads(out)] == [case_id]
    code, out, _ = _run(
        capsys, "moderation", "decide", case_id, "restrict_ru", "--reason", "C-DRUG", "--actor", "staff:1", *d
    )
    assert code == 0 and "user_notified" in out
    code, out, _ = _run(capsys, "moderation", "appeal", case_id, "--appellant", OWNER, "--json", *d)
    appeal_id = json.loads(out)["appeal_id"]
    code, _, err = _run(
        capsys,
        "moderation",
        "appeal-decide",
        appeal_id,
        "reversed",
        "--reason",
        "ctx",
        "--actor",
        "staff:1",
        *d,
    )
    assert code == 8 and "someone other" in err
    code, out, _ = _run(
        capsys,
        "moderation",
        "appeal-decide",
        appeal_id,
        "reversed",
        "--reason",
        "ctx",
        "--actor",
        "staff:2",
        *d,
    )
    assert code == 0 and "on time" in out
    code, out, _ = _run(capsys, "moderation", "show", case_id, *d)
    assert code == 0 and "restored" in out and "decide_appeal" in out
    code, out, _ = _run(capsys, "audit", "verify", *d)
    assert code == 0


def test_bad_input_exit_codes(data_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown case: 4; bad outcome or reference: 3; illegal step: 8; each one line on stderr."""
    d = ("--data-dir", data_dir)
    assert _run(capsys, "moderation", "init", *d)[0] == 0
    code, _, err = _run(capsys, "moderation", "claim", "mc_" + "0" * 32, *d)
    assert code == 4 and err.count("\n") == 1
    code, out, _ = _run(
        capsys, "moderation", "open", "vid:cli-2", "--source", "court", "--reason", "x", "--json", *d
    )
    case_id = json.loads(out)["case_id"]
    code, _, err = _run(capsys, "moderation", "decide", case_id, "delete_it", "--reason", "x", *d)
    assert code == 3 and "outcome" in err
    code, _, err = _run(capsys, "moderation", "open", "bad ref", "--source", "court", "--reason", "x", *d)
    assert code == 3 and "content_ref" in err
    code, out, _ = _run(capsys, "moderation", "show", case_id, "--json", *d)
    assert json.loads(out)["case"]["state"] == "detected"  # the refused decision claimed nothing
    code, _, err = _run(capsys, "moderation", "appeal", case_id, "--appellant", OWNER, *d)
    assert code == 8 and "owner" in err


def test_register_commands(data_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """check, links (RU vs DE) and self-check with its 24 h tasks, idempotent on re-run."""
    dump = tmp_path / "dump.xml"
    dump.write_bytes(DUMP.encode("cp1251"))
    d = ("--data-dir", data_dir)
    code, out, _ = _run(capsys, "moderation", "check", str(dump), "riot.example")
    assert code == 0 and "BLOCKED" in out and "15.3" in out
    code, out, _ = _run(capsys, "moderation", "links", str(dump), "--text", "go to riot.example now")
    assert code == 0 and "riot.example" not in out.splitlines()[0] and "reg-15.3" in out
    code, out, _ = _run(
        capsys, "moderation", "links", str(dump), "--text", "go to riot.example", "--country", "DE"
    )
    assert out.splitlines()[0] == "go to riot.example"
    assert _run(capsys, "moderation", "init", *d)[0] == 0
    code, out, _ = _run(capsys, "moderation", "self-check", str(dump), "--ip", "203.0.113.0/24", *d)
    assert code == 0 and "1 new task" in out
    code, out, _ = _run(capsys, "moderation", "self-check", str(dump), "--ip", "203.0.113.0/24", *d)
    assert "0 new task" in out
    code, out, _ = _run(capsys, "moderation", "tasks", "--json", *d)
    (task,) = json.loads(out)
    assert task["kind"] == "register_takedown" and task["register_entry_id"] == "9"
    code, _, err = _run(capsys, "moderation", "self-check", str(dump), *d)
    assert code == 3
    code, _, err = _run(capsys, "moderation", "check", str(tmp_path / "missing.xml"), "x.example")
    assert code != 0 and err.startswith("error:")
