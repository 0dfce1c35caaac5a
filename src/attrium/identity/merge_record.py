"""What a merge records so that it can be undone (`identity.undo`), in its transaction.

The snapshot holds the secondary as it was (its row, custom identifiers and every row
of the side tables) and exactly what moved onto the primary: the attributes and
identifiers it gained, the keys of the side rows that moved, the ids of the activity
entries reassigned to it, and its `updated_at` before and after the merge.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity.store import activity
from attrium.core.types import UtcDateTime
from attrium.customers.store import customers
from attrium.devices.store import devices
from attrium.objects.store import relationships
from attrium.subscriptions.store import subscriptions, topic_preferences, unsubscribes


def _plain(name: str) -> str:
    """A plain str of a column or table name (SQLAlchemy's subclass is no JSON key)."""
    return name.encode().decode()


# The tables of rows that belong to a customer and that a merge moves.
SIDE_TABLES: dict[str, Table] = {
    _plain(table.name): table
    for table in (subscriptions, topic_preferences, unsubscribes, relationships, devices)
}
_OWNER_COLUMNS = ("workspace_id", "profile_id")


def key_of(table: Table, row: dict[str, Any]) -> list[Any]:
    """A side row's key within its customer."""
    return [row[column.name] for column in table.primary_key if column.name not in _OWNER_COLUMNS]


def encode_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as a JSON document holds it (times as ISO 8601 text)."""
    return {
        _plain(name): value.isoformat() if isinstance(value, datetime) else value
        for name, value in row.items()
    }


def decode_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A row stored by `encode_row`, as the table takes it."""
    decoded = dict(row)
    for column in table.columns:
        value = decoded.get(column.name)
        if isinstance(column.type, UtcDateTime) and isinstance(value, str):
            decoded[column.name] = datetime.fromisoformat(value)
    return decoded


async def side_rows(
    connection: AsyncConnection, workspace_id: str, profile_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Every side row of one customer, by table name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name, table in SIDE_TABLES.items():
        query = (
            select(table)
            .where(table.c.workspace_id == workspace_id, table.c.profile_id == profile_id)
            .order_by(*table.primary_key.columns)
        )
        found[name] = [dict(row._mapping) for row in await connection.execute(query)]
    return found


async def activity_ids_of(
    connection: AsyncConnection, workspace_id: str, profile_id: str
) -> list[str]:
    query = select(activity.c.activity_id).where(
        activity.c.workspace_id == workspace_id, activity.c.profile_id == profile_id
    )
    return sorted(row[0] for row in await connection.execute(query))


def moved_keys(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> dict[str, list[list[Any]]]:
    """The keys of the side rows that left the secondary (moved onto the primary)."""
    moved: dict[str, list[list[Any]]] = {}
    for name, table in SIDE_TABLES.items():
        stayed = [key_of(table, row) for row in after[name]]
        moved[name] = [key for row in before[name] if (key := key_of(table, row)) not in stayed]
    return moved


def snapshot(
    secondary: tuple[dict[str, Any], dict[str, str]],
    rows: dict[str, list[dict[str, Any]]],
    moved: dict[str, list[list[Any]]],
    activity_ids: list[str],
    primary: tuple[dict[str, Any], dict[str, Any]],
    gained: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The document a merge stores. `primary` is its row before and after the merge;
    `gained` its attributes, identifier columns and custom identifiers the merge gave it."""
    before, after = primary
    return {
        "row": encode_row(secondary[0]),
        "custom_identifiers": secondary[1],
        "rows": {name: [encode_row(row) for row in found] for name, found in rows.items()},
        "moved_rows": moved,
        "activity_ids": activity_ids,
        "gained": gained,
        "primary_updated_at": {
            "before": before["updated_at"].isoformat(),
            "after": after["updated_at"].isoformat(),
        },
    }


def customer_row(document: dict[str, Any]) -> dict[str, Any]:
    return decode_row(customers, document["row"])
