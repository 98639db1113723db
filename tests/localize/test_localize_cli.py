"""``domicile localize``: bad input fails in one line before anything is written; evidence is PD-free."""

from __future__ import annotations

import json
from pathlib import Path

import localize_kit as kit
import pytest

from domicile.cli.app import main


@pytest.fixture
def world(tmp_path: Path) -> tuple[str, Path, kit.Snapshot]:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url)
    kit.init_data(tmp_path / "data")
    return url, tmp_path / "data", kit.snapshot(url)


def _unchanged(url: str, data: Path, original: kit.Snapshot, before: kit.CellState) -> None:
    dom = kit.open_dom(data)
    try:
        assert kit.cell_state(dom) == before
    finally:
        kit.close(dom)
    assert kit.snapshot(url) == original
    assert not (data / "localize").exists()


def _state(data: Path) -> kit.CellState:
    dom = kit.open_dom(data)
    try:
        return kit.cell_state(dom)
    finally:
        kit.close(dom)


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "unreachable"),
        ("sqlite:////nonexistent/dir/app.db", "SQLite file not found"),
        ("nonsense://", "source"),
    ],
)
def test_unreachable_source_is_one_line_and_writes_nothing(
    world: tuple[str, Path, kit.Snapshot],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    source: str,
    needle: str,
) -> None:
    """An unreachable or unusable source: exit 13, one error line naming why; source and cell unchanged."""
    url, data, original = world
    before = _state(data)
    code = main(
        ["localize", source, "--map", str(kit.write_map(tmp_path / "m.yaml")), "--data-dir", str(data)]
    )
    err = capsys.readouterr().err
    assert code == 13 and needle in err and err.count("\n") == 1 and "Traceback" not in err
    _unchanged(url, data, original, before)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (
            lambda t: t.replace(
                "      last_ip: {category: ip_address}", "      nickname: {category: person_name}"
            ),
            "columns.nickname: no such column",
        ),
        (lambda t: t.replace("  orders:\n", "  orders:\n    primary_key: [id\n"), "not valid YAML"),
        (lambda t: t.replace("birth_date, replace: 'null'", "birth_date, replace: token"), "non-text column"),
        (lambda t: t.replace("field: given_name", "field: nickname"), "unknown vault field"),
    ],
)
def test_bad_map_fails_before_anything_is_written(
    world: tuple[str, Path, kit.Snapshot],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit,
    needle: str,
) -> None:
    """A map naming a missing column, broken YAML, a token for a date column: exit 3, nothing written."""
    url, data, original = world
    before = _state(data)
    path = kit.write_map(tmp_path / "m.yaml", edit(kit.MAP_YAML))
    code = main(["localize", url, "--map", str(path), "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert code == 3 and needle in err and "Traceback" not in err, err
    _unchanged(url, data, original, before)


def test_cli_writes_pd_free_evidence(
    world: tuple[str, Path, kit.Snapshot], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints the evidence; evidence.json and .html hold counts and checksums, and no PD value."""
    url, data, original = world
    code = main(
        [
            "localize",
            url,
            "--map",
            str(kit.write_map(tmp_path / "m.yaml")),
            "--data-dir",
            str(data),
            "--batch-size",
            "17",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["state"] == "finished" and out["audit_head"].startswith("ru-msk-1:")
    ru = kit.expected_ru(original, url)
    assert {n: t["moved"] for n, t in out["tables"].items()} == {n: len(v) for n, v in ru.items()}
    assert all(
        t["checksums_equal"] and t["cell_items_checksum"] == t["cell_checksum"]
        for t in out["tables"].values()
    )
    jpath, hpath = (Path(p) for p in out["evidence"])
    assert json.loads(jpath.read_text())["tables"] == out["tables"]
    page = hpath.read_text()
    assert "<h2>users</h2>" in page and out["audit_head"] in page
    values = {
        v for t in original.values() for row in t.values() for v in row if isinstance(v, str) and len(v) >= 6
    }
    values -= {
        "active",
        "blocked",
        "pending",
        "deleted",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
        "declined",
    }
    body = jpath.read_text() + page
    assert [v for v in values if v in body] == []


def test_cli_dry_run_prints_counts_and_writes_nothing(
    world: tuple[str, Path, kit.Snapshot], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dry-run: the summary says what would move; no evidence, no cell rows, no source change."""
    url, data, original = world
    before = _state(data)
    code = main(
        [
            "localize",
            url,
            "--map",
            str(kit.write_map(tmp_path / "m.yaml")),
            "--data-dir",
            str(data),
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "would move" in out and "(dry-run)" in out
    _unchanged(url, data, original, before)


def test_pd_written_back_after_an_erasure_is_flagged_not_copied(
    world: tuple[str, Path, kit.Snapshot], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After `erase`, the app writes a new e-mail into the row: the re-run exits 12 and copies nothing."""
    import sqlalchemy as sa

    url, data, original = world
    args = ["localize", url, "--map", str(kit.write_map(tmp_path / "m.yaml")), "--data-dir", str(data)]
    assert main(args) == 0
    capsys.readouterr()
    uid = int(sorted(kit.expected_ru(original, url)["users"])[0].strip("[]"))
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            token = conn.execute(sa.text("SELECT email FROM users WHERE id = :i"), {"i": uid}).scalar()
        dom = kit.open_dom(data)
        try:
            with dom.home_cell("RU").session() as s:
                sid = s.store.get_tokens(token)[0].subject_id
            dom.erase(sid, actor="test")
        finally:
            kit.close(dom)
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE users SET email = 'back.again@example.ru' WHERE id = :i"), {"i": uid}
            )
        before = _state(data)
        code = main([*args, "--json"])
        out, err = capsys.readouterr()
        assert code == 12 and "erased subjects hold PD again" in err and "back.again" not in err
        assert json.loads(out)["tables"]["users"]["pd_after_erasure"] == 1
        with engine.connect() as conn:
            email = conn.execute(sa.text("SELECT email FROM users WHERE id = :i"), {"i": uid}).scalar()
        assert email == "back.again@example.ru"  # left for a person, never copied
        after = _state(data)
        assert after.counts["localized_items"] == before.counts["localized_items"]
    finally:
        engine.dispose()
