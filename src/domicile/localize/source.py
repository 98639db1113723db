"""The source database being localized: open it safely, reflect its tables, check a map against it.

::

    LocalizationError
    └── SourceError        the source cannot be opened or read (bad URL, unknown driver,
                           unreachable, authentication); the message never holds the password

Only the default schema is reflected (``public`` on PostgreSQL, ``main`` on SQLite); views and
SQLite's internal ``sqlite_*`` tables are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from domicile.core.errors import LocalizationError, first_line
from domicile.localize.datamap import DataMap, DataMapError, Replace

CONNECT_TIMEOUT_S = 10


class SourceError(LocalizationError):
    """The source database cannot be opened or read; the message never holds the password."""


@dataclass(frozen=True)
class ColumnInfo:
    """One source column as reflected (no values)."""

    name: str
    type_name: str
    python_type: type | None
    nullable: bool
    length: int | None
    is_text: bool


@dataclass(frozen=True)
class TableInfo:
    """One source table: columns in declaration order and its primary key (may be empty)."""

    name: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...]
    linked: frozenset[str] = frozenset()  # columns in a foreign key, on either side

    def column(self, name: str) -> ColumnInfo:
        """The column called ``name``.

        Raises:
            DataMapError: The table has no such column.
        """
        for c in self.columns:
            if c.name == name:
                return c
        raise DataMapError(f"source table {self.name}: no column {name!r}")


_USERINFO = re.compile(r"(://[^:/@]*):[^@/]*@")


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (also for URLs SQLAlchemy cannot parse)."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # any parse failure: fall back to a regex that hides user:password@
        return _USERINFO.sub(r"\1:***@", url)


def _scrub(text: str, url: sa.URL) -> str:
    """Remove the password (if any) from a driver's message."""
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def _reason(exc: BaseException, url: sa.URL) -> str:
    """A short, password-free reason for a failed connection."""
    orig = getattr(exc, "orig", None) or exc
    text = _scrub(first_line(orig), url)
    low = text.lower()
    if "password authentication failed" in low or "authentication failed" in low:
        return "authentication failed"
    if "does not exist" in low and "database" in low:
        return f"database does not exist ({text})"
    if "unable to open database file" in low:
        return "cannot open the database file"
    if "resolve host" in low or "name or service not known" in low or "nodename nor servname" in low:
        return f"unreachable (unknown host: {text})"
    if "timeout" in low or "timed out" in low:
        return "unreachable (connection timed out)"
    if "connection refused" in low or "could not connect" in low or "connection failed" in low:
        return f"unreachable ({text})"
    if "not a database" in low:
        return "the file is not a SQLite database"
    return text


def open_source(url: str) -> sa.Engine:
    """Open the source database and check it answers (``SELECT 1``).

    A SQLite file must already exist (a typo must not create an empty database). PostgreSQL
    connections time out after :data:`CONNECT_TIMEOUT_S` seconds unless the URL says otherwise.

    Raises:
        SourceError: Bad URL, unknown or missing driver, missing file, unreachable server,
            failed authentication. The message names the masked URL, never the password.
    """
    try:
        parsed = sa.make_url(url)
    except Exception:  # ArgumentError and friends: the URL is not a URL
        raise SourceError(f"source URL is not a valid database URL: {masked_url(url)!r}") from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        db = parsed.database or ""
        path = db.removeprefix("file:").split("?", 1)[0]
        if not path or path == ":memory:" or "mode=memory" in db:
            raise SourceError(f"source {shown}: an in-memory SQLite database has nothing to read")
        if not Path(path).is_file():
            raise SourceError(f"source {shown}: SQLite file not found")
    elif backend == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args)
    except sa.exc.NoSuchModuleError:
        raise SourceError(f"source {shown}: unknown database driver {parsed.drivername!r}") from None
    except ImportError as exc:
        raise SourceError(
            f"source {shown}: driver for {parsed.drivername!r} is not installed ({exc.name or 'module'})"
        ) from None
    except (sa.exc.ArgumentError, TypeError, ValueError) as exc:
        raise SourceError(f"source {shown}: {_scrub(first_line(exc), parsed)}") from None
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise SourceError(f"cannot open source {shown}: {_reason(exc, parsed)}") from None
    return engine


def read_only(conn: sa.Connection) -> None:
    """Make the connection's current transaction read-only (PostgreSQL) or the connection (SQLite).

    Call it first thing inside ``conn.begin()``; other backends are left as they are.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")


def _column_info(col: Mapping[str, Any], dialect: sa.Dialect) -> ColumnInfo:
    typ = col["type"]
    try:
        type_name = str(typ.compile(dialect=dialect))
    except Exception:  # types without a DDL form (NullType)
        type_name = type(typ).__name__
    try:
        python_type: type | None = typ.python_type
    except NotImplementedError:
        python_type = None
    untyped = isinstance(typ, sa.types.NullType)  # SQLite column without a declared type: any value
    length = getattr(typ, "length", None)
    return ColumnInfo(
        name=str(col["name"]),
        type_name=type_name,
        python_type=python_type,
        nullable=bool(col.get("nullable", True)),
        length=length if isinstance(length, int) else None,
        is_text=python_type is str or untyped,
    )


def reflect(engine: sa.Engine) -> dict[str, TableInfo]:
    """Every user table of the default schema, by name.

    Raises:
        SourceError: The catalog cannot be read.
    """
    try:
        insp = sa.inspect(engine)
        out: dict[str, TableInfo] = {}
        linked: dict[str, set[str]] = {}
        for name in sorted(insp.get_table_names()):
            if name.startswith("sqlite_"):
                continue
            cols = tuple(_column_info(c, engine.dialect) for c in insp.get_columns(name))
            pk = tuple(insp.get_pk_constraint(name).get("constrained_columns") or ())
            out[name] = TableInfo(name, cols, pk)
            for fk in insp.get_foreign_keys(name):
                linked.setdefault(name, set()).update(fk.get("constrained_columns") or ())
                if fk.get("referred_table"):
                    linked.setdefault(fk["referred_table"], set()).update(fk.get("referred_columns") or ())
        return {n: replace(t, linked=frozenset(linked.get(n, ()))) for n, t in out.items()}
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(
            f"cannot read the tables of source {masked_url(str(engine.url))}: {type(exc).__name__}"
        ) from None


def check_map_against_source(dm: DataMap, tables: Mapping[str, TableInfo], *, token_len: int = 64) -> None:
    """Check a data map against the live source before anything is written.

    Raises:
        DataMapError: A table or column named in the map is missing in the source; the map's
            primary key differs from the source's; ``replace: null`` on a NOT NULL column;
            ``replace: token`` on a non-text column or a text column shorter than ``token_len``;
            a replaced column in a foreign key (either side).
    """
    for t in dm.tables:
        where = f"data map: tables.{t.name}"
        src = tables.get(t.name)
        if src is None:
            raise DataMapError(f"{where}: no such table in the source")
        for c in t.columns:
            if c.name not in {sc.name for sc in src.columns}:
                raise DataMapError(f"{where}.columns.{c.name}: no such column in the source table")
        if not src.primary_key and t.pd_columns:
            raise DataMapError(f"{where}: the source table has no primary key; localize needs one")
        if src.primary_key and tuple(t.primary_key) != src.primary_key:
            raise DataMapError(
                f"{where}.primary_key: the map says {list(t.primary_key)}, "
                f"the source has {list(src.primary_key)}"
            )
        for c in t.pd_columns:
            info = src.column(c.name)
            cw = f"{where}.columns.{c.name}"
            if c.name in src.linked:
                raise DataMapError(
                    f"{cw}: a foreign key links this column; its replacement would break the link "
                    "(make the key a non-PD id, or drop the foreign key)"
                )
            if c.replace is Replace.NULL and not info.nullable:
                raise DataMapError(f"{cw}: replace: null on a NOT NULL column; use replace: token")
            if c.replace is Replace.TOKEN:
                if not info.is_text:
                    raise DataMapError(
                        f"{cw}: replace: token on a non-text column ({info.type_name}); use replace: null"
                    )
                if info.length is not None and info.length < token_len:
                    raise DataMapError(
                        f"{cw}: replace: token needs {token_len} characters but the column holds "
                        f"{info.length} ({info.type_name}); use replace: null or widen the column"
                    )
