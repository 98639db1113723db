"""Every CLI command on bad input: non-zero exit, one line on stderr, no traceback, store unchanged."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from domicile.cli.app import main

SUB = "sub_" + "0" * 32


def _state(data: Path) -> dict[str, str]:
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A data folder with one RU subject; returns its path and the subject's ids/tokens."""
    data = tmp_path_factory.mktemp("cli") / "data"
    assert main(["init", "--data-dir", str(data)]) == 0
    src = data.parent / "in.json"
    src.write_text(
        json.dumps({"fields": {"given_name": "Анна", "phone": "+79161234567", "address": "Тверская 1"}})
    )
    out = data.parent / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "domicile", "put", str(src), "--data-dir", str(data), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    out.write_text(proc.stdout)
    r = json.loads(proc.stdout)[0]
    return data, {
        "subject": r["subject_id"],
        "token": r["tokens"]["given_name"],
        "phone": r["tokens"]["phone"],
    }


CASES: list[tuple[str, list[str], str | None, int]] = [
    # (name, argv after the command, stdin, expected exit code)
    ("put-malformed-json", ["put", "-"], '{"fields": {', 3),
    ("put-unknown-field", ["put", "-"], '{"fields": {"given_nam": "x"}}', 3),
    ("put-bad-phone", ["put", "-"], '{"fields": {"phone": "12345"}}', 3),
    ("put-not-object", ["put", "-"], '"just a string"', 3),
    ("put-unknown-key", ["put", "-"], '{"fields": {"given_name": "x"}, "extra": 1}', 3),
    (
        "put-bad-signal",
        ["put", "-"],
        '{"fields": {"given_name": "x"}, "signals": {"citizenship": "Russia"}}',
        3,
    ),
    (
        "put-one-bad-in-batch",
        ["put", "-"],
        '[{"fields": {"given_name": "ok"}}, {"fields": {"email": "not-an-email"}}]',
        3,
    ),
    ("put-missing-file", ["put", "/nonexistent/x.json"], None, 3),
    ("get-bad-id", ["get", "sub_123", "--purpose", "support"], None, 3),
    ("get-unknown-subject", ["get", SUB, "--purpose", "support"], None, 4),
    ("get-unknown-field", ["get", "{subject}", "--purpose", "support", "--field", "nope"], None, 3),
    ("get-bad-purpose", ["get", "{subject}", "--purpose", "Иван Петров"], None, 3),
    ("get-missing-purpose", ["get", "{subject}"], None, 2),
    ("patch-unknown-field", ["patch", "{subject}", "-"], '{"nope": "x"}', 3),
    ("patch-malformed", ["patch", "{subject}", "-"], "{", 3),
    ("residency-malformed", ["residency", "{subject}", "--signals", "{"], None, 3),
    ("residency-bad-country", ["residency", "{subject}", "--signals", '{"residence": "Moscow"}'], None, 3),
    ("find-unknown-field", ["find", "nope", "x", "--purpose", "support"], None, 3),
    ("find-not-searchable", ["find", "address", "x", "--purpose", "support"], None, 3),
    (
        "tokenize-bad-kind",
        ["tokenize", "{subject}", "given_name", "--purpose", "p.p", "--kind", "magic"],
        None,
        2,
    ),
    (
        "tokenize-fpe-on-name",
        ["tokenize", "{subject}", "given_name", "--purpose", "p.p", "--kind", "fpe-phone"],
        None,
        3,
    ),
    (
        "tokenize-bad-scope",
        [
            "tokenize",
            "{subject}",
            "given_name",
            "--purpose",
            "p.p",
            "--kind",
            "deterministic",
            "--scope",
            "Bad Scope",
        ],
        None,
        3,
    ),
    ("tokenize-missing-field", ["tokenize", "{subject}", "email", "--purpose", "p.p"], None, 4),
    ("detokenize-garbage", ["detokenize", "hello", "--purpose", "support"], None, 3),
    (
        "detokenize-unknown-cell",
        ["detokenize", "tok:r:xx-nowhere-9:1:aaaaaaaaaaaaaaaaaaaaaaaaaa", "--purpose", "support"],
        None,
        4,
    ),
    (
        "detokenize-unissued",
        ["detokenize", "tok:r:ru-msk-1:1:aaaaaaaaaaaaaaaaaaaaaaaaaa", "--purpose", "support"],
        None,
        3,
    ),
    ("erase-unknown", ["erase", SUB], None, 4),
    ("erase-both", ["erase", "{subject}", "--replay"], None, 3),
    ("erase-neither", ["erase"], None, 3),
    ("rotate-unknown-cell", ["keys", "rotate", "--cell", "mars-1"], None, 4),
    ("rotate-bad-batch", ["keys", "rotate", "--cell", "ru-msk-1", "--batch", "0"], None, 3),
    ("verify-unknown-cell", ["audit", "verify", "--cell", "mars-1"], None, 4),
    ("verify-bad-anchor", ["audit", "verify", "--cell", "ru-msk-1", "--anchor", "nonsense"], None, 3),
    ("head-unknown-cell", ["audit", "head", "--cell", "mars-1"], None, 4),
    ("demo-bad-count", ["demo", "--people", "0"], None, 3),
    ("unknown-command", ["frobnicate"], None, 2),
    (
        "find-bad-cell-after-good",
        ["find", "phone", "+79161234567", "--purpose", "support", "--cell", "ru-msk-1", "--cell", "mars-1"],
        None,
        4,
    ),
    ("erase-cell-without-replay", ["erase", "{subject}", "--cell", "ru-msk-1"], None, 3),
    ("put-deeply-nested", ["put", "-"], "[" * 100000 + "]" * 100000, 3),
    ("put-lone-surrogate", ["put", "-"], '{"fields": {"given_name": "\\ud800"}}', 3),
    ("verify-anchor-mismatch-no-cell", ["audit", "verify", "--anchor", "ru-msk-1:1:" + "0" * 64], None, 6),
]


@pytest.mark.parametrize(("name", "argv", "stdin", "code"), CASES, ids=[c[0] for c in CASES])
def test_cli_bad_input(
    seeded: tuple[Path, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    argv: list[str],
    stdin: str | None,
    code: int,
) -> None:
    """Bad input: the documented exit code, one stderr line without traceback or PD, nothing changed."""
    data, ids = seeded
    before = _state(data)
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    args = [a.replace("{subject}", ids["subject"]) for a in argv]
    if args[0] not in ("frobnicate",):
        args += ["--data-dir", str(data)]
    rc = main(args)
    captured = capsys.readouterr()
    assert rc == code, captured.err
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    for pd in ("Анна", "79161234567", "Тверская"):
        assert pd not in captured.err
    assert _state(data) == before


def test_wrong_key_file_is_a_clear_error(
    seeded: tuple[Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key file from another cell, or a fresh key: one-line errors, nothing decrypted, nothing changed."""
    data, ids = seeded
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    keys = copy / "keys"
    shutil.copy2(keys / "global-1.json", keys / "ru-msk-1.json")
    assert main(["get", ids["subject"], "--purpose", "support", "--data-dir", str(copy)]) == 7
    assert "belongs to cell 'global-1'" in capsys.readouterr().err
    # a brand-new key for the right cell: unwrapping fails authentication
    (keys / "ru-msk-1.json").unlink()
    from domicile.vault.keys import LocalKeyFileProvider

    LocalKeyFileProvider.create("ru-msk-1", keys / "ru-msk-1.json")
    before = _state(copy)
    assert main(["get", ids["subject"], "--purpose", "support", "--data-dir", str(copy)]) == 6
    err = capsys.readouterr().err
    assert err.startswith("error: data key") and "Анна" not in err
    assert main(["cells", "status", "--data-dir", str(copy), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [c["key_matches"] for c in status] == [False, True]
    assert "key file does not match" in status[0]["error"]
    assert _state(copy) == before  # the failed get and the status read changed nothing


def test_tampered_audit_gives_exit_6_naming_the_entry(
    seeded: tuple[Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit verify on an edited entry exits 6 and names the first bad seq."""
    import sqlite3

    data, _ = seeded
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    con = sqlite3.connect(copy / "cells" / "ru-msk-1.db")
    con.execute("update audit_log set purpose = 'edited' where seq = 1")
    con.commit()
    con.close()
    assert main(["audit", "verify", "--data-dir", str(copy)]) == 6
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: audit chain of cell ru-msk-1 broken at seq 1")


def test_corrupt_cells_file_is_a_config_error(
    seeded: tuple[Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cells file edited into invalid YAML: exit 10 naming the line; init refuses too."""
    data, _ = seeded
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    (copy / "cells.yaml").write_text("cells:\n  - name: [unclosed\n")
    for argv in (["cells", "status"], ["init"]):
        assert main([*argv, "--data-dir", str(copy)]) == 10
        err = capsys.readouterr().err.strip()
        assert "not valid YAML at line" in err and "\n" not in err


def test_real_process_bad_input_has_no_traceback(seeded: tuple[Path, dict[str, str]]) -> None:
    """The installed entry point prints one line and exits non-zero on malformed JSON."""
    data, _ = seeded
    proc = subprocess.run(
        [sys.executable, "-m", "domicile", "put", "-", "--data-dir", str(data)],
        input="{not json",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 3
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_init_on_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--data-dir naming a file: one-line error, non-zero exit, no traceback."""
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["init", "--data-dir", str(f)]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_get_prints_values_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Human output never re-renders PD: emoji codes, markup and long lines come out exactly as stored."""
    import io

    data = tmp_path / "data"
    assert main(["init", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    address = "ул. :smile: [bold]x[/bold] " + "д" * 300
    monkeypatch.setattr(
        sys,
        "stdin",
        io.StringIO(
            json.dumps({"fields": {"given_name": "Анна", "phone": "+79161234567", "address": address}})
        ),
    )
    assert main(["put", "-", "--data-dir", str(data), "--json"]) == 0
    sid = json.loads(capsys.readouterr().out)[0]["subject_id"]
    assert main(["get", sid, "--purpose", "support", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"  address      {address}\n" in out
