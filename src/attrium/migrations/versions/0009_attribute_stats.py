"""attribute statistics maintained by the writes

Revision ID: 0009_attribute_stats
Revises: 0008

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from attrium.core.types import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0009_attribute_stats"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One pass over the customers: every key of every customer's attributes, counted.
COUNT_HOLDERS = {
    "postgresql": """
        INSERT INTO attribute_stats (workspace_id, namespace, name, holders)
        SELECT customers.workspace_id, 'customer', held.name, count(*)
        FROM customers CROSS JOIN LATERAL jsonb_object_keys(customers.attributes) AS held(name)
        GROUP BY customers.workspace_id, held.name
    """,
    "sqlite": """
        INSERT INTO attribute_stats (workspace_id, namespace, name, holders)
        SELECT customers.workspace_id, 'customer', held.key, count(*)
        FROM customers, json_each(customers.attributes) AS held
        GROUP BY customers.workspace_id, held.key
    """,
}
# Defined attributes nobody holds may still have a last write (their values removed).
ADD_UNHELD_DEFINITIONS = """
    INSERT INTO attribute_stats (workspace_id, namespace, name, holders)
    SELECT workspace_id, namespace, name, 0 FROM attribute_definitions
    WHERE namespace = 'customer' AND NOT EXISTS (
        SELECT 1 FROM attribute_stats
        WHERE attribute_stats.workspace_id = attribute_definitions.workspace_id
        AND attribute_stats.namespace = attribute_definitions.namespace
        AND attribute_stats.name = attribute_definitions.name
    )
"""
# The newest change of each attribute, one index lookup each (ix_activity_attribute).
SET_LAST_WRITES = """
    UPDATE attribute_stats
    SET (last_written_at, last_written_by, last_written_source) = (
        SELECT activity.created_at, activity.key_id, activity.source FROM activity
        WHERE activity.workspace_id = attribute_stats.workspace_id
        AND activity.attribute = attribute_stats.name
        AND activity.type = 'attribute_changed'
        ORDER BY activity.created_at DESC
        LIMIT 1
    )
"""


def _workspace_key(table: str) -> list[Any]:
    return [
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f(f"fk_{table}_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
    ]


def _last_write() -> list[sa.Column[Any]]:
    return [
        sa.Column("last_written_at", UtcDateTime(), nullable=True),
        sa.Column("last_written_by", sa.Text(), nullable=True),
        sa.Column("last_written_source", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "attribute_stats",
        *_workspace_key("attribute_stats"),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("holders", sa.BigInteger(), nullable=False),
        *_last_write(),
        sa.PrimaryKeyConstraint(
            "workspace_id", "namespace", "name", name=op.f("pk_attribute_stats")
        ),
    )
    op.create_table(
        "attribute_stat_deltas",
        *_workspace_key("attribute_stat_deltas"),
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("holders", sa.BigInteger(), nullable=False),
        *_last_write(),
        sa.PrimaryKeyConstraint(
            "workspace_id", "batch_id", "name", name=op.f("pk_attribute_stat_deltas")
        ),
    )
    backend = op.get_bind().dialect.name
    op.execute(COUNT_HOLDERS[backend])
    op.execute(ADD_UNHELD_DEFINITIONS)
    op.execute(SET_LAST_WRITES)


def downgrade() -> None:
    op.drop_table("attribute_stat_deltas")
    op.drop_table("attribute_stats")
