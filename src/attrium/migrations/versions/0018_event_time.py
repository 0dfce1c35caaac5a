"""customers: when each attribute's value is from (`attribute_times`)

Revision ID: 0018_event_time
Revises: 0017_merges

A write may carry the time its data is from; per attribute, an older write does not
overwrite a newer value. The times live on the customer's row, beside its
attributes, so that the write pipeline compares them under the row lock it already
holds and writes them with the same statement. Existing customers have none: their
values give way to any timestamped write, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import json_document

# revision identifiers, used by Alembic.
revision: str = "0018_event_time"
down_revision: str | Sequence[str] | None = "0017_merges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("attribute_times", json_document(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("attribute_times")
