"""leakscan: finds planted leftovers of localized PD, passes a clean source, never shows values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from leak_helpers import (
    PEOPLE,
    RU_IDS,
    SHARED_NAME,
    make_app_db,
    make_shared_name_db,
    open_dom,
    plant_ru_people,
    plant_ru_people_with_names,
)

from domicile.localize.leakscan import leakscan
from domicile.localize.scan import scan
from domicile.operations import audit_head
from domicile.residency.resolver import Signals
from domicile.service import Domicile


@pytest.fixture
def dom(tmp_path: Path) -> Iterator[Domicile]:
    d = open_dom(tmp_path / "data")
    yield d
    for c in d.cells.values():
        c.close()


def test_finds_copied_column_and_phone_in_free_text(dom: Domicile, db_url: str) -> None:
    """A copied e-mail column and a phone inside a ticket body are found; other countries are not."""
    make_app_db(db_url, leftovers=True)
    plant_ru_people(dom)
    report = leakscan(dom, db_url)
    assert not report.clean
    where = {(f.table, f.column, f.row, f.kind) for f in report.findings}
    assert where == {
        ("users", "email_backup", ("1",), "email"),
        ("users", "email_backup", ("2",), "email"),
        ("support_tickets", "body", ("1",), "phone"),
    }
    body = next(f for f in report.findings if f.table == "support_tickets")
    assert body.matched == "localized_item" and body.subject_id == f"sub_{1:032x}"
    assert report.by_column == {"users.email_backup": 2, "support_tickets.body": 1}
    text = json.dumps([vars(f) for f in report.findings], ensure_ascii=False)
    for _, email, phone, _ in PEOPLE:
        assert email.lower() not in text.lower() and phone not in text


def test_clean_source_passes(dom: Domicile, db_url: str) -> None:
    """After a complete localization nothing is found, though non-RU PD is still there."""
    make_app_db(db_url, leftovers=False)
    plant_ru_people(dom)
    report = leakscan(dom, db_url)
    assert report.clean and report.findings == ()
    assert report.rows == 4 + 2 + 5 and report.values > 0 and report.probes >= 1


def test_every_key_version_is_probed(dom: Domicile, tmp_path: Path) -> None:
    """Fingerprints written under an older key version are still found after a rotation."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    make_app_db(url, leftovers=True)
    plant_ru_people(dom)
    cell = dom.cell("ru-msk-1")
    cell.keys.add_version()
    assert len(cell.keys.versions()) == 2
    report = leakscan(dom, url)
    assert report.key_versions == (1, 2)
    assert {f.column for f in report.findings} == {"email_backup", "body"}


def test_subjects_stored_through_the_api_are_found(dom: Domicile, tmp_path: Path) -> None:
    """A source value equal to a vault subject's identifier is found through the blind index."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    make_app_db(url, leftovers=False)
    put = dom.put(
        {"email": "hans.mueller@example.de", "phone": "+79161112233"},
        Signals(residence="RU"),
        actor="test",
        purpose="registration",
    )
    assert put.cell == "ru-msk-1"
    report = leakscan(dom, url)
    hits = {(f.table, f.column, f.row, f.matched, f.ref) for f in report.findings}
    assert hits == {
        ("users", column, ("3",), "vault_subject", put.subject_id) for column in ("email", "email_backup")
    }


def test_audited_without_values(dom: Domicile, tmp_path: Path) -> None:
    """Each run leaves one PD-free audit entry with counts in the RU cell."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    make_app_db(url, leftovers=True)
    before = audit_head(dom, "ru-msk-1")
    leakscan(dom, url)
    after = audit_head(dom, "ru-msk-1")
    assert after is not None and (before.seq if before else 0) + 1 == after.seq


def test_map_adds_categories(dom: Domicile, tmp_path: Path) -> None:
    """With a data map, mapped columns are read with their category (same findings here)."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    make_app_db(url, leftovers=True)
    plant_ru_people(dom)
    dm = scan(url)
    with_map = leakscan(dom, url, dm=dm)
    without = leakscan(dom, url)
    assert {(f.table, f.column, f.row) for f in with_map.findings} == {
        (f.table, f.column, f.row) for f in without.findings
    }
    assert len(with_map.findings) == len(RU_IDS) + 1


def test_full_name_alone_is_weak_corroborated_is_strong(dom: Domicile, tmp_path: Path) -> None:
    """A shared full name alone is a weak finding (clean); next to an RU e-mail in the row, strong."""
    url = f"sqlite:///{tmp_path / 'cards.db'}"
    make_shared_name_db(url)
    plant_ru_people_with_names(dom)
    report = leakscan(dom, url)
    graded = {(f.row, f.column, f.kind, f.strength) for f in report.findings}
    assert graded == {
        (("1",), "holder", "text", "weak"),
        (("2",), "holder", "text", "strong"),
        (("2",), "mail", "email", "strong"),
    }
    assert [f.row for f in report.weak] == [("1",)]
    assert not report.clean and not report.passes() and not report.passes(strict=True)
    assert report.by_column == {"cards.holder": 1, "cards.mail": 1}
    assert report.weak_by_column == {"cards.holder": 1}


def test_weak_only_source_is_clean_unless_strict(dom: Domicile, tmp_path: Path) -> None:
    """Only a name another person shares: clean and passing, but not with strict."""
    url = f"sqlite:///{tmp_path / 'cards.db'}"
    make_shared_name_db(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM cards WHERE id = 2"))
    engine.dispose()
    plant_ru_people_with_names(dom)
    report = leakscan(dom, url)
    assert report.clean and report.passes() and not report.passes(strict=True)
    assert [(f.column, f.strength) for f in report.findings] == [("holder", "weak")]
    assert SHARED_NAME.lower() not in repr(report).lower()
