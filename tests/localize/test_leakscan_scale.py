"""leakscan precision on realistic data: 3,000 users after a clean localize (SQLite).

At this size some non-RU people share a full name with a Russian one (KZ users carry Russian
names; card holders are transliterated given + family names). Such a match is not a leak when
the row is not the Russian person's: it must come out ``weak`` and leave the source clean, while
identifiers (a copied e-mail column, a phone in free text) stay ``strong`` (PD-LOC-1..3).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from localize_kit import close, columns_of, datamap, expected_ru, init_data, open_dom, snapshot

from domicile.localize.engine import localize
from domicile.localize.leakscan import STRONG, WEAK, leakscan
from domicile.localize.source import open_source
from domicile.localize.values import canonical_key
from domicile.service import Domicile
from domicile.synthetic.labeled_db import build_labeled_db

USERS = 3000


@pytest.fixture
def dom(tmp_path: Path) -> Iterator[Domicile]:
    init_data(tmp_path / "data")
    d = open_dom(tmp_path / "data")
    yield d
    close(d)


def test_clean_at_3000_users_shared_names_weak_identifiers_strong(dom: Domicile, tmp_path: Path) -> None:
    """Clean after localize (shared names only weak, on non-RU rows); planted identifiers are strong."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    build_labeled_db(url, rows=USERS, sizes={"sellers": USERS // 5}, seed=3)
    original = snapshot(url)
    ru = expected_ru(original, url)
    engine = open_source(url)
    try:
        localize(dom, engine, datamap())
    finally:
        engine.dispose()

    report = leakscan(dom, url)
    assert report.clean and report.leaks == () and report.rows >= 4 * USERS
    assert report.weak, "seed 3 has non-RU card holders named like RU ones: the case under test"
    holder_at = columns_of(url, "payments").index("card_holder")
    ru_holders = {original["payments"][k][holder_at] for k in ru["payments"]}
    for f in report.weak:
        key = canonical_key((int(f.row[0]),))
        assert (f.table, f.column, f.kind) == ("payments", "card_holder", "text")
        assert key not in ru["payments"], "a weak finding on an RU row would be a real leftover"
        assert original["payments"][key][holder_at] in ru_holders  # a name an RU person has too
    assert not report.passes(strict=True)

    # plant: an e-mail backup column (every e-mail, taken before localize) and a phone in a note
    users = columns_of(url, "users")
    email_at, phone_at, id_at = (users.index(c) for c in ("email", "phone", "id"))
    first_ru = original["users"][sorted(ru["users"])[0]]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE users ADD COLUMN email_backup VARCHAR(300)"))
            conn.execute(sa.text("CREATE TABLE call_log (id INTEGER PRIMARY KEY, note TEXT)"))
            conn.execute(
                sa.text("UPDATE users SET email_backup = :e WHERE id = :i"),
                [{"e": row[email_at], "i": row[id_at]} for row in original["users"].values()],
            )
            conn.execute(
                sa.text("INSERT INTO call_log (id, note) VALUES (1, :n)"),
                {"n": f"Просил перезвонить на {first_ru[phone_at]} вечером"},
            )
    finally:
        engine.dispose()
    planted = leakscan(dom, url)
    assert {(f.table, f.column) for f in planted.leaks} == {("users", "email_backup"), ("call_log", "note")}
    ru_ids = {str(original["users"][k][id_at]) for k in ru["users"] if original["users"][k][email_at]}
    assert {f.row[0] for f in planted.leaks if f.column == "email_backup"} == ru_ids
    assert all(f.strength == STRONG for f in planted.leaks)
    assert {(f.table, f.row) for f in planted.weak} == {(f.table, f.row) for f in report.weak}
    assert all(f.strength == WEAK for f in planted.weak)
