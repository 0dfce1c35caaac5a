"""SQL for segments: saved segments, and customers selected by a compiled predicate."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document
from attrium.customers.store import customers
from attrium.segments.compiler import Condition, CustomerState, compile_predicate
from attrium.segments.predicates import Predicate

segments = Table(
    "segments",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("segment_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("predicate", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)


def current_state(now: datetime) -> CustomerState:
    return CustomerState(
        attributes=customers.c.attributes,
        identifiers={"email": customers.c.email, "phone": customers.c.phone},
        now=now,
    )


def matching(
    connection: AsyncConnection, workspace_id: str, predicate: Predicate, now: datetime
) -> Condition:
    """The WHERE clause selecting the workspace's customers that satisfy `predicate`."""
    condition = compile_predicate(connection.dialect.name, predicate, current_state(now))
    return and_(customers.c.workspace_id == workspace_id, condition)


async def count(connection: AsyncConnection, where: Condition) -> int:
    query = select(func.count()).select_from(customers).where(where)
    return int((await connection.execute(query)).scalar_one())


async def members(
    connection: AsyncConnection, where: Condition, after_profile_id: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(customers).where(where)
    if after_profile_id is not None:
        query = query.where(customers.c.profile_id > after_profile_id)
    query = query.order_by(customers.c.profile_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


def _segment_key(workspace_id: str, segment_id: str) -> Condition:
    return and_(segments.c.workspace_id == workspace_id, segments.c.segment_id == segment_id)


async def insert_segment(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(segments.insert().values(**row))


async def read_segment(
    connection: AsyncConnection, workspace_id: str, segment_id: str
) -> dict[str, Any] | None:
    row = (
        await connection.execute(select(segments).where(_segment_key(workspace_id, segment_id)))
    ).first()
    return dict(row._mapping) if row else None


async def segment_named(
    connection: AsyncConnection, workspace_id: str, name: str
) -> dict[str, Any] | None:
    query = select(segments).where(segments.c.workspace_id == workspace_id, segments.c.name == name)
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def segment_page(
    connection: AsyncConnection, workspace_id: str, after_segment_id: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(segments).where(segments.c.workspace_id == workspace_id)
    if after_segment_id is not None:
        query = query.where(segments.c.segment_id > after_segment_id)
    query = query.order_by(segments.c.segment_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def update_segment(
    connection: AsyncConnection, workspace_id: str, segment_id: str, values: dict[str, Any]
) -> None:
    await connection.execute(
        update(segments).where(_segment_key(workspace_id, segment_id)).values(**values)
    )


async def delete_segment(connection: AsyncConnection, workspace_id: str, segment_id: str) -> bool:
    result = await connection.execute(
        delete(segments).where(_segment_key(workspace_id, segment_id))
    )
    return bool(result.rowcount)
