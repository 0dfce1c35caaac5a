"""Snapshots: every customer of a workspace as it was at an instant, stored.

A segment as of T then walks back from the first snapshot at or after T through the
entries in (T, snapshot] instead of every entry since T: with daily snapshots, a day
of entries at most. A snapshot is itself rebuilt by the one rule (history.store),
for an instant a few minutes in the past (writes in flight have committed), so it
says exactly what a walk back from now says.
"""

from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Table,
    Text,
    and_,
    delete,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import Database, metadata
from attrium.core.types import UtcDateTime, json_document
from attrium.customers.store import customers
from attrium.history import store
from attrium.segments.json_sql import json_access_for

snapshots = Table(
    "history_snapshots",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("taken_at", UtcDateTime, primary_key=True),
    Column("profile_id", Text, primary_key=True),
    Column("attributes", json_document(), nullable=False),
    Column("email_held", Boolean, nullable=False),
    Column("phone_held", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),  # the customer's: counts need no join
    # Erasure, suppression and a merge's secondary delete the customer: its past goes too.
    ForeignKeyConstraint(
        ["workspace_id", "profile_id"],
        ["customers.workspace_id", "customers.profile_id"],
        ondelete="CASCADE",
    ),
    Index("ix_history_snapshots_profile", "workspace_id", "profile_id"),
)

# Writes commit within milliseconds of their entries' time; a snapshot is taken for an
# instant this far back, so no write it should reflect is still in flight.
SETTLE = timedelta(minutes=5)


async def take(connection: AsyncConnection, workspace_id: str, at: datetime) -> None:
    """Store the workspace's customers as they were at `at` (those that existed)."""
    past = store.past_patches(connection, workspace_id, at)
    json_access = json_access_for(connection.dialect.name)
    held = {
        name: store.held_at(
            connection, workspace_id, name, at, customers.c.profile_id, column.is_not(None)
        )
        for name, column in (("email", customers.c.email), ("phone", customers.c.phone))
    }
    rows = (
        select(
            customers.c.workspace_id,
            literal(at, UtcDateTime),
            customers.c.profile_id,
            json_access.merge_patch(customers.c.attributes, past.c.patch),
            held["email"],
            held["phone"],
            customers.c.created_at,
        )
        .select_from(customers.outerjoin(past, past.c.profile_id == customers.c.profile_id))
        .where(customers.c.workspace_id == workspace_id, customers.c.created_at <= at)
    )
    columns = [column.name for column in snapshots.columns]
    await connection.execute(snapshots.insert().from_select(columns, rows))
    if connection.dialect.name == "postgresql":
        # A whole workspace arrived at once: without fresh statistics the planner takes
        # a snapshot for a handful of rows and joins it badly (bench `asof`).
        await connection.execute(text("ANALYZE history_snapshots"))


async def first_after(
    connection: AsyncConnection, workspace_id: str, moment: datetime
) -> datetime | None:
    """The instant of the workspace's first snapshot at or after `moment`."""
    query = select(func.min(snapshots.c.taken_at)).where(
        snapshots.c.workspace_id == workspace_id, snapshots.c.taken_at >= moment
    )
    found: datetime | None = (await connection.execute(query)).scalar_one_or_none()
    return found


async def latest(connection: AsyncConnection, workspace_id: str) -> datetime | None:
    query = select(func.max(snapshots.c.taken_at)).where(snapshots.c.workspace_id == workspace_id)
    found: datetime | None = (await connection.execute(query)).scalar_one_or_none()
    return found


async def keep_up(
    db: Database, workspace_id: str, now: datetime, every: timedelta, cutoff: datetime | None
) -> bool:
    """Take the workspace's next snapshot if the last is `every` old, and drop those
    before `cutoff` (the retention window); whether one was taken."""
    at = now - SETTLE
    async with db.transaction() as connection:
        if cutoff is not None:
            await connection.execute(
                delete(snapshots).where(
                    and_(snapshots.c.workspace_id == workspace_id, snapshots.c.taken_at < cutoff)
                )
            )
        last = await latest(connection, workspace_id)
        if last is not None and at - last < every:
            return False
        await take(connection, workspace_id, at)
        return True
