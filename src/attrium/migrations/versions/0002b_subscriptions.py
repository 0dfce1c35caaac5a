"""subscriptions: sign-up sources, topics, subscriptions and preferences

Revision ID: 0002b
Revises: 0007

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import UtcDateTime

revision: str = "0002b"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.workspace_id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def _customer_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id", "profile_id"],
        ["customers.workspace_id", "customers.profile_id"],
        name=op.f(f"fk_{table}_workspace_id_customers"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "signup_sources",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("source_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("locale", sa.Text(), nullable=True),
        sa.Column("created_via", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _workspace_key("signup_sources"),
        sa.PrimaryKeyConstraint("workspace_id", "source_number", name=op.f("pk_signup_sources")),
    )
    op.create_table(
        "topics",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("topic_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("subscribed_by_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _workspace_key("topics"),
        sa.PrimaryKeyConstraint("workspace_id", "topic_number", name=op.f("pk_topics")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("source_number", sa.Integer(), nullable=True),
        sa.Column("locale", sa.Text(), nullable=True),
        sa.Column("single_opt_in", sa.Boolean(), nullable=False),
        sa.Column("opted_in_at", UtcDateTime(), nullable=True),
        sa.Column("opted_out_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _customer_key("subscriptions"),
        sa.PrimaryKeyConstraint(
            "workspace_id", "profile_id", "channel", "type", name=op.f("pk_subscriptions")
        ),
    )
    op.create_table(
        "unsubscribes",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("unsubscribed_at", UtcDateTime(), nullable=False),
        _customer_key("unsubscribes"),
        sa.PrimaryKeyConstraint("workspace_id", "profile_id", name=op.f("pk_unsubscribes")),
    )
    op.create_table(
        "topic_preferences",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("topic_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _customer_key("topic_preferences"),
        sa.PrimaryKeyConstraint(
            "workspace_id", "profile_id", "topic_number", name=op.f("pk_topic_preferences")
        ),
    )


def downgrade() -> None:
    for table in ("topic_preferences", "unsubscribes", "subscriptions", "topics", "signup_sources"):
        op.drop_table(table)
