"""Helpers for scan / leakscan tests: a small application database and planted fingerprints.

``plant_localized`` writes what ``domicile localize`` leaves in the RU cell for one source row
(an item row and the fingerprints of its PD values) without running the engine, so leakscan
can be tested on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import sqlalchemy as sa

from domicile.app import init_data_dir, open_domicile
from domicile.localize.fingerprints import candidates, fingerprint
from domicile.localize.items import FingerprintRow, ItemRow, item_store
from domicile.service import Domicile
from domicile.settings import DomicileSettings
from domicile.vault.keys import KeyPurpose

#: (id, email, phone, country): RU users (RU phones) and others. All fictitious.
PEOPLE: tuple[tuple[int, str, str, str], ...] = (
    (1, "ivan.petrov@example.ru", "+7 916 123-45-67", "RU"),
    (2, "Olga.Smirnova@Example.RU", "8 (903) 765-43-21", "RU"),
    (3, "hans.mueller@example.de", "+49 30 901820", "DE"),
    (4, "john.smith@example.com", "+1 202 555 0147", "US"),
)
RU_IDS = (1, 2)


def open_dom(data_dir: Path) -> Domicile:
    """A Domicile with the default cells (RU and GLOBAL on SQLite) in a fresh data folder."""
    settings = DomicileSettings(data_dir=data_dir)
    init_data_dir(settings)
    return open_domicile(settings)


def make_app_db(url: str, *, leftovers: bool) -> None:
    """An app database: ``users`` (+ ``email_backup``), ``support_tickets``, ``orders``.

    With ``leftovers``: RU users' e-mails were replaced by tokens in ``users.email`` but their
    copies stayed in ``email_backup``, and a ticket body mentions an RU phone number. Without:
    the same database after a complete localization.
    """
    md = sa.MetaData()
    users = sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200)),
        sa.Column("email_backup", sa.String(200)),
        sa.Column("phone", sa.String(100)),
        sa.Column("country", sa.String(2)),
    )
    tickets = sa.Table(
        "support_tickets",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("body", sa.Text),
    )
    orders = sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer),
        sa.Column("status", sa.String(20)),
    )
    engine = sa.create_engine(url)
    md.create_all(engine)
    rows = []
    for pid, email, phone, country in PEOPLE:
        ru = pid in RU_IDS
        rows.append(
            {
                "id": pid,
                "email": f"tok:d:{uuid.UUID(int=pid).hex}" if ru else email,
                "email_backup": (email if leftovers else None) if ru else email,
                "phone": f"tok:d:{uuid.UUID(int=100 + pid).hex}" if ru else phone,
                "country": country,
            }
        )
    body = "Перезвоните мне: +7 (916) 123 45 67, пожалуйста" if leftovers else "Перезвоните мне, пожалуйста"
    with engine.begin() as conn:
        conn.execute(users.insert(), rows)
        conn.execute(
            tickets.insert(),
            [
                {"id": 1, "user_id": 1, "body": body},
                {"id": 2, "user_id": 3, "body": "Call me at +49 30 901820 please"},
            ],
        )
        conn.execute(
            orders.insert(), [{"id": k, "user_id": 1 + k % 4, "status": "paid"} for k in range(1, 6)]
        )
    engine.dispose()


def plant_localized(
    dom: Domicile,
    items: Iterable[tuple[str, str | None, Sequence[tuple[str, object]]]],
    *,
    cell: str = "ru-msk-1",
    job: str = "test-job",
    version: int | None = None,
) -> None:
    """Write items ``(item_id, subject_id, [(category, value), ...])`` and their fingerprints."""
    c = dom.cell(cell)
    v = version if version is not None else c.keys.current_version()
    key = c.keys.secret(v, KeyPurpose.BLIND_INDEX)
    now = "2026-01-01T00:00:00+00:00"
    with c.session() as s:
        store = item_store(s)
        for item_id, subject_id, values in items:
            store.insert_items([ItemRow(item_id, job, "users", subject_id, v, None, None, None, now, now)])
            digests = {fingerprint(key, k, t) for cat, val in values for k, t in candidates(cat, val)}
            store.insert_fingerprints([FingerprintRow(d, item_id, v) for d in sorted(digests)])


def plant_ru_people(dom: Domicile, **kw: object) -> None:
    """Plant the RU people of :data:`PEOPLE` as localized items ``itm_<id>`` of subjects ``sub_<id>``."""
    plant_localized(
        dom,
        [
            (f"itm_{pid:032x}", f"sub_{pid:032x}", [("email", email), ("phone", phone)])
            for pid, email, phone, _ in PEOPLE
            if pid in RU_IDS
        ],
        **kw,  # type: ignore[arg-type]
    )


#: A full name (card holder) of RU person 1 and a non-RU card paid under the same name.
SHARED_NAME = "IVAN PETROV"


def make_shared_name_db(url: str) -> None:
    """``cards``: row 1 is a non-RU person who happens to share RU person 1's full name; row 2
    holds the same name next to RU person 1's e-mail (a leftover corroborated in the row)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE cards (id INTEGER PRIMARY KEY, holder VARCHAR(100), mail VARCHAR(100))")
        )
        conn.execute(
            sa.text("INSERT INTO cards (id, holder, mail) VALUES (1, :h, :o), (2, :h, :m)"),
            {"h": SHARED_NAME, "o": "ivan.petrov@example.kz", "m": PEOPLE[0][1]},
        )
    engine.dispose()


def plant_ru_people_with_names(dom: Domicile) -> None:
    """Like :func:`plant_ru_people`, and RU person 1's item also holds the full name :data:`SHARED_NAME`."""
    plant_localized(
        dom,
        [
            (
                f"itm_{pid:032x}",
                f"sub_{pid:032x}",
                [("email", email), ("phone", phone)] + ([("person_name", SHARED_NAME)] if pid == 1 else []),
            )
            for pid, email, phone, _ in PEOPLE
            if pid in RU_IDS
        ],
    )
