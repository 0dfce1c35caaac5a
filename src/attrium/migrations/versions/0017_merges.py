"""merges: what each merge needs to be undone

Revision ID: 0017_merges
Revises: 0016_history

A merge records the secondary as it was and what moved onto the primary
(`identity.merge_record`), so that `POST /v1/merges/{merge_id}/undo` can restore it.
The snapshot goes (null) when the merge is undone or can no longer be: a customer of
it erased or merged again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import UtcDateTime, json_document

revision: str = "0017_merges"
down_revision: str | Sequence[str] | None = "0016_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merges",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("merge_id", sa.Text(), nullable=False),
        sa.Column("primary_profile_id", sa.Text(), nullable=False),
        sa.Column("secondary_profile_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("snapshot", json_document(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_merges_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "merge_id", name=op.f("pk_merges")),
    )
    op.create_index("ix_merges_primary", "merges", ["workspace_id", "primary_profile_id"])
    op.create_index("ix_merges_secondary", "merges", ["workspace_id", "secondary_profile_id"])


def downgrade() -> None:
    op.drop_index("ix_merges_secondary", table_name="merges")
    op.drop_index("ix_merges_primary", table_name="merges")
    op.drop_table("merges")
