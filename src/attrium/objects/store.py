"""SQL for object types, objects and relationships."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
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

from attrium.core import sql
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document

object_types = Table(
    "object_types",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("type_number", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)

objects = Table(
    "objects",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("type_number", Integer, primary_key=True, autoincrement=False),
    Column("object_id", Text, primary_key=True),
    Column("attributes", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(
        ["workspace_id", "type_number"],
        ["object_types.workspace_id", "object_types.type_number"],
        ondelete="CASCADE",
    ),
)

relationships = Table(
    "relationships",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("profile_id", Text, primary_key=True),
    Column("type_number", Integer, primary_key=True, autoincrement=False),
    Column("object_id", Text, primary_key=True),
    Column("attributes", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(
        ["workspace_id", "profile_id"],
        ["customers.workspace_id", "customers.profile_id"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["workspace_id", "type_number", "object_id"],
        ["objects.workspace_id", "objects.type_number", "objects.object_id"],
        ondelete="CASCADE",
    ),
    Index("ix_relationships_object", "workspace_id", "type_number", "object_id"),
)


async def next_type_number(connection: AsyncConnection, workspace_id: str) -> int:
    """The next object type number; the caller holds the workspace lock."""
    query = select(func.max(object_types.c.type_number)).where(
        object_types.c.workspace_id == workspace_id
    )
    return int((await connection.execute(query)).scalar_one_or_none() or 0) + 1


async def object_types_of(
    connection: AsyncConnection, workspace_id: str, **equal: Any
) -> list[dict[str, Any]]:
    query = select(object_types).where(object_types.c.workspace_id == workspace_id)
    for name, value in equal.items():
        query = query.where(object_types.c[name] == value)
    query = query.order_by(object_types.c.type_number)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def insert_object_type(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(object_types.insert().values(**row))


def _object_key(workspace_id: str, type_number: int, object_id: str) -> Any:
    return and_(
        objects.c.workspace_id == workspace_id,
        objects.c.type_number == type_number,
        objects.c.object_id == object_id,
    )


async def read_object(
    connection: AsyncConnection,
    workspace_id: str,
    type_number: int,
    object_id: str,
    *,
    lock: bool = False,
) -> dict[str, Any] | None:
    query = select(objects).where(_object_key(workspace_id, type_number, object_id))
    if lock:
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def ensure_object(
    connection: AsyncConnection, workspace_id: str, type_number: int, object_id: str, now: datetime
) -> bool:
    """Create the object with no attributes unless it exists; True if it was created."""
    statement = (
        sql.insert(connection, objects)
        .values(
            workspace_id=workspace_id,
            type_number=type_number,
            object_id=object_id,
            attributes={},
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    return bool((await connection.execute(statement)).rowcount)


async def merge_object_attributes(
    connection: AsyncConnection,
    workspace_id: str,
    type_number: int,
    object_id: str,
    patch: dict[str, Any],
    now: datetime,
) -> None:
    await connection.execute(
        update(objects)
        .where(_object_key(workspace_id, type_number, object_id))
        .values(attributes=sql.json_merge(connection, objects.c.attributes, patch), updated_at=now)
    )


async def page_objects(
    connection: AsyncConnection, workspace_id: str, type_number: int, after: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(objects).where(
        objects.c.workspace_id == workspace_id, objects.c.type_number == type_number
    )
    if after is not None:
        query = query.where(objects.c.object_id > after)
    query = query.order_by(objects.c.object_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def delete_object(
    connection: AsyncConnection, workspace_id: str, type_number: int, object_id: str
) -> int:
    await connection.execute(
        delete(relationships).where(
            relationships.c.workspace_id == workspace_id,
            relationships.c.type_number == type_number,
            relationships.c.object_id == object_id,
        )
    )
    result = await connection.execute(
        delete(objects).where(_object_key(workspace_id, type_number, object_id))
    )
    return int(result.rowcount)


def _relationship_key(workspace_id: str, profile_id: str, type_number: int, object_id: str) -> Any:
    return and_(
        relationships.c.workspace_id == workspace_id,
        relationships.c.profile_id == profile_id,
        relationships.c.type_number == type_number,
        relationships.c.object_id == object_id,
    )


async def relationships_of(
    connection: AsyncConnection, workspace_id: str, **equal: Any
) -> list[dict[str, Any]]:
    query = select(relationships).where(relationships.c.workspace_id == workspace_id)
    for name, value in equal.items():
        query = query.where(relationships.c[name] == value)
    order = (relationships.c.type_number, relationships.c.object_id, relationships.c.profile_id)
    return [dict(row._mapping) for row in await connection.execute(query.order_by(*order))]


async def read_relationship(
    connection: AsyncConnection,
    workspace_id: str,
    profile_id: str,
    type_number: int,
    object_id: str,
) -> dict[str, Any] | None:
    key = _relationship_key(workspace_id, profile_id, type_number, object_id)
    row = (await connection.execute(select(relationships).where(key).with_for_update())).first()
    return dict(row._mapping) if row else None


async def insert_relationship(
    connection: AsyncConnection,
    workspace_id: str,
    profile_id: str,
    type_number: int,
    object_id: str,
    attributes: dict[str, Any],
    now: datetime,
) -> None:
    await connection.execute(
        relationships.insert().values(
            workspace_id=workspace_id,
            profile_id=profile_id,
            type_number=type_number,
            object_id=object_id,
            attributes=attributes,
            created_at=now,
            updated_at=now,
        )
    )


async def merge_relationship_attributes(
    connection: AsyncConnection,
    workspace_id: str,
    profile_id: str,
    type_number: int,
    object_id: str,
    patch: dict[str, Any],
    now: datetime,
) -> None:
    key = _relationship_key(workspace_id, profile_id, type_number, object_id)
    merged = sql.json_merge(connection, relationships.c.attributes, patch)
    await connection.execute(
        update(relationships).where(key).values(attributes=merged, updated_at=now)
    )


async def delete_relationship(
    connection: AsyncConnection,
    workspace_id: str,
    profile_id: str,
    type_number: int,
    object_id: str,
) -> int:
    result = await connection.execute(
        delete(relationships).where(
            _relationship_key(workspace_id, profile_id, type_number, object_id)
        )
    )
    return int(result.rowcount)


async def move_relationships(
    connection: AsyncConnection, workspace_id: str, from_profile_id: str, to_profile_id: str
) -> int:
    """Give `to` the relationships of `from` to objects it is not related to yet."""
    theirs = relationships.alias("theirs")
    clash = select(theirs.c.profile_id).where(
        theirs.c.workspace_id == workspace_id,
        theirs.c.profile_id == to_profile_id,
        theirs.c.type_number == relationships.c.type_number,
        theirs.c.object_id == relationships.c.object_id,
    )
    result = await connection.execute(
        update(relationships)
        .where(
            relationships.c.workspace_id == workspace_id,
            relationships.c.profile_id == from_profile_id,
            ~clash.exists(),
        )
        .values(profile_id=to_profile_id)
    )
    return int(result.rowcount)
