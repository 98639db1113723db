"""The source database: opening with clear errors, reflection, checking a map against it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from domicile.localize.datamap import DataMapError, parse_datamap
from domicile.localize.source import (
    SourceError,
    check_map_against_source,
    masked_url,
    open_source,
    reflect,
)

SECRET = "s3cr3t-pw-do-not-print"


def _make_app_db(url: str) -> None:
    engine = sa.create_engine(url)
    md = sa.MetaData()
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("nick", sa.String(20)),
        sa.Column("born", sa.Date),
        sa.Column("bio", sa.Text),
    )
    sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("total", sa.Numeric(10, 2)),
    )
    md.create_all(engine)
    engine.dispose()


MAP = """
format: domicile.datamap/1
tables:
  users:
    primary_key: [id]
    subject: {key: id}
    columns:
      id: {category: null}
      bio: {category: null}
      email: {category: email, replace: token}
"""


def test_reflect_user_tables(db_url: str) -> None:
    """Tables, column types, nullability, lengths, text-ness and primary keys are reflected."""
    _make_app_db(db_url)
    engine = open_source(db_url)
    try:
        tables = reflect(engine)
    finally:
        engine.dispose()
    assert set(tables) == {"users", "orders"}
    users = tables["users"]
    assert users.primary_key == ("id",)
    email = users.column("email")
    assert email.is_text and not email.nullable and email.length == 200 and email.python_type is str
    assert users.column("bio").is_text and users.column("bio").length is None
    assert not users.column("born").is_text and users.column("born").nullable
    assert not tables["orders"].column("total").is_text
    with pytest.raises(DataMapError, match="no column 'nope'"):
        users.column("nope")


def test_sqlite_internal_tables_skipped(tmp_path: Path) -> None:
    """sqlite_sequence (AUTOINCREMENT bookkeeping) is not a user table."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text("create table t (id integer primary key autoincrement, x)"))
        conn.execute(sa.text("insert into t (x) values ('a')"))
    eng.dispose()
    engine = open_source(url)
    tables = reflect(engine)
    engine.dispose()
    assert list(tables) == ["t"]
    assert tables["t"].column("x").is_text  # untyped SQLite column holds anything, text included


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "not a valid database URL"),
        ("nosuchdb://u@h/db", "unknown database driver"),
        ("sqlite:///definitely/missing/file.db", "SQLite file not found"),
        ("sqlite://", "in-memory"),
    ],
)
def test_open_bad_urls(url: str, reason: str) -> None:
    """Bad URLs, unknown drivers and missing SQLite files fail with a clear reason."""
    with pytest.raises(SourceError, match=reason):
        open_source(url)


@pytest.mark.postgres
def test_unreachable_port_hides_password(pg_server: str) -> None:
    """A closed port is 'unreachable'; the password never appears in the message."""
    url = f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/app"
    with pytest.raises(SourceError) as info:
        open_source(url)
    assert "unreachable" in str(info.value)
    assert SECRET not in str(info.value) and "***" in str(info.value)


@pytest.mark.postgres
def test_unknown_host_and_missing_db(pg_server: str) -> None:
    """An unresolvable host and a missing database are reported without the password."""
    with pytest.raises(SourceError) as info:
        open_source(f"postgresql+psycopg://app:{SECRET}@no-such-host.invalid:5432/app")
    assert "unknown host" in str(info.value) and SECRET not in str(info.value)
    missing = str(sa.make_url(pg_server).set(database="domicile_no_such_db", password=SECRET))
    with pytest.raises(SourceError, match="does not exist") as info2:
        open_source(missing)
    assert SECRET not in str(info2.value)


def test_missing_driver_module() -> None:
    """A known dialect whose driver is not installed names the driver, not the password."""
    with pytest.raises(SourceError, match=r"not installed|unknown database driver") as info:
        open_source(f"mysql+mysqldb://u:{SECRET}@127.0.0.1/db")
    assert SECRET not in str(info.value)


def test_masked_url() -> None:
    """Passwords are masked in parsable and unparsable URLs."""
    assert SECRET not in masked_url(f"postgresql://app:{SECRET}@db/app")
    assert masked_url(f"postgresql://app:{SECRET}@db/app") == "postgresql://app:***@db/app"
    assert SECRET not in masked_url(f"weird ://app:{SECRET}@db")
    assert masked_url("sqlite:///x.db") == "sqlite:///x.db"


def _check(db_url: str, text: str) -> None:
    engine = open_source(db_url)
    try:
        check_map_against_source(parse_datamap(text), reflect(engine))
    finally:
        engine.dispose()


def test_check_map_ok(db_url: str) -> None:
    """A map that fits the source passes."""
    _make_app_db(db_url)
    _check(db_url, MAP)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("users:", "accounts:"), "tables.accounts: no such table"),
        (("email: {category", "mail: {category"), "columns.mail: no such column"),
        (("replace: token", "replace: null"), "replace: null on a NOT NULL column"),
        (("primary_key: [id]", "primary_key: [id, bio]"), "the map says \\['id', 'bio'\\]"),
    ],
)
def test_check_map_refuses(db_url: str, edit: tuple[str, str], message: str) -> None:
    """Missing tables/columns, NULL on NOT NULL and a wrong primary key are refused by name."""
    _make_app_db(db_url)
    text = MAP.replace(*edit)
    with pytest.raises(DataMapError, match=message):
        _check(db_url, text)


@pytest.mark.parametrize(
    ("column", "message"),
    [("born", "non-text column .* use replace: null"), ("nick", "needs 64 characters .* holds 20")],
)
def test_check_token_fits(db_url: str, column: str, message: str) -> None:
    """A token cannot go into a date column or a too-short text column; the message suggests null."""
    _make_app_db(db_url)
    text = MAP + f"      {column}: {{category: person_name, replace: token}}\n"
    with pytest.raises(DataMapError, match=message):
        _check(db_url, text)
