"""The gateway's own database: API keys, transfer notices, kill switches, the transfer
ledger and idempotency records. It never holds PD values.

Portable SQLAlchemy Core tables (SQLite and PostgreSQL); times are fixed-width ISO-8601
UTC strings, as in the cells. The schema is created on open and versioned in
``gateway_meta``; a newer, unknown version is refused rather than guessed at.
Callers own transactions (``with store.begin() as conn``), style rule 9.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from domicile.core.errors import ConfigError, StoreError

SCHEMA_VERSION = "2"  # 2: gateway_api_keys.authority_type (upgraded in place from 1)

metadata = sa.MetaData()

gateway_meta = sa.Table(
    "gateway_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

api_keys = sa.Table(
    "gateway_api_keys",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("principal", sa.String(64), nullable=False, index=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("location", sa.String(2), nullable=False),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("note", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("revoked_at", sa.String(32), nullable=True),
    sa.Column("authority_type", sa.String(32), nullable=True),
)

transfer_notices = sa.Table(
    "gateway_transfer_notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("jurisdiction", sa.String(16), nullable=False),
    sa.Column("destination", sa.String(2), nullable=False),
    sa.Column("reference", sa.String(100), nullable=False),
    sa.Column("filed_at", sa.String(32), nullable=False),
    sa.Column("assessed_on", sa.String(10), nullable=True),
    sa.Column("recipient", sa.String(200), nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("purposes", sa.JSON, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.String(32), nullable=False),
    sa.Column("withdrawn_at", sa.String(32), nullable=True),
    sa.Index("ix_gw_notices_dest", "jurisdiction", "destination"),
)

kill_switches = sa.Table(
    "gateway_kill_switches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("jurisdiction", sa.String(16), nullable=False),
    sa.Column("destination", sa.String(2), nullable=False),
    sa.Column("decision_ref", sa.String(100), nullable=False),
    sa.Column("engaged_at", sa.String(32), nullable=False),
    sa.Column("engaged_by", sa.String(64), nullable=False),
    sa.Column("released_at", sa.String(32), nullable=True),
    sa.Column("released_by", sa.String(64), nullable=True),
    sa.Index("ix_gw_kill_dest", "jurisdiction", "destination"),
)

transfer_ledger = sa.Table(
    "gateway_transfer_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(32), nullable=False, index=True),
    sa.Column("principal", sa.String(64), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("destination", sa.String(2), nullable=False),
    sa.Column("jurisdiction", sa.String(16), nullable=False),
    sa.Column("cell", sa.String(32), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("subjects", sa.JSON, nullable=False),
    sa.Column("value_count", sa.Integer, nullable=False),
    sa.Column("notice_id", sa.Integer, nullable=True),
    sa.Column("adequate", sa.Boolean, nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
)

idempotency = sa.Table(
    "gateway_idempotency",
    metadata,
    sa.Column("principal", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(300), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False, index=True),
)


def make_gateway_engine(url: str) -> Engine:
    """An engine for the gateway database; in-memory SQLite is shared across threads."""
    try:
        u = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError("gateway database URL is not a SQLAlchemy URL") from None
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return sa.create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL: readers never wait for the writer; NORMAL: one fsync per checkpoint, not per commit
            # (a crash may lose the last idempotency records, never corrupt the file).
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise ConfigError(f"gateway database driver missing ({exc.name})") from None


class GatewayStore:
    """The gateway database: an engine plus schema bootstrap."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> GatewayStore:
        """Open (and create or check the schema of) the gateway database at *url*."""
        store = cls(make_gateway_engine(url))
        store.create()
        return store

    def create(self) -> None:
        """Create missing tables and record the schema version; refuse an unknown newer one."""
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                row = conn.execute(
                    sa.select(gateway_meta.c.value).where(gateway_meta.c.key == "schema_version")
                ).first()
                if row is None:
                    conn.execute(gateway_meta.insert().values(key="schema_version", value=SCHEMA_VERSION))
                elif row[0] == "1":  # add the authority type of desk authority keys
                    conn.execute(
                        sa.text("ALTER TABLE gateway_api_keys ADD COLUMN authority_type VARCHAR(32)")
                    )
                    conn.execute(
                        gateway_meta.update()
                        .where(gateway_meta.c.key == "schema_version")
                        .values(value=SCHEMA_VERSION)
                    )
                elif row[0] != SCHEMA_VERSION:
                    raise ConfigError(
                        f"gateway database has schema version {row[0]}; this domicile knows {SCHEMA_VERSION}"
                    )
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"gateway database error ({type(exc).__name__})") from None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction; database failures become :class:`StoreError` (no PD in messages)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.IntegrityError:
            raise
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"gateway database error ({type(exc).__name__})") from None

    def get_meta(self, key: str) -> str | None:
        with self.begin() as conn:
            row = conn.execute(sa.select(gateway_meta.c.value).where(gateway_meta.c.key == key)).first()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.begin() as conn:
            conn.execute(gateway_meta.delete().where(gateway_meta.c.key == key))
            conn.execute(gateway_meta.insert().values(key=key, value=value))

    def ping(self) -> None:
        """Raise :class:`StoreError` unless the database answers."""
        with self.begin() as conn:
            conn.execute(sa.select(sa.literal(1)))

    def close(self) -> None:
        """Release pooled connections (a new request reconnects). An in-memory database is kept:
        disposing its only connection would drop it."""
        if not isinstance(self.engine.pool, StaticPool):
            self.engine.dispose()


def row_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict."""
    return dict(row._mapping)
