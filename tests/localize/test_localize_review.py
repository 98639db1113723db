"""Operator-level edge cases found in review: each test pins a bug that was fixed."""

from __future__ import annotations

import json
from pathlib import Path

import localize_kit as kit
import pytest
import sqlalchemy as sa

from domicile.localize.datamap import DataMapError, parse_datamap
from domicile.localize.engine import localize
from domicile.localize.leakscan import leakscan
from domicile.localize.source import SourceError, open_source

_TWICE = """\
format: domicile.datamap/1
tables:
  users:
    primary_key: [id]
    subject: {key: id}
    columns:
      id: {category: null}
      email: {category: email}
  users:
    primary_key: [id]
    columns:
      id: {category: null}
"""


def test_a_table_listed_twice_is_refused() -> None:
    """A duplicated table key must not silently drop the first entry's PD columns (PD-LOC-1)."""
    with pytest.raises(DataMapError, match=r"line 9.*'users' is listed twice"):
        parse_datamap(_TWICE)


def test_a_column_listed_twice_is_refused() -> None:
    """The same for a column: the second ``email`` would turn a PD column into 'not PD'."""
    first = _TWICE[: _TWICE.rindex("  users:")]
    text = first + "      email: {category: null}\n"
    with pytest.raises(DataMapError, match=r"'email' is listed twice"):
        parse_datamap(text)


def test_leakscan_reads_json_columns(tmp_path: Path, db_url: str) -> None:
    """A Russian user's phone and e-mail kept in a JSON profile blob are leftovers (PD-LOC-1).

    leakscan reads every text-like column; a JSON column holds text too and was skipped.
    """
    kit.make_source(db_url, rows=30)
    original = kit.snapshot(db_url)
    ru = kit.expected_ru(original, db_url)
    cols = kit.columns_of(db_url, "users")
    first = original["users"][sorted(ru["users"])[0]]
    phone, email = first[cols.index("phone")], first[cols.index("email")]
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    try:
        engine = open_source(db_url)
        try:
            localize(dom, engine, kit.datamap())
        finally:
            engine.dispose()
        engine = sa.create_engine(db_url)
        json_type = "JSONB" if engine.dialect.name == "postgresql" else "JSON"
        blob = json.dumps({"contact": {"phone": phone, "mail": [email]}, "n": 1}, ensure_ascii=False)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"CREATE TABLE profiles (id INTEGER PRIMARY KEY, data {json_type})"))
                conn.execute(sa.text("INSERT INTO profiles VALUES (1, :d), (2, :e)"), {"d": blob, "e": "{}"})
        finally:
            engine.dispose()
        report = leakscan(dom, db_url)
    finally:
        kit.close(dom)
    assert {(f.table, f.column, f.row) for f in report.leaks} == {("profiles", "data", ("1",))}
    assert phone not in repr(report)


_FK_MAP = """\
format: domicile.datamap/1
tables:
  users:
    primary_key: [id]
    subject: {key: id}
    residency: {phones: [tel]}
    columns:
      id: {category: null}
      email: {category: email, field: email}
      tel: {category: phone}
  subs:
    primary_key: [id]
    subject: {ref: users, column: user_id}
    columns:
      id: {category: null}
      user_id: {category: null}
      email: {category: email}
"""


def test_pd_column_in_a_foreign_key_is_refused_before_anything_is_written(
    tmp_path: Path, db_url: str
) -> None:
    """``subs.email REFERENCES users(email)``: tokens would break the link (PostgreSQL refused the
    UPDATE after the copies were written: an internal error, PD left in the source; SQLite wrote
    two different tokens into the linked columns). The map check names the column instead."""
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) UNIQUE, tel TEXT)")
            )
            conn.execute(
                sa.text(
                    "CREATE TABLE subs (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
                    "email VARCHAR(200) REFERENCES users(email))"
                )
            )
            conn.execute(sa.text("INSERT INTO users VALUES (1, 'a@mail.ru', '+7 916 123 45 67')"))
            conn.execute(sa.text("INSERT INTO subs VALUES (1, 1, 'a@mail.ru')"))
    finally:
        engine.dispose()
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    try:
        before = kit.cell_state(dom)
        source = open_source(db_url)
        try:
            with pytest.raises(DataMapError, match=r"tables\.users\.columns\.email: .*foreign key"):
                localize(dom, source, parse_datamap(_FK_MAP))
        finally:
            source.dispose()
        assert kit.cell_state(dom) == before
    finally:
        kit.close(dom)


def test_source_refusing_the_update_is_a_source_error(tmp_path: Path, db_url: str) -> None:
    """A CHECK constraint that a token breaks: a one-line SourceError (exit 13), not an internal error."""
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200), "
                    "tel TEXT CHECK (tel LIKE '+%'))"
                )
            )
            conn.execute(sa.text("INSERT INTO users VALUES (1, 'a@mail.ru', '+7 916 123 45 67')"))
    finally:
        engine.dispose()
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    try:
        source = open_source(db_url)
        try:
            with pytest.raises(SourceError, match=r"table users refused the update \(IntegrityError\)"):
                localize(dom, source, parse_datamap(_FK_MAP.split("  subs:", maxsplit=1)[0]))
        finally:
            source.dispose()
    finally:
        kit.close(dom)
