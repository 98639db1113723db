"""``domicile scan`` / ``domicile leakscan`` through the CLI: output, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from leak_helpers import (
    SHARED_NAME,
    make_app_db,
    make_shared_name_db,
    open_dom,
    plant_ru_people,
    plant_ru_people_with_names,
)

from domicile.cli.app import main
from domicile.cli.errors import LEAKS_FOUND, exit_code
from domicile.core.errors import LocalizationError
from domicile.localize.datamap import load_datamap

SECRET = "pw-never-shown"
SOURCE = 13  # docs/cli.md: the source database cannot be used


@pytest.fixture
def app_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    make_app_db(url, leftovers=True)
    return url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    dom = open_dom(data)
    plant_ru_people(dom)
    for c in dom.cells.values():
        c.close()
    return data


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_scan_writes_a_loadable_map(app_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """scan --out writes a map that load_datamap accepts and prints the PD summary."""
    out = tmp_path / "map.yaml"
    assert main(["scan", app_db, "--out", str(out), "--sample", "50"]) == 0
    dm = load_datamap(out)
    assert dm.table("users").column("email_backup").category == "email"
    printed = capsys.readouterr().out
    assert "email_backup" in printed and "subject table" in printed
    assert "ivan.petrov" not in out.read_text("utf-8").lower()


def test_scan_json(app_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the map, notes and how each table was sampled."""
    assert main(["scan", app_db, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sampling"]["users"] == "all rows: 4 of 4"
    assert {t["name"] for t in doc["datamap"]["tables"]} == {"users", "support_tickets", "orders"}


def test_leakscan_exit_codes(
    app_db: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Leftovers: exit 12 and a findings table; a clean source: exit 0."""
    assert main(["leakscan", app_db, "--data-dir", str(data_dir)]) == LEAKS_FOUND
    out = capsys.readouterr().out
    assert "email_backup" in out and "LEAKS FOUND: 3" in out and "ivan.petrov" not in out
    clean = f"sqlite:///{tmp_path / 'clean.db'}"
    make_app_db(clean, leftovers=False)
    assert main(["leakscan", clean, "--data-dir", str(data_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clean"] is True


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["scan", f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/app"], SOURCE, "unreachable"),
        (["scan", "sqlite:///no/such/file.db"], SOURCE, "SQLite file not found"),
        (["scan", "nonsense"], SOURCE, "not a valid database URL"),
        (["scan", f"nosuchdriver://u:{SECRET}@h/db"], SOURCE, "unknown database driver"),
    ],
)
def test_scan_bad_source(
    argv: list[str], code: int, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unusable source: one line naming the reason, no password, nothing written."""
    out = tmp_path / "map.yaml"
    assert main([*argv, "--out", str(out)]) == code
    line = _one_error_line(capsys.readouterr().err)
    assert needle in line and SECRET not in line
    assert not out.exists()


def test_leakscan_map_naming_missing_column(
    app_db: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A map naming a column the source lacks is refused in one line (exit 3)."""
    good = tmp_path / "map.yaml"
    assert main(["scan", app_db, "--out", str(good)]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text("utf-8").replace("email_backup:", "email_copy:"), "utf-8")
    assert main(["leakscan", app_db, "--map", str(bad), "--data-dir", str(data_dir)]) == 3
    assert "email_copy" in _one_error_line(capsys.readouterr().err)


def test_leakscan_map_invalid_yaml(
    app_db: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A map edited into invalid YAML: one line with the line number, exit 3, no audit entry."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: domicile.datamap/1\ntables:\n  users: [unclosed\n", "utf-8")
    before = sorted(p.stat().st_mtime_ns for p in data_dir.rglob("*.db"))
    assert main(["leakscan", app_db, "--map", str(bad), "--data-dir", str(data_dir)]) == 3
    line = _one_error_line(capsys.readouterr().err)
    assert "not valid YAML" in line and "line" in line
    assert sorted(p.stat().st_mtime_ns for p in data_dir.rglob("*.db")) == before


def test_leakscan_unreachable_source(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreachable source: one line, exit 13, password masked."""
    code = main(
        ["leakscan", f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/app", "--data-dir", str(data_dir)]
    )
    assert code == SOURCE
    line = _one_error_line(capsys.readouterr().err)
    assert "unreachable" in line and SECRET not in line


def test_source_errors_have_their_own_exit_code() -> None:
    """SourceError (and any localization error) maps to 13, distinct from every other code."""
    from domicile.cli.errors import EXIT_CODES, INTERNAL, USAGE
    from domicile.localize.source import SourceError

    assert exit_code(SourceError("cannot reach source")) == SOURCE
    assert exit_code(LocalizationError("x")) == SOURCE
    others = {c for cls, c in EXIT_CODES if cls is not LocalizationError} | {USAGE, INTERNAL, LEAKS_FOUND}
    assert SOURCE not in others


def test_leakscan_weak_findings_fail_only_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shared full name alone: listed as weak, exit 0; with --strict, exit 12."""
    data = tmp_path / "weak-data"
    dom = open_dom(data)
    plant_ru_people_with_names(dom)
    for c in dom.cells.values():
        c.close()
    url = f"sqlite:///{tmp_path / 'cards.db'}"
    make_shared_name_db(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM cards WHERE id = 2"))
    engine.dispose()
    assert main(["leakscan", url, "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "weak findings (review)" in out and "not a failure without --strict" in out
    assert "LEAKS FOUND" not in out and SHARED_NAME not in out
    assert main(["leakscan", url, "--data-dir", str(data), "--strict", "--json"]) == LEAKS_FOUND
    doc = json.loads(capsys.readouterr().out)
    assert doc["clean"] is True and doc["passed"] is False
    assert [f["strength"] for f in doc["findings"]] == ["weak"]
