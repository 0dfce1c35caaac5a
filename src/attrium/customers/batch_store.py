"""SQL of the write pipeline's store stage: a batch's new and changed customers, its
activity entries and catalog deltas (one statement on PostgreSQL)."""

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import store as activity_store
from attrium.activity.store import EntryRecord
from attrium.attributes import stats_store
from attrium.core import sql
from attrium.core.database import dump_json
from attrium.customers.store import customers

_WRITTEN_COLUMNS = (
    "external_id",
    "email",
    "phone",
    "anonymous_id",
    "attributes",
    "attribute_times",
)
_JSON_COLUMNS = ("profile_id", *_WRITTEN_COLUMNS, "created_at", "updated_at")
_ROW_TYPES = (
    "profile_id text, external_id text, email text, phone text, anonymous_id text,"
    " attributes jsonb, attribute_times jsonb, created_at timestamptz, updated_at timestamptz"
)

# PostgreSQL: a batch's new and changed customers, its activity entries and its catalog
# statistics in one statement (one round trip), each part's rows as one JSON document
# (`json_to_recordset`): one statement text whatever the batch, so its plan is prepared
# once, and one parameter per part, which costs less to encode than an array per column.
# Each part is the SQL of the table's own store.
_POSTGRES_WRITE_BATCH = text(
    f"""
    WITH inserted AS (
        INSERT INTO customers (workspace_id, profile_id, external_id, email, phone,
                               anonymous_id, attributes, attribute_times, created_at,
                               updated_at)
        SELECT :workspace_id, n.profile_id, n.external_id, n.email, n.phone, n.anonymous_id,
               n.attributes, n.attribute_times, n.created_at, n.created_at
        FROM json_to_recordset(CAST(:new_rows AS json)) AS n({_ROW_TYPES})
    ), updated AS (
        UPDATE customers AS c
        SET external_id = u.external_id, email = u.email, phone = u.phone,
            anonymous_id = u.anonymous_id, attributes = u.attributes,
            attribute_times = u.attribute_times, updated_at = u.updated_at
        FROM json_to_recordset(CAST(:changed_rows AS json)) AS u({_ROW_TYPES})
        WHERE c.workspace_id = :workspace_id AND c.profile_id = u.profile_id
    ), logged AS ({activity_store.postgres_insert("entries")}
    ), counted AS ({stats_store.postgres_insert("deltas")}
    )
    SELECT 1
    """
)


async def write_batch(
    connection: AsyncConnection,
    workspace_id: str,
    new_rows: Sequence[dict[str, Any]],
    changed: Sequence[tuple[dict[str, Any], frozenset[str]]],
    entries: list[EntryRecord],
    deltas: list[dict[str, Any]],
) -> None:
    """What a batch of writes stores: `new_rows`; the attributes and `updated_at` of each
    changed row (held locked by the caller) and the identifier columns named beside it;
    its activity entries and its catalog statistics' deltas. On PostgreSQL, one
    statement."""
    postgres = sql.backend_of(connection) == "postgresql"
    if postgres and len(entries) < activity_store.COPY_FROM_ROWS:
        if new_rows or changed or entries or deltas:
            # Every identifier column of a changed row is written: PostgreSQL compares
            # the values itself, and one statement text serves every batch.
            parameters = {
                "workspace_id": workspace_id,
                "new_rows": _json_rows(new_rows),
                "changed_rows": _json_rows([row for row, _ in changed]),
                "entries": activity_store.postgres_parameter(entries),
                "deltas": stats_store.postgres_parameter(deltas),
            }
            await connection.execute(_POSTGRES_WRITE_BATCH, parameters)
        return
    # Thousands of entries go faster by COPY; SQLite has no round trips to spare.
    if postgres:
        await write_batch(connection, workspace_id, new_rows, changed, [], [])
    else:
        await _sqlite_write_rows(connection, workspace_id, new_rows, changed)
    await activity_store.insert_entries(connection, entries)
    await stats_store.insert_deltas(connection, deltas)


def _json_rows(rows: Sequence[dict[str, Any]]) -> str:
    return dump_json([{column: row.get(column) for column in _JSON_COLUMNS} for row in rows])


async def _sqlite_write_rows(
    connection: AsyncConnection,
    workspace_id: str,
    new_rows: Sequence[dict[str, Any]],
    changed: Sequence[tuple[dict[str, Any], frozenset[str]]],
) -> None:
    if new_rows:
        await connection.execute(customers.insert(), list(new_rows))
    # SQLite rewrites the index entries of every column a statement sets, changed or
    # not: each group of rows sets only the identifier columns it changes.
    shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row, columns in changed:
        shapes.setdefault(columns, []).append(
            {
                "key_workspace_id": workspace_id,
                "key_profile_id": row["profile_id"],
                **{f"new_{column}": row[column] for column in (*columns, *_ALWAYS_WRITTEN)},
            }
        )
    for columns, rows in shapes.items():
        await connection.execute(_sqlite_update(columns), rows)


_ALWAYS_WRITTEN = ("attributes", "attribute_times", "updated_at")


@functools.cache
def _sqlite_update(columns: frozenset[str]) -> Any:
    return (
        update(customers)
        .where(
            customers.c.workspace_id == bindparam("key_workspace_id"),
            customers.c.profile_id == bindparam("key_profile_id"),
        )
        .values(
            **{
                column: bindparam(f"new_{column}", type_=customers.c[column].type)
                for column in (*sorted(columns), *_ALWAYS_WRITTEN)
            }
        )
    )
