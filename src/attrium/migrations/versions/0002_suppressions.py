"""suppressions

Revision ID: 0002
Revises: 0001

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import UtcDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("identifier_hash", sa.Text(), nullable=False),
        sa.Column("suppression_id", sa.Text(), nullable=False),
        sa.Column("identifier_kind", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_suppressions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "identifier_hash", name=op.f("pk_suppressions")),
    )
    op.create_index(
        "ix_suppressions_suppression", "suppressions", ["workspace_id", "suppression_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_suppressions_suppression", table_name="suppressions")
    op.drop_table("suppressions")
