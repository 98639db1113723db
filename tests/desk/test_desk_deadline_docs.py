"""docs/deadlines.md is a tested artefact: its clock table is the one rendered from the data."""

from __future__ import annotations

from pathlib import Path

from domicile.desk.clocks import TABLE_END, TABLE_START, load_ru_clocks, render_clock_table, replace_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "deadlines.md"


def test_clock_table_in_docs_is_up_to_date() -> None:
    """The doc's table equals the render of clocks.yaml (regenerate with --write if this fails)."""
    text = DOC.read_text(encoding="utf-8")
    assert TABLE_START in text and TABLE_END in text
    assert replace_table(text, render_clock_table(load_ru_clocks())) == text


def test_docs_cite_every_calendar_decree() -> None:
    """The docs name the decree of every packaged calendar year."""
    text = DOC.read_text(encoding="utf-8")
    for number in ("1505", "1314", "1335", "1466"):
        assert f"No. {number}" in text
