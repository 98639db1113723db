"""The cell schema (SQLAlchemy Core, portable between SQLite and PostgreSQL).

Alembic migrations in :mod:`domicile.cells.migrations` create exactly these
tables; ``tests/cells/test_migrations.py`` checks that the two agree.
Timestamps are stored as ISO-8601 UTC strings so that what is hashed into the
audit chain is byte-identical on every backend.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from domicile.core.sqltypes import NAMING, TS, BigInt

metadata = MetaData(naming_convention=NAMING)


# --- cell identity and key fingerprints -------------------------------------
cell_meta = Table(
    "cell_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(400), nullable=False),
)

# --- vault: one row per subject; PD only as AES-GCM ciphertext ---------------
vault_records = Table(
    "vault_records",
    metadata,
    Column("subject_id", String(36), primary_key=True),
    Column("jurisdiction", String(16), nullable=False),
    Column("key_version", Integer, nullable=False),
    Column("wrapped_dek", LargeBinary, nullable=True),  # NULL once crypto-shredded
    Column("ciphertext", LargeBinary, nullable=True),
    Column("record_version", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("erased_at", String(32), nullable=True),
)

# --- keyed blind indexes: HMAC-SHA256(field, normalized value), truncated ----
blind_index = Table(
    "blind_index",
    metadata,
    Column("digest", LargeBinary(16), primary_key=True),
    Column("subject_id", String(36), primary_key=True),
    Column("key_version", Integer, nullable=False),
    Index("ix_blind_index_subject", "subject_id"),
)

# --- tokens the global app holds instead of PD ------------------------------
tokens = Table(
    "tokens",
    metadata,
    Column("token", String(200), primary_key=True),
    Column("subject_id", String(36), primary_key=True),
    Column("field", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("key_version", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("ix_tokens_subject", "subject_id"),
)

# --- audit log (append-only, hash-chained; PD-free) -------------------------
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInt, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject_ref", String(64), nullable=True),
    Column("purpose", String(200), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
    Index("ix_audit_log_subject_ref", "subject_ref"),
)

#: One row per cell: the latest entry's seq and hash, MAC'd with the cell's
#: audit key, so that truncating the tail of ``audit_log`` is detected.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInt, nullable=False),
    CheckConstraint("id = 1", name="ck_audit_head_single_row"),
    Column("entry_hash", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
)

# --- localize (issue 4): copies of source rows moved home, their leak fingerprints, jobs ------
#: One row per localized source row: its exact PD values (typed canonical JSON), sealed like a
#: vault record under its own data key. ``wrapped_dek``/``ciphertext``/``digest`` are NULL once shredded.
localized_items = Table(
    "localized_items",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("job", String(64), nullable=False),
    Column("source_table", String(128), nullable=False),
    Column("subject_id", String(36), nullable=True),
    Column("key_version", Integer, nullable=False),
    Column("wrapped_dek", LargeBinary, nullable=True),
    Column("ciphertext", LargeBinary, nullable=True),
    Column("digest", LargeBinary(32), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_localized_items_subject_id", "subject_id"),
    Index("ix_localized_items_job", "job", "source_table"),
)

#: Keyed fingerprints of every moved value (``localize.fingerprints``); ``leakscan`` probes them.
localized_index = Table(
    "localized_index",
    metadata,
    Column("digest", LargeBinary(16), primary_key=True),
    Column("item_id", String(36), primary_key=True),
    Column("key_version", Integer, nullable=False),
    Index("ix_localized_index_item_id", "item_id"),
)

#: One row per localize job: id namespace, masked source URL, state and checkpoint.
localize_jobs = Table(
    "localize_jobs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("namespace_secret", LargeBinary(32), nullable=False),
    Column("source", String(400), nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS, nullable=True),
    Column("progress", JSON, nullable=False),
)

__all__ = [
    "JSON",
    "BigInt",
    "Index",
    "LargeBinary",
    "UniqueConstraint",
    "audit_head",
    "audit_log",
    "localize_jobs",
    "localized_index",
    "localized_items",
    "metadata",
]
