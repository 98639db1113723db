"""Column types and naming shared by every domicile schema (cells, desk, moderation)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String

#: Constraint and index names, identical on SQLite and PostgreSQL (Alembic compares them).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}

#: A 64-bit integer that is also SQLite's rowid alias when used as primary key.
BigInt = BigInteger().with_variant(Integer(), "sqlite")

#: Timestamps as fixed-width ISO-8601 UTC text (``core.clock.iso_utc``), byte-identical everywhere.
TS = String(32)
