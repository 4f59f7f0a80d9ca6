"""Deadline indexes for worklists at a million open cases (see bench/workflow.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_deadlines") as batch:
        batch.drop_index("ix_deadline_due")
        batch.create_index("ix_deadline_due", ["status", "deadline", "id"])
        batch.create_index("ix_deadline_case", ["case_id", "status", "deadline"])


def downgrade() -> None:
    with op.batch_alter_table("case_deadlines") as batch:
        batch.drop_index("ix_deadline_case")
        batch.drop_index("ix_deadline_due")
        batch.create_index("ix_deadline_due", ["status", "deadline"])
