"""Integrity desk: flags of abnormal filing behaviour, their reviews, and the scans that raised them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrity_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=False),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "integrity_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("behaviour", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=40), nullable=False),
        sa.Column("signal", sa.String(length=60), nullable=False),
        sa.Column("filing_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["integrity_scans.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "number", "behaviour", name="uq_integrity_flag"),
    )
    with op.batch_alter_table("integrity_flags") as batch:
        batch.create_index("ix_integrity_flags_number", ["number"], unique=False)
        batch.create_index("ix_integrity_flags_behaviour", ["behaviour"], unique=False)
        batch.create_index("ix_integrity_flags_status", ["status"], unique=False)
        batch.create_index("ix_integrity_flags_scan_id", ["scan_id"], unique=False)
    op.create_table(
        "integrity_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["flag_id"], ["integrity_flags.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("integrity_reviews") as batch:
        batch.create_index("ix_integrity_reviews_flag_id", ["flag_id"], unique=False)


def downgrade() -> None:
    op.drop_table("integrity_reviews")
    op.drop_table("integrity_flags")
    op.drop_table("integrity_scans")
