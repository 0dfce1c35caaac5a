"""SQL for sign-up sources, topics and customers' subscriptions and preferences."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime


def _workspace_column() -> Column[str]:
    return Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    )


def _customer_key() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["workspace_id", "profile_id"],
        ["customers.workspace_id", "customers.profile_id"],
        ondelete="CASCADE",
    )


signup_sources = Table(
    "signup_sources",
    metadata,
    _workspace_column(),
    Column("source_number", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("locale", Text, nullable=True),
    Column("created_via", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

topics = Table(
    "topics",
    metadata,
    _workspace_column(),
    Column("topic_number", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("subscribed_by_default", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("profile_id", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("type", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("source_number", Integer, nullable=True),
    Column("locale", Text, nullable=True),
    Column("single_opt_in", Boolean, nullable=False),
    Column("opted_in_at", UtcDateTime, nullable=True),
    Column("opted_out_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    _customer_key(),
)

unsubscribes = Table(
    "unsubscribes",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("profile_id", Text, primary_key=True),
    Column("unsubscribed_at", UtcDateTime, nullable=False),
    _customer_key(),
)

topic_preferences = Table(
    "topic_preferences",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("profile_id", Text, primary_key=True),
    Column("topic_number", Integer, primary_key=True, autoincrement=False),
    Column("subscribed", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    _customer_key(),
)


async def next_number(
    connection: AsyncConnection, number_column: Column[int], workspace_id: str
) -> int:
    """The next per-workspace number in `number_column`; the caller holds the workspace lock."""
    table = number_column.table
    query = select(func.max(number_column)).where(table.c.workspace_id == workspace_id)
    highest = (await connection.execute(query)).scalar_one_or_none()
    return int(highest or 0) + 1


async def insert(connection: AsyncConnection, table: Table, row: dict[str, Any]) -> None:
    await connection.execute(table.insert().values(**row))


async def rows(
    connection: AsyncConnection, table: Table, workspace_id: str, **equal: Any
) -> list[dict[str, Any]]:
    query = select(table).where(table.c.workspace_id == workspace_id)
    for name, value in equal.items():
        query = query.where(table.c[name] == value)
    query = query.order_by(*table.primary_key.columns)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def delete_rows(
    connection: AsyncConnection, table: Table, workspace_id: str, **equal: Any
) -> int:
    statement = delete(table).where(table.c.workspace_id == workspace_id)
    for name, value in equal.items():
        statement = statement.where(table.c[name] == value)
    return int((await connection.execute(statement)).rowcount)


async def put_subscription(connection: AsyncConnection, row: dict[str, Any]) -> None:
    """Insert a customer's subscription of one channel and type, or replace it."""
    statement = sql.insert(connection, subscriptions).values(**row)
    keys = ("workspace_id", "profile_id", "channel", "type")
    changed = {name: value for name, value in row.items() if name not in keys}
    await connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed))


async def set_unsubscribed(
    connection: AsyncConnection, workspace_id: str, profile_id: str, now: datetime | None
) -> None:
    """Mark the customer unsubscribed from everything at `now`, or clear it (None)."""
    await delete_rows(connection, unsubscribes, workspace_id, profile_id=profile_id)
    if now is not None:
        await insert(
            connection,
            unsubscribes,
            {"workspace_id": workspace_id, "profile_id": profile_id, "unsubscribed_at": now},
        )


async def set_topic_preference(
    connection: AsyncConnection,
    workspace_id: str,
    profile_id: str,
    topic_number: int,
    subscribed: bool | None,
    now: datetime,
) -> None:
    await delete_rows(
        connection,
        topic_preferences,
        workspace_id,
        profile_id=profile_id,
        topic_number=topic_number,
    )
    if subscribed is not None:
        row = {
            "workspace_id": workspace_id,
            "profile_id": profile_id,
            "topic_number": topic_number,
            "subscribed": subscribed,
            "updated_at": now,
        }
        await insert(connection, topic_preferences, row)


async def move_to(
    connection: AsyncConnection, workspace_id: str, from_profile_id: str, to_profile_id: str
) -> dict[str, int]:
    """Give `to` the secondary's subscriptions and preferences it has no counterpart of.

    What does conflict stays on `from` (and goes when it is deleted). Returns how many
    rows of each table moved.
    """
    moved: dict[str, int] = {}
    for table, keys in (
        (subscriptions, ("channel", "type")),
        (topic_preferences, ("topic_number",)),
        (unsubscribes, ()),
    ):
        theirs = table.alias("theirs")
        clash = (
            select(theirs.c.profile_id)
            .where(theirs.c.workspace_id == workspace_id, theirs.c.profile_id == to_profile_id)
            .where(*(theirs.c[key] == table.c[key] for key in keys))
        )
        statement = (
            update(table)
            .where(
                table.c.workspace_id == workspace_id,
                table.c.profile_id == from_profile_id,
                ~clash.exists(),
            )
            .values(profile_id=to_profile_id)
        )
        moved[str(table.name)] = int((await connection.execute(statement)).rowcount)
    return moved
