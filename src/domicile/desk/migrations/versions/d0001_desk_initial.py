"""Initial desk schema: requests, items, clocks, events, decisions, signers, notifications,
sealed blobs, quarantine, incidents.

Revision ID: d0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d0001"
down_revision = None
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "desk_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(400), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_desk_meta"),
    )
    op.create_table(
        "desk_requests",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("type_id", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("authority_type", sa.String(32), nullable=False),
        sa.Column("authority_name", sa.String(200), nullable=True),
        sa.Column("legal_basis", sa.String(300), nullable=False),
        sa.Column("decision_no", sa.String(120), nullable=True),
        sa.Column("decision_date", sa.String(10), nullable=True),
        sa.Column("registry_entry_no", sa.String(64), nullable=True),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=True),
        sa.Column("assignee", sa.String(64), nullable=True),
        _ts("received_at", False),
        _ts("acknowledged_at"),
        _ts("closed_at"),
        sa.Column("primary_clock", sa.String(80), nullable=False),
        _ts("due_at", False),
        sa.Column("dossier_ref", sa.String(40), nullable=True),
        sa.Column("source_digest", sa.String(64), nullable=True),
        sa.Column("auto_rule", sa.String(64), nullable=True),
        sa.Column("produced", sa.String(16), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_desk_requests"),
        sa.UniqueConstraint("source_digest", name="uq_desk_requests_source_digest"),
    )
    op.create_index("ix_desk_requests_received", "desk_requests", ["received_at"])
    op.create_index("ix_desk_requests_state", "desk_requests", ["state"])
    op.create_table(
        "desk_items",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("content_id", sa.String(128), nullable=True),
        sa.Column("account_id", sa.String(128), nullable=True),
        sa.Column("url_fp", sa.String(64), nullable=True),
        sa.Column("verdict", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        _ts("actioned_at"),
        sa.Column("reviewer", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["desk_requests.id"], name="fk_desk_items_request_id_desk_requests"
        ),
        sa.PrimaryKeyConstraint("request_id", "item_no", name="pk_desk_items"),
    )
    op.create_table(
        "desk_clocks",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("clock_id", sa.String(80), nullable=False),
        _ts("started_at", False),
        _ts("due_at", False),
        sa.Column("stops_on", sa.String(16), nullable=False),
        _ts("met_at"),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("extensions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["desk_requests.id"], name="fk_desk_clocks_request_id_desk_requests"
        ),
        sa.PrimaryKeyConstraint("request_id", "clock_id", name="pk_desk_clocks"),
    )
    op.create_index("ix_desk_clocks_open", "desk_clocks", ["met_at"])
    op.create_table(
        "desk_events",
        sa.Column("seq", BigInt, nullable=False, autoincrement=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        _ts("at", False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["desk_requests.id"], name="fk_desk_events_request_id_desk_requests"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_desk_events"),
    )
    op.create_index("ix_desk_events_request", "desk_events", ["request_id"])
    op.create_table(
        "desk_decisions",
        sa.Column("seq", BigInt, nullable=False, autoincrement=False),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("legal_basis", sa.String(300), nullable=False),
        sa.Column("reasoning_sha256", sa.String(64), nullable=False),
        sa.Column("reasoning_ref", sa.String(40), nullable=True),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        _ts("decided_at", False),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["desk_requests.id"], name="fk_desk_decisions_request_id_desk_requests"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_desk_decisions"),
    )
    op.create_index("ix_desk_decisions_request", "desk_decisions", ["request_id"])
    op.create_table(
        "desk_signers",
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        _ts("created_at", False),
        _ts("retired_at"),
        sa.PrimaryKeyConstraint("key_id", name="pk_desk_signers"),
    )
    op.create_table(
        "desk_notifications",
        sa.Column("id", BigInt, nullable=False, autoincrement=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("clock_id", sa.String(80), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("notifier", sa.String(64), nullable=False),
        _ts("at", False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["desk_requests.id"], name="fk_desk_notifications_request_id_desk_requests"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_desk_notifications"),
    )
    op.create_index("ix_desk_notifications_clock", "desk_notifications", ["request_id", "clock_id"])
    op.create_table(
        "desk_blobs",
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("cell", sa.String(64), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("wrapped_dek", sa.LargeBinary(), nullable=True),
        sa.Column("size", BigInt, nullable=False),
        _ts("created_at", False),
        _ts("erased_at"),
        sa.PrimaryKeyConstraint("ref", name="pk_desk_blobs"),
    )
    op.create_index("ix_desk_blobs_request", "desk_blobs", ["request_id"])
    op.create_table(
        "desk_quarantine",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("message", sa.String(400), nullable=False),
        _ts("received_at", False),
        sa.Column("blob_ref", sa.String(40), nullable=True),
        sa.Column("size", BigInt, nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("source_digest", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("resolved_at"),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_desk_quarantine"),
    )
    op.create_table(
        "desk_incidents",
        sa.Column("request_id", sa.String(40), nullable=False),
        _ts("detected_at", False),
        sa.Column("detected_by", sa.String(16), nullable=False),
        _ts("window_from", False),
        _ts("window_to", False),
        sa.Column("actors", sa.JSON(), nullable=False),
        _ts("notice1_at"),
        _ts("notice2_at"),
        sa.Column("affected", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["desk_requests.id"], name="fk_desk_incidents_request_id_desk_requests"
        ),
        sa.PrimaryKeyConstraint("request_id", name="pk_desk_incidents"),
    )


def downgrade() -> None:
    for table in (
        "desk_incidents",
        "desk_quarantine",
        "desk_blobs",
        "desk_notifications",
        "desk_signers",
        "desk_decisions",
        "desk_events",
        "desk_clocks",
        "desk_items",
        "desk_requests",
        "desk_meta",
    ):
        op.drop_table(table)
