"""Moderation tables (SQLAlchemy Core, portable between SQLite and PostgreSQL).

They live in the Russian cell's database beside the cell tables (moderation data about
Russian users' content is RU-located, PD-LOC-1), with their own metadata, ``mod_`` prefix and
Alembic version table ``moderation_alembic_version`` (:mod:`.migrate`), so the two migration
histories never meet. Rows hold ids, codes, states, UTC instants as fixed-width ISO text (they
sort and compare as text) and JSON evidence; never PD.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from domicile.core.sqltypes import NAMING, TS, BigInt

__all__ = ["metadata"]


metadata = MetaData(naming_convention=NAMING)

REF = String(128)
CODE = String(64)
ID = String(40)

mod_cases = Table(
    "mod_cases",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("content_ref", REF, nullable=False),
    Column("owner_ref", String(64), nullable=True),
    Column("source", String(24), nullable=False),
    Column("category", CODE, nullable=True),
    Column("legal_basis", String(200), nullable=True),
    Column("state", String(24), nullable=False),
    Column("detected_at", TS, nullable=False),
    Column("action_clock", String(80), nullable=False),
    Column("action_due_at", TS, nullable=False),
    Column("actioned_at", TS, nullable=True),
    Column("held_scope", String(8), nullable=True),
    Column("automatic_rule", CODE, nullable=True),
    Column("outcome", String(24), nullable=True),
    Column("geo_scope", String(8), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("decided_by", REF, nullable=True),
    Column("reason_code", CODE, nullable=True),
    Column("user_notified_at", TS, nullable=True),
    Column("assignee", REF, nullable=True),
    Column("rkn_referral_id", ID, nullable=True),
    Column("rkn_decision_ref", REF, nullable=True),
    Column("restored_at", TS, nullable=True),
    Column("escalation_level", String(16), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_mod_cases_state", "state", "detected_at"),
    Index("ix_mod_cases_content_ref", "content_ref"),
    Index("ix_mod_cases_actioned_at", "actioned_at"),
)

mod_evidence = Table(
    "mod_evidence",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("data", JSON, nullable=False),
)

mod_transitions = Table(
    "mod_transitions",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("event", String(24), nullable=False),
    Column("from_state", String(24), nullable=True),
    Column("to_state", String(24), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason_code", CODE, nullable=False),
    Column("at", TS, nullable=False),
    Column("details", JSON, nullable=False),
)

mod_appeals = Table(
    "mod_appeals",
    metadata,
    Column("appeal_id", ID, primary_key=True),
    Column("case_id", ID, nullable=False),
    Column("appellant_ref", String(64), nullable=False),
    Column("received_at", TS, nullable=False),
    Column("clock_id", String(80), nullable=False),
    Column("due_at", TS, nullable=False),
    Column("state", String(16), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("decided_by", REF, nullable=True),
    Column("reason_code", CODE, nullable=True),
    Column("escalation_level", String(16), nullable=True),
    Column("rkn_appeal_ref", REF, nullable=True),
    Column("rkn_order_ref", REF, nullable=True),
    Column("restored_at", TS, nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_mod_appeals_case_id", "case_id"),
    Index("ix_mod_appeals_state", "state", "due_at"),
)

mod_notices = Table(
    "mod_notices",
    metadata,
    Column("notice_id", ID, primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("case_id", ID, nullable=False),
    Column("recipient_ref", String(64), nullable=False),
    Column("reason_code", CODE, nullable=False),
    Column("legal_basis", String(200), nullable=True),
    Column("outcome", String(24), nullable=False),
    Column("scope", String(8), nullable=True),
    Column("sent_at", TS, nullable=False),
    Column("platform_ref", REF, nullable=True),
    Index("ix_mod_notices_case_id", "case_id"),
)

mod_tasks = Table(
    "mod_tasks",
    metadata,
    Column("task_id", ID, primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("clock_id", String(80), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("legal_basis", String(200), nullable=False),
    Column("status", String(8), nullable=False),
    Column("dedupe_key", String(400), nullable=False),
    Column("open_key", String(400), nullable=True),  # = dedupe_key while open: one open task per key
    Column("case_id", ID, nullable=True),
    Column("content_ref", REF, nullable=True),
    Column("target", String(400), nullable=True),
    Column("register_entry_id", String(64), nullable=True),
    Column("evidence", JSON, nullable=False),
    Column("external_ref", REF, nullable=True),
    Column("done_at", TS, nullable=True),
    Column("escalation_level", String(16), nullable=True),
    Column("version", Integer, nullable=False),
    UniqueConstraint("open_key", name="uq_mod_tasks_open_key"),
    Index("ix_mod_tasks_status", "status", "due_at"),
    Index("ix_mod_tasks_case_id", "case_id"),
)

mod_preservation = Table(
    "mod_preservation",
    metadata,
    Column("preservation_id", ID, primary_key=True),
    Column("case_id", ID, nullable=False),
    Column("content_ref", REF, nullable=False),
    Column("owner_ref", String(64), nullable=True),
    Column("content_sha256", String(64), nullable=True),
    Column("signals", JSON, nullable=False),
    Column("storage_location", String(64), nullable=False),
    Column("preserved_at", TS, nullable=False),
    Column("hold_until", TS, nullable=True),
    Index("ix_mod_preservation_case_id", "case_id"),
)

mod_hotline_drafts = Table(
    "mod_hotline_drafts",
    metadata,
    Column("draft_id", ID, primary_key=True),
    Column("case_id", ID, nullable=False),
    Column("status", String(16), nullable=False),
    Column("category", CODE, nullable=False),
    Column("legal_basis", String(200), nullable=False),
    Column("content_ref", REF, nullable=False),
    Column("account_ref", String(64), nullable=True),
    Column("detected_at", TS, nullable=False),
    Column("bank", CODE, nullable=True),
    Column("signal_type", String(32), nullable=True),
    Column("bank_entry_id", BigInt, nullable=True),
    Column("distance", Integer, nullable=True),
    Column("upload_signals", JSON, nullable=False),
    Column("preservation_id", ID, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_mod_hotline_drafts_case_id", "case_id"),
)

mod_account_flags = Table(
    "mod_account_flags",
    metadata,
    Column("subject_ref", String(64), primary_key=True),
    Column("flag", CODE, primary_key=True),
    Column("case_id", ID, primary_key=True),
    Column("at", TS, nullable=False),
)

# -- hash banks (``domicile.moderation.hashing.sql``): known-bad hashes, no PD ----------------------
mod_hash_banks = Table(
    "mod_hash_banks",
    metadata,
    Column("name", CODE, primary_key=True),
    Column("signal_type", String(32), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("description", String(256), nullable=False),
)

mod_hash_bank_entries = Table(
    "mod_hash_bank_entries",
    metadata,
    Column("entry_id", BigInt, primary_key=True, autoincrement=True),
    Column("bank", CODE, ForeignKey("mod_hash_banks.name"), nullable=False),
    Column("value", Text, nullable=False),
    Column("content_id", String(256), nullable=True),
    Column("label", String(256), nullable=True),
    Column("added_at", TS, nullable=False),
    Index("ix_mod_hash_bank_entries_bank", "bank", "entry_id"),
)

#: One row (id 1): a counter bumped in every write transaction, so every process sees changes.
mod_hash_bank_version = Table(
    "mod_hash_bank_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInt, nullable=False),
)
