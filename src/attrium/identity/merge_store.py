"""SQL for merges: what each merge needs to be undone, until it is undone or can no
longer be (erasure, a later merge), when only its ids and state stay."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Table,
    Text,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document

OPEN = "open"
UNDONE = "undone"
ERASED = "erased"
MERGED_AGAIN = "merged_again"

merges = Table(
    "merges",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("merge_id", Text, primary_key=True),
    Column("primary_profile_id", Text, nullable=False),
    Column("secondary_profile_id", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    # The secondary as it was and what moved onto the primary (identity.merge_record);
    # null once the merge can no longer be undone: no personal data outlives an erasure.
    Column("snapshot", json_document(none_as_null=True), nullable=True),
    Index("ix_merges_primary", "workspace_id", "primary_profile_id"),
    Index("ix_merges_secondary", "workspace_id", "secondary_profile_id"),
)


async def insert_merge(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(insert(merges).values(**row))


async def read_merge(
    connection: AsyncConnection, workspace_id: str, merge_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    query = select(merges).where(
        merges.c.workspace_id == workspace_id, merges.c.merge_id == merge_id
    )
    if lock:
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def merges_into(
    connection: AsyncConnection, workspace_id: str, profile_id: str
) -> list[dict[str, Any]]:
    """The merges whose primary is `profile_id`, newest first, without their snapshots."""
    columns = [column for column in merges.c if column.name != "snapshot"]
    query = (
        select(*columns)
        .where(merges.c.workspace_id == workspace_id, merges.c.primary_profile_id == profile_id)
        .order_by(merges.c.merge_id.desc())
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def close(
    connection: AsyncConnection, workspace_id: str, merge_id: str, state: str, now: datetime
) -> None:
    await connection.execute(
        update(merges)
        .where(merges.c.workspace_id == workspace_id, merges.c.merge_id == merge_id)
        .values(state=state, closed_at=now, snapshot=None)
    )


async def close_involving(
    connection: AsyncConnection,
    workspace_id: str,
    profile_ids: list[str],
    state: str,
    now: datetime,
) -> int:
    """Close every open merge either of whose customers is one of `profile_ids`, and
    drop its snapshot; returns how many."""
    result = await connection.execute(
        update(merges)
        .where(
            merges.c.workspace_id == workspace_id,
            merges.c.state == OPEN,
            or_(
                sql.one_of(connection, merges.c.primary_profile_id, profile_ids),
                sql.one_of(connection, merges.c.secondary_profile_id, profile_ids),
            ),
        )
        .values(state=state, closed_at=now, snapshot=None)
    )
    return int(result.rowcount)
