"""ui sessions

Revision ID: 0007
Revises: 0004

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ui_sessions",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("session_hash", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_ui_sessions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "session_hash", name=op.f("pk_ui_sessions")),
    )
    op.create_index("ix_ui_sessions_session_hash", "ui_sessions", ["session_hash"], unique=True)
    op.create_index("ix_ui_sessions_expires_at", "ui_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ui_sessions_expires_at", table_name="ui_sessions")
    op.drop_index("ix_ui_sessions_session_hash", table_name="ui_sessions")
    op.drop_table("ui_sessions")
