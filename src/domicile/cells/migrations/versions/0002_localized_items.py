"""Localize: localized items, their leak fingerprints, and localize jobs (issue 4).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "localized_items",
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("source_table", sa.String(128), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=True),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("wrapped_dek", sa.LargeBinary(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("digest", sa.LargeBinary(32), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_localized_items"),
    )
    op.create_index("ix_localized_items_subject_id", "localized_items", ["subject_id"])
    op.create_index("ix_localized_items_job", "localized_items", ["job", "source_table"])
    op.create_table(
        "localized_index",
        sa.Column("digest", sa.LargeBinary(16), nullable=False),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("digest", "item_id", name="pk_localized_index"),
    )
    op.create_index("ix_localized_index_item_id", "localized_index", ["item_id"])
    op.create_table(
        "localize_jobs",
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("namespace_secret", sa.LargeBinary(32), nullable=False),
        sa.Column("source", sa.String(400), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("job", name="pk_localize_jobs"),
    )


def downgrade() -> None:
    op.drop_table("localize_jobs")
    op.drop_index("ix_localized_index_item_id", table_name="localized_index")
    op.drop_table("localized_index")
    op.drop_index("ix_localized_items_job", table_name="localized_items")
    op.drop_index("ix_localized_items_subject_id", table_name="localized_items")
    op.drop_table("localized_items")
