"""A customer's devices: added or updated by id, removed, listed on the profile.

Every change holds the customer's row lock, so that an erasure running at the same
time either removes the device with the customer or finds it already there. A new
device is logged (`device_added`), as is a change of its platform or attributes
(`device_changed`) and its removal (`device_removed`); a new `last_used` alone is not
(apps report it on every start).
"""

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, NotFound, ValidationFailed
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef
from attrium.devices import store
from attrium.devices.models import DeviceInput, Platform

MAX_DEVICE_ID_BYTES = 1000
MAX_ATTRIBUTES_BYTES = 10_000
_PLATFORMS = ", ".join(platform.value for platform in Platform)


async def put(
    db: Database, actor: Actor, ref: CustomerRef, device: DeviceInput
) -> tuple[dict[str, Any], bool]:
    """Add the device to the customer, or update its device of that id; returns the
    device and whether it is new. NotFound if there is no such customer."""
    check(device)
    now = utcnow()
    async with db.transaction() as connection:
        profile_id = await _locked_customer(connection, actor, ref)
        found = await store.device_of(connection, actor.workspace_id, profile_id, device.device_id)
        row = {
            "workspace_id": actor.workspace_id,
            "profile_id": profile_id,
            "device_id": device.device_id,
            "platform": device.platform,
            "last_used": device.last_used,
            "attributes": device.attributes,
            "created_at": found["created_at"] if found else now,
            "updated_at": now,
        }
        await store.upsert_device(connection, row)
        entry_type = _entry_type(found, row)
        if entry_type is not None:
            await _log(connection, actor, entry_type, profile_id, device)
    return device_body(row), found is None


async def remove(db: Database, actor: Actor, ref: CustomerRef, device_id: str) -> None:
    """Remove the customer's device; NotFound if the customer or the device is missing."""
    async with db.transaction() as connection:
        profile_id = await _locked_customer(connection, actor, ref)
        found = await store.device_of(connection, actor.workspace_id, profile_id, device_id)
        if found is None:
            raise NotFound(f"customer {ref} has no device {device_id!r}")
        await store.delete_device(connection, actor.workspace_id, profile_id, device_id)
        removed = DeviceInput(device_id, found["platform"])
        await _log(connection, actor, ActivityType.DEVICE_REMOVED, profile_id, removed)


async def devices_of(db: Database, actor: Actor, profile_id: str) -> list[dict[str, Any]]:
    """The customer's devices as the API shows them, in device id order."""
    async with db.reader() as connection:
        rows = await store.devices_of(connection, actor.workspace_id, profile_id)
    return [device_body(row) for row in rows]


def check(device: DeviceInput) -> None:
    """Every rule the device breaks, at once, each naming its field."""
    errors: list[FieldError] = []
    if not device.device_id.strip() or "\x00" in device.device_id:
        errors.append(FieldError("id", "id.required", "a device has a non-empty id"))
    elif len(device.device_id.encode()) > MAX_DEVICE_ID_BYTES:
        message = f"a device id holds at most {MAX_DEVICE_ID_BYTES} bytes"
        errors.append(FieldError("id", "id.length", message))
    if device.platform not in set(Platform):
        message = f"platform is one of {_PLATFORMS}"
        errors.append(FieldError("platform", "platform.unknown", message))
    if len(orjson.dumps(device.attributes)) > MAX_ATTRIBUTES_BYTES:
        message = f"a device's attributes hold at most {MAX_ATTRIBUTES_BYTES} bytes of JSON"
        errors.append(FieldError("attributes", "attributes.size", message))
    if errors:
        raise ValidationFailed(errors[0].message, errors)


def device_body(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["device_id"],
        "platform": row["platform"],
        "last_used": row["last_used"],
        "attributes": row["attributes"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def _locked_customer(connection: AsyncConnection, actor: Actor, ref: CustomerRef) -> str:
    profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
    if profile_id is None or not await customer_store.read(
        connection, actor.workspace_id, profile_id, lock=True
    ):
        raise NotFound(f"no customer {ref}")
    return profile_id


def _entry_type(found: dict[str, Any] | None, row: dict[str, Any]) -> ActivityType | None:
    if found is None:
        return ActivityType.DEVICE_ADDED
    if (found["platform"], found["attributes"]) != (row["platform"], row["attributes"]):
        return ActivityType.DEVICE_CHANGED
    return None


async def _log(
    connection: AsyncConnection,
    actor: Actor,
    entry_type: ActivityType,
    profile_id: str,
    device: DeviceInput,
) -> None:
    details = {"device_id": device.device_id, "platform": device.platform}
    await activity.record(
        connection, actor, [ActivityEntry(entry_type, profile_id=profile_id, details=details)]
    )
