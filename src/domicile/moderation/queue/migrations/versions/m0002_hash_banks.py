"""Hash banks: banks, their entries, and a version counter row bumped on every write.

Revision ID: m0002
Revises: m0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0002"
down_revision = "m0001"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mod_hash_banks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("signal_type", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mod_hash_banks")),
    )
    op.create_table(
        "mod_hash_bank_entries",
        sa.Column("entry_id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("bank", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("content_id", sa.String(length=256), nullable=True),
        sa.Column("label", sa.String(length=256), nullable=True),
        sa.Column("added_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank"], ["mod_hash_banks.name"], name=op.f("fk_mod_hash_bank_entries_bank_mod_hash_banks")
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_mod_hash_bank_entries")),
    )
    with op.batch_alter_table("mod_hash_bank_entries", schema=None) as batch_op:
        batch_op.create_index("ix_mod_hash_bank_entries_bank", ["bank", "entry_id"], unique=False)
    version = op.create_table(
        "mod_hash_bank_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", _BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_hash_bank_version")),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("mod_hash_bank_version")
    with op.batch_alter_table("mod_hash_bank_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_hash_bank_entries_bank")
    op.drop_table("mod_hash_bank_entries")
    op.drop_table("mod_hash_banks")
