"""The request catalog and desk.yaml: validated data, documented in docs/desk.md, refused when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from domicile.desk.catalog import (
    TABLE_END,
    TABLE_START,
    RequestCatalog,
    load_catalog,
    render_request_table,
)
from domicile.desk.clocks import ClockRegistry
from domicile.desk.config import DeskConfig, dump_desk_config, load_desk_config
from domicile.desk.errors import DeskConfigError, UnknownRequestTypeError
from domicile.desk.models import Action

DOCS = Path(__file__).resolve().parents[2] / "docs"
CATALOG = Path(__file__).resolve().parents[2] / "src" / "domicile" / "desk" / "data" / "ru_desk.yaml"


def test_docs_table_is_generated_from_the_catalog(ru_catalog: RequestCatalog) -> None:
    """docs/desk.md carries exactly the table rendered from the catalog (regenerate it on data changes)."""
    text = (DOCS / "desk.md").read_text("utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    assert text[start:end].strip() == render_request_table(ru_catalog).strip()


def test_catalog_facts(ru_catalog: RequestCatalog) -> None:
    """The issue's request types map to their legal clocks; LE requests always need legal review."""
    primary = {t.id: t.primary_clock for t in ru_catalog}
    assert primary["register_takedown"] == "reg.takedown.remove"
    assert primary["pg_demand"] == "pg.demand.restrict"
    assert primary["dsr_access"] == "pd.dsr.access" and primary["rkn_info"] == "pd.rkn.request"
    assert primary["user_appeal"] == "sn.appeal.decide" and primary["pd_breach"] == "pd.breach.notice_24h"
    breach = {c.clock for c in ru_catalog.type("pd_breach").clocks}
    assert breach == {"pd.breach.notice_24h", "pd.breach.notice_72h"}
    assert ru_catalog.legal_review_always("le_data") and not ru_catalog.legal_review_always("csam_detection")
    auto = ru_catalog.automatic_actions
    assert [(a.request_type, a.action) for a in auto] == [("csam_detection", Action.REMOVE_EVERYWHERE)]
    assert ru_catalog.clocks.rule("pg.demand.restrict").internal_target_minutes == 60
    with pytest.raises(UnknownRequestTypeError, match="known types"):
        ru_catalog.type("nope")


def _variant(tmp_path: Path, edit: str, new: str) -> Path:
    text = CATALOG.read_text("utf-8")
    assert edit in text
    path = tmp_path / "catalog.yaml"
    path.write_text(text.replace(edit, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "new", "message"),
    [
        (
            "{clock: pg.demand.restrict, stops_on: executed, primary: true}",
            "{clock: pg.demand.nope, stops_on: executed, primary: true}",
            "unknown clock 'pg.demand.nope'",
        ),
        ("request_type: csam_detection", "request_type: le_data", "requires legal review always"),
        (
            "      - {clock: pd.dsr.access, stops_on: answered, primary: true}",
            "      - {clock: pd.dsr.access, stops_on: answered}",
            "exactly one clock must be primary",
        ),
        ("kind: removal", "kind: teleport", "kind"),
        ("version: 1", "version: [", "not valid YAML"),
    ],
)
def test_invalid_catalog_is_refused(
    tmp_path: Path, ru_clocks: ClockRegistry, edit: str, new: str, message: str
) -> None:
    """A catalog naming an unknown clock, auto-acting on a legally reviewed type, or malformed is refused."""
    with pytest.raises(DeskConfigError, match=message):
        load_catalog(_variant(tmp_path, edit, new), ru_clocks)


def test_desk_config_round_trip_and_errors(tmp_path: Path) -> None:
    """desk.yaml round-trips; an unknown field, a non-RU country or bad YAML is one clear config error."""
    path = tmp_path / "desk.yaml"
    path.write_text(dump_desk_config(DeskConfig()), "utf-8")
    assert load_desk_config(path) == DeskConfig()
    for body, message in (
        ({"surprise": 1}, "surprise"),
        ({"country": "DE"}, "country"),
        ({"notifiers": [{"kind": "pager", "name": "x"}]}, "notifiers"),
    ):
        path.write_text(yaml.safe_dump(body), "utf-8")
        with pytest.raises(DeskConfigError, match=message):
            load_desk_config(path)
    path.write_text("a: [", "utf-8")
    with pytest.raises(DeskConfigError, match="line"):
        load_desk_config(path)
    with pytest.raises(DeskConfigError, match="desk init"):
        load_desk_config(tmp_path / "missing.yaml")
