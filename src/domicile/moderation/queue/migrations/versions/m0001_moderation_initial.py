"""Initial moderation schema: cases, evidence, history, appeals, notices, tasks, CSAM records, flags.

Revision ID: m0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mod_account_flags",
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.Column("flag", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("subject_ref", "flag", "case_id", name=op.f("pk_mod_account_flags")),
    )
    op.create_table(
        "mod_appeals",
        sa.Column("appeal_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("appellant_ref", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("clock_id", sa.String(length=80), nullable=False),
        sa.Column("due_at", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("decided_at", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("escalation_level", sa.String(length=16), nullable=True),
        sa.Column("rkn_appeal_ref", sa.String(length=128), nullable=True),
        sa.Column("rkn_order_ref", sa.String(length=128), nullable=True),
        sa.Column("restored_at", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_mod_appeals")),
    )
    with op.batch_alter_table("mod_appeals", schema=None) as batch_op:
        batch_op.create_index("ix_mod_appeals_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_mod_appeals_state", ["state", "due_at"], unique=False)

    op.create_table(
        "mod_cases",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("content_ref", sa.String(length=128), nullable=False),
        sa.Column("owner_ref", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("legal_basis", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("detected_at", sa.String(length=32), nullable=False),
        sa.Column("action_clock", sa.String(length=80), nullable=False),
        sa.Column("action_due_at", sa.String(length=32), nullable=False),
        sa.Column("actioned_at", sa.String(length=32), nullable=True),
        sa.Column("held_scope", sa.String(length=8), nullable=True),
        sa.Column("automatic_rule", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("geo_scope", sa.String(length=8), nullable=True),
        sa.Column("decided_at", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("user_notified_at", sa.String(length=32), nullable=True),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("rkn_referral_id", sa.String(length=40), nullable=True),
        sa.Column("rkn_decision_ref", sa.String(length=128), nullable=True),
        sa.Column("restored_at", sa.String(length=32), nullable=True),
        sa.Column("escalation_level", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_mod_cases")),
    )
    with op.batch_alter_table("mod_cases", schema=None) as batch_op:
        batch_op.create_index("ix_mod_cases_actioned_at", ["actioned_at"], unique=False)
        batch_op.create_index("ix_mod_cases_content_ref", ["content_ref"], unique=False)
        batch_op.create_index("ix_mod_cases_state", ["state", "detected_at"], unique=False)

    op.create_table(
        "mod_evidence",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name=op.f("pk_mod_evidence")),
    )
    op.create_table(
        "mod_hotline_drafts",
        sa.Column("draft_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("content_ref", sa.String(length=128), nullable=False),
        sa.Column("account_ref", sa.String(length=64), nullable=True),
        sa.Column("detected_at", sa.String(length=32), nullable=False),
        sa.Column("bank", sa.String(length=64), nullable=True),
        sa.Column("signal_type", sa.String(length=32), nullable=True),
        sa.Column("bank_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("upload_signals", sa.JSON(), nullable=False),
        sa.Column("preservation_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_mod_hotline_drafts")),
    )
    with op.batch_alter_table("mod_hotline_drafts", schema=None) as batch_op:
        batch_op.create_index("ix_mod_hotline_drafts_case_id", ["case_id"], unique=False)

    op.create_table(
        "mod_notices",
        sa.Column("notice_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_ref", sa.String(length=64), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=True),
        sa.Column("sent_at", sa.String(length=32), nullable=False),
        sa.Column("platform_ref", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_mod_notices")),
    )
    with op.batch_alter_table("mod_notices", schema=None) as batch_op:
        batch_op.create_index("ix_mod_notices_case_id", ["case_id"], unique=False)

    op.create_table(
        "mod_preservation",
        sa.Column("preservation_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("content_ref", sa.String(length=128), nullable=False),
        sa.Column("owner_ref", sa.String(length=64), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("storage_location", sa.String(length=64), nullable=False),
        sa.Column("preserved_at", sa.String(length=32), nullable=False),
        sa.Column("hold_until", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("preservation_id", name=op.f("pk_mod_preservation")),
    )
    with op.batch_alter_table("mod_preservation", schema=None) as batch_op:
        batch_op.create_index("ix_mod_preservation_case_id", ["case_id"], unique=False)

    op.create_table(
        "mod_tasks",
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("clock_id", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.String(length=32), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("dedupe_key", sa.String(length=400), nullable=False),
        sa.Column("open_key", sa.String(length=400), nullable=True),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("content_ref", sa.String(length=128), nullable=True),
        sa.Column("target", sa.String(length=400), nullable=True),
        sa.Column("register_entry_id", sa.String(length=64), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=True),
        sa.Column("done_at", sa.String(length=32), nullable=True),
        sa.Column("escalation_level", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_mod_tasks")),
        sa.UniqueConstraint("open_key", name="uq_mod_tasks_open_key"),
    )
    with op.batch_alter_table("mod_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_mod_tasks_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_mod_tasks_status", ["status", "due_at"], unique=False)

    op.create_table(
        "mod_transitions",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name=op.f("pk_mod_transitions")),
    )


def downgrade() -> None:
    op.drop_table("mod_transitions")
    with op.batch_alter_table("mod_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_tasks_status")
        batch_op.drop_index("ix_mod_tasks_case_id")

    op.drop_table("mod_tasks")
    with op.batch_alter_table("mod_preservation", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_preservation_case_id")

    op.drop_table("mod_preservation")
    with op.batch_alter_table("mod_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_notices_case_id")

    op.drop_table("mod_notices")
    with op.batch_alter_table("mod_hotline_drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_hotline_drafts_case_id")

    op.drop_table("mod_hotline_drafts")
    op.drop_table("mod_evidence")
    with op.batch_alter_table("mod_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_cases_state")
        batch_op.drop_index("ix_mod_cases_content_ref")
        batch_op.drop_index("ix_mod_cases_actioned_at")

    op.drop_table("mod_cases")
    with op.batch_alter_table("mod_appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_appeals_state")
        batch_op.drop_index("ix_mod_appeals_case_id")

    op.drop_table("mod_appeals")
    op.drop_table("mod_account_flags")
