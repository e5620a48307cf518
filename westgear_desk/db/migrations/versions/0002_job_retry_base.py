"""Jobs: retry_base, the attempt count at the last manual retry (the retry policy counts from it).

An admin's retry of a dead job gives it the whole retry schedule again, while attempt
numbers keep rising (they are unique per job and fence stale workers).

Revision ID: 0002_job_retry_base
Revises: 0001_initial
Create Date: 2026-11-29 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_job_retry_base"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("retry_base", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("retry_base")
