"""SQLite: the side table's delete trigger finds an entry's rows by their whole key

Revision ID: 0014_side_table_delete
Revises: 0011_devices

The trigger of 0010 deleted an entry's `activity_attributes` rows by workspace and
activity id, which its primary key (workspace, attribute, activity id) cannot seek:
every deleted entry scanned the workspace's side rows (220 ms an entry at 2,000,000
rows), so erasing a customer or pruning history grew with the whole workspace. The
entry's own `attributes` name each of its rows, so the trigger now seeks each by its
whole key. PostgreSQL has no side table (a GIN index on `activity.attributes`).
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014_side_table_delete"
down_revision: str | Sequence[str] | None = "0011_devices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEEKING_TRIGGER = """
    CREATE TRIGGER activity_attributes_deleted AFTER DELETE ON activity
    WHEN OLD.attributes IS NOT NULL
    BEGIN
        DELETE FROM activity_attributes
        WHERE workspace_id = OLD.workspace_id
          AND attribute IN (SELECT value FROM json_each(OLD.attributes))
          AND activity_id = OLD.activity_id;
    END
"""

_SCANNING_TRIGGER = """
    CREATE TRIGGER activity_attributes_deleted AFTER DELETE ON activity
    WHEN OLD.attributes IS NOT NULL
    BEGIN
        DELETE FROM activity_attributes
        WHERE workspace_id = OLD.workspace_id AND activity_id = OLD.activity_id;
    END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER activity_attributes_deleted")
        op.execute(_SEEKING_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER activity_attributes_deleted")
        op.execute(_SCANNING_TRIGGER)
