"""objects: object types, objects and relationships

Revision ID: 0002c
Revises: 0002b

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import JsonDocument, UtcDateTime

revision: str = "0002c"
down_revision: str | Sequence[str] | None = "0002b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "object_types",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("type_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_object_types_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "type_number", name=op.f("pk_object_types")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_object_types_workspace_id_name")),
    )
    op.create_table(
        "objects",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("type_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("attributes", JsonDocument(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "type_number"],
            ["object_types.workspace_id", "object_types.type_number"],
            name=op.f("fk_objects_workspace_id_object_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "type_number", "object_id", name=op.f("pk_objects")
        ),
    )
    op.create_table(
        "relationships",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("type_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("attributes", JsonDocument(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "profile_id"],
            ["customers.workspace_id", "customers.profile_id"],
            name=op.f("fk_relationships_workspace_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "type_number", "object_id"],
            ["objects.workspace_id", "objects.type_number", "objects.object_id"],
            name=op.f("fk_relationships_workspace_id_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "profile_id", "type_number", "object_id", name=op.f("pk_relationships")
        ),
    )
    op.create_index(
        "ix_relationships_object", "relationships", ["workspace_id", "type_number", "object_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_relationships_object", table_name="relationships")
    for table in ("relationships", "objects", "object_types"):
        op.drop_table(table)
