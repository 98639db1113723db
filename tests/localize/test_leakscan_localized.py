"""leakscan after a real ``localize`` run: clean source passes, planted leftovers are found.

The Must-show of issue 4: a copied column (``users.email_backup``, a copy of every e-mail made
before localization) and a free-text column mentioning an RU user's phone number are reported,
with row keys and item ids only; without them the localized source is clean (PD-LOC-1..3).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from localize_kit import close, datamap, expected_ru, init_data, make_source, open_dom, snapshot

from domicile.localize.engine import localize
from domicile.localize.leakscan import leakscan
from domicile.localize.source import open_source
from domicile.service import Domicile


@pytest.fixture
def dom(tmp_path: Path) -> Iterator[Domicile]:
    init_data(tmp_path / "data")
    d = open_dom(tmp_path / "data")
    yield d
    close(d)


def _localize(dom: Domicile, url: str) -> None:
    engine = open_source(url)
    try:
        localize(dom, engine, datamap())
    finally:
        engine.dispose()


def test_localized_source_clean_then_leftovers_found(dom: Domicile, db_url: str) -> None:
    """Clean after localize; a copied column and a phone in free text are found, only RU rows."""
    make_source(db_url, rows=40)
    original = snapshot(db_url)
    ru = expected_ru(original, db_url)
    assert ru["users"], "the fixture must have RU users"
    _localize(dom, db_url)
    assert leakscan(dom, db_url).clean

    # plant: a backup of every e-mail taken before localization, and a note naming a phone
    engine = sa.create_engine(db_url)
    try:
        users_cols = [c["name"] for c in sa.inspect(engine).get_columns("users")]
        email_at, phone_at, id_at = (users_cols.index(c) for c in ("email", "phone", "id"))
        first_ru = original["users"][sorted(ru["users"])[0]]
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE users ADD COLUMN email_backup VARCHAR(300)"))
            conn.execute(sa.text("CREATE TABLE call_log (id INTEGER PRIMARY KEY, note TEXT)"))
            conn.execute(
                sa.text("UPDATE users SET email_backup = :e WHERE id = :i"),
                [{"e": row[email_at], "i": row[id_at]} for row in original["users"].values()],
            )
            conn.execute(
                sa.text("INSERT INTO call_log (id, note) VALUES (1, :n), (2, :m)"),
                {"n": f"Клиент просил перезвонить на {first_ru[phone_at]} после обеда", "m": "no phone here"},
            )
    finally:
        engine.dispose()

    report = leakscan(dom, db_url)
    found = {(f.table, f.column) for f in report.findings}
    assert found == {("users", "email_backup"), ("call_log", "note")}
    backup_rows = {f.row[0] for f in report.findings if f.column == "email_backup"}
    ru_ids = {str(original["users"][k][id_at]) for k in ru["users"] if original["users"][k][email_at]}
    assert backup_rows == ru_ids  # RU users only: other countries' e-mails are not leaks
    note = next(f for f in report.findings if f.table == "call_log")
    assert note.row == ("1",) and note.kind == "phone" and note.ref.startswith("itm_")
    assert str(first_ru[email_at]) not in repr(report)

    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE users SET email_backup = NULL"))
            conn.execute(sa.text("DELETE FROM call_log WHERE id = 1"))
    finally:
        engine.dispose()
    assert leakscan(dom, db_url).clean
