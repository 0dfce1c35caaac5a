"""SQL for devices: one row per (customer, device id), gone with its customer."""

from typing import Any

from sqlalchemy import Column, ForeignKeyConstraint, Table, Text, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document

devices = Table(
    "devices",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("profile_id", Text, primary_key=True),
    Column("device_id", Text, primary_key=True),
    Column("platform", Text, nullable=False),
    Column("last_used", UtcDateTime, nullable=True),
    Column("attributes", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Erasure, suppression and a merge's secondary delete the customer's row: its
    # devices go with it.
    ForeignKeyConstraint(
        ["workspace_id", "profile_id"],
        ["customers.workspace_id", "customers.profile_id"],
        ondelete="CASCADE",
    ),
)

_KEYS = ("workspace_id", "profile_id", "device_id")


async def devices_of(
    connection: AsyncConnection, workspace_id: str, profile_id: str
) -> list[dict[str, Any]]:
    """The customer's devices, in device id order."""
    query = (
        select(devices)
        .where(devices.c.workspace_id == workspace_id, devices.c.profile_id == profile_id)
        .order_by(devices.c.device_id)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def device_of(
    connection: AsyncConnection, workspace_id: str, profile_id: str, device_id: str
) -> dict[str, Any] | None:
    query = select(devices).where(
        devices.c.workspace_id == workspace_id,
        devices.c.profile_id == profile_id,
        devices.c.device_id == device_id,
    )
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def upsert_device(connection: AsyncConnection, row: dict[str, Any]) -> None:
    """Insert the device, or update the customer's device of that id (its created_at kept)."""
    statement = sql.insert(connection, devices).values(**row)
    changed = {
        name: statement.excluded[name]
        for name in ("platform", "last_used", "attributes", "updated_at")
    }
    await connection.execute(statement.on_conflict_do_update(index_elements=_KEYS, set_=changed))


async def delete_device(
    connection: AsyncConnection, workspace_id: str, profile_id: str, device_id: str
) -> bool:
    """Whether there was such a device."""
    result = await connection.execute(
        delete(devices).where(
            devices.c.workspace_id == workspace_id,
            devices.c.profile_id == profile_id,
            devices.c.device_id == device_id,
        )
    )
    return bool(result.rowcount)


async def move_devices(
    connection: AsyncConnection, workspace_id: str, from_profile_id: str, to_profile_id: str
) -> int:
    """Give `to` the devices of `from` it has no device of that id of (a merge); the
    rest stay on `from` and go when it is deleted. Returns how many moved."""
    theirs = devices.alias("theirs")
    clash = select(theirs.c.device_id).where(
        theirs.c.workspace_id == workspace_id,
        theirs.c.profile_id == to_profile_id,
        theirs.c.device_id == devices.c.device_id,
    )
    statement = (
        update(devices)
        .where(
            devices.c.workspace_id == workspace_id,
            devices.c.profile_id == from_profile_id,
            ~clash.exists(),
        )
        .values(profile_id=to_profile_id)
    )
    return int((await connection.execute(statement)).rowcount)
