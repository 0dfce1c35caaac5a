"""SQL for the activity log."""

from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Select,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import dump_json, metadata
from attrium.core.jsonio import all_storable, storable
from attrium.core.types import UtcDateTime, json_document

activity = Table(
    "activity",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("activity_id", Text, primary_key=True),
    Column("profile_id", Text, nullable=True),
    Column("customer_ref", Text, nullable=True),
    Column("type", Text, nullable=False),
    Column("attribute", Text, nullable=True),
    Column("old_value", json_document(none_as_null=True), nullable=True),
    Column("new_value", json_document(none_as_null=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("details", json_document(none_as_null=True), nullable=True),
    Column("key_id", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_activity_profile", "workspace_id", "profile_id", "activity_id"),
    Index("ix_activity_attribute", "workspace_id", "attribute", "created_at"),
)


# An entry as a tuple in the table's column order: an import batch writes thousands,
# and tuples cost a fraction of dicts to build and to hand to COPY.
EntryRecord = tuple[Any, ...]
COLUMN_NAMES = (
    "workspace_id",
    "activity_id",
    "profile_id",
    "customer_ref",
    "type",
    "attribute",
    "old_value",
    "new_value",
    "reason",
    "details",
    "key_id",
    "source",
    "created_at",
)
if tuple(activity.columns.keys()) != COLUMN_NAMES:
    raise RuntimeError("activity.COLUMN_NAMES must list the activity table's columns in order")

# From this many rows on, PostgreSQL gets them by COPY (batches of imports).
COPY_FROM_ROWS = 200


async def insert_entries(connection: AsyncConnection, records: list[EntryRecord]) -> None:
    if not records:
        return
    if not all_storable(records):
        records = [tuple(storable(list(record))) for record in records]
    if len(records) >= COPY_FROM_ROWS and sql.backend_of(connection) == "postgresql":
        await sql.copy_records(connection, activity, COLUMN_NAMES, _as_copied(records))
    else:
        await connection.execute(
            activity.insert(), [dict(zip(COLUMN_NAMES, record, strict=True)) for record in records]
        )


def _as_copied(records: list[EntryRecord]) -> list[EntryRecord]:
    """The records as COPY takes them: JSON documents as their text, NULL for None."""
    # One comprehension with the columns spelled out: an import copies ten rows a customer.
    return [
        (
            workspace_id,
            activity_id,
            profile_id,
            ref,
            kind,
            name,
            None if old is None else dump_json(old),
            None if new is None else dump_json(new),
            reason,
            None if details is None else dump_json(details),
            key_id,
            source,
            created_at,
        )
        for (
            workspace_id,
            activity_id,
            profile_id,
            ref,
            kind,
            name,
            old,
            new,
            reason,
            details,
            key_id,
            source,
            created_at,
        ) in records
    ]


def newest_first(workspace_id: str, before_id: str | None, limit: int) -> Select[Any]:
    query = select(activity).where(activity.c.workspace_id == workspace_id)
    if before_id is not None:
        query = query.where(activity.c.activity_id < before_id)
    return query.order_by(activity.c.activity_id.desc()).limit(limit)


async def fetch(connection: AsyncConnection, query: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in await connection.execute(query)]


async def erase_customer(
    connection: AsyncConnection, workspace_id: str, profile_id: str, refs: list[str]
) -> dict[str, int]:
    """Delete a customer's entries, and refused writes naming one of its identifiers.

    Returns how many entries of each type there were: the only trace that is kept.
    """
    mine = activity.c.profile_id == profile_id
    if refs:
        mine = or_(mine, activity.c.customer_ref.in_(refs))
    condition = and_(activity.c.workspace_id == workspace_id, mine)
    counted = await connection.execute(
        select(activity.c.type, func.count()).where(condition).group_by(activity.c.type)
    )
    erased = {row[0]: int(row[1]) for row in counted}
    await connection.execute(delete(activity).where(condition))
    return erased


async def reassign(
    connection: AsyncConnection, workspace_id: str, from_profile_id: str, to_profile_id: str
) -> int:
    """Move one customer's entries to another (a merge); returns how many moved."""
    result = await connection.execute(
        activity.update()
        .where(activity.c.workspace_id == workspace_id, activity.c.profile_id == from_profile_id)
        .values(profile_id=to_profile_id)
    )
    return int(result.rowcount)
