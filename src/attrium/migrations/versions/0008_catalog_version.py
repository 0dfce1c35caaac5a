"""workspace catalog version

Revision ID: 0008
Revises: 0007

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Bumped in the same transaction as every change to the workspace's attribute
    # definitions or settings; read with the API key on every request, so that a
    # process may keep the catalog in memory while the version is unchanged.
    op.add_column(
        "workspaces",
        sa.Column("catalog_version", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("catalog_version")
