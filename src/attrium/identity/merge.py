"""Merging two customers into one, atomically.

The primary must exist and keeps everything it has. From the secondary it gains the
attributes it lacks, the identifiers it lacks (an identifier kind it already holds
stays its own), the subscriptions, topic preferences and relationships it has no
counterpart of, and the whole activity history. Then the secondary is deleted, and
the merge is recorded on the primary. Both rows are locked, in profile id order,
for the whole transaction.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity import store as activity_store
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.attributes import stats as attribute_stats
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import AttriumError, FieldError, NotFound, ValidationFailed
from attrium.customers import service as customers
from attrium.customers import store as customer_store
from attrium.customers.identity import COLUMN_KINDS, CustomerRef, IdentifierKind
from attrium.customers.models import Customer
from attrium.objects import store as object_store
from attrium.subscriptions import store as subscription_store


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    customer: Customer  # the primary, as it is after the merge
    secondary_profile_id: str
    moved_identifiers: list[str]  # fields the primary gained
    dropped_identifiers: list[str]  # the secondary's fields the primary already had
    gained_attributes: list[str]
    moved_rows: dict[str, int]  # subscriptions, preferences, relationships, activity


@dataclass(frozen=True, slots=True)
class _Sides:
    primary: dict[str, Any]
    secondary: dict[str, Any]
    primary_custom: dict[str, str]
    secondary_custom: dict[str, str]


async def merge(
    db: Database, actor: Actor, primary: CustomerRef, secondary: CustomerRef
) -> MergeOutcome:
    """Merge `secondary` into `primary`; all or nothing."""
    try:
        async with db.transaction() as connection:
            return await _merge(connection, actor, primary, secondary)
    except AttriumError as error:
        await activity.record_rejection(db, actor, error, str(primary))
        raise


async def _merge(
    connection: AsyncConnection, actor: Actor, primary: CustomerRef, secondary: CustomerRef
) -> MergeOutcome:
    primary_id = await _owner(connection, actor, primary, "primary")
    secondary_id = await _owner(connection, actor, secondary, "secondary")
    if primary_id == secondary_id:
        message = "the primary and the secondary are the same customer"
        raise ValidationFailed(message, [FieldError("secondary", "merge.same_customer", message)])
    sides = await _lock_and_read(connection, actor, primary_id, secondary_id)
    gained = {
        name: value
        for name, value in sides.secondary["attributes"].items()
        if name not in sides.primary["attributes"]
    }
    columns, moved_fields, dropped_fields = _identifier_plan(sides)
    moved_custom = [name for name in sides.secondary_custom if name not in sides.primary_custom]
    moved_rows = await _move_rows(connection, actor, secondary_id, primary_id)
    # The secondary goes first, so that its identifiers are free for the primary.
    await customer_store.delete_customer(connection, actor.workspace_id, secondary_id)
    await customer_store.update_customer(
        connection, actor.workspace_id, primary_id, columns, gained, utcnow()
    )
    written, deleted = [(sides.primary["attributes"], gained)], [sides.secondary["attributes"]]
    await attribute_stats.record_writes(connection, actor, written, deleted)  # catalog stats
    for name in moved_custom:
        await customer_store.set_custom_identifier(
            connection, actor.workspace_id, primary_id, name, sides.secondary_custom[name]
        )
    moved_fields += [f"custom_identifiers.{name}" for name in moved_custom]
    dropped_fields += [
        f"custom_identifiers.{name}" for name in sides.secondary_custom if name not in moved_custom
    ]
    entries = _entries(primary_id, secondary_id, sides, columns, moved_custom, gained, moved_rows)
    await activity.record(connection, actor, entries)
    return MergeOutcome(
        customer=await customers.read_customer(connection, actor, primary_id),
        secondary_profile_id=secondary_id,
        moved_identifiers=moved_fields,
        dropped_identifiers=dropped_fields,
        gained_attributes=sorted(gained),
        moved_rows=moved_rows,
    )


async def _owner(connection: AsyncConnection, actor: Actor, ref: CustomerRef, field: str) -> str:
    profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
    if profile_id is None:
        raise NotFound(
            f"the {field} customer {ref} does not exist",
            [FieldError(field, "customer.exists", f"no customer {ref}")],
        )
    return profile_id


async def _lock_and_read(
    connection: AsyncConnection, actor: Actor, primary_id: str, secondary_id: str
) -> _Sides:
    rows: dict[str, dict[str, Any]] = {}
    for profile_id in sorted((primary_id, secondary_id)):
        row = await customer_store.read(connection, actor.workspace_id, profile_id, lock=True)
        if row is None:
            raise NotFound(f"customer profile:{profile_id} was deleted while this request ran")
        rows[profile_id] = row
    custom = await customer_store.custom_identifiers_of(
        connection, actor.workspace_id, [primary_id, secondary_id]
    )
    return _Sides(rows[primary_id], rows[secondary_id], custom[primary_id], custom[secondary_id])


def _identifier_plan(
    sides: _Sides,
) -> tuple[dict[IdentifierKind, str | None], list[str], list[str]]:
    """The identifier columns the primary gains, and the fields moved and dropped."""
    columns: dict[IdentifierKind, str | None] = {}
    moved: list[str] = []
    dropped: list[str] = []
    for kind in COLUMN_KINDS:
        column = customer_store.COLUMN_OF_KIND[kind].name
        value = sides.secondary[column]
        if value is None:
            continue
        if sides.primary[column] is None:
            columns[kind] = value
            moved.append(kind.value)
        else:
            dropped.append(kind.value)
    return columns, moved, dropped


async def _move_rows(
    connection: AsyncConnection, actor: Actor, secondary_id: str, primary_id: str
) -> dict[str, int]:
    workspace_id = actor.workspace_id
    moved = await subscription_store.move_to(connection, workspace_id, secondary_id, primary_id)
    moved["relationships"] = await object_store.move_relationships(
        connection, workspace_id, secondary_id, primary_id
    )
    moved["activity"] = await activity_store.reassign(
        connection, workspace_id, secondary_id, primary_id
    )
    return moved


def _entries(
    primary_id: str,
    secondary_id: str,
    sides: _Sides,
    columns: dict[IdentifierKind, str | None],
    moved_custom: list[str],
    gained: dict[str, Any],
    moved_rows: dict[str, int],
) -> list[ActivityEntry]:
    entries = [
        ActivityEntry(
            ActivityType.CUSTOMER_MERGED,
            profile_id=primary_id,
            details={
                "secondary_profile_id": secondary_id,
                "identifiers": [kind.value for kind in columns]
                + [f"custom_identifiers.{name}" for name in moved_custom],
                "attributes": sorted(gained),
                "moved_rows": moved_rows,
            },
        )
    ]
    entries.extend(
        ActivityEntry(
            ActivityType.IDENTIFIER_CHANGED,
            profile_id=primary_id,
            new_value=value,
            details={"identifier": kind.value, "merged_from": secondary_id},
        )
        for kind, value in columns.items()
    )
    entries.extend(
        ActivityEntry(
            ActivityType.IDENTIFIER_CHANGED,
            profile_id=primary_id,
            new_value=sides.secondary_custom[name],
            details={"identifier": f"custom_identifiers.{name}", "merged_from": secondary_id},
        )
        for name in moved_custom
    )
    entries.extend(
        ActivityEntry(
            ActivityType.ATTRIBUTE_CHANGED,
            profile_id=primary_id,
            attribute=name,
            old_value=None,
            new_value=value,
            details={"merged_from": secondary_id},
        )
        for name, value in gained.items()
    )
    return entries
