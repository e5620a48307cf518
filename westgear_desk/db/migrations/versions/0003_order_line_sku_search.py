"""Order lines: an index on lower(sku) for the Orders page's SKU search.

On PostgreSQL with `text_pattern_ops`, so `lower(sku) LIKE 'abc%'` is a range scan under any
collation (a search used to read all order lines: ~200 ms at 200,000 lines).

Revision ID: 0003_order_line_sku_search
Revises: 0002_job_retry_base
Create Date: 2026-11-30 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_order_line_sku_search"
down_revision: str | Sequence[str] | None = "0002_job_retry_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    expression = "lower(sku) text_pattern_ops" if postgres else "lower(sku)"
    op.create_index("ix_order_lines_sku_lower", "order_lines", [sa.text(expression)])


def downgrade() -> None:
    op.drop_index("ix_order_lines_sku_lower", table_name="order_lines")
