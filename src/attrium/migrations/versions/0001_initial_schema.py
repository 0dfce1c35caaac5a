"""initial schema

Revision ID: 0001
Revises:

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from attrium.core.types import JsonDocument, UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json_column(none_as_null: bool = False) -> Any:
    return JsonDocument(none_as_null=none_as_null)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "workspaces",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("settings", json_column(), nullable=False),
        sa.Column("hash_key", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("name", name=op.f("uq_workspaces_name")),
    )
    op.create_table(
        "activity",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=True),
        sa.Column("customer_ref", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("attribute", sa.Text(), nullable=True),
        sa.Column("old_value", json_column(none_as_null=True), nullable=True),
        sa.Column("new_value", json_column(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", json_column(none_as_null=True), nullable=True),
        sa.Column("key_id", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_activity_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "activity_id", name=op.f("pk_activity")),
    )
    op.create_index(
        "ix_activity_attribute",
        "activity",
        ["workspace_id", "attribute", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_activity_profile",
        "activity",
        ["workspace_id", "profile_id", "activity_id"],
        unique=False,
    )
    op.create_table(
        "api_keys",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("scopes", json_column(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_api_keys_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "key_id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_keys_token_hash")),
    )
    op.create_table(
        "attribute_definitions",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("enum_values", json_column(none_as_null=True), nullable=True),
        sa.Column("default_value", json_column(none_as_null=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("declared", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("last_api_write_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_attribute_definitions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "namespace", "name", name=op.f("pk_attribute_definitions")
        ),
    )
    op.create_table(
        "customers",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("anonymous_id", sa.Text(), nullable=True),
        sa.Column("attributes", json_column(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name=op.f("fk_customers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "profile_id", name=op.f("pk_customers")),
        sa.UniqueConstraint(
            "workspace_id", "anonymous_id", name=op.f("uq_customers_workspace_id_anonymous_id")
        ),
        sa.UniqueConstraint("workspace_id", "email", name=op.f("uq_customers_workspace_id_email")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_customers_workspace_id_external_id")
        ),
        sa.UniqueConstraint("workspace_id", "phone", name=op.f("uq_customers_workspace_id_phone")),
    )
    op.create_table(
        "customer_identifiers",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "profile_id"],
            ["customers.workspace_id", "customers.profile_id"],
            name=op.f("fk_customer_identifiers_workspace_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "name", "value", name=op.f("pk_customer_identifiers")
        ),
    )
    op.create_index(
        "ix_customer_identifiers_profile",
        "customer_identifiers",
        ["workspace_id", "profile_id"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_customer_identifiers_profile", table_name="customer_identifiers")
    op.drop_table("customer_identifiers")
    op.drop_table("customers")
    op.drop_table("attribute_definitions")
    op.drop_table("api_keys")
    op.drop_index("ix_activity_profile", table_name="activity")
    op.drop_index("ix_activity_attribute", table_name="activity")
    op.drop_table("activity")
    op.drop_table("workspaces")
