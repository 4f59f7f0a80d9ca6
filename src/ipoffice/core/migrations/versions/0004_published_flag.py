"""A document's own word on whether it is published (crawled publications often lack a date).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patent_documents") as batch:
        batch.add_column(sa.Column("published_flag", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patent_documents") as batch:
        batch.drop_column("published_flag")
