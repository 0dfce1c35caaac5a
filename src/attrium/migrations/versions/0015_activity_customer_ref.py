"""activity: an index on the customer a refused write named

Revision ID: 0015_activity_customer_ref
Revises: 0014_side_table_delete

Erasing a customer deletes its entries and the refused writes that named one of its
identifiers (`customer_ref`). With no index on that column, both backends read every
entry of the workspace for it (PostgreSQL: 250 ms at 50,000 entries, twice per
erasure). Only refused writes carry a `customer_ref`, so a partial index costs the
other writes nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015_activity_customer_ref"
down_revision: str | Sequence[str] | None = "0014_side_table_delete"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMED = sa.text("customer_ref IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_activity_customer_ref",
        "activity",
        ["workspace_id", "customer_ref"],
        postgresql_where=NAMED,
        sqlite_where=NAMED,
    )


def downgrade() -> None:
    op.drop_index("ix_activity_customer_ref", table_name="activity")
