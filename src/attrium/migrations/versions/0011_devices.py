"""devices, and the index of event entries

Revision ID: 0011_devices
Revises: 0010

A customer's devices (`devices.store`): one row per (customer, device id), deleted
with the customer. Event entries of the activity log (`events.service`) get an index
of their own, partial on `type = 'event'`, over (workspace, customer, name, time):
the segment condition "performed EVENT at least N times within the last D days"
(`events.conditions`) reads at most N index entries per customer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attrium.core.types import UtcDateTime, json_document

revision: str = "0011_devices"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The name's expression as `activity.store.event_name` spells it, per backend.
_EVENT_NAME = {
    "postgresql": "(details ->> 'name')",
    "sqlite": "json_extract(details, '$.name')",
}


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("last_used", UtcDateTime(), nullable=True),
        sa.Column("attributes", json_document(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "profile_id"],
            ["customers.workspace_id", "customers.profile_id"],
            name=op.f("fk_devices_workspace_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "profile_id", "device_id", name=op.f("pk_devices")),
    )
    name = _EVENT_NAME[op.get_bind().dialect.name]
    op.execute(
        "CREATE INDEX ix_activity_events ON activity "
        f"(workspace_id, profile_id, {name}, created_at) WHERE type = 'event'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_activity_events")
    op.drop_table("devices")
