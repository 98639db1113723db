"""The desk database schema (SQLAlchemy Core, portable between SQLite and PostgreSQL).

The desk database is configured like a cell and located in Russia (default: SQLite in the data
folder). Its tables hold ids, codes, states, UTC timestamps (ISO strings, fixed width, so they
sort and compare as text), legal bases and digests; never PD (PD-LOC-1, LAND-1). PD lives in
sealed blobs whose ciphertext sits in RU storage and whose data keys are wrapped by the RU cell's
key (``desk_blobs``). Migrations: :mod:`domicile.desk.migrations` (own version table
``desk_alembic_version``); a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from domicile.core.sqltypes import NAMING, TS, BigInt

metadata = MetaData(naming_convention=NAMING)


desk_meta = Table(
    "desk_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(400), nullable=False),
)

# --- requests (TR-1 ledger): one row per request or incident --------------------------
desk_requests = Table(
    "desk_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("type_id", String(48), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("authority_type", String(32), nullable=False),
    Column("authority_name", String(200), nullable=True),  # a body's name, never a person's
    Column("legal_basis", String(300), nullable=False),
    Column("decision_no", String(120), nullable=True),
    Column("decision_date", String(10), nullable=True),
    Column("registry_entry_no", String(64), nullable=True),
    Column("category", String(32), nullable=True),
    Column("state", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("subject_id", String(36), nullable=True),  # pseudonymous vault id
    Column("assignee", String(64), nullable=True),  # staff id
    Column("received_at", TS, nullable=False),
    Column("acknowledged_at", TS, nullable=True),
    Column("closed_at", TS, nullable=True),
    Column("primary_clock", String(80), nullable=False),
    Column("due_at", TS, nullable=False),
    Column("dossier_ref", String(40), nullable=True),  # sealed blob with the requester's PD
    Column("source_digest", String(64), nullable=True),  # sha256 of the raw input (dedupe)
    Column("auto_rule", String(64), nullable=True),
    Column("produced", String(16), nullable=True),  # TR-3: none / partial / full
    Column("created_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("source_digest", name="uq_desk_requests_source_digest"),
    Index("ix_desk_requests_received", "received_at"),
    Index("ix_desk_requests_state", "state"),
)

# --- items of a request (TR-2 per-item outcome) ----------------------------------------
desk_items = Table(
    "desk_items",
    metadata,
    Column("request_id", String(40), ForeignKey("desk_requests.id"), primary_key=True),
    Column("item_no", Integer, primary_key=True, autoincrement=False),
    Column("content_id", String(128), nullable=True),
    Column("account_id", String(128), nullable=True),
    Column("url_fp", String(64), nullable=True),  # keyed fingerprint; the URL is in the dossier
    Column("verdict", String(32), nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("actioned_at", TS, nullable=True),
    Column("reviewer", String(64), nullable=True),
)

# --- clocks started for a request ------------------------------------------------------
desk_clocks = Table(
    "desk_clocks",
    metadata,
    Column("request_id", String(40), ForeignKey("desk_requests.id"), primary_key=True),
    Column("clock_id", String(80), primary_key=True),
    Column("started_at", TS, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("stops_on", String(16), nullable=False),
    Column("met_at", TS, nullable=True),
    Column("amount", Integer, nullable=True),  # a per-request term (e.g. stated in the demand)
    Column("extensions", JSON, nullable=False),  # [[notice_sent_at, working_days], ...]
    Index("ix_desk_clocks_open", "met_at"),
)

# --- timeline of every state change and action -----------------------------------------
desk_events = Table(
    "desk_events",
    metadata,
    Column("seq", BigInt, primary_key=True, autoincrement=True),
    Column("request_id", String(40), ForeignKey("desk_requests.id"), nullable=False),
    Column("at", TS, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=True),
    Column("details", JSON, nullable=False),
    Index("ix_desk_events_request", "request_id"),
)

# --- signed decisions, hash-chained (seq 1, 2, 3 ... with no gaps) ---------------------
desk_decisions = Table(
    "desk_decisions",
    metadata,
    Column("seq", BigInt, primary_key=True, autoincrement=False),
    Column("request_id", String(40), ForeignKey("desk_requests.id"), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("action", String(32), nullable=False),
    Column("legal_basis", String(300), nullable=False),
    Column("reasoning_sha256", String(64), nullable=False),
    Column("reasoning_ref", String(40), nullable=True),  # sealed blob with the reasoning text
    Column("items", Text, nullable=False),  # canonical JSON [[item_no, verdict], ...]
    Column("fields", Text, nullable=False),  # canonical JSON list of produced field names
    Column("decided_at", TS, nullable=False),
    Column("signer", String(64), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("signature", String(128), nullable=False),  # hex Ed25519 signature
    Index("ix_desk_decisions_request", "request_id"),
)

# --- the representatives' public keys ---------------------------------------------------
desk_signers = Table(
    "desk_signers",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("signer", String(64), nullable=False),
    Column("public_key", String(64), nullable=False),  # hex raw Ed25519 public key
    Column("created_at", TS, nullable=False),
    Column("retired_at", TS, nullable=True),
)

# --- escalation notifications sent (or failed), per clock, level and notifier ----------
desk_notifications = Table(
    "desk_notifications",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("request_id", String(40), ForeignKey("desk_requests.id"), nullable=False),
    Column("clock_id", String(80), nullable=False),
    Column("level", String(16), nullable=False),
    Column("notifier", String(64), nullable=False),
    Column("at", TS, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", String(200), nullable=True),
    Index("ix_desk_notifications_clock", "request_id", "clock_id"),
)

# --- sealed blobs: PD in RU storage, data key wrapped by the RU cell's KEK -------------
desk_blobs = Table(
    "desk_blobs",
    metadata,
    Column("ref", String(40), primary_key=True),
    Column("request_id", String(40), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("cell", String(64), nullable=False),
    Column("key_version", Integer, nullable=False),
    Column("wrapped_dek", LargeBinary, nullable=True),  # NULL once crypto-shredded
    Column("size", BigInt, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("erased_at", TS, nullable=True),
    Index("ix_desk_blobs_request", "request_id"),
)

# --- quarantine: raw input a channel refused, kept (sealed) for a person ---------------
desk_quarantine = Table(
    "desk_quarantine",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("message", String(400), nullable=False),  # PD-free error text
    Column("received_at", TS, nullable=False),
    Column("blob_ref", String(40), nullable=True),
    Column("size", BigInt, nullable=False),
    Column("truncated", Boolean, nullable=False),
    Column("source_digest", String(64), nullable=True),
    Column("status", String(16), nullable=False),  # open / released / discarded
    Column("resolved_at", TS, nullable=True),
    Column("resolved_by", String(200), nullable=True),
)

# --- breach incidents (152-FZ art. 21 part 3.1) -----------------------------------------
desk_incidents = Table(
    "desk_incidents",
    metadata,
    Column("request_id", String(40), ForeignKey("desk_requests.id"), primary_key=True),
    Column("detected_at", TS, nullable=False),
    Column("detected_by", String(16), nullable=False),
    Column("window_from", TS, nullable=False),
    Column("window_to", TS, nullable=False),
    Column("actors", JSON, nullable=False),  # audit actor ids involved (code strings)
    Column("notice1_at", TS, nullable=True),
    Column("notice2_at", TS, nullable=True),
    Column("affected", JSON, nullable=True),  # {cell: distinct subjects} from the audit logs
)

__all__ = [
    "desk_blobs",
    "desk_clocks",
    "desk_decisions",
    "desk_events",
    "desk_incidents",
    "desk_items",
    "desk_meta",
    "desk_notifications",
    "desk_quarantine",
    "desk_requests",
    "desk_signers",
    "metadata",
]
