"""activity: the customer a merged-in entry was first recorded on

Revision ID: 0016_history
Revises: 0015_activity_customer_ref

A merge moves the secondary's entries to the primary (`activity.store.reassign`).
As-of reads rebuild a customer's past from its own entries, so a moved entry keeps
the profile id it was recorded on in `merged_from` (null: recorded on this customer).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016_history"
down_revision: str | Sequence[str] | None = "0015_activity_customer_ref"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("activity", sa.Column("merged_from", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("merged_from")
