"""segments and templates

Saved segments and Liquid templates, and on PostgreSQL a GIN index on
`customers.attributes` that answers segment conditions of equality, membership and
presence (`@>`, `?`).

Revision ID: 0003
Revises: 0002

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import JsonDocument, UtcDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned_table(name: str, key: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column(key, sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        *columns,
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f(f"fk_{name}_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", key, name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f(f"uq_{name}_workspace_id_name")),
    )


def upgrade() -> None:
    _owned_table("segments", "segment_id", sa.Column("predicate", JsonDocument(), nullable=False))
    _owned_table("templates", "template_id", sa.Column("body", sa.Text(), nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_customers_attributes_gin", "customers", ["attributes"], postgresql_using="gin"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_customers_attributes_gin", table_name="customers")
    op.drop_table("templates")
    op.drop_table("segments")
