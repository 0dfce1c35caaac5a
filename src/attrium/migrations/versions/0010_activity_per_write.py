"""one activity entry per customer write

Revision ID: 0010
Revises: 0009_attribute_stats

A customer write used to log one row per attribute and per identifier it changed
(`attribute_changed`, `identifier_changed`) beside its `customer_created` or
`customer_merged` row. Now a write is one entry (`customer_created`,
`customer_updated` or `customer_merged`) whose `changes` hold every before/after
pair, and whose `attributes` list the attributes it changed, indexed (a GIN index on
PostgreSQL; on SQLite a side table kept by triggers). The rows one write made share
its customer, time, key and source: each such group becomes one entry.

The log also loses its foreign key to `workspaces`: PostgreSQL checked it with a
trigger query per inserted entry (29 µs each, 0.47 of a 16-write batch's 0.76 ms
INSERT), for a workspace the writing request had just authenticated, and workspaces
are never deleted.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from attrium.core.types import NameList

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009_attribute_stats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GROUPED_TYPES = (
    "('customer_created', 'customer_merged', 'attribute_changed', 'identifier_changed')"
)

# One entry per group of rows that one write made; created and merged entries keep
# their id, an update takes its first row's.
_POSTGRES_GROUPS = f"""
CREATE TEMPORARY TABLE activity_groups ON COMMIT DROP AS
SELECT workspace_id, profile_id, created_at, key_id, source,
       coalesce(min(activity_id) FILTER (WHERE type IN ('customer_created', 'customer_merged')),
                min(activity_id)) AS activity_id,
       CASE WHEN bool_or(type = 'customer_merged') THEN 'customer_merged'
            WHEN bool_or(type = 'customer_created') THEN 'customer_created'
            ELSE 'customer_updated' END AS type,
       (array_agg(details) FILTER (WHERE type = 'customer_merged'))[1] AS merged_details,
       (array_agg(details -> 'identifiers') FILTER (WHERE type = 'customer_created'))[1]
           AS created_identifiers,
       jsonb_object_agg(attribute, jsonb_build_object('old', old_value, 'new', new_value))
           FILTER (WHERE type = 'attribute_changed') AS attribute_changes,
       jsonb_object_agg(details ->> 'identifier',
                        jsonb_build_object('old', old_value, 'new', new_value))
           FILTER (WHERE type = 'identifier_changed') AS identifier_changes,
       array_agg(attribute ORDER BY attribute) FILTER (WHERE type = 'attribute_changed')
           AS names
FROM activity
WHERE type IN {_GROUPED_TYPES} AND profile_id IS NOT NULL
GROUP BY workspace_id, profile_id, created_at, key_id, source
"""

_POSTGRES_INSERT = """
INSERT INTO activity (workspace_id, activity_id, profile_id, type, details, key_id, source,
                      created_at, changes, attributes)
SELECT workspace_id, activity_id, profile_id, type, merged_details, key_id, source, created_at,
       nullif(
           CASE WHEN attribute_changes IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('attributes', attribute_changes) END
           || CASE WHEN coalesce(identifier_changes, created_identifiers) IS NULL THEN '{}'::jsonb
                   ELSE jsonb_build_object('identifiers', coalesce(identifier_changes, (
                       SELECT jsonb_object_agg(key, jsonb_build_object('old', NULL, 'new', value))
                       FROM jsonb_each(created_identifiers)))) END,
           '{}'::jsonb),
       names
FROM activity_groups
"""

_SQLITE_GROUPS = f"""
CREATE TEMPORARY TABLE activity_groups AS
SELECT workspace_id, profile_id, created_at, key_id, source,
       coalesce(min(activity_id) FILTER (WHERE type IN ('customer_created', 'customer_merged')),
                min(activity_id)) AS activity_id,
       CASE WHEN max(type = 'customer_merged') THEN 'customer_merged'
            WHEN max(type = 'customer_created') THEN 'customer_created'
            ELSE 'customer_updated' END AS type,
       max(details) FILTER (WHERE type = 'customer_merged') AS merged_details,
       max(json_extract(details, '$.identifiers')) FILTER (WHERE type = 'customer_created')
           AS created_identifiers,
       json_group_object(attribute, json_object('old', json(old_value), 'new', json(new_value)))
           FILTER (WHERE type = 'attribute_changed') AS attribute_changes,
       json_group_object(json_extract(details, '$.identifier'),
                         json_object('old', json(old_value), 'new', json(new_value)))
           FILTER (WHERE type = 'identifier_changed') AS identifier_changes,
       json_group_array(attribute) FILTER (WHERE type = 'attribute_changed') AS names
FROM activity
WHERE type IN {_GROUPED_TYPES} AND profile_id IS NOT NULL
GROUP BY workspace_id, profile_id, created_at, key_id, source
"""

_SQLITE_INSERT = """
INSERT INTO activity (workspace_id, activity_id, profile_id, type, details, key_id, source,
                      created_at, changes, attributes)
SELECT workspace_id, activity_id, profile_id, type, merged_details, key_id, source, created_at,
       CASE WHEN attribute_changes = '{}' AND identifiers IS NULL THEN NULL
            WHEN attribute_changes = '{}' THEN json_object('identifiers', json(identifiers))
            WHEN identifiers IS NULL THEN json_object('attributes', json(attribute_changes))
            ELSE json_object('attributes', json(attribute_changes),
                             'identifiers', json(identifiers)) END,
       nullif(names, '[]')
FROM (
    SELECT *,
           CASE WHEN identifier_changes <> '{}' THEN identifier_changes
                WHEN created_identifiers IS NOT NULL THEN (
                    SELECT json_group_object(key, json_object('old', NULL, 'new', value))
                    FROM json_each(created_identifiers)) END AS identifiers
    FROM activity_groups
)
"""

# SQLite has no arrays to index: a side table holds one row per attribute of an entry.
_SQLITE_SIDE_TABLE = (
    """
    CREATE TABLE activity_attributes (
        workspace_id TEXT NOT NULL,
        attribute TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, attribute, activity_id)
    ) WITHOUT ROWID
    """,
    """
    INSERT INTO activity_attributes
    SELECT activity.workspace_id, names.value, activity.activity_id
    FROM activity, json_each(activity.attributes) AS names
    WHERE activity.attributes IS NOT NULL
    """,
    """
    CREATE TRIGGER activity_attributes_inserted AFTER INSERT ON activity
    WHEN NEW.attributes IS NOT NULL
    BEGIN
        INSERT OR IGNORE INTO activity_attributes
        SELECT NEW.workspace_id, value, NEW.activity_id FROM json_each(NEW.attributes);
    END
    """,
    """
    CREATE TRIGGER activity_attributes_deleted AFTER DELETE ON activity
    WHEN OLD.attributes IS NOT NULL
    BEGIN
        DELETE FROM activity_attributes
        WHERE workspace_id = OLD.workspace_id AND activity_id = OLD.activity_id;
    END
    """,
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("activity") as batch:
        batch.drop_constraint("fk_activity_workspace_id_workspaces", type_="foreignkey")
        batch.add_column(sa.Column("changes", _json(postgres), nullable=True))
        batch.add_column(sa.Column("attributes", NameList(), nullable=True))
        batch.drop_index("ix_activity_attribute")
    op.execute(_POSTGRES_GROUPS if postgres else _SQLITE_GROUPS)
    op.execute(f"DELETE FROM activity WHERE type IN {_GROUPED_TYPES} AND profile_id IS NOT NULL")
    op.execute(_POSTGRES_INSERT if postgres else _SQLITE_INSERT)
    if not postgres:
        op.execute("DROP TABLE activity_groups")
    names = "ARRAY[attribute]" if postgres else "json_array(attribute)"
    op.execute(f"UPDATE activity SET attributes = {names} WHERE attribute IS NOT NULL")
    if postgres:
        op.execute("CREATE INDEX ix_activity_attributes ON activity USING gin (attributes)")
    else:
        for statement in _SQLITE_SIDE_TABLE:
            op.execute(statement)


def _json(postgres: bool) -> Any:
    return postgresql.JSONB() if postgres else sa.Text()


def downgrade() -> None:
    """Back to one row per attribute and identifier: each entry's changes spread out."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("DROP INDEX ix_activity_attributes")
    else:
        op.execute("DROP TRIGGER activity_attributes_inserted")
        op.execute("DROP TRIGGER activity_attributes_deleted")
        op.execute("DROP TABLE activity_attributes")
    table = sa.table(
        "activity",
        *(sa.column(name) for name in ("workspace_id", "activity_id", "profile_id", "type")),
        sa.column("changes", _json(postgres)),
        *(sa.column(name) for name in ("key_id", "source", "created_at")),
    )
    rows = bind.execute(sa.select(table).where(table.c.changes.is_not(None))).fetchall()
    spread = [item for row in rows for item in _spread(row._mapping, postgres)]
    if spread:
        op.bulk_insert(_old_table(postgres), spread)
    op.execute("DELETE FROM activity WHERE type = 'customer_updated'")
    op.create_index(
        "ix_activity_attribute", "activity", ["workspace_id", "attribute", "created_at"]
    )
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("attributes")
        batch.drop_column("changes")
        batch.create_foreign_key(
            "fk_activity_workspace_id_workspaces",
            "workspaces",
            ["workspace_id"],
            ["workspace_id"],
            ondelete="CASCADE",
        )


def _old_table(postgres: bool) -> Any:
    return sa.table(
        "activity",
        *(sa.column(name) for name in ("workspace_id", "activity_id", "profile_id", "type")),
        sa.column("attribute"),
        sa.column("old_value", _json(postgres)),
        sa.column("new_value", _json(postgres)),
        sa.column("details", _json(postgres)),
        *(sa.column(name) for name in ("key_id", "source", "created_at")),
    )


def _spread(row: Any, postgres: bool) -> list[dict[str, Any]]:
    import orjson

    changes = row["changes"] if postgres else orjson.loads(row["changes"])
    common = {name: row[name] for name in ("workspace_id", "profile_id", "key_id", "source")}
    common["created_at"] = row["created_at"]
    found = []
    for number, (kind, key) in enumerate(
        [("attribute_changed", name) for name in changes.get("attributes", {})]
        + [("identifier_changed", name) for name in changes.get("identifiers", {})]
    ):
        pair = changes["attributes" if kind == "attribute_changed" else "identifiers"][key]
        found.append(
            {
                **common,
                "activity_id": f"{row['activity_id'][:20]}{number:06d}",
                "type": kind,
                "attribute": key if kind == "attribute_changed" else None,
                "old_value": _stored(pair["old"], postgres),
                "new_value": _stored(pair["new"], postgres),
                "details": None
                if kind == "attribute_changed"
                else _stored({"identifier": key}, postgres),
            }
        )
    return found


def _stored(value: Any, postgres: bool) -> Any:
    import orjson

    if value is None or postgres:
        return value
    return orjson.dumps(value).decode()
