"""history: the customer a merged-in entry was first recorded on, and snapshots

Revision ID: 0016_history
Revises: 0016_one_head

A merge moves the secondary's entries to the primary (`activity.store.reassign`).
As-of reads rebuild a customer's past from its own entries, so a moved entry keeps
the profile id it was recorded on in `merged_from` (null: recorded on this customer).

`history_snapshots`: the customers as they were at an instant (`history.snapshots`),
taken daily, so that a segment as of T walks back from the first snapshot after T
instead of from now. Rows go with their customer (erasure, a merge's secondary).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import UtcDateTime, json_document

# revision identifiers, used by Alembic.
revision: str = "0016_history"
down_revision: str | Sequence[str] | None = "0016_one_head"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("activity", sa.Column("merged_from", sa.Text(), nullable=True))
    op.create_table(
        "history_snapshots",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("taken_at", UtcDateTime(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("attributes", json_document(), nullable=False),
        sa.Column("email_held", sa.Boolean(), nullable=False),
        sa.Column("phone_held", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "profile_id"],
            ["customers.workspace_id", "customers.profile_id"],
            name=op.f("fk_history_snapshots_workspace_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "taken_at", "profile_id", name=op.f("pk_history_snapshots")
        ),
    )
    # The cascade from a deleted customer seeks its rows by this index.
    op.create_index(
        "ix_history_snapshots_profile", "history_snapshots", ["workspace_id", "profile_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_history_snapshots_profile", table_name="history_snapshots")
    op.drop_table("history_snapshots")
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("merged_from")
